"""A destructive command on a terminal asks `[y/N]` (issue 14, friction): the real CLI in a real
pseudo-terminal against a real daemon and an emulated camera. Without a terminal it never asks:
tests/integration/test_cli_exit_codes.py."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import job_states, wait_for
from tests.integration.test_cli_exit_codes import Setup

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def setup(short_tmp: Path) -> Iterator[Setup]:
    made = Setup(short_tmp)
    yield made
    made.stop()


def on_a_terminal(setup: Setup, answer: str, *args: str) -> tuple[int, str]:
    """Run `oakd ARGS` with a pseudo-terminal as stdin, stdout and stderr; answer the prompt
    with `answer` once it shows. Its exit code and all it wrote."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "oakd", *args, "--socket", str(setup.daemon.socket)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        close_fds=True,
    )
    os.close(slave)
    seen = b""
    answered = False
    deadline = time.monotonic() + 60
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
