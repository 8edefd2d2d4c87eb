"""Screenshots of a few screens at 80x24, compared with the accepted ones in __snapshots__/.

The daemon is the stand-in of tests/tui/standin.py (the real socket server and bus with
recording handlers) until the end-to-end test runs the TUI against the real daemon. Time is a
FixedClock printing UTC, and the daemon's version is pinned, so the pictures never drift. After
`--snapshot-update`, look at the SVGs before committing them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from oakd.protocol import EVENT_JOB_PROGRESS, EVENT_PROJECT_BUILD
from oakd.protocol.replies import BuildFailure, ProjectBuilt
from tests.tui import data
from tests.tui.data import mxid
from tests.tui.helpers import build_app, connected, until
from tests.tui.standin import StandInDaemon
from tui.connection import Backoff

CAMERAS = [
    data.device(1, "front", bootloader="0.0.28", flashed_at=data.T0 - 300),
    data.device(
        2, "back", "flash_booted", bootloader="0.0.26", app="blink-f00d", flashed_at=data.T0 - 86400
    ),
    data.device(3, "dock", "booted"),
    data.device(4, state="offline"),
]


def test_no_daemon(snap_compare: Any, short_tmp: Path) -> None:
    # One attempt only (a long backoff), so the attempt count on the screen is fixed.
    app = build_app(Path("/tmp/oakd-snapshot-nowhere/oakd.sock"), backoff=Backoff(60, 60))

    async def run_before(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: app.status.state == "unreachable", "the unreachable line")

    assert snap_compare(app, run_before=run_before)


def test_no_cameras(snap_compare: Any, standin: StandInDaemon) -> None:
    app = build_app(standin.path)

    async def run_before(pilot: Pilot[Any]) -> None:
        await connected(pilot)

    assert snap_compare(app, run_before=run_before)


def test_cameras_listed(snap_compare: Any, standin: StandInDaemon) -> None:
    standin.devices = CAMERAS
    app = build_app(standin.path)

    async def run_before(pilot: Pilot[Any]) -> None:
        await connected(pilot)
        await pilot.press("down", "space", "down")  # front marked, dock highlighted

    assert snap_compare(app, run_before=run_before)


def test_flash_in_progress(snap_compare: Any, standin: StandInDaemon) -> None:
    standin.devices = CAMERAS
    standin.jobs = [
        data.job(12, mxid(1), state="running", phase="writing", progress=0.2),
        data.job(13, mxid(2), state="queued"),
        data.job(11, mxid(2), state="done", message="flashed blink-f00d"),
    ]
    app = build_app(standin.path)

    async def run_before(pilot: Pilot[Any]) -> None:
        await connected(pilot)
        standin.publish(
            EVENT_JOB_PROGRESS, {"id": 12, "device": mxid(1), "progress": 0.62, "phase": "writing"}
        )
        await until(pilot, lambda: "62%" in app.jobs.get_cell("12", "state").plain, "62%")

    assert snap_compare(app, run_before=run_before)


def test_build_error(snap_compare: Any, standin: StandInDaemon) -> None:
    standin.devices = CAMERAS[:2]
    standin.projects = [data.project(devices=[mxid(1), mxid(2)], state="building")]
    app = build_app(standin.path)
    error = BuildFailure("NameError", "name 'fps' is not defined")
    result = data.build_result(ok=False, error=error, output=data.TRACEBACK)

    async def run_before(pilot: Pilot[Any]) -> None:
        await connected(pilot)
        standin.publish(EVENT_PROJECT_BUILD, ProjectBuilt("/home/dev/blink", result))
        await until(pilot, lambda: "cam.setFps" in app.log_panel.text(), "the traceback")

    assert snap_compare(app, run_before=run_before)


def test_reset_confirmation(snap_compare: Any, standin: StandInDaemon) -> None:
    standin.devices = CAMERAS
    app = build_app(standin.path)

    async def run_before(pilot: Pilot[Any]) -> None:
        await connected(pilot)

    assert snap_compare(app, press=["F"], run_before=run_before)
