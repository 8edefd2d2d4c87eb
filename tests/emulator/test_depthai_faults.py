"""Each injected fault gives the error depthai raises for it; the camera recovers after."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from oakd.emulator import flash as fl
from oakd.emulator.faults import Faults
from oakd.emulator.process import Fleet
from oakd.emulator.state import CameraState
from tests.emulator.helpers import Package, Progress, connected

pytestmark = pytest.mark.timeout(90)

# What depthai 2.33 says, measured against the emulator.
LINK_LOST = "Couldn't read data from stream: '__bootloader' (X_LINK_ERROR)"
NOT_FOUND = "Specified device not found"
NOT_BOOTABLE = "Device not in UNBOOTED, BOOTLOADER or FLASH_BOOTED state"
OLD_BOOTLOADER_WARNING = (
    "Flashed bootloader version 0.0.26, less than 0.0.28 is susceptible to bootup/restart "
    "failure. Upgrading is advised"
)


def listed(dai: Any) -> list[str]:
    return sorted(d.getMxId() for d in dai.DeviceBootloader.getAllAvailableDevices())


def test_link_dropped_mid_flash(dai: Any, dap: Package, make_fleet: Callable[..., Fleet]) -> None:
    camera = make_fleet(1, write_speed=20e6).cameras[0]
    camera.faults.drop_link_at = 0.5
    progress = Progress()
    bl = dai.DeviceBootloader(dai.DeviceInfo(camera.address))
    boots = camera.boots
    try:
        with pytest.raises(dai.XLinkReadError, match=re.escape(LINK_LOST)):
            bl.flashDepthaiApplicationPackage(progress, dap.as_list)
    finally:
        bl.close()
    # Progress stops where the link went (an RST may discard the last reports in flight).
    assert all(value <= 0.5 for value in progress.values)
    camera.wait_for_state(CameraState.BOOTLOADER, timeout=10, after_boot=boots)
    # Half the package landed, the header (written last) did not: no app boots.
    half = len(dap.raw) // 2
    assert camera.read_flash(fl.APPLICATION_OFFSET + 512, half - 512) == dap.raw[512:half]
    assert camera.application_info() is None

    camera.faults.drop_link_at = None
    with connected(dai, camera.address) as bl:
        assert bl.flashDepthaiApplicationPackage(dap.as_list) == (True, "")
    assert camera.read_flash(fl.APPLICATION_OFFSET, len(dap.raw)) == dap.raw


def test_silent_camera(dai: Any, make_fleet: Callable[..., Fleet]) -> None:
    fleet = make_fleet(2, faults={1: Faults(silent=True)})
    assert listed(dai) == [fleet.cameras[0].mxid]
    with pytest.raises(RuntimeError, match=NOT_FOUND):
        dai.DeviceBootloader(dai.DeviceInfo(fleet.cameras[1].address))
    fleet.cameras[1].faults.silent = False
    assert listed(dai) == [fleet.cameras[0].mxid, fleet.cameras[1].mxid]
    with connected(dai, fleet.cameras[1].address) as bl:
        assert str(bl.getVersion()) == "0.0.28"


def test_camera_held_by_another_host(dai: Any, make_fleet: Callable[..., Fleet]) -> None:
    camera = make_fleet(1).cameras[0]
    camera.faults.booted_by_other_host = True
    assert listed(dai) == []  # DeviceBootloader lists only what it could take
    everything = dai.XLinkConnection.getAllConnectedDevices()
    assert [(d.getMxId(), d.state) for d in everything] == [
        (camera.mxid, dai.XLinkDeviceState.X_LINK_BOOTED)
    ]
    with pytest.raises(RuntimeError, match=NOT_BOOTABLE):
        dai.DeviceBootloader(dai.DeviceInfo(camera.address))
    camera.faults.booted_by_other_host = False
    with connected(dai, camera.address) as bl:
        assert bl.getType() == dai.DeviceBootloader.Type.NETWORK


def test_old_bootloader_warns_then_updates(
    dai: Any, dap: Package, make_fleet: Callable[..., Fleet], capfd: pytest.CaptureFixture[str]
) -> None:
    camera = make_fleet(1).cameras[0]
    camera.faults.bootloader_version = "0.0.26"
    with connected(dai, camera.address) as bl:
        assert str(bl.getVersion()) == str(bl.getFlashedVersion()) == "0.0.26"
        # Old but still able to take applications (needs >= 0.0.14).
        assert bl.flashDepthaiApplicationPackage(dap.as_list) == (True, "")
    assert OLD_BOOTLOADER_WARNING in "".join(capfd.readouterr())

    camera.wait_for_state(CameraState.FLASH_BOOTED, timeout=10)
    with connected(dai, camera.address, allowFlashingBootloader=True) as bl:
        assert str(bl.getFlashedVersion()) == "0.0.26"
        assert bl.flashBootloader(lambda _p: None) == (True, "")
        boots = camera.boots
    assert camera.faults.bootloader_version is None  # the old bootloader is gone
    camera.wait_for_state(CameraState.FLASH_BOOTED, timeout=10, after_boot=boots)
    capfd.readouterr()
    with connected(dai, camera.address) as bl:
        assert str(bl.getVersion()) == "0.0.29"
    assert OLD_BOOTLOADER_WARNING not in "".join(capfd.readouterr())


def test_flash_failure(dai: Any, dap: Package, make_fleet: Callable[..., Fleet]) -> None:
    camera = make_fleet(1).cameras[0]
    camera.faults.fail_flash = "Flash chip not responding"
    with connected(dai, camera.address) as bl:
        assert bl.flashDepthaiApplicationPackage(dap.as_list) == (
            False,
            "Flash chip not responding",
        )
        assert not bl.readApplicationInfo(dai.DeviceBootloader.Memory.FLASH).hasApplication
        camera.faults.fail_flash = None
        assert bl.flashDepthaiApplicationPackage(dap.as_list) == (True, "")
