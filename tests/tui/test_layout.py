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

CAMERAS = [
    data.device(1, "front", bootloader="0.0.28", flashed_at=data.T0 - 300),
    data.device(2, "back", "flash_booted", bootloader="0.0.26", app="blink-f00d"),
    data.device(3, state="booted"),  # no alias: the MX ID names it
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
