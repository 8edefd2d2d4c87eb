"""Start-up of the command line (issue 11). Prints figures; not a test.

    uv run python tests/benchmarks/bench_startup.py [--baseline REV] [--runs 11]

For this checkout and, with --baseline, the code of REV (a git worktree made for the run and
run by this venv's interpreter), the median CPU and wall time of:
- `oakd --help`;
- `oakd status` with no daemon at its socket (it fails at once: the cost of starting);
- `oakd status` and `oakd devices` answered by a daemon of the same code (no cameras).
The runs are interleaved, so that load on the machine affects every checkout alike, and the
ratio to the baseline is printed. Bytecode caches are written first for both (what a user has
after the first run).

Everything runs in a private loopback-only network namespace made at start (oakd.netns): the
daemons discover on loopback only.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.benchmarks.common import comparison_args, trees  # noqa: E402

# What the console script runs (`python -m oakd` would add runpy's cost).
MAIN = "import sys; from oakd.cli import main; sys.exit(main())"


def timed(tree: Path, args: list[str], socket: Path) -> tuple[float, float, int]:
    """(CPU seconds, wall seconds, exit code) of `oakd ARGS` run from `tree`'s code."""
    # From `tree`: `-c` puts the working directory first on sys.path.
    env = {**os.environ, "PYTHONPATH": str(tree), "OAKD_SOCKET": str(socket)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MAIN, *args], env=env, cwd=tree, capture_output=True
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return cpu, wall, done.returncode


def start_daemon(tree: Path, root: Path) -> subprocess.Popen[bytes]:
    """A daemon of `tree`'s code with its socket at `root/s`; returns once it answers."""
    root.mkdir()
    (root / "config.toml").write_text("")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    places = ["--state-dir", str(root / "state"), "--cache-dir", str(root / "cache")]
    places += ["--config", str(root / "config.toml")]
    daemon = subprocess.Popen(
        [sys.executable, "-c", MAIN, "daemon", "--socket", str(root / "s"), *places],
        env=env,
        cwd=tree,  # `-c` puts the working directory first on sys.path
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while timed(tree, ["status"], root / "s")[2] != 0:
        if time.monotonic() > deadline or daemon.poll() is not None:
            raise SystemExit(f"the daemon of {tree} did not start")
        time.sleep(0.2)
    return daemon


def main() -> None:
    args = comparison_args(__doc__ or "", runs=11)
    with (
        tempfile.TemporaryDirectory(prefix="oakd-bench-", dir="/tmp") as tmp,
        trees(args.baseline, Path(tmp)) as found,
    ):
        run(found, Path(tmp), args.runs)


def run(trees: dict[str, Path], tmp: Path, runs: int) -> None:
    daemons = {
        name: start_daemon(tree, tmp / f"daemon-{i}")
        for i, (name, tree) in enumerate(trees.items())
    }
    cases = {
        "oakd --help": (["--help"], lambda i: tmp / "nobody.sock"),
        "oakd status, no daemon": (["status"], lambda i: tmp / "nobody.sock"),
        "oakd status": (["status"], lambda i: tmp / f"daemon-{i}" / "s"),
        "oakd devices": (["devices"], lambda i: tmp / f"daemon-{i}" / "s"),
    }
    figures: dict[tuple[str, str], list[tuple[float, float]]] = {}
    try:
        for _ in range(runs):
            for case, (argv, socket) in cases.items():
                for i, (name, tree) in enumerate(trees.items()):
                    cpu, wall, code = timed(tree, argv, socket(i))
                    if (code == 0) != ("no daemon" not in case):  # a figure of what it timed
                        raise SystemExit(f"{case} of {name} exited {code}")
                    figures.setdefault((case, name), []).append((cpu, wall))
    finally:
        for daemon in daemons.values():
            daemon.terminate()
            daemon.wait(timeout=30)
    first = next(iter(trees))
    print(
        f"median of {runs} runs, interleaved; for scale, the wall time of python -c pass: "
        f"{python_ms('pass'):.0f} ms, of python -c 'import asyncio' (what a command that follows "
        f"events needs; one of a single request does not): {python_ms('import asyncio'):.0f} ms"
    )
    for case in cases:
        base_cpu = statistics.median(c for c, _ in figures[(case, first)])
        for name in trees:
            cpu = statistics.median(c for c, _ in figures[(case, name)])
            wall = statistics.median(w for _, w in figures[(case, name)])
            ratio = f"  {cpu / base_cpu:.2f}x of {first}" if len(trees) > 1 else ""
            print(
                f"{case:24s} {name:10s} cpu {cpu * 1000:5.0f} ms  wall {wall * 1000:5.0f} ms{ratio}"
            )


def python_ms(code: str) -> float:
    walls = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code])
        walls.append(time.perf_counter() - start)
    return statistics.median(walls) * 1000


if __name__ == "__main__":
    main()
