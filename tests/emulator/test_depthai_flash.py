"""Flashing applications with the real depthai: bytes land at 8 MiB, the app boots."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from oakd.emulator import flash as fl
from oakd.emulator.process import Fleet, RemoteCamera
from oakd.emulator.state import CameraState
from tests.emulator.helpers import Package, Progress, connected, renamed

pytestmark = pytest.mark.timeout(90)


def app_name_after_reboot(dai: Any, camera: RemoteCamera, boots: int) -> str:
    """Wait for the camera to come back running its app; the name depthai reads back."""
    camera.wait_for_state(CameraState.FLASH_BOOTED, timeout=10, after_boot=boots)
    with connected(dai, camera.address) as bl:  # reboot-to-bootloader path (UDP 3)
        info = bl.readApplicationInfo(dai.DeviceBootloader.Memory.FLASH)
        assert info.hasApplication
        assert len(info.firmwareVersion) == 40  # the device-side commit depthai packs
        name: str = info.applicationName
        return name


def test_flash_pipeline(dai: Any, make_fleet: Callable[..., Fleet]) -> None:
    # Uncompressed (the default) is ~28.5 MB: too big for 32 MiB, so this camera has 64.
    fleet = make_fleet(1, flash_size=64 * fl.MiB)
    camera = fleet.cameras[0]
    pipeline = dai.Pipeline()
    progress = Progress()
    with connected(dai, camera.address) as bl:
        assert bl.flash(progress, pipeline, applicationName="from-pipeline") == (True, "")
        boots = camera.boots
    progress.assert_complete()
    expected = bytes(
        dai.DeviceBootloader.createDepthaiApplicationPackage(
            pipeline, applicationName="from-pipeline"
        )
    )
    assert camera.read_flash(fl.APPLICATION_OFFSET, len(expected)) == expected
    assert app_name_after_reboot(dai, camera, boots) == "from-pipeline"


def test_flash_package_then_reflash_a_flash_booted_camera(
    dai: Any, dap: Package, make_fleet: Callable[..., Fleet]
) -> None:
    camera = make_fleet(1).cameras[0]
    progress = Progress()
    with connected(dai, camera.address) as bl:
        result = bl.flashDepthaiApplicationPackage(progress, dap.as_list)
        boots = camera.boots
    assert result == (True, "")
    progress.assert_complete()
    assert camera.read_flash(fl.APPLICATION_OFFSET, len(dap.raw)) == dap.raw
    assert camera.config() == {"appMem": 0}  # depthai records where the app went

    camera.wait_for_state(CameraState.FLASH_BOOTED, timeout=10, after_boot=boots)
    second = renamed(dap.raw, "second-app!")
    with connected(dai, camera.address) as bl:  # reboots the running app into the bootloader
        info = bl.readApplicationInfo(dai.DeviceBootloader.Memory.FLASH)
        assert (info.hasApplication, info.applicationName) == (True, dap.name)
        assert len(info.firmwareVersion) == 40  # depthai's device-side commit
        assert bl.flashDepthaiApplicationPackage(list(second)) == (True, "")
        boots = camera.boots
    assert camera.read_flash(fl.APPLICATION_OFFSET, len(second)) == second
    assert app_name_after_reboot(dai, camera, boots) == "second-app!"


def test_flash_to_explicit_memory(dai: Any, dap: Package, make_fleet: Callable[..., Fleet]) -> None:
    camera = make_fleet(1).cameras[0]
    progress = Progress()
    with connected(dai, camera.address) as bl:
        Memory = dai.DeviceBootloader.Memory
        result = bl.flashDepthaiApplicationPackage(progress, dap.as_list, Memory.FLASH)
        assert result == (True, "")
        assert bl.readApplicationInfo(Memory.FLASH).applicationName == dap.name
    progress.assert_complete()
    assert camera.read_flash(fl.APPLICATION_OFFSET, len(dap.raw)) == dap.raw


def test_flash_clear_removes_the_app(
    dai: Any, dap: Package, make_fleet: Callable[..., Fleet]
) -> None:
    camera = make_fleet(1).cameras[0]
    Memory = dai.DeviceBootloader.Memory
    with connected(dai, camera.address) as bl:
        assert bl.flashDepthaiApplicationPackage(dap.as_list) == (True, "")
        assert bl.flashClear(Memory.FLASH) == (True, "")
        assert not bl.readApplicationInfo(Memory.FLASH).hasApplication
        boots = camera.boots
    assert camera.application_info() is None
    assert camera.read_flash(fl.APPLICATION_OFFSET, 512) == b"\xff" * 512
    camera.wait_for_state(CameraState.BOOTLOADER, timeout=10, after_boot=boots)


def test_an_app_too_big_for_the_flash_is_refused(
    dai: Any, dap: Package, make_fleet: Callable[..., Fleet]
) -> None:
    camera = make_fleet(1, flash_size=16 * fl.MiB).cameras[0]  # 8 MiB of room, 10.7 MB app
    with connected(dai, camera.address) as bl:
        ok, message = bl.flashDepthaiApplicationPackage(dap.as_list)
    assert not ok
    assert message == f"Application too large ({len(dap.raw)} > 8388608 B)"
    assert camera.application_info() is None
