"""The TUI with the real daemon, real depthai workers and emulated cameras, driven by Pilot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Input

from oakd.emulator.process import Fleet
from oakd.protocol.replies import JobState
from tests.helpers import DaemonProcess
from tests.tui.helpers import build_app, connected, screen_of, until
from tui.screens.flash import FlashScreen

pytestmark = pytest.mark.timeout(300)
APP_OFFSET = 8 * 1024 * 1024


async def test_a_flash_started_from_the_tui_reaches_done(
    make_fleet: Callable[..., Fleet],
    make_daemon: Callable[..., DaemonProcess],
    dap_file: Path,
) -> None:
    fleet = make_fleet(2)
    daemon = make_daemon()
    target = fleet.cameras[1]
    app = build_app(daemon.socket)
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await until(pilot, lambda: app.cameras.row_count == 2, "both cameras listed", 30)
        await pilot.press("down", "f")  # the second camera, highlighted
        screen = await screen_of(pilot, FlashScreen)
        screen.query_one("#flash-path", Input).value = str(dap_file)
        await pilot.press("enter")
        await until(pilot, lambda: len(app.jobs.jobs) == 1, "the job in the jobs panel", 30)
        (job,) = app.jobs.jobs.values()
        assert job.device == target.mxid
        await until(
            pilot,
            lambda: next(iter(app.jobs.jobs.values())).state is JobState.DONE,
            "the flash to reach done",
            180,
        )
        done = next(iter(app.jobs.jobs.values()))
        assert "runs engine-test@" in (done.message or "")
    sent = Path(done.params["package"]).read_bytes()
    assert target.read_flash(APP_OFFSET, len(sent)) == sent
    assert fleet.cameras[0].application_info() is None  # only the chosen camera
