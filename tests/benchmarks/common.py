"""What the benchmarks share: a daemon in a child process, waiting for its cameras."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path


def oakd(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the oakd command line."""
    return subprocess.run([sys.executable, "-m", "oakd", *args], capture_output=True, text=True)


def start_daemon(root: Path, config: str) -> subprocess.Popen[bytes]:
    """A daemon with its socket (`root/s`), state and cache under `root`; returns once it
    answers."""
    path = root / "config.toml"
    path.write_text(config)
    daemon = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oakd",
            "daemon",
            "--socket",
            str(root / "s"),
            "--state-dir",
            str(root / "state"),
            "--cache-dir",
            str(root / "cache"),
            "--config",
            str(path),
        ],
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while oakd("status", "--socket", str(root / "s")).returncode != 0:
        if time.monotonic() > deadline:
            raise SystemExit("the daemon did not start")
        time.sleep(0.2)
    return daemon


def wait_cameras(root: Path, count: int) -> None:
    """Wait until the daemon at `root/s` sees `count` cameras online."""
    deadline = time.monotonic() + 60
    while True:
        out = oakd("devices", "--json", "--socket", str(root / "s"))
        if sum(d["online"] for d in json.loads(out.stdout or "[]")) >= count:
            return
        if time.monotonic() > deadline:
            raise SystemExit("cameras did not appear")
        time.sleep(0.2)
