"""What the benchmarks share: a daemon in a child process, waiting for its cameras."""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


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


@contextlib.contextmanager
def trees(baseline: str | None, tmp: Path) -> Iterator[dict[str, Path]]:
    """This checkout as "this", and with `baseline` a git worktree of that revision under
    `tmp` (removed at the end) first; both with bytecode caches written, as a user has them
    after a first run."""
    found = {"this": ROOT}
    if baseline:
        base = tmp / "baseline"
        git = ["git", "-C", str(ROOT), "worktree"]
        subprocess.run([*git, "add", "-q", "--detach", str(base), baseline], check=True)
        found = {baseline: base, **found}
    try:
        for tree in found.values():
            subprocess.run(
                [sys.executable, "-m", "compileall", "-q", str(tree / "oakd")], check=True
            )
        yield found
    finally:
        if baseline:
            subprocess.run([*git, "remove", "--force", str(base)], check=False)


def comparison_args(doc: str, runs: int) -> argparse.Namespace:
    """--baseline REV and --runs for a benchmark that compares revisions; then into a private
    loopback-only network namespace (oakd.netns), before anything starts."""
    from oakd.netns import enter_private_netns

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--baseline", metavar="REV", help="also time this git revision")
    parser.add_argument("--runs", type=int, default=runs)
    args = parser.parse_args()
    why = enter_private_netns()
    if why:
        raise SystemExit(f"no private network namespace: {why}")
    return args
