"""Filter, watch, unwatch, help, the command palette and zoom, from the keyboard.

The daemon is the stand-in of tests/tui/standin.py (the real socket server and bus with
recording handlers) until the end-to-end test runs the TUI against the real daemon.
"""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandList, CommandPalette
from textual.widgets import Input

from oakd.protocol import EVENT_DEVICE_CHANGED, EVENT_JOB_CHANGED
from oakd.protocol.requests import FactoryReset, Unwatch, Watch
from tests.tui import data
from tests.tui.data import mxid
from tests.tui.helpers import back_to_main, build_app, connected, screen_of, until, until_sent
from tests.tui.standin import StandInDaemon
from tui.screens.confirm import ConfirmScreen
from tui.screens.flash import FlashScreen
from tui.screens.help import HelpScreen
from tui.screens.watch import WatchScreen

CAMERAS = [
    data.device(1, "front"),
    data.device(2, "back", state="flash_booted", app="counter"),
    data.device(3, "side"),
]


async def test_slash_filters_the_cameras(standin: StandInDaemon) -> None:
    standin.devices = CAMERAS
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        await pilot.press("slash")
        assert app.focused is app.filter
        await pilot.press("f", "r")
        await until(pilot, lambda: app.cameras.visible_ids() == [mxid(1)], "only front")
        await pilot.press("enter")  # keep the filter, back to the table
        assert app.focused is app.cameras
        assert app.filter.display
        await pilot.press("space")
        assert app.cameras.marked == {mxid(1)}
        await pilot.press("slash")
        app.filter.value = "counter"  # the app column matches too
        await until(pilot, lambda: app.cameras.visible_ids() == [mxid(2)], "only back")
        await pilot.press("escape")  # clears
        await until(pilot, lambda: len(app.cameras.visible_ids()) == 3, "every camera")
        assert not app.filter.display
        assert app.cameras.marked == {mxid(1)}


async def test_slash_filters_the_focused_jobs_or_projects(standin: StandInDaemon) -> None:
    standin.devices = CAMERAS
    standin.jobs = [
        data.job(1, mxid(1), state="done"),
        data.job(2, mxid(2), state="failed", error="gone"),
        data.job(3, mxid(3), state="done"),
    ]
    standin.projects = [data.project("/home/dev/blink"), data.project("/home/dev/gate")]
    app = build_app(standin.path)
    async with app.run_test(size=(120, 30)) as pilot:
        await connected(pilot)
        await until(pilot, lambda: app.jobs.row_count == 3, "three jobs")

        def jobs() -> list[str]:
            return [str(row.key.value) for row in app.jobs.ordered_rows]

        await pilot.press("2", "slash")
        await until(pilot, lambda: app.focused is app.filter, "the filter focused")
        assert "filter jobs" in app.filter.placeholder
        app.filter.value = "fail"  # as typed: keys sent before the focus moved would not be
        await until(pilot, lambda: jobs() == ["2"], "only the failed job")
        assert len(app.cameras.visible_ids()) == 3  # the cameras are not filtered
        assert "filter: fail" in str(app.jobs.border_title)
        await pilot.press("enter")
        assert app.focused is app.jobs
        # A job that comes and matches is shown; one that does not, not.
        standin.publish(EVENT_JOB_CHANGED, data.job(4, mxid(1), state="failed", error="x"))
        standin.publish(EVENT_JOB_CHANGED, data.job(5, mxid(1), state="queued"))
        # The two may come in one batch of events or in two: wait for both to be known.
        await until(pilot, lambda: {"4", "5"} <= {str(k) for k in app.jobs.jobs}, "both jobs")
        await until(pilot, lambda: "4" in jobs(), "the new failed job")
        assert "5" not in jobs()
        await pilot.press("slash")
        await until(pilot, lambda: app.focused is app.filter, "the filter focused")
        await pilot.press("escape")  # clears: all of them again, in order
        await until(pilot, lambda: len(jobs()) == 5, "every job")
        assert jobs()[0] == "5"  # queued first, as ever

        await pilot.press("3", "slash")
        await until(pilot, lambda: app.focused is app.filter, "the filter focused")
        assert "filter projects" in app.filter.placeholder and app.filter.value == ""
        app.filter.value = "gat"
        await until(pilot, lambda: app.projects.row_count == 1, "only gate")
        assert app.projects.highlighted_key() == "/home/dev/gate"


async def test_watch_and_unwatch_a_project(standin: StandInDaemon, tmp_path: Path) -> None:
    project = tmp_path / "blink"
    project.mkdir()
    standin.devices = CAMERAS
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        await pilot.press("down", "space", "down", "space", "w")  # front, side
        screen = await screen_of(pilot, WatchScreen)
        screen.query_one("#watch-path", Input).value = str(project)
        await pilot.press("enter")
        error = screen.query_one("#watch-error")
        await until(pilot, lambda: "has no pipeline.py" in str(error.render()), "the entry error")
        (project / "pipeline.py").write_text("import depthai\n")
        await pilot.press("enter")
        [watch] = await until_sent(pilot, standin, Watch)
        assert watch == Watch(path=str(project), devices=[mxid(1), mxid(3)])
        await until(pilot, lambda: app.projects.row_count == 1, "the watched project")
        await pilot.press("3", "u")
        [unwatch] = await until_sent(pilot, standin, Unwatch)
        assert unwatch == Unwatch(path=str(project))
        await until(pilot, lambda: app.projects.row_count == 0, "the project to go")


async def test_help_lists_the_keys(standin: StandInDaemon) -> None:
    app = build_app(standin.path)
    async with app.run_test(size=(80, 24)) as pilot:
        await connected(pilot)
        await pilot.press("question_mark")
        screen = await screen_of(pilot, HelpScreen)
        text = str(screen.query_one("#help-body").render())
        for words in ("space", "Mark", "Flash", "Factory reset", "Cancel job", "Unwatch", "Zoom"):
            assert words in text
        await pilot.press("escape")
        await back_to_main(pilot)


async def test_the_command_palette_names_cameras(standin: StandInDaemon) -> None:
    standin.devices = CAMERAS
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        await pilot.press("colon")
        palette = await screen_of(pilot, CommandPalette)
        await pilot.press(*"factory reset side")
        await until(
            pilot,
            lambda: (
                "Factory reset side"
                in str(palette.query_one(CommandList).get_option_at_index(0).prompt)
            ),
            "the command",
            timeout=10,
        )
        await pilot.press("down", "enter")
        await screen_of(pilot, ConfirmScreen)
        await pilot.press("y")
        [reset] = await until_sent(pilot, standin, FactoryReset)
        assert reset == FactoryReset(device=mxid(3), confirm=True)


async def test_zoom_maximizes_the_focused_panel(standin: StandInDaemon) -> None:
    app = build_app(standin.path)
    async with app.run_test(size=(80, 24)) as pilot:
        await connected(pilot)
        await pilot.press("4", "z")
        assert app.screen.maximized is app.log_panel
        await pilot.press("z")
        assert app.screen.maximized is None


async def test_the_mouse_marks_cameras_and_runs_footer_keys(standin: StandInDaemon) -> None:
    standin.devices = CAMERAS
    app = build_app(standin.path)
    async with app.run_test(size=(80, 24)) as pilot:
        await connected(pilot)
        await pilot.click(app.cameras, offset=(1, 2))  # the mark column of the second row
        assert app.cameras.marked == {mxid(1)}
        await pilot.click("#projects")
        assert app.focused is app.projects
        await pilot.click(app.cameras, offset=(10, 1))
        assert app.focused is app.cameras
        keys = app.screen.query("Footer FooterKey")  # the footer's keys are clickable
        [flash_key] = [k for k in keys if getattr(k, "action", None) == "app.flash"]
        await pilot.click(flash_key)
        screen = await screen_of(pilot, FlashScreen)
        assert "to front" in str(screen.query_one(".dialog-body").render())


async def test_vi_keys_and_home_end_move_through_the_rows(standin: StandInDaemon) -> None:
    standin.devices = CAMERAS  # sorted by alias: back, front, side
    standin.jobs = [data.job(i, mxid(1), state="done") for i in (1, 2, 3)]
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        await until(pilot, lambda: app.cameras.row_count == 3, "three cameras")
        ids = app.cameras.visible_ids()

        def on() -> str | None:
            return app.cameras.highlighted_key()

        assert on() == ids[0]
        await pilot.press("j")
        assert on() == ids[1]
        await pilot.press("G")
        assert on() == ids[2]
        await pilot.press("k")
        assert on() == ids[1]
        await pilot.press("g")
        assert on() == ids[0]
        await pilot.press("end")
        assert on() == ids[2]
        await pilot.press("home")
        assert on() == ids[0]
        await pilot.press("2")  # the jobs panel has them too
        await until(pilot, lambda: app.jobs.row_count == 3, "three jobs")
        first = app.jobs.highlighted_key()
        await pilot.press("G")
        assert app.jobs.highlighted_key() != first
        await pilot.press("g")
        assert app.jobs.highlighted_key() == first


async def test_s_sorts_by_the_next_column_and_S_reverses(standin: StandInDaemon) -> None:
    standin.devices = [
        data.device(1, "front", state="flash_booted"),
        data.device(2, "back"),
        data.device(3, "side", state="flash_booted"),
    ]
    standin.jobs = [data.job(i, mxid(1), state="done") for i in (9, 10, 11)]
    app = build_app(standin.path)
    async with app.run_test(size=(160, 30)) as pilot:
        await connected(pilot)
        await until(pilot, lambda: app.cameras.row_count == 3, "three cameras")
        assert app.cameras.visible_ids() == [mxid(2), mxid(1), mxid(3)]  # by alias
        await pilot.press("S")  # the first column (alias), reversed
        assert app.cameras.user_order == ("alias", True)
        assert app.cameras.visible_ids() == [mxid(3), mxid(1), mxid(2)]
        await pilot.press("s", "s", "s")  # alias, MX ID, address: then state
        assert app.cameras.user_order == ("state", False)
        assert app.cameras.visible_ids()[0] == mxid(2)  # "bootloader" before "flash booted"
        # The order holds as rows change: back goes offline, and after the others.
        standin.publish(EVENT_DEVICE_CHANGED, data.device(2, "back", state="offline"))
        await until(pilot, lambda: app.cameras.visible_ids()[-1] == mxid(2), "back moved last")
        # Past the last column: the table's own order again.
        for _ in app.cameras.shown_columns():
            await pilot.press("s")
            if app.cameras.user_order is None:
                break
        assert app.cameras.user_order is None
        assert app.cameras.visible_ids() == [mxid(2), mxid(1), mxid(3)]
        # Numbers by value: job #9 before #10 and #11 when sorted by id.
        await pilot.press("2", "s")
        assert app.jobs.user_order == ("id", False)
        assert [k for k in (str(r.key.value) for r in app.jobs.ordered_rows)] == ["9", "10", "11"]
        await pilot.press("S")
        assert [str(r.key.value) for r in app.jobs.ordered_rows] == ["11", "10", "9"]
