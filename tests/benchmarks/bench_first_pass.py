"""A daemon's start: to its socket, and to its first camera online (issue 11). Prints figures;
not a test.

    uv run python tests/benchmarks/bench_first_pass.py [--baseline REV] [--runs 7]

One emulated camera; daemons of this checkout and, with --baseline, of REV (a git worktree)
start in turn, each with a fresh state directory, discovery every 0.5 s and no warm worker,
and are stopped once the camera is online. Prints the median time to the socket answering
`status` and to `devices` showing the camera online, and the ratio to the baseline. This is
what the discovery's first pass costs. With the device zygote (oakd/zygote, 965ffa0) the first
scan waited for depthai to unpack its firmware in the zygote, where a fresh scanner unpacked
it beside its first scan; since the zygote answers scans itself while it warms, it no longer
waits. Runs in a private loopback-only network namespace made at start.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from oakd.errors import OakdError  # noqa: E402
from oakd.oneshot import call_once  # noqa: E402
from oakd.protocol.requests import ListDevices  # noqa: E402
from oakd.protocol.session import Status  # noqa: E402
from tests.benchmarks.common import comparison_args, trees  # noqa: E402

MAIN = "import sys; from oakd.cli import main; sys.exit(main())"
CONFIG = "[discovery]\ninterval_s = 0.5\n[flash]\nwarm_workers = 0\n"


def until(check: Callable[[], object], deadline: float) -> float:
    """Seconds until `check()` is true (a daemon's answer); SystemExit past `deadline`."""
    while True:
        try:
            if check():
                return time.monotonic()
        except OakdError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("the daemon did not get there within 120 s")
        time.sleep(0.02)


def one_start(tree: Path, root: Path) -> tuple[float, float]:
    """(to the socket, to the camera online) for a daemon of `tree`'s code."""
    root.mkdir()
    (root / "config.toml").write_text(CONFIG)
    socket = root / "s"
    places = ["--state-dir", str(root / "state"), "--cache-dir", str(root / "cache")]
    start = time.monotonic()
    daemon = subprocess.Popen(
        [
            sys.executable,
            "-c",
            MAIN,
            "daemon",
            "--socket",
            str(socket),
            *places,
            "--config",
            str(root / "config.toml"),
        ],
        env={**os.environ, "PYTHONPATH": str(tree)},
        cwd=tree,  # `-c` puts the working directory first on sys.path
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = start + 120
        served = until(lambda: call_once(socket, Status(), timeout=5), deadline)
        online = until(
            lambda: any(d["online"] for d in call_once(socket, ListDevices(), timeout=5)), deadline
        )
    finally:
        daemon.terminate()
        daemon.wait(timeout=60)
    return served - start, online - start


def main() -> None:
    args = comparison_args(__doc__ or "", runs=7)
    from oakd.emulator.process import Fleet

    with (
        tempfile.TemporaryDirectory(prefix="oakd-bench-", dir="/tmp") as tmp,
        trees(args.baseline, Path(tmp)) as found,
        Fleet(count=1, state_dir=Path(tmp) / "cams", reboot_s=0.2),
    ):
        figures: dict[str, list[tuple[float, float]]] = {name: [] for name in found}
        for run in range(args.runs):
            for name, tree in found.items():
                figures[name].append(one_start(tree, Path(tmp) / f"{name}-{run}"))
        first = next(iter(found))
        base = [statistics.median(v[i] for v in figures[first]) for i in (0, 1)]
        print(f"median of {args.runs} daemon starts each, alternating")
        for name, values in figures.items():
            served, online = (statistics.median(v[i] for v in values) for i in (0, 1))
            print(
                f"{name:10} socket {served:5.2f} s ({served / base[0]:.2f}x of {first})"
                f"  first camera online {online:5.2f} s ({online / base[1]:.2f}x)"
            )


if __name__ == "__main__":
    main()
