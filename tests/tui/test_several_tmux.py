"""`oakd tui` with two daemons in a real terminal (issue 13 item 4's tmux check): both shown with a
host column; one killed, the other still answers and works.

Two real daemons on their own sockets, reached as `--host unix://...`, and one emulated camera
that both discover (one namespace, one broadcast domain): each daemon's row for it is its own.
"""

from __future__ import annotations

import shutil
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oakd.emulator.process import Fleet
from tests.helpers import FAST, DaemonProcess, wait_online
from tests.tui.tmux import Tmux

pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

CONFIG = "[discovery]\ninterval_s = 0.5\n[daemon]\nannounce = false\n"


@pytest.fixture
def two_daemons(short_tmp: Path) -> Iterator[tuple[DaemonProcess, DaemonProcess, Fleet]]:
    options: dict[str, Any] = {**FAST, "state_dir": short_tmp / "cameras"}
    fleet = Fleet(count=1, **options).start()
    daemons = []
    for name in ("a", "b"):
        root = short_tmp / name
        root.mkdir()
        config = root / "config.toml"
        config.write_text(CONFIG)
        daemons.append(DaemonProcess(root, config=config).wait_ready())
    for daemon in daemons:
        wait_online(daemon, 1, timeout=60)
    yield daemons[0], daemons[1], fleet
    for daemon in daemons:
        daemon.stop()  # the one killed too: its log is closed
    fleet.stop()


def line_with(screen: str, *texts: str) -> str:
    """The first line showing every one of `texts` ("" when none does)."""
    return next((line for line in screen.splitlines() if all(t in line for t in texts)), "")


def test_two_daemons_in_one_terminal_and_one_killed(
    two_daemons: tuple[DaemonProcess, DaemonProcess, Fleet], short_tmp: Path
) -> None:
    a, b, fleet = two_daemons
    mxid = fleet.cameras[0].mxid
    tmux = Tmux(short_tmp)
    try:
        command = f"{sys.executable} -m oakd tui --host unix://{a.socket} --host unix://{b.socket}"
        tmux.start(command, {"OAKD_SOCKET": "/nonexistent"}, (160, 48))
        both = tmux.wait(
            lambda s: bool(line_with(s, str(a.socket), mxid) and line_with(s, str(b.socket), mxid)),
            60,
            "the camera under both daemons",
        )
        assert line_with(both, "host", "alias")  # the host column's title
        assert line_with(both, "●", f"{a.socket}:", "1 camera (1 online)")
        assert line_with(both, "●", f"{b.socket}:", "1 camera (1 online)")

        a.stop(signal.SIGKILL)
        dropped = tmux.wait(
            lambda s: bool(line_with(s, "⟳", f"{a.socket}:", "reconnecting")),
            60,
            "a shown reconnecting",
        )
        assert line_with(dropped, "✗", str(a.socket), mxid)  # its row marked
        assert line_with(dropped, "●", f"{b.socket}:")  # b untouched

        # b still works: its row is the second (rows by host), inspect it.
        tmux.keys("G", "i")
        tmux.wait(lambda s: "inspected" in s and "bootloader 0." in s, 90, "b's inspection")
        assert b.request("devices")[0]["inspection"] is not None
        assert line_with(tmux.screen(), "⟳", f"{a.socket}:")  # a still down, still retried
    finally:
        tmux.kill()
