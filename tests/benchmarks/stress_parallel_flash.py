"""Parallel flashes under CPU load: where would a "ping was missed" come from? Not a test.

    uv run python tests/benchmarks/stress_parallel_flash.py [--cameras 8] [--runs 3] [--hogs 2]

Issue 10 saw `oakd flash` of eight cameras at once hang on a loaded 2-core machine after
depthai's watchdog monitor logged "ping was missed". This starts `--hogs` busy-looping
processes, then per run an emulator with `--cameras` cameras (fast writes, as the suite's) and a
daemon, flashes one package to all at once, and prints per run: the wall time, the job states,
and what each side logged about the link:
- the daemon (depthai in its workers): "ping was missed", retried attempts, deadlines hit;
- the emulator: watchdog pings that arrived late (the host was slow to send them) and events it
  was slow to answer (the emulator was slow), both logged by oakd/emulator/xlink.py.

Everything runs in a private loopback-only network namespace made at start (oakd.netns).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from oakd.netns import enter_private_netns


def _hog() -> None:
    while True:
        pass


def _package(root: Path) -> Path:
    import depthai as dai

    pipeline = dai.Pipeline()
    script = pipeline.create(dai.node.Script)
    script.setScript("import time\nwhile True:\n    time.sleep(1)\n")
    data = dai.DeviceBootloader.createDepthaiApplicationPackage(
        pipeline, compress=True, applicationName="stress"
    )
    path = root / "stress.dap"
    path.write_bytes(bytes(data))
    return path


def one_run(root: Path, cameras: int, dap: Path) -> None:
    from oakd.emulator.process import Fleet
    from tests.helpers import FAST, DaemonProcess, wait_online

    root.mkdir()
    options: dict[str, Any] = {**FAST, "state_dir": root / "emulator"}
    fleet = Fleet(count=cameras, **options).start()
    config = root / "config.toml"
    flash = f"[flash]\nretries = 1\nparallel = {cameras}\n"
    config.write_text("[discovery]\ninterval_s = 0.5\n" + flash)
    daemon = DaemonProcess(root, config=config).wait_ready()
    try:
        wait_online(daemon, cameras, timeout=60)
        ids = [c.mxid for c in fleet.cameras]
        started = time.monotonic()
        result = daemon.cli("flash", *ids, "--dap", str(dap), "--wait", "--json", timeout=600)
        took = time.monotonic() - started
    finally:
        daemon.stop()
        fleet.stop()
    states = [j["state"] for j in json.loads(result.stdout)] if result.stdout.strip() else []
    host = daemon.log()
    device = (root / "emulator" / "emulator.log").read_text()
    print(
        f"{took:6.1f} s  {states.count('done')}/{cameras} done  "
        f"missed pings {host.count('ping was missed')}  retries {host.count('retrying in')}  "
        f"deadlines {host.count('did not finish within')}  "
        f"late pings {device.count('no watchdog ping')}  slow answers {device.count('took')}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--hogs", type=int, default=2, help="busy-looping processes beside it")
    args = parser.parse_args()
    failure = enter_private_netns()
    if failure:
        print(f"no private network namespace: {failure}", file=sys.stderr)
        return 1
    hogs = [multiprocessing.Process(target=_hog, daemon=True) for _ in range(args.hogs)]
    for hog in hogs:
        hog.start()
    try:
        with tempfile.TemporaryDirectory(prefix="oakd-stress-", dir="/tmp") as tmp:
            dap = _package(Path(tmp))
            print(f"{args.cameras} cameras flashed at once, {args.hogs} CPU hogs beside")
            for run in range(args.runs):
                one_run(Path(tmp) / f"run{run}", args.cameras, dap)
    finally:
        for hog in hogs:
            hog.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
