"""Flash engine benchmarks (issue 4). Prints figures; not a test.

    uv run python tests/benchmarks/bench_flash.py [--runs 3] [--fleet 1,4,16] [--skip-overhead]

Overhead: the same package to one emulated camera (default write speed, ~0.5 MB/s), with the
seed's plain depthai snippet and through oakd (`oakd flash --dap --wait` to a running daemon),
alternating; prints the median of each and the ratio oakd/plain. oakd's time includes what the
snippet does not do: waiting for the camera to come back running the app, and checking its
app name. Target: at most 1.05.

Fleet: `oakd flash` of one package to 1, 4 and 16 cameras (flash.parallel = 16 so that all run
at once; the default of 8 makes two waves; --warm sets flash.warm_workers); prints the wall
time per count and the ratio to one camera. Then the same cameras get a package that differs
by a one-line Script change, which goes out as a delta. Target: 16 cameras in at most 1.3
times the time of one, for the deltas.

Everything runs in a private loopback-only network namespace made at start (oakd.netns).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from oakd.netns import enter_private_netns
from tests.benchmarks.common import start_daemon, wait_cameras

PLAIN = """
import sys, depthai as dai
package = list(open(sys.argv[1], "rb").read())
(found, info) = dai.DeviceBootloader.getFirstAvailableDevice()
bootloader = dai.DeviceBootloader(info)
progress = lambda p: None
ok, error = bootloader.flashDepthaiApplicationPackage(progress, package)
bootloader.close()
sys.exit(0 if ok else 1)
"""


def make_packages(root: Path, count: int) -> list[Path]:
    """`count` packages of the same size that differ only in their app name."""
    import depthai as dai

    from oakd.core.package import with_app_name

    base = bytes(
        dai.DeviceBootloader.createDepthaiApplicationPackage(dai.Pipeline(), compress=True)
    )
    paths = []
    for i in range(count):
        path = root / f"bench{i}.dap"
        path.write_bytes(with_app_name(base, f"bench@{i:012x}"))
        paths.append(path)
    return paths


def script_packages(root: Path) -> list[Path]:
    """Two packages whose pipelines differ by one line of a Script: a delta apart."""
    import depthai as dai

    paths = []
    for n in (1, 2):
        pipeline = dai.Pipeline()
        pipeline.create(dai.node.Script).setScript(f"node.warn('version {n}')")
        path = root / f"script{n}.dap"
        dai.DeviceBootloader.saveDepthaiApplicationPackage(
            path, pipeline, compress=True, applicationName=f"bench@{n:012x}"
        )
        paths.append(path)
    return paths


def flash_all(ids: list[str], package: Path, socket: Path) -> float:
    """Seconds `oakd flash ... --wait` takes."""
    command = [sys.executable, "-m", "oakd", "flash", *ids, "--dap", str(package), "--wait"]
    return timed([*command, "--socket", str(socket)])


def daemon_for(root: Path, parallel: int, warm: int = 1) -> subprocess.Popen[bytes]:
    return start_daemon(
        root,
        f"[discovery]\ninterval_s = 0.5\n[flash]\nparallel = {parallel}\nwarm_workers = {warm}\n",
    )


def timed(command: list[str]) -> float:
    start = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.monotonic() - start
    if result.returncode != 0:
        raise SystemExit(f"{command[:4]} failed: {result.stderr[-2000:]}")
    return elapsed


def overhead(runs: int, root: Path) -> None:
    from oakd.emulator.process import Fleet

    packages = make_packages(root, 2)
    with Fleet(count=1, state_dir=root / "cams", reboot_s=1.0) as fleet:
        camera = fleet.cameras[0]
        daemon = daemon_for(root, 8)
        try:
            wait_cameras(root, 1)
            plain_times, oakd_times = [], []
            for run in range(runs):
                plain_times.append(timed([sys.executable, "-c", PLAIN, str(packages[0])]))
                time.sleep(2)  # let the camera boot its app and discovery see it
                oakd_times.append(
                    timed(
                        [
                            sys.executable,
                            "-m",
                            "oakd",
                            "flash",
                            camera.mxid,
                            "--dap",
                            str(packages[1]),
                            "--wait",
                            "--socket",
                            str(root / "s"),
                        ]
                    )
                )
                print(f"run {run + 1}: plain {plain_times[-1]:.2f} s, oakd {oakd_times[-1]:.2f} s")
                time.sleep(2)
        finally:
            daemon.terminate()
            daemon.wait()
    plain, ours = statistics.median(plain_times), statistics.median(oakd_times)
    size = packages[0].stat().st_size
    print(
        f"overhead: package {size / 1e6:.1f} MB, median plain {plain:.2f} s, "
        f"oakd {ours:.2f} s, ratio oakd/plain {ours / plain:.3f} (target <= 1.05)"
    )


def fleet(counts: list[int], root: Path, warm: int) -> None:
    from oakd.emulator.process import Fleet

    first, second = script_packages(root)
    full: dict[int, float] = {}
    delta: dict[int, float] = {}
    for count in counts:
        run = root / f"fleet{count}"
        run.mkdir()
        with Fleet(count=count, state_dir=run / "cams", reboot_s=1.0) as cams:
            daemon = daemon_for(run, 16, warm)
            time.sleep(warm * 0.5)  # let the warm workers start
            try:
                wait_cameras(run, count)
                ids = [c.mxid for c in cams.cameras]
                full[count] = flash_all(ids, first, run / "s")
                delta[count] = flash_all(ids, second, run / "s")
            finally:
                daemon.terminate()
                daemon.wait()
        print(
            f"fleet: {count:2d} camera(s): full {full[count]:.2f} s "
            f"({full[count] / full[counts[0]]:.2f}x one), delta {delta[count]:.2f} s "
            f"({delta[count] / delta[counts[0]]:.2f}x one)"
        )
    if 16 in full and 1 in full:
        print(f"fleet: 16 cameras / 1 camera, full writes = {full[16] / full[1]:.2f}")
        print(f"fleet: 16 cameras / 1 camera, deltas = {delta[16] / delta[1]:.2f} (target <= 1.3)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fleet", default="1,4,16")
    parser.add_argument("--skip-overhead", action="store_true")
    parser.add_argument("--skip-fleet", action="store_true")
    parser.add_argument("--warm", type=int, default=1, help="flash.warm_workers for the fleet")
    args = parser.parse_args()
    why = enter_private_netns()
    if why:
        raise SystemExit(f"no private network namespace: {why}")
    with tempfile.TemporaryDirectory(prefix="oakd-bench-", dir="/tmp") as tmp:
        root = Path(tmp)
        if not args.skip_overhead:
            (root / "overhead").mkdir()
            overhead(args.runs, root / "overhead")
        if not args.skip_fleet:
            fleet([int(c) for c in args.fleet.split(",")], root, args.warm)


if __name__ == "__main__":
    main()
