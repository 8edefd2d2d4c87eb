"""Events published on the daemon's bus update the screen live.

The daemon is the stand-in of tests/tui/standin.py (the real socket server and bus with
recording handlers) until the end-to-end test runs the TUI against the real daemon.
"""

from __future__ import annotations

import dataclasses

from oakd.protocol import (
    EVENT_DEVICE_CHANGED,
    EVENT_DEVICE_OFFLINE,
    EVENT_JOB_CHANGED,
    EVENT_JOB_PROGRESS,
    EVENT_LOG,
    EVENT_PROJECT_BUILD,
    EVENT_PROJECT_CHANGED,
)
from oakd.protocol.replies import BuildFailure, DeviceState, LogLine, ProjectBuilt
from tests.tui import data
from tests.tui.data import mxid
from tests.tui.helpers import build_app, connected, screen_of, until
from tests.tui.standin import StandInDaemon
from tui.screens.detail import DetailScreen

BUILD_ERROR = BuildFailure("NameError", "name 'fps' is not defined")


async def test_device_events_update_rows(standin: StandInDaemon) -> None:
    standin.devices = [data.device(1, "front"), data.device(2, "back")]
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        flashed = data.device(1, "front", state="flash_booted", app="blink", flashed_at=data.T0)
        standin.publish(EVENT_DEVICE_CHANGED, flashed)
        await until(pilot, lambda: app.cameras.get_cell(mxid(1), "app").plain == "blink", "the app")
        assert app.cameras.get_cell(mxid(1), "state").plain == "flash booted"
        assert app.cameras.get_cell(mxid(1), "flashed").plain == "14:13:20"
        standin.publish(EVENT_DEVICE_OFFLINE, data.device(2, "back", state="offline"))
        await until(pilot, lambda: app.cameras.get_cell(mxid(2), "online").plain == "no", "offline")
        assert "3 cameras" not in app.status.text and "(1 online)" in app.status.text
        renamed = data.device(2, "a-back")  # a new alias sorts it first
        standin.publish(EVENT_DEVICE_CHANGED, renamed)
        await until(pilot, lambda: app.cameras.visible_ids() == [mxid(2), mxid(1)], "resorting")


async def test_job_progress_and_a_failed_flash(standin: StandInDaemon) -> None:
    standin.devices = [data.device(1, "front")]
    standin.jobs = [data.job(7, mxid(1), state="queued")]
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        assert "queued" in app.jobs.get_cell("7", "state").plain
        standin.publish(
            EVENT_JOB_CHANGED, data.job(7, mxid(1), state="running", phase="connecting")
        )
        standin.publish(
            EVENT_JOB_PROGRESS, {"id": 7, "device": mxid(1), "progress": 0.25, "phase": "writing"}
        )
        await until(pilot, lambda: "25%" in app.jobs.get_cell("7", "state").plain, "25%")
        assert app.jobs.get_cell("7", "state").plain.startswith("writing")
        assert "1 running · 0 queued" in app.status.text
        # The daemon's bytes, speed and time left (oakd/core/transfer.py), in their column.
        mib = 1024 * 1024
        standin.publish(
            EVENT_JOB_PROGRESS,
            {
                "id": 7,
                "device": mxid(1),
                "progress": 0.5,
                "phase": "writing",
                "bytes_done": 5 * mib,
                "bytes_total": 10 * mib,
                "bytes_per_s": mib,
                "eta_s": 5.0,
            },
        )
        written = "5.00 MiB of 10.00 MiB · 1.00 MiB/s · 5 s left"
        await until(pilot, lambda: app.jobs.cell_text("7", "transfer") == written, "the bytes")
        await pilot.press("2", "z")  # the jobs panel, maximized: room for the column
        await until(pilot, lambda: "transfer" in app.jobs.shown_columns(), "the column drawn")
        await pilot.press("z")
        error = "the camera stopped answering while writing: power-cycle it, then flash again"
        standin.publish(EVENT_JOB_CHANGED, data.job(7, mxid(1), state="failed", error=error))
        await until(pilot, lambda: "failed" in app.jobs.get_cell("7", "state").plain, "the failure")
        assert f"job #7 (flash blink to front) failed: {error}" in app.log_panel.text()
        await pilot.press("2", "enter")
        screen = await screen_of(pilot, DetailScreen)
        assert error in screen.body_text


async def test_a_failed_build_shows_its_traceback(standin: StandInDaemon) -> None:
    standin.devices = [data.device(1, "front")]
    standin.projects = [data.project(devices=[mxid(1)])]
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        standin.publish(EVENT_PROJECT_CHANGED, data.project(devices=[mxid(1)], state="building"))
        await until(
            pilot,
            lambda: app.projects.get_cell("/home/dev/blink", "state").plain == "building",
            "building",
        )
        # As the daemon sends it (build_summary): the traceback inside the error, the output
        # what the build printed.
        error = dataclasses.replace(BUILD_ERROR, traceback=data.TRACEBACK)
        result = data.build_result(ok=False, error=error, output="building blink at 15 fps\n")
        standin.publish(EVENT_PROJECT_BUILD, ProjectBuilt("/home/dev/blink", result))
        await until(pilot, lambda: "NameError" in app.log_panel.text(), "the error in the log")
        log = app.log_panel.text()
        assert "build blink: NameError: name 'fps' is not defined" in log
        assert "    building blink at 15 fps" in log
        # The traceback's end, where the user's code failed, before the output.
        assert "    cam.setFps(fps)" in log
        assert log.index("cam.setFps(fps)") < log.index("building blink at 15 fps")
        assert app.projects.get_cell("/home/dev/blink", "state").plain == "failed"
        await pilot.press("3", "enter")
        screen = await screen_of(pilot, DetailScreen)
        page = screen.body_text
        # The page the toast and the help promise: the traceback, then what the build printed.
        assert 'File "/home/dev/blink/pipeline.py", line 12, in <module>' in page
        assert "cam.setFps(fps)" in page
        assert page.index("traceback") < page.index("building blink at 15 fps")


async def test_log_events_and_unwatched_projects(standin: StandInDaemon) -> None:
    standin.projects = [data.project()]
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        standin.publish(EVENT_LOG, LogLine("warning", "discovery", "[bold]x[/]"))
        await until(
            pilot, lambda: "[bold]x[/]" in app.log_panel.text(), "the log line"
        )  # no markup
        assert "warning discovery: [bold]x[/]" in app.log_panel.text()
        standin.publish(EVENT_PROJECT_CHANGED, data.project(state="unwatched"))
        await until(pilot, lambda: app.projects.row_count == 0, "the project to go")


async def test_malformed_and_unknown_events_are_ignored(standin: StandInDaemon) -> None:
    standin.devices = [data.device(1, "front")]
    app = build_app(standin.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await connected(pilot)
        # Raw frames, as a broken or foreign daemon might send them.
        standin.publish(EVENT_DEVICE_CHANGED, {"alias": "no id"})
        standin.publish(EVENT_JOB_PROGRESS, {"id": "seven", "progress": 2})
        standin.publish("device.teleported", {"id": mxid(1)})
        standin.publish(EVENT_LOG, LogLine("info", "test", "after"))
        await until(pilot, lambda: "test: after" in app.log_panel.text(), "the last event")
        log = app.log_panel.text()
        assert "ignored a device.changed event: device.changed.id: is required" in log
        assert "ignored a job.progress event: job.progress.id: expected a whole number" in log
        assert app.cameras.visible_ids() == [mxid(1)]


async def test_a_project_whose_camera_lost_its_build_is_out_of_sync(
    standin: StandInDaemon,
) -> None:
    build = data.build_result(ok=True, fingerprint="f00dfeed0000aaaa")
    front = data.device(1, "front", state="flash_booted", flashed_hash="f00dfeed0000")
    standin.devices = [front, data.device(2, "back")]
    standin.projects = [data.project(devices=[mxid(1)], state="ok", last_build=build)]
    app = build_app(standin.path)
    async with app.run_test(size=(120, 30)) as pilot:
        await connected(pilot)
        blink = "/home/dev/blink"
        await until(pilot, lambda: app.projects.row_count == 1, "the project")
        assert app.projects.get_cell(blink, "state").plain == "ok"
        # Cleared (by hand, or a reset): no app on record.
        cleared = dataclasses.replace(
            front, state=DeviceState.BOOTLOADER, flashed_hash=None, flashed_app=None
        )
        standin.publish(EVENT_DEVICE_CHANGED, cleared)
        await until(
            pilot, lambda: app.projects.get_cell(blink, "state").plain == "out of sync", "stale"
        )
        assert app.projects.cell_text(blink, "cameras") == "front ≠"
        standin.publish(EVENT_DEVICE_CHANGED, front)  # flashed again
        await until(pilot, lambda: app.projects.get_cell(blink, "state").plain == "ok", "in sync")
