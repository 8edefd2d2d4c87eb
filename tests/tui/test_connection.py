"""The app without a daemon, and across daemon restarts: it says so, retries, and catches up.

The daemon is the stand-in of tests/tui/standin.py (the real socket server and bus with
recording handlers) until the end-to-end test runs the TUI against the real daemon.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from oakd.protocol import EVENT_DEVICE_ADDED
from oakd.protocol.requests import ListDevices
from tests.tui import data
from tests.tui.data import mxid
from tests.tui.helpers import build_app, connected, until
from tests.tui.standin import StandInDaemon


async def test_no_daemon_says_how_to_start_one_then_connects(short_tmp: Path) -> None:
    path = short_tmp / "s"
    app = build_app(path)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.status.state == "unreachable", "the unreachable line")
        text = app.status.text
        assert f"no oakd daemon reachable at {path} (no socket file)" in text
        assert "Start one with `oakd daemon`" in text
        assert "Start one with `oakd daemon`" in app.log_panel.text()
        empty = app.query_one("#cameras-empty", Static)
        assert empty.display and "No daemon reachable" in str(empty.render())
        daemon = StandInDaemon(path)
        daemon.devices = []
        daemon.start()
        try:
            await connected(pilot)
            await until(pilot, lambda: "No cameras yet" in str(empty.render()), "no cameras")
            daemon.publish(EVENT_DEVICE_ADDED, data.device(1, "front"))
            await until(pilot, lambda: app.cameras.visible_ids() == [mxid(1)], "the camera")
            assert not empty.display
        finally:
            daemon.stop()


async def test_reconnects_after_a_daemon_restart_keeping_the_screen(
    standin: StandInDaemon,
) -> None:
    standin.devices = [data.device(1, "front")]
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        await pilot.press("space")
        standin.stop()
        await until(pilot, lambda: app.status.state == "reconnecting", "the reconnecting line")
        assert "reconnecting…" in app.status.text
        assert app.cameras.visible_ids() == [mxid(1)]  # the screen stays as it was
        assert app.cameras.marked == {mxid(1)}
        standin.devices = [data.device(1, "front"), data.device(2, "back")]
        standin.start()
        await connected(pilot)
        await until(pilot, lambda: standin.subscribers == 1, "the app to subscribe again")
        assert app.cameras.visible_ids() == [mxid(2), mxid(1)]  # the lists were refreshed
        standin.publish(EVENT_DEVICE_ADDED, data.device(3, "side"))
        await until(pilot, lambda: mxid(3) in app.cameras.visible_ids(), "the new camera")
        assert app.cameras.marked == {mxid(1)}  # marks survive a reconnect
        assert len(standin.sent(ListDevices)) == 2
        assert "the daemon closed the connection" in app.log_panel.text()


async def test_a_daemon_without_projects_still_works(standin: StandInDaemon) -> None:
    standin.devices = [data.device(1, "front")]
    standin.projects = None
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        assert app.cameras.row_count == 1
        assert app.projects.served is False
        assert "does not serve watched projects" in app.log_panel.text()
