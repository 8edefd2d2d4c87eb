"""A camera's app health in the table, its app log view (l), and crashes in the log panel."""

from __future__ import annotations

import dataclasses

from oakd.protocol import EVENT_APP_LOG, EVENT_DEVICE_CHANGED
from oakd.protocol.replies import AppLogLine, DeviceInfo, HealthInfo, HealthState
from tests.tui import data
from tests.tui.data import mxid
from tests.tui.helpers import back_to_main, build_app, connected, screen_of, until
from tests.tui.standin import StandInDaemon
from tui.screens.app_log import AppLogScreen

APP = "blink@0123456789ab"


def line(n: int, text: str, kind: str = "log", level: str = "warn") -> AppLogLine:
    return AppLogLine(mxid(1), data.T0 - 60 + n, APP, n, kind, level, "greeter", text)


def with_health(n: int, state: HealthState, heard: float | None = None) -> DeviceInfo:
    camera = data.device(n, f"cam{n}", state="flash_booted", app=APP)
    health = HealthInfo(state, data.T0 - 100, APP, APP, heard, 0, None)
    return dataclasses.replace(camera, health=health)


async def test_health_shows_in_the_table_only_when_an_app_reports(standin: StandInDaemon) -> None:
    standin.devices = [data.device(1, "cam1"), data.device(2, "cam2")]
    app = build_app(standin.path)
    async with app.run_test(size=(160, 30)) as pilot:
        await connected(pilot)
        await until(pilot, lambda: app.cameras.row_count == 2, "the cameras")
        assert "health" not in app.cameras.shown_columns()  # nothing reports: no column
        standin.publish(EVENT_DEVICE_CHANGED, with_health(1, HealthState.ALIVE, data.T0 - 2))
        await until(pilot, lambda: "health" in app.cameras.shown_columns(), "the column")
        assert app.cameras.cell_text(mxid(1), "health") == "alive 2 s"
        standin.publish(EVENT_DEVICE_CHANGED, with_health(2, HealthState.CRASH_LOOP))
        await until(
            pilot, lambda: app.cameras.cell_text(mxid(2), "health") == "crash loop", "a loop"
        )
        standin.publish(EVENT_DEVICE_CHANGED, with_health(1, HealthState.NO_REPORT))
        await until(
            pilot,
            lambda: app.cameras.cell_text(mxid(1), "health") == "no boot report",
            "no report",
        )


async def test_l_opens_the_app_log_which_follows_pauses_and_filters(
    standin: StandInDaemon,
) -> None:
    standin.devices = [data.device(1, "cam1", state="flash_booted", app=APP), data.device(2)]
    standin.app_lines = [line(1, "", kind="boot", level=""), line(2, "hello"), line(3, "more")]
    app = build_app(standin.path)
    async with app.run_test(size=(120, 30)) as pilot:
        await connected(pilot)
        await until(pilot, lambda: app.cameras.row_count == 2, "the cameras")
        app.cameras.restore_cursor(mxid(1))
        await pilot.press("l")
        screen = await screen_of(pilot, AppLogScreen)
        assert [x.text for x in screen.shown] == ["", "hello", "more"]
        standin.publish(EVENT_APP_LOG, line(4, "a new line"))
        standin.publish(  # another camera's line: not in this view
            EVENT_APP_LOG, dataclasses.replace(line(5, "not mine"), device=mxid(2))
        )
        await until(pilot, lambda: len(screen.lines) == 4, "the new line")
        assert screen.follow
        await pilot.press("f")
        assert not screen.follow and "paused" in screen._title()
        await pilot.press("slash")
        await pilot.press(*"hel")
        await until(pilot, lambda: [x.text for x in screen.shown] == ["hello"], "filtered")
        await pilot.press("enter", "escape")
        await back_to_main(pilot)


async def test_a_crash_says_so_in_the_log_panel(standin: StandInDaemon) -> None:
    standin.devices = [data.device(1, "cam1", state="flash_booted", app=APP)]
    app = build_app(standin.path)
    async with app.run_test(size=(120, 30)) as pilot:
        await connected(pilot)
        traceback = 'Traceback (most recent call last):\n  File "greeter", line 3\nValueError: x'
        standin.publish(EVENT_APP_LOG, line(2, traceback, kind="crash", level="critical"))
        await until(pilot, lambda: "its app crashed: ValueError: x" in app.log_panel.text(), "it")
        assert "cam1" in app.log_panel.text()
