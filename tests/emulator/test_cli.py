"""`oakd emulate` as a program: its output lines, --fault, and stdin control commands."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oakd",
            "emulate",
            "--count=2",
            f"--state-dir={tmp_path}",
            "--reboot-s=0.2",
            "--write-speed=0",
            "--fault=1:silent",
            "--fault=18443010EA00000000:bootloader-version=0.0.26",
            "--log-level=WARNING",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    yield proc
    if proc.poll() is None:
        proc.kill()  # only if the test failed before `quit`
        proc.wait()


def say(proc: subprocess.Popen[str], line: str) -> str:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(line + "\n")
    proc.stdin.flush()
    return proc.stdout.readline().rstrip("\n")


def test_cli_runs_cameras_and_takes_commands(
    dai: Any, emulator: subprocess.Popen[str], tmp_path: Path
) -> None:
    assert emulator.stdout is not None
    lines = [emulator.stdout.readline().split() for _ in range(2)]
    assert lines == [["18443010EA00000000", "127.0.0.2"], ["18443010EA00000100", "127.0.0.3"]]
    assert (tmp_path / "18443010EA00000000.flash").stat().st_size == 32 * 1024 * 1024

    found = dai.DeviceBootloader.getAllAvailableDevices()
    assert [d.getMxId() for d in found] == ["18443010EA00000000"]  # camera 1 is silent
    bl = dai.DeviceBootloader(found[0])
    assert str(bl.getVersion()) == "0.0.26"
    bl.close()

    assert say(emulator, "clear 1") == "ok"
    assert len(dai.DeviceBootloader.getAllAvailableDevices()) == 2
    reply = say(emulator, "status 1")
    assert reply.startswith("ok ")
    assert json.loads(reply[3:])["faults"]["silent"] is False
    assert say(emulator, "fault 1 nonsense").startswith("error unknown fault")
    assert say(emulator, "quit") == "ok"
    assert emulator.wait(timeout=10) == 0


def test_cli_refuses_a_non_loopback_address(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "oakd.emulator",
            "--first-ip=192.168.1.10",
            f"--state-dir={tmp_path}",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1
    assert "192.168.1.10 is not a usable loopback address" in result.stderr
