"""Delta flashing through the daemon, against emulated cameras that erase whole 64 KiB sectors
around every write (so a misaligned or misplaced write would corrupt its neighbours here)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from oakd.build.firmware import FirmwareCache, compress_package
from oakd.core import delta as rules
from oakd.core.package import APP_OFFSET, inspect_package
from oakd.emulator.state import CameraState
from tests import firmware as suite_firmware
from tests.helpers import DaemonProcess, devices, wait_for, wait_online

pytestmark = pytest.mark.timeout(400)
Build = Callable[..., Path]


@pytest.fixture(scope="session")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """Compressed packages of Script pipelines, made as oakd's builder makes them (depthai's
    uncompressed package plus the cached compressed firmware: byte-identical, faster). Each is
    made once per session: the tests only read them."""
    import depthai as dai

    root = tmp_path_factory.mktemp("delta-packages")
    firmware = FirmwareCache(root / "firmware")
    suite_firmware.seed(firmware.root)  # the default firmware compressed once (tests/firmware.py)
    made: dict[tuple[Any, ...], Path] = {}

    def make(
        name: str, script: str = "x = 1", nodes: int = 1, board: bool = False, asset: bytes = b""
    ) -> Path:
        key = (name, script, nodes, board, asset)
        if key not in made:
            made[key] = _make(name, script, nodes, board, asset, len(made))
        return made[key]

    def _make(name: str, script: str, nodes: int, board: bool, asset: bytes, n: int) -> Path:
        pipeline = dai.Pipeline()
        for _ in range(nodes):
            node = pipeline.create(dai.node.Script)
            node.setScript(script)
        if asset:
            node.getAssetManager().set("model", list(asset))
        if board:
            config = dai.BoardConfig()
            config.logDevicePrints = True  # part of the firmware's board config
            pipeline.setBoardConfig(config)
        app = f"{name}@{hashlib.sha256(name.encode()).hexdigest()[:12]}"
        raw = root / f"{n}-{name}.raw"  # a name made again with other arguments: its own file
        dai.DeviceBootloader.saveDepthaiApplicationPackage(
            raw, pipeline, compress=False, applicationName=app
        )
        out = root / f"{n}-{name}.dap"
        out.write_bytes(compress_package(raw.read_bytes(), firmware))
        return out

    return make


def flash(daemon: DaemonProcess, camera: str, package: Path, *extra: str) -> dict[str, Any]:
    """Flash through the CLI and wait; the job as `--json` reports it."""
    result = daemon.cli("flash", camera, "--dap", str(package), "--wait", "--json", *extra)
    jobs = json.loads(result.stdout or "[]")
    assert jobs, result.stderr + daemon.log()
    job: dict[str, Any] = jobs[0]
    return job


def flashed(
    make_fleet: Any, make_daemon: Any, base: Path, retries: int = 1, **fleet: Any
) -> tuple[Any, DaemonProcess, dict[str, Any]]:
    """One emulated camera and a daemon; `base` fully flashed. The fleet, the daemon, and the
    first flash's job."""
    cameras = make_fleet(1, **fleet)
    daemon = make_daemon(retries=retries)
    wait_online(daemon, 1)
    first = flash(daemon, cameras.cameras[0].mxid, base)
    assert first["state"] == "done", first
    return cameras, daemon, first


def assert_runs(camera: Any, package: Path) -> None:
    """The flash holds `package` over its extent and the camera boots it."""
    data = package.read_bytes()
    assert camera.read_flash(APP_OFFSET, len(data)) == data
    camera.wait_for_state(CameraState.FLASH_BOOTED, timeout=20)
    app = camera.application_info()
    assert app is not None and app.application_name == inspect_package(data).app_name


def test_deltas_write_only_what_changed_and_leave_the_flash_as_a_full_write_would(
    make_fleet, make_daemon, build: Build
) -> None:
    fleet, daemon, first = flashed(make_fleet, make_daemon, build("base"))
    camera = fleet.cameras[0]
    assert first["result"]["mode"] == "full"
    assert "proving" in first["result"]["reason"]
    [listed] = devices(daemon)
    assert listed["delta"]["verbatim"] is True and listed["delta"]["bootloader"] == "0.0.28"

    changes = {
        "a Script change": build("script", script="x = 2"),
        "an asset change": build("asset", asset=b"weights" * 1000),
        # ~1500 nodes: the pipeline section grows past 64 KiB and every later section moves.
        "a pipeline that grows": build("grown", nodes=1500),
    }
    grown = inspect_package(changes["a pipeline that grows"].read_bytes())
    assert next(s for s in grown.sections if s.name == "pipeline").size > rules.BLOCK
    for what, package in changes.items():
        job = flash(daemon, camera.mxid, package)
        assert job["state"] == "done", (what, job)
        assert job["result"]["mode"] == "delta", (what, job["result"])
        assert job["result"]["written"] < job["result"]["total"] / 2, (what, job["result"])
        assert_runs(camera, package)

    other_firmware = build("board", board=True)
    board = flash(daemon, camera.mxid, other_firmware)
    assert board["state"] == "done" and board["result"]["mode"] == "full"
    assert "firmware section differs" in board["result"]["reason"]
    assert_runs(camera, other_firmware)

    forced = flash(daemon, camera.mxid, build("script3", script="x = 3"), "--full")
    assert forced["result"]["mode"] == "full" and "--full" in forced["result"]["reason"]


def test_a_camera_flashed_behind_oakds_back_gets_a_full_write(
    make_fleet, make_daemon, build: Build
) -> None:
    import depthai as dai

    fleet, daemon, _ = flashed(make_fleet, make_daemon, build("base"))
    camera = fleet.cameras[0]
    other = build("other", script="y = 1").read_bytes()
    bl = dai.DeviceBootloader(dai.DeviceInfo(camera.address))
    try:
        ok, message = bl.flashDepthaiApplicationPackage(lambda _p: None, bytearray(other))
        assert ok, message
    finally:
        bl.close()
    camera.wait_for_state(CameraState.FLASH_BOOTED, timeout=20)
    package = build("script", script="x = 2")
    job = flash(daemon, camera.mxid, package)
    assert job["state"] == "done" and job["result"]["mode"] == "full", job
    assert "not the package oakd last wrote" in job["result"]["reason"]
    assert_runs(camera, package)


def _delta_steps(base: Path, new: Path) -> tuple[int, int]:
    """How many flash writes and reads the delta from `base` to `new` makes."""
    old, data = base.read_bytes(), new.read_bytes()
    plan = rules.plan(old[:512], old, data)
    assert isinstance(plan, rules.Delta)
    runs = len(plan.runs())
    # writes: invalidate, each run, the header block; reads: header, each run's base, then
    # the read-back of each run and of block 0.
    return runs + 2, 1 + runs + runs + 1


@pytest.mark.parametrize("where", ["invalidate", "first block", "header block", "read-back"])
def test_a_torn_delta_never_boots_a_mix_and_the_next_flash_repairs_it(
    make_fleet, make_daemon, build: Build, where: str
) -> None:
    base, new = build("base"), build("script", script="x = 2")
    fleet, daemon, _ = flashed(make_fleet, make_daemon, base, retries=0)
    camera = fleet.cameras[0]
    writes, reads = _delta_steps(base, new)
    if where == "read-back":
        camera.faults.drop_read = reads - 1  # the first read after the writes
    else:
        camera.faults.drop_write = ({"invalidate": 1, "first block": 2}.get(where, writes), 0.5)
    torn = flash(daemon, camera.mxid, new)
    assert torn["state"] == "failed" and "dropped" in torn["error"], torn
    [listed] = devices(daemon)
    assert listed["flashed_hash"] is None and listed["write_unfinished"] is True
    settled = (CameraState.BOOTLOADER, CameraState.FLASH_BOOTED)
    state = wait_for(lambda: camera.state in settled and camera.state, 20, "the camera back")
    data = new.read_bytes()
    if state is CameraState.FLASH_BOOTED:  # the write had landed whole: it runs the new app
        assert camera.read_flash(APP_OFFSET, len(data)) == data
    else:  # no valid header: it boots no app at all
        assert camera.application_info() is None
    repaired = flash(daemon, camera.mxid, new)
    assert repaired["state"] == "done", repaired
    # The unfinished write is read back whole, and only what differs is written again.
    assert repaired["result"]["mode"] == "delta" and repaired["result"]["repair"], repaired
    assert repaired["result"]["written"] < repaired["result"]["total"] / 2, repaired
    if where == "read-back":  # the write had landed: nothing is written twice
        assert repaired["result"]["written"] == 0, repaired
    assert_runs(camera, new)
    again = flash(daemon, camera.mxid, build("script3", script="x = 3"))
    assert again["result"]["mode"] == "delta"


def test_a_dropped_delta_is_repaired_in_the_same_job(make_fleet, make_daemon, build: Build) -> None:
    base, new = build("base"), build("script", script="x = 2")
    fleet, daemon, _ = flashed(make_fleet, make_daemon, base)
    camera = fleet.cameras[0]
    camera.faults.drop_write = (2, 0.5)
    job = flash(daemon, camera.mxid, new)
    assert job["state"] == "done" and job["attempts"] == 2, job
    assert job["result"]["mode"] == "delta" and job["result"]["repair"], job
    assert_runs(camera, new)


def test_the_emulator_killed_mid_delta_then_restarted(make_fleet, make_daemon, build) -> None:
    # A 2 MB asset changes (32 blocks) at 1 MB/s: the delta's writes take ~2 s, long enough
    # to be killed in the middle even on a loaded machine.
    base = build("asset-a", asset=b"a" * 2_000_000)
    new = build("asset-b", asset=b"b" * 2_000_000)
    fleet, daemon, _ = flashed(make_fleet, make_daemon, base, retries=2, write_speed=1e6)
    camera = fleet.cameras[0]
    proc = daemon.cli_background("flash", camera.mxid, "--dap", str(new), "--wait", "--json")
    wait_for(
        lambda: camera.read_flash(APP_OFFSET, 512) == b"\xff" * 512,
        60,
        "the delta to invalidate the header",
        interval=0.005,
    )
    fleet.kill()
    fleet.start()
    out, err = proc.communicate(timeout=300)
    [job] = json.loads(out)
    assert job["state"] == "done", (job, err, daemon.log())
    assert job["result"]["mode"] == "delta" and job["result"]["repair"], job
    assert_runs(fleet.cameras[0], new)
