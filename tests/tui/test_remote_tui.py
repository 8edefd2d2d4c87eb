"""`oakd tui --host ssh://...`: the TUI with a daemon reached through a real sshd on 127.0.0.1
(issue 13 item 2): it lists the cameras, flashes one, names the remote in its status line, and
when the daemon there stops says so in ssh's step ("ssh reached ..., but no daemon ...")."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.widgets import Input

from oakd.emulator.process import Fleet
from oakd.protocol.replies import JobState
from oakd.remote import parse_url
from tests.helpers import DaemonProcess
from tests.sshd import SshServer
from tests.tui.helpers import FAST, connected, screen_of, until
from tui.app import make_app
from tui.connection import remote_client_factory
from tui.screens.flash import FlashScreen

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def sshd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SshServer]:
    server = SshServer(tmp_path / "sshd")
    # The app's ssh runs in this process's environment.
    monkeypatch.setenv("OAKD_SSH", f"ssh -F {server.client_config()}")
    yield server
    server.stop()


async def test_the_tui_over_ssh_lists_flashes_and_tells_a_stopped_daemon(
    sshd: SshServer,
    make_fleet: Callable[..., Fleet],
    make_daemon: Callable[..., DaemonProcess],
    dap_file: Path,
) -> None:
    fleet = make_fleet(1)
    daemon = make_daemon()
    target = parse_url(sshd.url(daemon.socket), command=f"{shlex.quote(sys.executable)} -m oakd")
    app = make_app(
        socket_path=target.label, client_factory=remote_client_factory(target), backoff=FAST
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await until(pilot, lambda: app.cameras.row_count == 1, "the camera listed", 30)
        await pilot.press("f")
        screen = await screen_of(pilot, FlashScreen)
        screen.query_one("#flash-path", Input).value = str(dap_file)
        await pilot.press("enter")
        await until(pilot, lambda: len(app.jobs.jobs) == 1, "the job in the jobs panel", 30)
        await until(
            pilot,
            lambda: next(iter(app.jobs.jobs.values())).state is JobState.DONE,
            "the flash to reach done",
            180,
        )
        (job,) = app.jobs.jobs.values()
        assert job.device == fleet.cameras[0].mxid

        daemon.stop()
        await until(
            pilot,
            lambda: "no daemon answered there" in (app.status.reason or ""),
            "the status line to say the daemon there stopped",
            60,
        )
        assert f"ssh reached {target.url}, but" in app.status.text  # the remote, named
