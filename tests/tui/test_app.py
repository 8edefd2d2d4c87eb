"""Pilot tests: keys drive the actions, and the requests reach a daemon over its socket.

The daemon here is tests/tui/standin.py: the real socket server (oakd.services.server) and event
bus, with small recording handlers. It stands in for the daemon until the end-to-end test (real
daemon + emulator) can run, because the daemon's flash, cancel, reset, watch and project
handlers are being built in parallel with the TUI. The app inside talks to it with the real
oakd.client.Client over a real Unix socket; tests publish events on its bus to drive the screen
and assert on the requests its handlers recorded.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from oakd.errors import ErrorCode, OakdError
from oakd.protocol.replies import JobInfo
from oakd.protocol.requests import Cancel, Flash, Inspect
from tests.tui import data
from tests.tui.data import mxid
from tests.tui.helpers import back_to_main, build_app, connected, screen_of, until, until_sent
from tests.tui.standin import StandInDaemon
from tui.screens.confirm import ConfirmScreen
from tui.screens.flash import FlashScreen

CAMERAS = [data.device(1, "front"), data.device(2, "back"), data.device(3, "side")]


async def test_lists_cameras_jobs_and_projects(standin: StandInDaemon) -> None:
    standin.devices = [
        data.device(1, "front", bootloader="0.0.28"),
        data.device(2, "back", state="flash_booted", app="blink", bootloader="0.0.26"),
        data.device(3),
    ]
    standin.jobs = [data.job(7, mxid(1), state="running", progress=0.4, phase="writing")]
    standin.projects = [data.project(devices=[mxid(1)])]
    app = build_app(standin.path)
    async with app.run_test(size=(160, 48)) as pilot:  # wide enough for every column
        await connected(pilot)
        # Aliased cameras by alias, then the others by MX ID.
        assert app.cameras.visible_ids() == [mxid(2), mxid(1), mxid(3)]
        back = app.cameras.get_row(mxid(2))
        assert [c.plain for c in back] == [
            " ",
            "back",
            mxid(2),
            "10.0.0.12",
            "flash booted",
            "yes",
            "0.0.26 !",  # older than 0.0.28: flagged
            "blink",
            "-",
        ]
        assert app.cameras.get_cell(mxid(1), "app").plain == "-"  # in its bootloader: no app runs
        assert app.jobs.get_cell("7", "camera").plain == "front"
        assert "40%" in app.jobs.get_cell("7", "state").plain
        assert app.projects.get_cell("/home/dev/blink", "cameras").plain == "front"
        assert app.status.text.startswith("● oakd 0.1.0 · 3 cameras (3 online) · 1 running")


async def test_flash_marked_cameras_with_a_project(standin: StandInDaemon, tmp_path: Path) -> None:
    project = tmp_path / "blink"
    project.mkdir()
    standin.devices = CAMERAS
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        await pilot.press("space", "down", "down", "space")  # back, front, side: marks back, side
        assert app.cameras.marked == {mxid(2), mxid(3)}
        assert app.cameras.get_cell(mxid(2), "mark").plain == "●"
        assert app.cameras.get_cell(mxid(1), "mark").plain == " "
        await pilot.press("f")
        screen = await screen_of(pilot, FlashScreen)
        screen.query_one("#flash-path", Input).value = str(project)
        await pilot.press("enter")
        [flash] = await until_sent(pilot, standin, Flash)
        assert flash == Flash(devices=[mxid(2), mxid(3)], project=str(project), package=None)
        await until(pilot, lambda: app.jobs.row_count == 2, "the two queued jobs")
        assert "queued #100 (back), #101 (side)" in app.log_panel.text()


async def test_flash_a_package_to_the_highlighted_camera(
    standin: StandInDaemon, tmp_path: Path
) -> None:
    package = tmp_path / "app.dap"
    package.write_bytes(b"dap")
    standin.devices = CAMERAS
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        await pilot.press("down", "f")  # no marks: the highlighted camera, front
        screen = await screen_of(pilot, FlashScreen)
        path_input = screen.query_one("#flash-path", Input)
        path_input.value = str(tmp_path / "missing.dap")
        await pilot.press("enter")
        await until(
            pilot,
            lambda: "does not exist" in str(screen.query_one("#flash-error").render()),
            "the path error",
        )
        path_input.value = str(package)
        await pilot.press("enter")
        [flash] = await until_sent(pilot, standin, Flash)
        assert flash.devices == [mxid(1)]
        assert flash.package == str(package) and flash.project is None
        assert not flash.full


async def test_the_flash_dialog_can_ask_for_the_whole_package(
    standin: StandInDaemon, tmp_path: Path
) -> None:
    package = tmp_path / "app.dap"
    package.write_bytes(b"dap")
    standin.devices = CAMERAS
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        await pilot.press("down", "f")
        screen = await screen_of(pilot, FlashScreen)
        screen.query_one("#flash-path", Input).value = str(package)
        await pilot.press("tab", "space", "shift+tab", "enter")  # the checkbox, back, flash
        [flash] = await until_sent(pilot, standin, Flash)
        assert flash.full and flash.package == str(package)


async def test_the_flash_dialog_offers_the_cameras_project_and_a_force_box(
    standin: StandInDaemon, tmp_path: Path
) -> None:
    project = tmp_path / "blink"
    project.mkdir()
    standin.devices = CAMERAS
    standin.projects = [data.project(str(project), devices=[mxid(1)])]
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        await pilot.press("down", "f")  # front, the project's target
        screen = await screen_of(pilot, FlashScreen)
        assert screen.query_one("#flash-path", Input).value == str(project)
        # Past "whole package", check "force", back to the path, flash.
        await pilot.press("tab", "tab", "space", "shift+tab", "shift+tab", "enter")
        [flash] = await until_sent(pilot, standin, Flash)
        assert flash.project == str(project) and flash.force and not flash.full
        # A camera no project flashes: the path typed last.
        other = tmp_path / "other"
        other.mkdir()
        await pilot.press("down", "f")  # side
        screen = await screen_of(pilot, FlashScreen)
        assert screen.query_one("#flash-path", Input).value == str(project)
        screen.query_one("#flash-path", Input).value = str(other)
        await pilot.press("enter")
        await until_sent(pilot, standin, Flash, count=2)
        await pilot.press("up", "up", "f")  # back: no project either, the last path
        screen = await screen_of(pilot, FlashScreen)
        assert screen.query_one("#flash-path", Input).value == str(other)


async def test_a_refused_flash_of_an_old_bootloader_can_be_forced(
    standin: StandInDaemon, tmp_path: Path
) -> None:
    def flash(body: Flash) -> list[JobInfo]:
        if not body.force:
            raise OakdError(
                "back runs bootloader 0.0.26, older than 0.0.28: update it, or force",
                ErrorCode.BOOTLOADER_TOO_OLD,
            )
        return [data.job(9, body.devices[0])]

    standin.devices = CAMERAS
    standin.answers[Flash] = flash
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        await pilot.press("f")
        flash_dialog = await screen_of(pilot, FlashScreen)
        flash_dialog.query_one("#flash-path", Input).value = str(tmp_path)
        await pilot.press("enter")
        confirm = await screen_of(pilot, ConfirmScreen)
        assert "older than 0.0.28" in confirm.body_text
        await pilot.press("y")
        first, forced = await until_sent(pilot, standin, Flash, 2)
        assert (first.force, forced.force) == (False, True)


async def test_cancel_a_job_and_show_a_refusal(standin: StandInDaemon) -> None:
    standin.devices = CAMERAS
    standin.jobs = [
        data.job(7, mxid(1), state="running", progress=0.5, phase="writing"),
        data.job(8, mxid(2), state="queued"),
    ]
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        await pilot.press("2")  # the jobs panel: running #7, then queued #8
        assert app.focused is app.jobs
        await pilot.press("down", "x")
        [cancel] = await until_sent(pilot, standin, Cancel)
        assert cancel == Cancel(job=8)
        standin.errors[Cancel] = OakdError(
            "job #7 is writing to front; a running write is never torn off", ErrorCode.BUSY
        )
        await pilot.press("up", "x")
        await until_sent(pilot, standin, Cancel, 2)
        await until(
            pilot, lambda: "never torn off" in app.log_panel.text(), "the refusal in the log"
        )
        assert "cancel job #7 failed: job #7 is writing" in app.log_panel.text()


async def test_inspect_warns_before_stopping_a_running_app(standin: StandInDaemon) -> None:
    standin.devices = [data.device(1, "front"), data.device(2, "back", "flash_booted", app="blink")]
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        await pilot.press("i")  # back (highlighted) runs its app: a warning first
        screen = await screen_of(pilot, ConfirmScreen)
        assert "back" in screen.body_text and "(blink) stops" in screen.body_text
        await pilot.press("escape")
        await back_to_main(pilot)  # the dialog gone before the next keys, however loaded
        await pilot.press("down", "i")  # front is in its bootloader: inspected at once
        [first] = await until_sent(pilot, standin, Inspect)
        assert first == Inspect(device=mxid(1), yes=False)  # the escape sent nothing
        await until(
            pilot,
            lambda: app.cameras.get_cell(mxid(1), "bootloader").plain == "0.0.28",
            "the inspection",
        )
        await pilot.press("up", "i")
        screen = await screen_of(pilot, ConfirmScreen)
        await pilot.press("y")
        _, second = await until_sent(pilot, standin, Inspect, 2)
        assert second == Inspect(device=mxid(2), yes=True)
