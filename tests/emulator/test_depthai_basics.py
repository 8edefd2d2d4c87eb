"""The real depthai discovers emulated cameras, connects and queries them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from oakd.emulator import flash as fl
from oakd.emulator.fleet import seed_application
from oakd.emulator.process import Fleet
from oakd.emulator.state import CameraState
from tests.emulator.helpers import Package, connected

pytestmark = pytest.mark.timeout(60)


def test_discovery_lists_exactly_the_emulated_cameras(
    dai: Any, dap: Package, make_fleet: Callable[..., Fleet], tmp_path: Any
) -> None:
    seed_application(tmp_path / "state", 2, dap.raw)
    fleet = make_fleet(3)
    assert fleet.cameras[2].state is CameraState.FLASH_BOOTED
    found = dai.DeviceBootloader.getAllAvailableDevices()
    seen = sorted((d.getMxId(), d.name, d.state, d.protocol) for d in found)
    State = dai.XLinkDeviceState
    tcp = dai.XLinkProtocol.X_LINK_TCP_IP
    assert seen == [
        ("18443010EA00000000", "127.0.0.2", State.X_LINK_BOOTLOADER, tcp),
        ("18443010EA00000100", "127.0.0.3", State.X_LINK_BOOTLOADER, tcp),
        ("18443010EA00000200", "127.0.0.4", State.X_LINK_FLASH_BOOTED, tcp),
    ]
    assert [c.mxid for c in fleet.cameras] == [mxid for mxid, *_ in seen]
    ok, first = dai.DeviceBootloader.getFirstAvailableDevice()
    assert ok and first.getMxId() in {c.mxid for c in fleet.cameras}


def test_connect_and_queries_answer_as_configured(
    dai: Any, make_fleet: Callable[..., Fleet]
) -> None:
    fleet = make_fleet(1, bootloader_version="0.0.28", flash_size=64 * fl.MiB)
    Memory = dai.DeviceBootloader.Memory
    with connected(dai, fleet.cameras[0].address) as bl:
        assert str(bl.getVersion()) == "0.0.28"
        assert str(bl.getFlashedVersion()) == "0.0.28"
        assert not bl.isEmbeddedVersion()
        assert bl.getType() == dai.DeviceBootloader.Type.NETWORK
        assert not bl.isUserBootloader()
        assert bl.isUserBootloaderSupported()
        flash = bl.getMemoryInfo(Memory.FLASH)
        assert (flash.available, flash.size, flash.info) == (
            True,
            64 * fl.MiB,
            "oakd emulator: NOR flash",
        )
        assert not bl.getMemoryInfo(Memory.EMMC).available
        app = bl.readApplicationInfo(Memory.FLASH)
        assert not app.hasApplication
        assert fleet.cameras[0].connected


def test_read_custom_returns_the_flash_contents(
    dai: Any, dap: Package, make_fleet: Callable[..., Fleet], tmp_path: Any
) -> None:
    seed_application(tmp_path / "state", 0, dap.raw)
    fleet = make_fleet(1)
    with connected(dai, fleet.cameras[0].address) as bl:  # via reboot-to-bootloader
        ok, message, data = bl.readCustom(dai.DeviceBootloader.Memory.FLASH, fl.MiB * 8, 6 << 20)
        assert (ok, message) == (True, "")
        assert bytes(data) == dap.raw[: 6 << 20]
        ok, message, _ = bl.readCustom(dai.DeviceBootloader.Memory.FLASH, 31 * fl.MiB, 2 * fl.MiB)
        assert not ok and "outside flash" in message


def test_a_restarted_emulator_keeps_its_flash(
    dai: Any, dap: Package, make_fleet: Callable[..., Fleet]
) -> None:
    fleet = make_fleet(1)
    camera = fleet.cameras[0]
    with connected(dai, camera.address) as bl:
        assert bl.flashDepthaiApplicationPackage(dap.as_list) == (True, "")
    fleet.stop()
    again = make_fleet(1)
    assert again.cameras[0].state is CameraState.FLASH_BOOTED
    assert again.cameras[0].read_flash(fl.APPLICATION_OFFSET, len(dap.raw)) == dap.raw
