"""Destructive requests: a confirmation names the camera and what it loses, and blocks.

Escape, n or the Cancel button send nothing; y (or the confirm button) sends the request with
confirm=True. The daemon here is the stand-in of tests/tui/standin.py (the real socket server
with recording handlers), until the end-to-end test can run against the real daemon.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input, RadioButton

from oakd.errors import ErrorCode, OakdError
from oakd.protocol import Request
from oakd.protocol.replies import NetworkFacts
from oakd.protocol.requests import (
    BootloaderUpdate,
    ClearApp,
    ClearConfig,
    FactoryReset,
    NetworkConfig,
    Rollback,
)
from tests.tui import data
from tests.tui.data import mxid, with_network
from tests.tui.helpers import back_to_main, build_app, connected, screen_of, until, until_sent
from tests.tui.standin import StandInDaemon
from tui.screens.confirm import ConfirmScreen
from tui.screens.network import NetworkScreen

CAMERAS = [
    data.device(1, "front", bootloader="0.0.26", app="blink-f00d"),
    data.device(2, "back", state="flash_booted", app="people-counter"),
]


async def test_factory_reset_waits_for_yes(standin: StandInDaemon) -> None:
    standin.devices = CAMERAS
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        await pilot.press("down", "F")  # front
        screen = await screen_of(pilot, ConfirmScreen)
        assert screen.title_text == "Factory reset: front?"
        body = screen.body_text
        assert f"front ({mxid(1)} at 10.0.0.11)" in body
        assert "loses the flashed application (blink-f00d)" in body
        assert "loses its network config (now at 10.0.0.11)" in body
        await pilot.press("escape")
        await back_to_main(pilot)
        await pilot.press("F")
        screen = await screen_of(pilot, ConfirmScreen)
        await pilot.press("n")
        await back_to_main(pilot)
        await pilot.press("F")
        screen = await screen_of(pilot, ConfirmScreen)
        await pilot.click("#cancel")  # the mouse, too
        await back_to_main(pilot)
        assert "cancelled, nothing sent" in app.log_panel.text()
        await pilot.press("F")
        screen = await screen_of(pilot, ConfirmScreen)
        await pilot.press("y")
        # Requests on one connection arrive in order: had escape, n or Cancel sent one, it
        # would be first here.
        resets = await until_sent(pilot, standin, FactoryReset)
        assert resets == [FactoryReset(device=mxid(1), confirm=True)]
        await until(pilot, lambda: app.jobs.row_count == 1, "the reset job")


async def test_enter_on_a_confirmation_cancels(standin: StandInDaemon) -> None:
    standin.devices = CAMERAS
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        await pilot.press("c")
        await screen_of(pilot, ConfirmScreen)
        await pilot.press("enter")  # the focus is on Cancel: a stray enter is harmless
        await back_to_main(pilot)
        await pilot.press("c")
        await screen_of(pilot, ConfirmScreen)
        await pilot.click("#confirm")
        assert await until_sent(pilot, standin, ClearApp) == [
            ClearApp(device=mxid(2), confirm=True)
        ]


@pytest.mark.parametrize(
    ("key", "kind", "loss"),
    [
        ("c", ClearApp, "loses the flashed application (people-counter)"),
        ("C", ClearConfig, "loses its network config (now at 10.0.0.12)"),
        ("b", BootloaderUpdate, "loses the current bootloader"),
    ],
)
async def test_each_destructive_key_confirms_first(
    standin: StandInDaemon, key: str, kind: type[Request], loss: str
) -> None:
    standin.devices = CAMERAS
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        await pilot.press(key)  # back, highlighted: it runs its app
        screen = await screen_of(pilot, ConfirmScreen)
        assert loss in screen.body_text
        assert "its running app (people-counter) stops" in screen.body_text
        await pilot.press("y")
        [request] = await until_sent(pilot, standin, kind)
        assert request == kind(device=mxid(2), confirm=True)  # type: ignore[call-arg]


async def test_destructive_keys_apply_to_every_marked_camera(standin: StandInDaemon) -> None:
    standin.devices = CAMERAS
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        await pilot.press("a", "b")  # mark all, bootloader update
        screen = await screen_of(pilot, ConfirmScreen)
        assert "back" in screen.body_text and "front" in screen.body_text
        await pilot.press("y")
        sent = await until_sent(pilot, standin, BootloaderUpdate, 2)
        assert {r.device for r in sent} == {mxid(1), mxid(2)}
        assert all(r.confirm for r in sent)


async def test_static_network_config_is_checked_then_confirmed(standin: StandInDaemon) -> None:
    standin.devices = CAMERAS
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        await pilot.press("n")
        form = await screen_of(pilot, NetworkScreen)
        await pilot.click("#net-static")
        await until(pilot, lambda: form.query_one("#net-address", Input).display, "the fields")
        form.query_one("#net-address", Input).value = "192.168.1.50/24"
        form.query_one("#net-gateway", Input).value = "192.168.2.1"
        form.query_one("#net-address", Input).focus()
        await pilot.press("enter")
        error = form.query_one("#net-error")
        await until(
            pilot,
            lambda: "gateway: 192.168.2.1 is not in 192.168.1.0/24" in str(error.render()),
            "the gateway error, naming the field",
        )
        form.query_one("#net-gateway", Input).value = "192.168.1.1"
        await until(pilot, lambda: not str(error.render()).strip(), "the old error gone")
        form.query_one("#net-dns", Input).value = "192.168.1.1"
        await pilot.click("#next")
        confirm = await screen_of(pilot, ConfirmScreen)
        body = confirm.body_text
        assert "static 192.168.1.50/24, gateway 192.168.1.1, DNS 192.168.1.1" in body
        assert "can then only be recovered by opening it" in body
        await pilot.press("y")
        [request] = await until_sent(pilot, standin, NetworkConfig)
        assert request == NetworkConfig(
            device=mxid(2),
            dhcp=False,
            static="192.168.1.50/24",
            gateway="192.168.1.1",
            dns="192.168.1.1",
            confirm=True,
        )


async def test_the_network_dialog_shows_the_settings_read_and_starts_from_them(
    standin: StandInDaemon,
) -> None:
    written = NetworkFacts(True, "10.2.0.50", "255.255.255.0", "10.2.0.1", "10.2.0.2", "44:a9:2c")
    static = with_network(data.device(1, "front", bootloader="0.0.28"), written)
    factory = with_network(data.device(2, "back", bootloader="0.0.28"), None)  # none written
    standin.devices = [static, factory, data.device(3, "side")]
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        app.cameras.restore_cursor(mxid(1))
        await pilot.press("n")
        form = await screen_of(pilot, NetworkScreen)
        now = str(form.query_one("#net-current").render())
        assert "front now: static 10.2.0.50/24, gateway 10.2.0.1, DNS 10.2.0.2" in now
        assert form.query_one("#net-static", RadioButton).value
        assert form.query_one("#net-address", Input).value == "10.2.0.50/24"
        assert form.query_one("#net-address", Input).display
        assert form.query_one("#net-gateway", Input).value == "10.2.0.1"
        await pilot.press("escape")
        await back_to_main(pilot)

        app.cameras.marked = {mxid(2), mxid(3)}
        await pilot.press("n")
        form = await screen_of(pilot, NetworkScreen)
        now = str(form.query_one("#net-current").render())
        assert "back now: DHCP (no config written: the factory default)" in now
        assert "side now: not read yet (inspect the camera, i, to read it)" in now
        assert form.query_one("#net-dhcp", RadioButton).value
        assert not form.query_one("#net-address", Input).display


async def test_dhcp_network_config(standin: StandInDaemon) -> None:
    standin.devices = CAMERAS
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        await pilot.press("n")
        await screen_of(pilot, NetworkScreen)
        await pilot.click("#next")
        await screen_of(pilot, ConfirmScreen)
        await pilot.press("y")
        [request] = await until_sent(pilot, standin, NetworkConfig)
        assert request == NetworkConfig(device=mxid(2), dhcp=True, confirm=True)


async def test_r_rolls_a_camera_back_once_confirmed(standin: StandInDaemon) -> None:
    standin.devices = CAMERAS
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        app.cameras.restore_cursor(mxid(1))
        await pilot.press("r")
        confirm = await screen_of(pilot, ConfirmScreen)
        assert "front: each is flashed the build of its project before" in confirm.body_text
        await pilot.press("n")
        await back_to_main(pilot)
        assert standin.sent(Rollback) == []
        assert "roll back front: cancelled, nothing sent" in app.log_panel.text()
        await pilot.press("r")
        await screen_of(pilot, ConfirmScreen)
        await pilot.press("y")
        [request] = await until_sent(pilot, standin, Rollback)
        assert request == Rollback(device=mxid(1))
        await until(pilot, lambda: "roll back front: queued #" in app.log_panel.text(), "queued")
        # The daemon's refusal, said as it is.
        why = "cannot roll camera X back in /p: it runs the oldest build recorded"
        standin.errors[Rollback] = OakdError(why, ErrorCode.REFUSED)
        await pilot.press("r")
        await screen_of(pilot, ConfirmScreen)
        await pilot.press("y")
        await until(
            pilot, lambda: "it runs the oldest build recorded" in app.log_panel.text(), "why"
        )
