"""A tmux server of a test's own: the real terminal for the end-to-end checks. send-keys types,
capture-pane reads the screen."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.helpers import wait_for

TERMINAL_ENV = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}


class Tmux:
    """A tmux server of the test's own, with one window."""

    def __init__(self, root: Path) -> None:
        self.socket = str(root / "tmux.sock")

    def run(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-S", self.socket, *args],
            capture_output=True,
            text=True,
            check=True,
            env=TERMINAL_ENV,
        )
        return result.stdout

    def start(self, command: str, env: dict[str, str], size: tuple[int, int]) -> None:
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        width, height = size
        self.run(
            "new-session",
            "-d",
            *("-x", str(width), "-y", str(height), "-s", "demo"),
            # The pane stays after the command, with its last words and exit status on screen.
            f'env {exports} {command}; echo "exited: $?"; sleep 60',
        )
        assert self.size() == size

    def size(self) -> tuple[int, int]:
        width, height = self.run(
            "display-message", "-p", "-t", "demo", "#{pane_width} #{pane_height}"
        ).split()
        return int(width), int(height)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "demo")

    def wait(self, check: Callable[[str], bool], timeout: float, what: str) -> str:
        """Until the screen passes `check`; returns it. On timeout the error shows it."""
        last = [""]

        def passes() -> str:
            last[0] = self.screen()
            return last[0] if check(last[0]) else ""

        try:
            return wait_for(passes, timeout, what, interval=0.5)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the screen at {self.size()}:\n{last[0]}") from None

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "demo", *keys)

    def server_pid(self) -> int:
        return int(self.run("display-message", "-p", "-t", "demo", "#{pid}"))

    def pane_pid(self) -> int:
        """The pane's shell, which runs the demo."""
        return int(self.run("display-message", "-p", "-t", "demo", "#{pane_pid}"))

    def kill(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True)
