"""Live reload benchmarks (issue 5). Prints medians of several runs; not a test.

    uv run python tests/benchmarks/bench_live_reload.py [--runs 5]

A daemon watches a one-Script project targeting one emulated camera at the default write speed
(~0.5 MB/s). Each run saves the entry file as an editor does (write a temp file, rename it over)
and times, from the save, the events a subscribed client receives:
  detected   the project goes to "building"                (target: within 150 ms)
  no-op      the verdict "unchanged" for a comment-only edit (target: within 500 ms)
  built      the build result of a real change (package made)
  started    its flash job starts running                  (target: within 200 ms of built)
  running    the job is done: the camera runs the new app, checked by its app name

Everything runs in a private loopback-only network namespace made at start (oakd.netns).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from oakd.client import Client
from oakd.netns import enter_private_netns
from oakd.protocol import ListDevices, Watch
from tests.benchmarks.common import start_daemon

PIPELINE = """\
import depthai as dai


def create_pipeline():
    pipeline = dai.Pipeline()
    script = pipeline.create(dai.node.Script)
    script.setScript("node.warn('run {n}')")
    return pipeline
# {comment}
"""


def save(path: Path, text: str) -> float:
    """Save as an editor does; the moment of the rename."""
    tmp = path.with_name(f".{path.name}.swp")
    tmp.write_text(text)
    tmp.replace(path)
    return time.time()


async def until(client: Client, check: Any, timeout: float = 300) -> tuple[float, dict[str, Any]]:
    """The time and the data of the first event for which `check(event, data)` is true."""
    deadline = time.monotonic() + timeout
    while True:
        message = await asyncio.wait_for(client.events.get(), deadline - time.monotonic())
        if message is None:
            raise SystemExit("the daemon went away")
        if check(message["event"], message["data"]):
            return time.time(), message["data"]


async def measure(root: Path, runs: int) -> None:
    from oakd.emulator.process import Fleet

    project = root / "project"
    project.mkdir()
    entry = project / "pipeline.py"
    entry.write_text(PIPELINE.format(n=0, comment=""))
    with Fleet(count=1, state_dir=root / "cams", reboot_s=1.0) as fleet:
        daemon = start_daemon(root, "[discovery]\ninterval_s = 0.5\n")
        try:
            client = await Client.connect(root / "s", "bench")
            await client.subscribe()
            while True:
                devices = await client.call(ListDevices())
                if devices:
                    break
                await asyncio.sleep(0.2)
            path = str(project)
            await client.call(Watch(path=path, devices=[fleet.cameras[0].mxid]))
            await until(client, lambda e, d: e == "job.changed" and d["state"] == "done")
            figures: dict[str, list[float]] = {
                k: [] for k in ("detected", "no-op", "built", "started", "running")
            }
            for n in range(1, runs + 1):
                saved = save(entry, PIPELINE.format(n=n - 1, comment=f"note {n}"))
                at, _ = await until(
                    client, lambda e, d: e == "project.changed" and d["state"] == "building"
                )
                figures["detected"].append(at - saved)
                at, build = await until(client, lambda e, d: e == "project.build")
                assert build["result"]["unchanged"], build
                figures["no-op"].append(at - saved)

                saved = save(entry, PIPELINE.format(n=n, comment=f"note {n}"))
                built_at, build = await until(client, lambda e, d: e == "project.build")
                assert build["result"]["ok"] and not build["result"]["unchanged"], build
                figures["built"].append(built_at - saved)
                at, _ = await until(
                    client, lambda e, d: e == "job.changed" and d["state"] == "running"
                )
                figures["started"].append(at - built_at)
                at, job = await until(
                    client, lambda e, d: e == "job.changed" and d["state"] in ("done", "failed")
                )
                assert job["state"] == "done", job
                figures["running"].append(at - saved)
                print(
                    f"run {n}: "
                    + ", ".join(f"{k} {v[-1] * 1000:.0f} ms" for k, v in figures.items())
                )
            await client.close()
        finally:
            daemon.terminate()
            daemon.wait()
    print("medians over", runs, "runs:")
    notes = {
        "detected": "from the save (target <= 150 ms)",
        "no-op": "from the save to 'unchanged' (target <= 500 ms)",
        "built": "from the save to the package built",
        "started": "from the package built to the flash running (target <= 200 ms)",
        "running": "from the save to the camera running the new app",
    }
    for key, values in figures.items():
        print(f"  {key:9s} {statistics.median(values) * 1000:8.1f} ms  {notes[key]}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    why = enter_private_netns()
    if why:
        raise SystemExit(f"no private network namespace: {why}")
    with tempfile.TemporaryDirectory(prefix="oakd-bench-", dir="/tmp") as tmp:
        asyncio.run(measure(Path(tmp), args.runs))


if __name__ == "__main__":
    main()
