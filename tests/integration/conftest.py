"""Fixtures for tests that run the real daemon against emulated cameras."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from oakd.emulator.process import Fleet
from tests.helpers import DaemonProcess, wait_for

# Emulated cameras that write at 100 MB/s and reboot in 0.2 s: the protocol is the same,
# the waiting is shorter.
FAST = {"write_speed": 100e6, "reboot_s": 0.2}
FAST_CONFIG = """
[discovery]
interval_s = 0.5
[flash]
retries = 1
"""


@pytest.fixture(scope="session")
def dap_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real compressed package of a Script-node pipeline (~10.7 MB), built once."""
    import depthai as dai

    pipeline = dai.Pipeline()
    script = pipeline.create(dai.node.Script)
    script.setScript("import time\nwhile True:\n    time.sleep(1)\n")
    data = dai.DeviceBootloader.createDepthaiApplicationPackage(
        pipeline, compress=True, applicationName="engine-test"
    )
    path = tmp_path_factory.mktemp("dap") / "engine-test.dap"
    path.write_bytes(bytes(data))
    return path


@pytest.fixture
def make_fleet(short_tmp: Path) -> Iterator[Callable[..., Fleet]]:
    """Start emulated cameras in a child process; all are stopped at teardown."""
    fleets: list[Fleet] = []

    def make(count: int = 1, **kwargs: Any) -> Fleet:
        options = {**FAST, "state_dir": short_tmp / "cameras", **kwargs}
        fleet = Fleet(count=count, **options).start()
        fleets.append(fleet)
        return fleet

    yield make
    for fleet in fleets:
        fleet.stop()


@pytest.fixture
def make_daemon(short_tmp: Path) -> Iterator[Callable[..., DaemonProcess]]:
    """Start real daemons (fast discovery, one retry); all are stopped at teardown."""
    daemons: list[DaemonProcess] = []

    def make(extra_config: str = "") -> DaemonProcess:
        config = short_tmp / "config.toml"
        config.write_text(FAST_CONFIG + extra_config)
        daemon = DaemonProcess(short_tmp, config=config).wait_ready()
        daemons.append(daemon)
        return daemon

    yield make
    for daemon in daemons:
        daemon.stop()


def devices(daemon: DaemonProcess) -> list[dict[str, Any]]:
    """`oakd devices --json`, parsed."""
    result = daemon.cli("devices", "--json")
    assert result.returncode == 0, result.stderr
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def wait_online(daemon: DaemonProcess, count: int, timeout: float = 20) -> list[dict[str, Any]]:
    """Wait until `count` cameras are online."""
    return wait_for(
        lambda: (found := devices(daemon)) and sum(d["online"] for d in found) == count and found,
        timeout,
        f"{count} cameras online",
        interval=0.1,
    )


def job_states(daemon: DaemonProcess) -> dict[int, dict[str, Any]]:
    """`oakd jobs --json` by id."""
    result = daemon.cli("jobs", "--json")
    assert result.returncode == 0, result.stderr
    return {j["id"]: j for j in json.loads(result.stdout)}
