"""`oakd demo` in a real terminal: tmux runs it, send-keys types, capture-pane reads the screen."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from oakd.emulator.fleet import mxid_for_index
from tests.helpers import oakd, wait_for

pytestmark = [
    pytest.mark.timeout(400),
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


class Tmux:
    """A tmux server of the test's own, with one 100x30 window."""

    def __init__(self, root: Path) -> None:
        self.socket = str(root / "tmux.sock")

    def run(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-S", self.socket, *args], capture_output=True, text=True, check=True
        )
        return result.stdout

    def start(self, command: str, env: dict[str, str]) -> None:
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        self.run(
            "new-session",
            "-d",
            "-x",
            "100",
            "-y",
            "30",
            "-s",
            "demo",
            f"env {exports} {command}; sleep 30",
        )

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "demo")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "demo", *keys)

    def kill(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True)


@pytest.fixture
def tmux(short_tmp: Path) -> Iterator[Tmux]:
    terminal = Tmux(short_tmp)
    yield terminal
    terminal.kill()


def test_the_demo_shows_three_cameras_and_reflashes_them_on_an_edit(
    tmux: Tmux, short_tmp: Path
) -> None:
    project = short_tmp / "demo-project"
    scratch = short_tmp / "t"
    scratch.mkdir()
    env = {
        "TERM": "xterm-256color",
        "PYTHONPATH": os.getcwd(),
        "HOME": str(short_tmp),
        "TMPDIR": str(scratch),  # where the demo keeps its daemon's socket
    }
    # The emulator's default NOR speed (0.5 MB/s): the first flash takes ~22 s, a reload not.
    tmux.start(f"{sys.executable} -m oakd demo --dir {project}", env)
    ids = [mxid_for_index(i) for i in range(3)]
    wait_for(
        lambda: all(i in tmux.screen() for i in ids),
        120,
        "three cameras on the screen",
        interval=0.5,
    )
    first = json.loads(
        oakd(
            "build", str(project), "--check", "--json", "--cache-dir", str(short_tmp / "check")
        ).stdout
    )["app_name"]
    wait_for(
        lambda: tmux.screen().count(first) >= 3,
        180,
        f"the three cameras running {first}",
        interval=0.5,
    )

    entry = project / "pipeline.py"
    entry.write_text(entry.read_text().replace("Hello from a standalone", "Edited: a standalone"))
    second = json.loads(
        oakd(
            "build", str(project), "--check", "--json", "--cache-dir", str(short_tmp / "check")
        ).stdout
    )["app_name"]
    assert second != first
    wait_for(
        lambda: tmux.screen().count(second) >= 3,
        180,
        f"the three cameras re-flashed with {second}",
        interval=0.5,
    )
    [socket] = scratch.glob("oakd-demo-*/oakd.sock")

    def reloads_done() -> list[dict]:
        jobs = json.loads(oakd("jobs", "--json", "--socket", str(socket)).stdout or "[]")
        done = [j for j in jobs if j["params"].get("app_name") == second and j["state"] == "done"]
        return done if len(done) == 3 else []

    # The screen may show the reload jobs before they end (a slow first flash, a loaded machine).
    reloads = wait_for(reloads_done, 180, "the three reloads done", interval=0.5)
    for job in reloads:  # the reload wrote a few blocks, not the whole package
        assert job["result"]["mode"] == "delta", job
        assert job["result"]["written"] < job["result"]["total"] / 10, job

    tmux.keys("q")
    wait_for(lambda: "oakd demo: stopped" in tmux.screen(), 60, "the demo to stop", interval=0.5)
