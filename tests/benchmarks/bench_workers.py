"""Device worker start-up: a fresh `python -m oakd.worker` against one forked by the warm zygote
(oakd/zygote, oakd/worker/forked.py). Prints figures; not a test.

    uv run python tests/benchmarks/bench_workers.py [--runs 9]

For each kind, the median wall time from asking for a worker to its "ready", and to its first
answer (a scan of loopback, which finds nothing), and the CPU the worker process used, read
from /proc once its other threads have ended: a fresh worker pays for the interpreter,
depthai's import and the unpacking of its firmware (in threads, beside its first operation); a
forked one pays for the fork (the clock's tick, 10 ms, is the resolution). Then the zygote's own
start, paid once per daemon.
Fresh and forked runs alternate, so that load on the machine affects both alike. Runs in a
private loopback-only network namespace made at start (oakd.netns): the scans stay on it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from oakd.build.runner import zygote_env  # noqa: E402
from oakd.netns import enter_private_netns  # noqa: E402
from oakd.services.workers import Worker  # noqa: E402
from oakd.worker.contract import Op  # noqa: E402
from oakd.zygote.parent import Zygote, ZygoteRole  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_of(pid: int) -> float:
    """CPU seconds (user and system) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


async def alone(pid: int) -> None:
    """Until the process runs one thread (depthai's unpacking has ended), at most 10 s."""
    deadline = time.monotonic() + 10
    while len(os.listdir(f"/proc/{pid}/task")) > 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)


async def one(zygote: ZygoteRole | None) -> tuple[float, float, float]:
    """(wall to ready, wall to the first answer, CPU) of one worker."""
    start = time.perf_counter()
    worker = await Worker.start(zygote)
    ready = time.perf_counter() - start
    await worker.call(Op.SCAN, {"static": []}, timeout=60)
    answered = time.perf_counter() - start
    await alone(worker.proc.pid)
    cpu = cpu_of(worker.proc.pid)
    await worker.stop()
    return ready, answered, cpu


async def run(runs: int) -> None:
    zygote = Zygote(("device", "build"), zygote_env())  # as a daemon has it
    workers = zygote.role("device")
    started = time.perf_counter()
    first = await Worker.start(workers)
    zygote_s = time.perf_counter() - started
    assert zygote._proc is not None
    zygote_cpu = cpu_of(zygote._proc.pid)
    await first.stop()
    figures: dict[str, list[tuple[float, float, float]]] = {"fresh": [], "forked": []}
    try:
        for _ in range(runs):
            figures["fresh"].append(await one(None))
            figures["forked"].append(await one(workers))
    finally:
        await zygote.close()
    base = [statistics.median(v[i] for v in figures["fresh"]) for i in range(3)]
    print(f"median of {runs} runs each, alternating")
    for kind, values in figures.items():
        ready, answered, cpu = (statistics.median(v[i] for v in values) for i in range(3))
        print(
            f"{kind:6} worker: ready {ready * 1000:5.0f} ms ({ready / base[0]:.3f}x of fresh)"
            f"  first answer {answered * 1000:5.0f} ms ({answered / base[1]:.3f}x)"
            f"  its CPU {cpu * 1000:5.0f} ms ({cpu / base[2]:.3f}x)"
        )
    print(
        f"the zygote's own start, once per daemon: {zygote_s * 1000:.0f} ms to its first "
        f"worker, {zygote_cpu * 1000:.0f} ms of its CPU"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    why = enter_private_netns()
    if why:
        raise SystemExit(f"no private network namespace: {why}")
    asyncio.run(run(args.runs))


if __name__ == "__main__":
    main()
