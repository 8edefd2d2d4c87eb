"""The CLI on a terminal (issue 14, friction): a destructive command asks `[y/N]`, and `--wait`
draws a bar per job with the bytes, the speed and the time left. The real CLI in a real
pseudo-terminal against a real daemon and emulated cameras. Without a terminal it never asks
(tests/integration/test_cli_exit_codes.py) and prints plain lines (below)."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import job_states, wait_for
from tests.integration.test_cli_exit_codes import Setup

pytestmark = pytest.mark.timeout(300)


# Slow enough that a write of the 10.7 MB package takes a few seconds: the daemon reports a
# speed only after half a second of writing (oakd/core/transfer.py).
WRITE_SPEED = 2.5e6


@pytest.fixture
def setup(short_tmp: Path) -> Iterator[Setup]:
    made = Setup(short_tmp, write_speed=WRITE_SPEED)
    yield made
    made.stop()


def on_a_terminal(setup: Setup, answer: str, *args: str) -> tuple[int, str]:
    """Run `oakd ARGS` with a pseudo-terminal as stdin, stdout and stderr; answer the prompt
    with `answer` once it shows. Its exit code and all it wrote."""
    deadline = time.monotonic() + 120
    master, slave = pty.openpty()
    # A terminal of 120 columns: the bar's line fits whole (at 80, rich cuts the columns).
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "oakd", *args, "--socket", str(setup.daemon.socket)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        close_fds=True,
        # rich takes COLUMNS over the terminal's own size: the run's must not leak in.
        env={k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")},
    )
    os.close(slave)
    seen = b""
    answered = False
    try:
        while time.monotonic() < deadline:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the command exited and closed the terminal
                break
            if not chunk:
                break
            seen += chunk
            if not answered and b"[y/N]" in seen:
                os.write(master, answer.encode() + b"\n")
                answered = True
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return code, seen.decode(errors="replace")


def test_a_destructive_command_on_a_terminal_asks_and_a_no_sends_nothing(setup: Setup) -> None:
    camera = setup.ids[0]
    code, text = on_a_terminal(setup, "n", "clear", camera)
    question = f"This clear app on camera {camera} erases the flashed app: the camera stays"
    assert question in text and "Go on? [y/N]" in text
    assert code == 1 and "cancelled: nothing was sent" in text, text
    assert "confirm: true" not in text
    assert job_states(setup.daemon) == {}

    code, text = on_a_terminal(setup, "y", "clear", camera)
    assert code == 0, text
    assert f"clear_app on {camera}" in text
    jobs = wait_for(lambda: job_states(setup.daemon), 10, "the job")
    assert [j["kind"] for j in jobs.values()] == ["clear_app"]


def test_wait_on_a_terminal_shows_bytes_speed_and_time_left(setup: Setup, dap_file: Path) -> None:
    camera = setup.ids[1]
    code, text = on_a_terminal(setup, "", "flash", camera, "--dap", str(dap_file), "--wait")
    assert code == 0, text
    assert f"job 1 {camera}" in text and "writing" in text
    assert re.search(
        r"\d+\.\d\d MiB of 10\.\d\d MiB · \d+(\.\d+)? (KiB|MiB)/s · \d+ s left", text
    ), text
    assert f"job 1 {camera}: done" in text


def test_wait_without_a_terminal_prints_plain_lines(setup: Setup, dap_file: Path) -> None:
    camera = setup.ids[0]
    result = setup.daemon.cli("flash", camera, "--dap", str(dap_file), "--wait", timeout=180)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert "\r" not in result.stderr and "\x1b[" not in result.stderr  # no bars, no colours
    assert f"job 1 {camera}: writing" in lines
    assert lines[-1].startswith(f"job 1 {camera}: done")
