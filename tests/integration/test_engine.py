"""The daemon's discovery and flash engine, against emulated cameras driven by real depthai."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from oakd.core.package import inspect_package, with_app_name
from oakd.emulator.process import Fleet
from oakd.emulator.state import CameraState
from tests.helpers import DaemonProcess, devices, job_states, wait_for, wait_online

APP_OFFSET = 8 * 1024 * 1024
# Each test starts cameras, a daemon and its depthai workers: minutes on a loaded machine.
pytestmark = pytest.mark.timeout(400)


def flashed_package(daemon: DaemonProcess, job: dict) -> bytes:
    """The package the daemon actually sent (its cached copy, named with its hash)."""
    return Path(job["params"]["package"]).read_bytes()


def test_sixteen_cameras_appear_and_go_offline(make_fleet, make_daemon) -> None:
    fleet = make_fleet(16)
    daemon = make_daemon()
    found = wait_online(daemon, 16, timeout=10)
    assert {d["id"] for d in found} == {c.mxid for c in fleet.cameras}
    assert {d["address"] for d in found} == {c.address for c in fleet.cameras}
    assert {d["state"] for d in found} == {"bootloader"}
    fleet.stop()
    wait_for(
        lambda: all(not d["online"] and d["state"] == "offline" for d in devices(daemon)),
        10,
        "every camera offline",
    )


def test_flash_eight_cameras_then_the_same_package_is_skipped(
    make_fleet, make_daemon, dap_file: Path
) -> None:
    fleet = make_fleet(8)
    daemon = make_daemon()
    wait_online(daemon, 8)
    ids = [c.mxid for c in fleet.cameras]
    result = daemon.cli("flash", *ids, "--dap", str(dap_file), "--wait", "--json", timeout=180)
    assert result.returncode == 0, result.stderr + daemon.log()
    jobs = json.loads(result.stdout)
    assert [j["state"] for j in jobs] == ["done"] * 8
    sent = flashed_package(daemon, jobs[0])
    info = inspect_package(sent)
    assert info.app_name == f"engine-test@{info.hash}"
    for camera in fleet.cameras:
        assert camera.read_flash(APP_OFFSET, len(sent)) == sent
        camera.wait_for_state(CameraState.FLASH_BOOTED, timeout=10)
        app = camera.application_info()
        assert app is not None and app.application_name == info.app_name
    listed = {d["id"]: d for d in devices(daemon)}
    assert all(listed[i]["flashed_hash"] == info.hash for i in ids)
    # Never inspected, yet the bootloader is known: each flash connected to it.
    assert all(listed[i]["inspection"]["bootloader"]["version"] == "0.0.28" for i in ids)

    boots = [c.boots for c in fleet.cameras]
    again = daemon.cli("flash", *ids, "--dap", str(dap_file), "--wait", "--json", timeout=120)
    assert again.returncode == 0, again.stderr
    assert [j["state"] for j in json.loads(again.stdout)] == ["skipped"] * 8
    assert [c.boots for c in fleet.cameras] == boots  # nobody connected: nothing rebooted


def test_a_dropped_link_is_retried_then_fails_with_advice_and_the_camera_recovers(
    make_fleet, make_daemon, dap_file: Path
) -> None:
    fleet = make_fleet(1)
    camera = fleet.cameras[0]
    daemon = make_daemon()
    wait_online(daemon, 1)
    camera.faults.drop_link_at = 0.5
    result = daemon.cli(
        "flash", camera.mxid, "--dap", str(dap_file), "--wait", "--json", timeout=180
    )
    assert result.returncode == 1
    (job,) = json.loads(result.stdout)
    assert job["state"] == "failed" and job["attempts"] == 2  # retried once (flash.retries)
    assert "dropped" in job["error"] and "cable" in job["error"]
    assert "after 2 attempts" in job["error"]
    assert job["error_code"] == "device_unreachable"  # what a script matches on
    camera.faults.drop_link_at = None
    result = daemon.cli("flash", camera.mxid, "--dap", str(dap_file), "--wait", timeout=180)
    assert result.returncode == 0, result.stderr
    camera.wait_for_state(CameraState.FLASH_BOOTED, timeout=10)


def test_faults_refuse_or_fail_with_useful_messages(
    make_fleet, make_daemon, dap_file: Path
) -> None:
    fleet = make_fleet(3)
    old, held, failing = fleet.cameras
    old.faults.bootloader_version = "0.0.26"
    failing.faults.fail_flash = "flash chip did not answer"
    daemon = make_daemon()
    wait_online(daemon, 3)
    held.faults.booted_by_other_host = True
    wait_for(
        lambda: {d["id"]: d["state"] for d in devices(daemon)}[held.mxid] == "booted",
        10,
        "the held camera to show as booted",
    )

    refused = daemon.cli("flash", held.mxid, "--dap", str(dap_file))
    assert refused.returncode == 1
    assert "held by another host" in refused.stderr and "[refused]" in refused.stderr

    result = daemon.cli(
        "flash", old.mxid, failing.mxid, "--dap", str(dap_file), "--wait", "--json", timeout=180
    )
    assert result.returncode == 1
    by_device = {j["device"]: j for j in json.loads(result.stdout)}
    assert "0.0.26 is older than 0.0.28" in by_device[old.mxid]["error"]
    assert "bootloader-update" in by_device[old.mxid]["error"]
    assert by_device[old.mxid]["error_code"] == "bootloader_too_old"
    assert by_device[old.mxid]["attempts"] == 1  # a refusal is not retried
    assert "flash chip did not answer" in by_device[failing.mxid]["error"]
    assert by_device[failing.mxid]["error_code"] == "device_failed"
    assert old.application_info() is None and failing.application_info() is None  # nothing written

    forced = daemon.cli("flash", old.mxid, "--dap", str(dap_file), "--force", "--wait", timeout=180)
    assert forced.returncode == 0, forced.stderr
    failing.faults.fail_flash = None
    held.faults.booted_by_other_host = False
    wait_for(
        lambda: {d["id"]: d["state"] for d in devices(daemon)}[held.mxid] == "bootloader",
        10,
        "the released camera to show as bootloader",
    )
    result = daemon.cli(
        "flash", failing.mxid, held.mxid, "--dap", str(dap_file), "--wait", timeout=180
    )
    assert result.returncode == 0, result.stderr


def test_a_silent_camera_ends_failed_and_can_be_flashed_afterwards(
    make_fleet, make_daemon, dap_file: Path
) -> None:
    fleet = make_fleet(1)
    camera = fleet.cameras[0]
    daemon = make_daemon()
    wait_online(daemon, 1)
    camera.faults.silent = True
    result = daemon.cli(
        "flash", camera.mxid, "--dap", str(dap_file), "--wait", "--json", timeout=180
    )
    assert result.returncode == 1
    (job,) = json.loads(result.stdout)
    assert job["state"] == "failed"
    assert "did not answer" in job["error"] and "powered" in job["error"]
    camera.faults.silent = False
    wait_online(daemon, 1)
    result = daemon.cli("flash", camera.mxid, "--dap", str(dap_file), "--wait", timeout=180)
    assert result.returncode == 0, result.stderr


def test_kill_9_mid_flash_then_restart_completes_the_job(
    make_fleet, short_tmp: Path, dap_file: Path
) -> None:
    fleet = make_fleet(1, write_speed=2e6)  # ~5 s of writing: time to kill the daemon
    camera = fleet.cameras[0]
    config = short_tmp / "config.toml"
    config.write_text("[discovery]\ninterval_s = 0.5\n")
    daemon = DaemonProcess(short_tmp, config=config).wait_ready()
    wait_online(daemon, 1)
    queued = json.loads(daemon.cli("flash", camera.mxid, "--dap", str(dap_file), "--json").stdout)
    job_id = queued[0]["id"]
    wait_for(lambda: job_states(daemon)[job_id]["progress"] > 0.2, 60, "the write to be under way")
    assert daemon.stop(signal.SIGKILL) == -signal.SIGKILL

    daemon = DaemonProcess(short_tmp, config=config).wait_ready()
    try:
        wait_for(
            lambda: job_states(daemon).get(job_id, {}).get("state") == "done",
            120,
            "the interrupted job to complete after the restart",
        )
        final = job_states(daemon)[job_id]
        assert final["params"]["interrupted"] == 1
        sent = Path(final["params"]["package"]).read_bytes()
        assert camera.read_flash(APP_OFFSET, len(sent)) == sent
        history = [line for line in daemon.log().splitlines() if "interrupted" in line]
        assert history, daemon.log()
    finally:
        daemon.stop()


def test_queued_jobs_can_be_cancelled_and_are_superseded_by_newer_flashes(
    make_fleet, make_daemon, dap_file: Path
) -> None:
    # ~11 s of writing: the first job must still be writing while three CLI commands run, each
    # a Python start-up, which on a loaded machine took long enough for a 3.6 s write to end.
    fleet = make_fleet(1, write_speed=1e6)
    camera = fleet.cameras[0]
    daemon = make_daemon()
    wait_online(daemon, 1)

    def flash() -> int:
        out = daemon.cli("flash", camera.mxid, "--dap", str(dap_file), "--json")
        assert out.returncode == 0, out.stderr
        job_id: int = json.loads(out.stdout)[0]["id"]
        return job_id

    first = flash()
    wait_for(lambda: job_states(daemon)[first]["state"] == "running", 30, "the first job to run")
    second, third = flash(), flash()
    states = job_states(daemon)
    assert states[second]["state"] == "cancelled"
    assert states[second]["message"] == f"superseded by job {third}"
    refused = daemon.cli("cancel", str(first))
    assert refused.returncode == 1 and "never torn off" in refused.stderr
    assert daemon.cli("cancel", str(third)).returncode == 0
    assert job_states(daemon)[third]["state"] == "cancelled"
    wait_for(lambda: job_states(daemon)[first]["state"] == "done", 90, "the first job to end")


def _wait_job(daemon: DaemonProcess, result) -> dict:
    assert result.returncode == 0, result.stderr + daemon.log()
    (job,) = json.loads(result.stdout)
    return job


def test_destructive_operations_need_confirmation_and_do_what_the_field_notes_say(
    make_fleet, make_daemon, dap_file: Path
) -> None:
    fleet: Fleet = make_fleet(1)
    camera = fleet.cameras[0]
    daemon = make_daemon()
    wait_online(daemon, 1)
    ident = camera.mxid
    for command in (
        ["reset"],
        ["clear"],
        ["clear", "--config"],
        ["bootloader-update"],
        ["netconfig", "--dhcp"],
    ):
        unconfirmed = daemon.cli(*command[:1], ident, *command[1:])
        assert unconfirmed.returncode == 2  # usage: --yes is missing
        # What would be lost, and the flag to add; not the API's wording.
        assert f"on camera {ident} " in unconfirmed.stderr
        assert ": add --yes to confirm" in unconfirmed.stderr
        assert "confirm: true" not in unconfirmed.stderr, unconfirmed.stderr
    assert job_states(daemon) == {}

    bad = daemon.cli(
        "netconfig", ident, "--static", "192.168.1.0/24", "--gateway", "192.168.1.1", "--yes"
    )
    assert bad.returncode == 2 and "network address" in bad.stderr
    bad = daemon.cli(
        "netconfig", ident, "--static", "192.168.1.50/24", "--gateway", "10.0.0.1", "--yes"
    )
    assert bad.returncode == 2 and "not in the camera's subnet" in bad.stderr

    job = _wait_job(
        daemon,
        daemon.cli(
            "netconfig",
            ident,
            "--static",
            "192.168.1.50/24",
            "--gateway",
            "192.168.1.1",
            "--dns",
            "1.1.1.1",
            "--yes",
            "--wait",
            "--json",
            timeout=120,
        ),
    )
    assert job["state"] == "done"
    network = (camera.config() or {})["network"]
    assert network["staticIpv4"] is True

    job = _wait_job(
        daemon, daemon.cli("clear", ident, "--config", "--yes", "--wait", "--json", timeout=120)
    )
    assert job["state"] == "done" and camera.config() is None

    assert daemon.cli("flash", ident, "--dap", str(dap_file), "--wait", timeout=180).returncode == 0
    job = _wait_job(daemon, daemon.cli("clear", ident, "--yes", "--wait", "--json", timeout=120))
    assert job["state"] == "done" and camera.application_info() is None

    camera.faults.bootloader_version = "0.0.26"
    job = _wait_job(
        daemon, daemon.cli("bootloader-update", ident, "--yes", "--wait", "--json", timeout=180)
    )
    assert job["state"] == "done"
    assert camera.flashed_bootloader_version() == "0.0.29"  # depthai 2.33's embedded one

    assert daemon.cli("flash", ident, "--dap", str(dap_file), "--wait", timeout=180).returncode == 0
    daemon.cli("netconfig", ident, "--dhcp", "--yes", "--wait", timeout=120)
    job = _wait_job(daemon, daemon.cli("reset", ident, "--yes", "--wait", "--json", timeout=180))
    assert job["state"] == "done"
    assert camera.application_info() is None
    assert camera.config() is None
    assert camera.flashed_bootloader_version() == "0.0.29"


def test_inspect_warns_before_stopping_an_app_and_keeps_what_it_read(
    make_fleet, make_daemon, dap_file: Path, tmp_path: Path
) -> None:
    fleet = make_fleet(1)
    camera = fleet.cameras[0]
    daemon = make_daemon()
    wait_online(daemon, 1)
    result = daemon.cli("inspect", camera.mxid, "--json", timeout=120)
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)["inspection"]
    assert facts["bootloader"]["version"] == "0.0.28"
    assert facts["bootloader"]["type"] == "NETWORK"
    assert facts["memory"]["size"] == 32 * 1024 * 1024
    assert facts["application"]["present"] is False
    assert facts["network"] is None

    assert (
        daemon.cli("flash", camera.mxid, "--dap", str(dap_file), "--wait", timeout=180).returncode
        == 0
    )
    wait_for(lambda: devices(daemon)[0]["state"] == "flash_booted", 20, "the camera to run its app")
    refused = daemon.cli("inspect", camera.address)
    assert refused.returncode == 2 and "stops the app" in refused.stderr
    boots = camera.boots
    result = daemon.cli("inspect", camera.address, "--yes", "--json", timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["inspection"]["application"]["name"].startswith("engine-test@")
    assert camera.boots > boots
    # Kept: shown later without reconnecting.
    (listed,) = devices(daemon)
    assert listed["inspection"]["application"]["present"] is True
    inspected = listed["inspection"]["application"]["name"]
    assert listed["flashed_app"] == inspected  # one record of the app

    # A later write is newer than the inspection: both say so (issue 14: the inspected app
    # stayed shown forever), and so does a clear.
    other = tmp_path / "other.dap"
    other.write_bytes(with_app_name(dap_file.read_bytes(), "other-app@0123456789ab"))
    flashed = daemon.cli("flash", camera.mxid, "--dap", str(other), "--wait", timeout=180)
    assert flashed.returncode == 0, flashed.stderr
    (listed,) = devices(daemon)
    assert listed["flashed_app"] == "other-app@0123456789ab" != inspected
    assert listed["inspection"]["application"]["name"] == "other-app@0123456789ab"
    cleared = daemon.cli("clear", camera.mxid, "--yes", "--wait", timeout=180)
    assert cleared.returncode == 0, cleared.stderr
    (listed,) = devices(daemon)
    assert listed["flashed_app"] is None
    assert listed["inspection"]["application"] == {"present": False, "name": None, "firmware": None}


OTHER_HOST_FLASH = """
import sys, depthai as dai
package = list(open(sys.argv[2], "rb").read())
bootloader = dai.DeviceBootloader(dai.DeviceInfo(sys.argv[1]))
ok, error = bootloader.flashDepthaiApplicationPackage(lambda p: None, package)
bootloader.close()
sys.exit(0 if ok else 1)
"""


def test_a_flash_by_another_tool_is_noticed_and_not_wrongly_skipped(
    make_fleet, make_daemon, dap_file: Path, short_tmp: Path
) -> None:
    fleet = make_fleet(1, write_speed=3e6)  # writes take seconds, as on a real camera
    camera = fleet.cameras[0]
    daemon = make_daemon()
    wait_online(daemon, 1)
    first = daemon.cli(
        "flash", camera.mxid, "--dap", str(dap_file), "--wait", "--json", timeout=180
    )
    assert first.returncode == 0, first.stderr
    ours = flashed_package(daemon, json.loads(first.stdout)[0])
    # Someone flashes another package with plain depthai, behind oakd's back.
    theirs = short_tmp / "theirs.dap"
    theirs.write_bytes(with_app_name(dap_file.read_bytes(), "someone-else@ffffffffffff"))
    subprocess.run(
        [sys.executable, "-c", OTHER_HOST_FLASH, camera.address, str(theirs)],
        check=True,
        timeout=120,
    )
    camera.wait_for_state(CameraState.FLASH_BOOTED, timeout=20)
    wait_for(lambda: devices(daemon)[0]["flashed_hash"] is None, 20, "oakd to forget its record")
    again = daemon.cli(
        "flash", camera.mxid, "--dap", str(dap_file), "--wait", "--json", timeout=180
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)[0]["state"] == "done"  # written, not skipped
    assert camera.read_flash(APP_OFFSET, len(ours)) == ours


def test_unicast_discovery_finds_a_static_address_and_only_it(make_fleet) -> None:
    from oakd.worker.scan import scan_unicast

    fleet = make_fleet(2)
    found = scan_unicast([fleet.cameras[1].address, "127.0.0.99"])
    assert [(s.mxid, s.address, s.state.value) for s in found] == [
        (fleet.cameras[1].mxid, fleet.cameras[1].address, "bootloader")
    ]


def test_packages_that_cannot_work_are_refused_before_anything_is_written(
    make_fleet, make_daemon, dap_file: Path, short_tmp: Path
) -> None:
    fleet = make_fleet(1, flash_size=16 * 1024 * 1024)  # an 8 MiB application region
    camera = fleet.cameras[0]
    daemon = make_daemon()
    wait_online(daemon, 1)
    garbage = short_tmp / "notes.dap"
    garbage.write_bytes(b"this is not a package" * 100)
    refused = daemon.cli("flash", camera.mxid, "--dap", str(garbage))
    assert refused.returncode == 1 and "not a depthai application package" in refused.stderr
    headless = short_tmp / "headless.dap"
    data = bytearray(dap_file.read_bytes())
    data[2:32] = b"\0" * 30  # drop the __firmware section's record
    headless.write_bytes(bytes(data))
    refused = daemon.cli("flash", camera.mxid, "--dap", str(headless))
    assert refused.returncode == 1 and "no __firmware section" in refused.stderr
    # Nothing is read from what cannot be a package: a FIFO with no writer (it used to freeze
    # the daemon), a device that never ends, a 2 GB (sparse) file.
    fifo = short_tmp / "fifo.dap"
    os.mkfifo(fifo)
    huge = short_tmp / "huge.dap"
    with huge.open("wb") as f:
        f.truncate(2 * 1024**3)
    for path, said in (
        (fifo, "not a regular file"),
        (Path("/dev/zero"), "not a regular file"),
        (huge, "more than any camera's application region"),
    ):
        refused = daemon.cli("flash", camera.mxid, "--dap", str(path), timeout=30)
        assert refused.returncode == 1 and said in refused.stderr, (path, refused.stderr)
        assert daemon.cli("status", timeout=10).returncode == 0

    result = daemon.cli(
        "flash", camera.mxid, "--dap", str(dap_file), "--wait", "--json", timeout=180
    )
    assert result.returncode == 1
    (job,) = json.loads(result.stdout)
    assert "larger than the camera's application region" in job["error"]
    assert job["error_code"] == "refused"
    assert job["attempts"] == 1
    assert camera.application_info() is None
    assert job_states(daemon).keys() == {job["id"]}


def test_a_known_old_bootloader_is_refused_at_once_unless_forced(
    make_fleet, make_daemon, dap_file: Path
) -> None:
    fleet = make_fleet(1)
    camera = fleet.cameras[0]
    camera.faults.bootloader_version = "0.0.26"
    daemon = make_daemon()
    wait_online(daemon, 1)
    assert daemon.cli("inspect", camera.mxid, timeout=120).returncode == 0
    refused = daemon.cli("flash", camera.mxid, "--dap", str(dap_file))
    assert refused.returncode == 1
    assert "[bootloader_too_old]" in refused.stderr and "--force" in refused.stderr
    assert job_states(daemon) == {}  # refused before anything was queued
    forced = daemon.cli(
        "flash", camera.mxid, "--dap", str(dap_file), "--force", "--wait", timeout=180
    )
    assert forced.returncode == 0, forced.stderr


def test_a_write_that_landed_unconfirmed_makes_the_record_unknown_and_nothing_is_skipped(
    make_fleet, make_daemon, dap_file: Path, short_tmp: Path
) -> None:
    camera = make_fleet(1).cameras[0]
    daemon = make_daemon()
    wait_online(daemon, 1)
    other = short_tmp / "other.dap"
    other.write_bytes(with_app_name(dap_file.read_bytes(), "other@0123456789ab"))
    first = daemon.cli("flash", camera.mxid, "--dap", str(dap_file), "--wait", timeout=180)
    assert first.returncode == 0, first.stderr
    camera.faults.drop_link_at = 1.0  # every write lands, then the link drops: unconfirmed
    failed = daemon.cli("flash", camera.mxid, "--dap", str(other), "--wait", "--json", timeout=180)
    assert failed.returncode == 1
    [listed] = devices(daemon)
    assert listed["flashed_hash"] is None and listed["write_unfinished"], listed
    camera.faults.drop_link_at = None
    again = daemon.cli(
        "flash", camera.mxid, "--dap", str(dap_file), "--wait", "--json", timeout=180
    )
    [job] = json.loads(again.stdout)
    assert job["state"] == "done", job  # not "skipped: already runs" it
    camera.wait_for_state(CameraState.FLASH_BOOTED, timeout=20)
    app = camera.application_info()
    assert app is not None and app.application_name == job["params"]["app_name"]
