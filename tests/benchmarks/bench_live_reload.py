"""Live reload benchmarks (issues 5, 15). Prints medians of several runs; not a test.

    uv run python tests/benchmarks/bench_live_reload.py [--runs 5]

One emulated camera at the emulator's defaults (NOR writes at 0.5 MB/s with 64 KiB sector
erases, reads at 10 MB/s, 1 s reboots). A daemon watches a one-Script project targeting it.
Each run saves the entry file as an editor does (write a temp file, rename it over) and times,
from the save, the events a subscribed client receives:
  detected   the project goes to "building"                (target: within 150 ms)
  no-op      the verdict "unchanged" for a comment-only edit (target: within 150 ms)
  built      the build result of a real change (package made)
  started    its flash job starts running                  (target: within 200 ms of built)
  running    the job is done: the camera runs the new app, checked by its app name

This runs twice, with delta flashing (the default) and with `flash.delta = false`, and then
times the seed's own flow for the same change (Luxonis' standalone docs: a script that builds
the pipeline and calls `DeviceBootloader.flash(progress, pipeline, compress=True)`, then the
reboot until the camera runs the new app). It prints the ratios (target: delta <= 3 s, at
least 8x faster than the seed's flow).

Everything runs in a private loopback-only network namespace made at start (oakd.netns).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from oakd.client import Client
from oakd.netns import enter_private_netns
from oakd.protocol.requests import ListDevices, Watch
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


SEED_FLOW = """\
import sys, depthai as dai
pipeline = dai.Pipeline()
script = pipeline.create(dai.node.Script)
script.setScript("node.warn('run ' + sys.argv[2])")
bootloader = dai.DeviceBootloader(dai.DeviceInfo(sys.argv[1]))
progress = lambda p: None
ok, message = bootloader.flash(progress, pipeline, compress=True, applicationName=sys.argv[2])
assert ok, message
bootloader.close()
"""


async def measure(root: Path, runs: int, delta: bool) -> dict[str, list[float]]:
    """The figures of `runs` saves, with delta flashing on or off."""
    from oakd.emulator.process import Fleet

    project = root / "project"
    project.mkdir()
    entry = project / "pipeline.py"
    entry.write_text(PIPELINE.format(n=0, comment=""))
    config = f"[discovery]\ninterval_s = 0.5\n[flash]\ndelta = {str(delta).lower()}\n"
    with Fleet(count=1, state_dir=root / "cams") as fleet:
        daemon = start_daemon(root, config)
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
                mode = (job.get("result") or {}).get("mode")
                print(
                    f"run {n} ({mode}): "
                    + ", ".join(f"{k} {v[-1] * 1000:.0f} ms" for k, v in figures.items())
                )
            await client.close()
        finally:
            daemon.terminate()
            daemon.wait()
    return figures


def seed_flow(root: Path, runs: int) -> list[float]:
    """Seconds from starting the seed's flash script to the camera running its new app."""
    from oakd.emulator.process import Fleet
    from oakd.emulator.state import CameraState

    script = root / "seed_flash.py"
    script.write_text(SEED_FLOW)
    times = []
    with Fleet(count=1, state_dir=root / "seed-cams") as fleet:
        camera = fleet.cameras[0]
        for n in range(runs + 1):  # the first flash puts an app there; it is not counted
            boots = camera.boots
            started = time.time()
            name = f"seed-{n}"
            subprocess.run([sys.executable, str(script), camera.address, name], check=True)
            camera.wait_for_state(CameraState.FLASH_BOOTED, timeout=60, after_boot=boots)
            app = camera.application_info()
            assert app is not None and app.application_name == name, app
            if n:
                times.append(time.time() - started)
                print(f"seed run {n}: {times[-1] * 1000:.0f} ms")
    return times


NOTES = {
    "detected": "from the save (target <= 150 ms)",
    "no-op": "from the save to 'unchanged' (target <= 150 ms)",
    "built": "from the save to the package built",
    "started": "from the package built to the flash running (target <= 200 ms)",
    "running": "from the save to the camera running the new app",
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    why = enter_private_netns()
    if why:
        raise SystemExit(f"no private network namespace: {why}")
    results: dict[str, dict[str, list[float]]] = {}
    for delta in (True, False):
        with tempfile.TemporaryDirectory(prefix="oakd-bench-", dir="/tmp") as tmp:
            label = "delta" if delta else "full (flash.delta = false)"
            print(f"--- {label}")
            results[label] = asyncio.run(measure(Path(tmp), args.runs, delta))
    with tempfile.TemporaryDirectory(prefix="oakd-bench-", dir="/tmp") as tmp:
        print("--- the seed's flow: DeviceBootloader.flash(compress=True), then the reboot")
        seed = statistics.median(seed_flow(Path(tmp), args.runs))
    for label, figures in results.items():
        print(f"medians over {args.runs} runs, {label}:")
        for key, values in figures.items():
            print(f"  {key:9s} {statistics.median(values) * 1000:8.1f} ms  {NOTES[key]}")
    delta_s = statistics.median(results["delta"]["running"])
    full_s = statistics.median(results["full (flash.delta = false)"]["running"])
    print(f"save -> running: delta {delta_s:.2f} s, full {full_s:.2f} s, seed's flow {seed:.2f} s")
    print(f"  ratio seed/delta = {seed / delta_s:.1f} (target >= 8)")
    print(f"  ratio full/delta = {full_s / delta_s:.1f}")


if __name__ == "__main__":
    main()
