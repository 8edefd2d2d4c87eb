"""What the screen shows at the sizes people use: 80x24, 160x48, 200x60.

These read the rendered screen, not the widgets' data: a cell that exists but is drawn off the
edge, or an input whose text is hidden under its border, is what a person cannot see.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.widget import Widget

from tests.tui import data
from tests.tui.data import mxid
from tests.tui.helpers import build_app, connected, until
from tests.tui.standin import StandInDaemon
from tui.widgets.cameras_table import IMPORTANCE, CamerasTable

# No camera here reports its app's health: that column, drawn only when one does, stays out.
CAMERA_COLUMNS = tuple(key for key in IMPORTANCE if key not in CamerasTable.OPTIONAL)

CAMERAS = [
    data.device(1, "front", bootloader="0.0.28", flashed_at=data.T0 - 300),
    data.device(2, "back", "flash_booted", bootloader="0.0.26", app="blink-f00d"),
    data.device(3, state="booted"),  # no alias: the MX ID names it
]
JOBS = [
    data.job(12, mxid(1), state="running", phase="writing", progress=0.2),
    data.job(13, mxid(3), state="queued"),
    data.job(11, mxid(2), state="done", message="flashed blink-f00d"),
    data.job(10, mxid(3), state="failed", error="the camera stopped answering"),
]


def screen_lines(app: App[Any]) -> list[str]:
    """The screen as a person sees it, one string per row."""
    # The compositor is what the driver writes to the terminal; widget data may differ.
    strips = app.screen._compositor.render_strips()
    return ["".join(segment.text for segment in strip) for strip in strips]


def drawn(app: App[Any], widget: Widget) -> list[str]:
    """The rows of the screen inside `widget`'s region, cut to its columns."""
    region = widget.region
    rows = screen_lines(app)[region.y : region.bottom]
    return [row[region.x : region.right] for row in rows]


async def test_the_filter_shows_what_is_typed(standin: StandInDaemon) -> None:
    standin.devices = CAMERAS
    app = build_app(standin.path)
    async with app.run_test(size=(80, 24)) as pilot:
        await connected(pilot)
        await pilot.press("slash", "f", "r", "o")
        await until(pilot, lambda: app.cameras.visible_ids() == [mxid(1)], "only front")
        await pilot.pause()
        assert app.filter.region.height == 1  # one row: the table keeps its room
        [row] = drawn(app, app.filter)
        assert "fro" in row
        await pilot.press("enter")  # kept: still readable when the table has the focus
        await pilot.pause()
        assert "fro" in drawn(app, app.filter)[0]


def header(app: App[Any], table: Widget) -> str:
    """The table's header row as drawn."""
    return drawn(app, table)[0]


async def wait_for_rows(pilot: Any, app: Any) -> None:
    await connected(pilot)
    await until(pilot, lambda: app.cameras.row_count == 3 and app.jobs.row_count == 4, "rows")
    await pilot.pause()


async def test_80x24_keeps_the_columns_that_matter_and_draws_them_whole(
    standin: StandInDaemon,
) -> None:
    standin.devices = CAMERAS
    standin.jobs = JOBS
    app = build_app(standin.path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_rows(pilot, app)
        await until(pilot, lambda: "address" not in app.cameras.shown_columns(), "a narrow table")
        await pilot.pause()
        shown = app.cameras.shown_columns()
        # The most important first: what is kept is a prefix of the order, in table order.
        assert set(shown) == set(CAMERA_COLUMNS[: len(shown)])
        assert {"mark", "alias", "id", "state", "app"} <= set(shown)
        top = header(app, app.cameras)
        assert "app running" in top and "address" not in top
        rows = drawn(app, app.cameras)
        back = next(row for row in rows if "back" in row)
        assert mxid(2) in back and "flash booted" in back and "blink-f00d" in back
        assert any(mxid(3) in row and "booted" in row for row in rows)
        # Nothing is drawn past the edge: no sideways scrollbar under the rows.
        assert app.cameras.max_scroll_x == 0
        jobs = "\n".join(drawn(app, app.jobs))
        for words in ("writing", "20%", "queued", "done", "failed"):
            assert words in jobs, words
        assert app.jobs.max_scroll_x == 0


async def test_80x24_jobs_of_cameras_without_alias_say_their_state(
    standin: StandInDaemon,
) -> None:
    # As in the demo: cameras named by their 18-character MX IDs, jobs named by the app.
    standin.devices = [data.device(n, state="flash_booted", app="demo-f82a1b2c") for n in (1, 2)]
    standin.jobs = [
        data.job(7, mxid(1), state="running", phase="writing", progress=0.3),
        data.job(6, mxid(2), state="done"),
        data.job(5, mxid(1), state="interrupted"),
    ]
    for job in standin.jobs:
        job.params["app_name"] = "demo-f82a1b2c"
    app = build_app(standin.path)
    async with app.run_test(size=(80, 24)) as pilot:
        await connected(pilot)
        await until(pilot, lambda: app.jobs.row_count == 3, "the jobs")
        await until(pilot, lambda: "job" not in app.jobs.shown_columns(), "a narrow jobs table")
        await pilot.pause()
        assert app.jobs.shown_columns() == ["id", "camera", "state"]
        rows = drawn(app, app.jobs)
        assert any(mxid(1) in r and "writing" in r and "30%" in r for r in rows), rows
        assert any(mxid(2) in r and "✓ done  14:13:15" in r for r in rows), rows
        assert any("! interrupted  14:13:15" in r for r in rows), rows
        assert app.jobs.max_scroll_x == 0


async def test_160x48_shows_every_camera_column(standin: StandInDaemon) -> None:
    standin.devices = CAMERAS
    standin.jobs = JOBS
    app = build_app(standin.path)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_rows(pilot, app)
        every = [key for key, _, _ in app.cameras.COLUMNS if key not in app.cameras.OPTIONAL]
        await until(pilot, lambda: app.cameras.shown_columns() == every, "every column")
        await pilot.pause()
        top = header(app, app.cameras)
        for title in ("alias", "MX ID", "address", "state", "online", "bootloader", "last flash"):
            assert title in top, title

        def front() -> str:
            return next(row for row in drawn(app, app.cameras) if "front" in row)

        # Columns drawn again after a fit take their widths at the next layout: wait for it.
        await until(
            pilot,
            lambda: all(text in front() for text in ("10.0.0.11", "0.0.28", "14:08:20")),
            "front's row whole",
        )
        # Room for when it ended, too.
        await until(pilot, lambda: "done  14:13:15" in "\n".join(drawn(app, app.jobs)), "the end")


async def test_columns_come_back_when_the_terminal_grows(standin: StandInDaemon) -> None:
    standin.devices = CAMERAS
    app = build_app(standin.path)
    async with app.run_test(size=(80, 24)) as pilot:
        await connected(pilot)
        await until(pilot, lambda: "address" not in app.cameras.shown_columns(), "80 columns")
        await pilot.resize_terminal(160, 48)
        await until(pilot, lambda: "address" in app.cameras.shown_columns(), "160 columns")
        assert "10.0.0.11" in "\n".join(drawn(app, app.cameras))
        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: "address" not in app.cameras.shown_columns(), "80 again")
        assert app.cameras.max_scroll_x == 0


async def test_the_log_uses_the_whole_width(standin: StandInDaemon) -> None:
    app = build_app(standin.path)
    async with app.run_test(size=(200, 60)) as pilot:
        await connected(pilot)
        long = "word " * 35  # 175 characters: one row at 200 columns
        app.say("info", long.strip())
        await until(pilot, lambda: "word" in "".join(drawn(app, app.log_panel)), "the line")
        await pilot.pause()
        [row] = [row for row in drawn(app, app.log_panel) if "word" in row]
        assert row.rstrip().endswith("word") and row.count("word") == 35
        await pilot.resize_terminal(120, 40)  # narrower: written lines wrap to the new width
        await until(
            pilot,
            lambda: sum("word" in row for row in drawn(app, app.log_panel)) == 2,
            "the line wrapped in two",
        )
        assert app.log_panel.max_scroll_x == 0
