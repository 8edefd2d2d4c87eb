"""What a standalone app says reaches `oakd logs` and the camera's health (issue 12).

The real daemon, real depthai and the emulator, which runs the package's Script nodes (the
telemetry Script oakd adds among them) in a child process bound to the camera's address.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from oakd.core import telemetry as wire
from tests.helpers import DaemonProcess, oakd, wait_for, wait_online

pytestmark = pytest.mark.timeout(300)

PIPELINE = """\
import depthai as dai


def create_pipeline():
    pipeline = dai.Pipeline()
    script = pipeline.create(dai.node.Script)
    script.setScript({source!r}, "greeter")
    return pipeline
"""
HELLO = "import time\nnode.warn('hello')\nwhile True:\n    time.sleep(1)\n"
RAISES = "node.info('starting')\nx = 1\nraise RuntimeError('no camera here')\n"


def project(root: Path, source: str, name: str = "greeter") -> Path:
    path = root / name
    path.mkdir()
    (path / "pipeline.py").write_text(PIPELINE.format(source=source))
    return path


def device(daemon: DaemonProcess, mxid: str) -> dict[str, Any]:
    return next(d for d in daemon.request("devices") if d["id"] == mxid)


def health(daemon: DaemonProcess, mxid: str) -> str | None:
    found = device(daemon, mxid)["health"]
    return found["state"] if found else None


def logs(daemon: DaemonProcess, ref: str) -> list[dict[str, Any]]:
    """What `oakd logs REF --json` prints, asked over the socket (tests poll it; `oakd logs`
    itself is run below)."""
    lines: list[dict[str, Any]] = daemon.request("logs", device=ref)
    return lines


def test_a_scripts_warning_reaches_oakd_logs_of_its_camera_and_health_follows(
    make_fleet: Any, make_daemon: Any, tmp_path: Path
) -> None:
    fleet = make_fleet(3)
    daemon = make_daemon()
    wait_online(daemon, 3)
    target = fleet.cameras[1]
    path = project(tmp_path, HELLO)
    watched = daemon.cli("watch", str(path), "--device", target.mxid)
    assert watched.returncode == 0, watched.stderr
    wait_for(
        lambda: any(x["text"] == "hello" for x in logs(daemon, target.mxid)),
        60,
        "hello in oakd logs",
        interval=0.2,
    )
    [hello] = [x for x in logs(daemon, target.mxid) if x["text"] == "hello"]
    assert (hello["kind"], hello["level"], hello["source"]) == ("log", "warn", "greeter")
    assert hello["app"].startswith("greeter@")
    for other in (fleet.cameras[0], fleet.cameras[2]):
        assert logs(daemon, other.mxid) == []  # attributed to the one camera that said it
    [job] = wait_for(
        lambda: [j for j in daemon.request("jobs") if j["state"] == "done"], 60, "the job done"
    )
    assert "warning" not in job["message"], job  # its boot was reported
    wait_for(lambda: health(daemon, target.mxid) == "alive", 30, "heartbeats: alive")
    text = daemon.cli("logs", target.mxid)
    assert text.returncode == 0 and "greeter warn: hello" in text.stdout, text
    assert "boot greeter@" in text.stdout
    assert "apps     udp://0.0.0.0:" in daemon.cli("status").stdout
    assert "alive" in daemon.cli("devices").stdout
    assert device(daemon, target.mxid)["health"]["app"] == hello["app"]
    fleet.command(f"fault {target.mxid} kill-app")  # the app hangs: no more heartbeats
    wait_for(lambda: health(daemon, target.mxid) == "silent", 30, "silent after the kill")


def test_a_script_that_raises_at_boot_is_a_crash_loop_and_a_fixed_one_flashes(
    make_fleet: Any, make_daemon: Any, tmp_path: Path
) -> None:
    fleet = make_fleet(1)
    daemon = make_daemon()
    wait_online(daemon, 1)
    camera = fleet.cameras[0]
    path = project(tmp_path, RAISES)
    assert daemon.cli("watch", str(path), "--device", camera.mxid).returncode == 0

    def looping() -> dict[str, Any] | None:
        found: dict[str, Any] | None = device(daemon, camera.mxid)["health"]
        return found if found and found["state"] == "crash_loop" and found["last_crash"] else None

    found = wait_for(looping, 90, "a crash loop and its traceback")
    assert found is not None
    assert "RuntimeError: no camera here" in found["last_crash"]
    # The user's own file name and line, as they wrote it: the prelude moves nothing.
    assert 'File "greeter", line 3' in found["last_crash"], found["last_crash"]
    crashes = [x for x in logs(daemon, camera.mxid) if x["kind"] == "crash"]
    assert crashes and "no camera here" in crashes[-1]["text"]
    (path / "pipeline.py").write_text(PIPELINE.format(source=HELLO))
    wait_for(
        lambda: any(x["text"] == "hello" for x in logs(daemon, camera.mxid)),
        120,
        "the fixed app's hello",
        interval=0.2,
    )
    wait_for(lambda: health(daemon, camera.mxid) in ("booted", "alive"), 30, "fixed")

    # The flash says what it found: the user learns why the camera had dropped out.
    def fixed_flash() -> list[dict[str, Any]]:
        done = [j for j in daemon.request("jobs") if j["state"] == "done"]
        return [j for j in done if j["params"]["app_name"] != crashing]

    crashing = found["app"]
    [fixed] = wait_for(fixed_flash, 120, "the fixed flash done")
    assert "it was in a crash loop before this flash" in fixed["message"], fixed


def counts(daemon: DaemonProcess) -> dict[str, int]:
    found: dict[str, int] = daemon.request("status")["telemetry_counts"]
    return found


def send_all(
    daemon: DaemonProcess, sender: socket.socket, datagrams: list[bytes], port: int, reason: str
) -> None:
    """Send in bursts the socket buffers hold, each counted under `reason` before the next
    (UDP may drop what a full buffer cannot take: the count would then say less)."""
    before = counts(daemon).get(reason, 0)
    for start in range(0, len(datagrams), 50):
        burst = datagrams[start : start + 50]
        for datagram in burst:
            sender.sendto(datagram, ("127.0.0.1", port))
        wanted = before + start + len(burst)

        def counted(n: int = wanted) -> bool:
            return counts(daemon).get(reason, 0) >= n

        wait_for(counted, 30, f"{wanted} {reason}")


def test_datagrams_from_strangers_garbage_and_floods_are_dropped_and_counted(
    make_fleet: Any, make_daemon: Any
) -> None:
    fleet = make_fleet(1)
    daemon = make_daemon()
    wait_online(daemon, 1)
    port = int(daemon.request("status")["telemetry"].rsplit(":", 1)[1])
    good = wire.encode(1, "log", "x@0123456789ab", "warn", "s", "hello")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger:
        stranger.bind(("127.0.0.250", 0))  # no camera has this address
        send_all(daemon, stranger, [good] * 300, port, "unknown_source")
    # From the camera's own address: garbage, oversized, then more than it may send.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as camera:
        camera.bind((fleet.cameras[0].address, 0))
        garbage = [b"", b"\xff\xfe", b"oakd1 x beat a@b", b"oakd1 1 dance a@b\n"] * 25
        send_all(daemon, camera, garbage, port, "malformed")
        send_all(daemon, camera, [good + b"x" * 1300] * 50, port, "oversized")
        for _ in range(2000):  # as fast as it goes: the burst allowance, then drops
            camera.sendto(good, ("127.0.0.1", port))
        wait_for(lambda: counts(daemon).get("flood", 0) > 0, 30, "a flood noticed")
    seen = counts(daemon)
    assert seen["unknown_source"] == 300 and seen["malformed"] == 100, seen
    assert seen["oversized"] == 50, seen
    # What was accepted of the flood is at most the burst allowance and the rate meanwhile.
    assert seen.get("accepted", 0) <= 200 + 100, seen
    assert daemon.cli("status").returncode == 0  # still serving
    shown = daemon.cli("logs", fleet.cameras[0].mxid, "--json")
    assert shown.returncode == 0 and len(json.loads(shown.stdout)) <= 200  # bounded


def test_a_project_that_says_telemetry_false_flashes_exactly_what_it_builds(
    make_fleet: Any, make_daemon: Any, tmp_path: Path
) -> None:
    fleet = make_fleet(1)
    camera = fleet.cameras[0]
    path = project(tmp_path, HELLO)
    daemon = make_daemon(
        f'[[project]]\npath = "{path}"\ndevices = ["{camera.mxid}"]\ntelemetry = false\n'
    )
    wait_online(daemon, 1)
    [job] = wait_for(
        lambda: [j for j in daemon.request("jobs") if j["state"] == "done"], 120, "the flash"
    )
    assert "telemetry" not in job["params"]  # nothing added, so no boot report awaited
    built = oakd("build", str(path), "--json", "--cache-dir", str(tmp_path / "cache"))
    assert json.loads(built.stdout)["app_name"] == job["params"]["app_name"]  # the same package
    wait_for(lambda: "hello" in " ".join(camera.status()["app"]["output"]), 30, "its script ran")
    assert logs(daemon, camera.mxid) == []  # and it reports nothing


def test_a_flash_whose_app_never_reports_booting_ends_done_with_a_warning(
    make_fleet: Any, make_daemon: Any, tmp_path: Path
) -> None:
    fleet = make_fleet(1)
    camera = fleet.cameras[0]
    daemon = make_daemon("[telemetry]\nboot_timeout_s = 3\n")
    wait_online(daemon, 1)
    # The app is killed as it would start: the camera boots it, and nothing reports.
    fleet.command(f"fault {camera.mxid} kill-app")
    path = project(tmp_path, HELLO)
    assert daemon.cli("watch", str(path), "--device", camera.mxid).returncode == 0
    [job] = wait_for(
        lambda: [j for j in daemon.request("jobs") if j["state"] == "done"], 120, "the flash"
    )
    assert "did not report booting within 3 s" in job["message"], job
    assert job["result"]["boot_reported"] is False
    wait_for(lambda: health(daemon, camera.mxid) == "no_report", 30, "no boot report")
    assert "no boot report" in daemon.cli("devices").stdout
