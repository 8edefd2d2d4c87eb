"""Configuration and bootloader updates with the real depthai, factory reset included."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from oakd.emulator import flash as fl
from oakd.emulator.process import Fleet
from oakd.emulator.state import CameraState
from tests.emulator.helpers import Package, Progress, connected

pytestmark = pytest.mark.timeout(90)

NO_CONFIG = "Config not found"


def embedded_bootloader(dai: Any) -> bytes:
    network = dai.DeviceBootloader.Type.NETWORK
    return bytes(dai.DeviceBootloader.getEmbeddedBootloaderBinary(network))


def static_ip_config(dai: Any) -> Any:
    config = dai.DeviceBootloader.Config()
    config.setStaticIPv4("192.168.1.50", "255.255.255.0", "192.168.1.1")
    return config


def test_config_round_trip_and_clear(dai: Any, make_fleet: Callable[..., Fleet]) -> None:
    camera = make_fleet(1).cameras[0]
    with connected(dai, camera.address) as bl:
        with pytest.raises(RuntimeError, match=NO_CONFIG):
            bl.readConfig()
        assert bl.flashConfig(static_ip_config(dai)) == (True, "")
        config = bl.readConfig()
        assert config.isStaticIPV4()
        assert (config.getIPv4(), config.getIPv4Mask(), config.getIPv4Gateway()) == (
            "192.168.1.50",
            "255.255.255.0",
            "192.168.1.1",
        )
        stored = camera.config()
        assert stored is not None and stored["network"]["ipv4"] == 838969536  # 192.168.1.50
        assert bl.flashConfigClear() == (True, "")
        with pytest.raises(RuntimeError, match=NO_CONFIG):
            bl.readConfig()
    assert camera.config() is None


def test_flashing_an_app_keeps_the_config(
    dai: Any, dap: Package, make_fleet: Callable[..., Fleet]
) -> None:
    camera = make_fleet(1).cameras[0]
    with connected(dai, camera.address) as bl:
        assert bl.flashConfig(static_ip_config(dai)) == (True, "")
        assert bl.flashDepthaiApplicationPackage(dap.as_list) == (True, "")
        config = bl.readConfig()
        assert config.getIPv4() == "192.168.1.50" and config.isStaticIPV4()
    stored = camera.config()
    assert stored is not None and stored["appMem"] == 0


def test_allow_flashing_bootloader_boots_the_embedded_one_then_updates(
    dai: Any, make_fleet: Callable[..., Fleet]
) -> None:
    camera = make_fleet(1, bootloader_version="0.0.28").cameras[0]
    progress = Progress()
    with connected(dai, camera.address, allowFlashingBootloader=True) as bl:
        # BOOT_MEMORY + reconnect: the host now talks to the embedded bootloader, in RAM.
        assert bl.isEmbeddedVersion()
        assert str(bl.getVersion()) == "0.0.29"
        assert str(bl.getFlashedVersion()) == "0.0.28"
        assert not camera.running.from_flash
        assert bl.flashBootloader(progress) == (True, "")
        boots = camera.boots
    progress.assert_complete()
    embedded = bytes(
        dai.DeviceBootloader.getEmbeddedBootloaderBinary(dai.DeviceBootloader.Type.NETWORK)
    )
    assert camera.read_flash(fl.BOOTLOADER_OFFSET, len(embedded)) == embedded
    assert camera.flashed_bootloader_version() == "0.0.29"
    camera.wait_for_state(CameraState.BOOTLOADER, timeout=10, after_boot=boots)
    with connected(dai, camera.address) as bl:
        assert str(bl.getVersion()) == str(bl.getFlashedVersion()) == "0.0.29"
        assert not bl.isEmbeddedVersion()


def test_user_bootloader(dai: Any, make_fleet: Callable[..., Fleet]) -> None:
    camera = make_fleet(1).cameras[0]
    progress = Progress()
    with connected(dai, camera.address) as bl:
        assert not bl.isUserBootloader()
        assert bl.flashUserBootloader(progress) == (True, "")
        boots = camera.boots
    progress.assert_complete()
    image = bytes(
        dai.DeviceBootloader.getEmbeddedBootloaderBinary(dai.DeviceBootloader.Type.NETWORK)
    )
    assert camera.read_flash(fl.USER_BOOTLOADER_OFFSET, len(image)) == image
    stored = camera.config()
    assert stored is not None and stored["userBlSize"] == len(image)
    camera.wait_for_state(CameraState.BOOTLOADER, timeout=10, after_boot=boots)
    with connected(dai, camera.address) as bl:
        assert bl.isUserBootloader()
        assert str(bl.getVersion()) == "0.0.29"


def test_factory_reset(
    dai: Any, dap: Package, make_fleet: Callable[..., Fleet], tmp_path: Path
) -> None:
    camera = make_fleet(1, bootloader_version="0.0.26").cameras[0]
    Memory = dai.DeviceBootloader.Memory
    with connected(dai, camera.address) as bl:
        assert bl.flashDepthaiApplicationPackage(dap.as_list) == (True, "")
        assert bl.flashConfig(static_ip_config(dai)) == (True, "")
        assert bl.flashUserBootloader(lambda _p: None) == (True, "")

    # The recipe of Luxonis' Device Manager (field notes).
    binary = dai.DeviceBootloader.getEmbeddedBootloaderBinary(dai.DeviceBootloader.Type.NETWORK)
    padded = tmp_path / "factory.bin"
    padded.write_bytes(bytes(binary) + b"\xff" * (8 * fl.MiB + 512 - len(binary)))
    camera.wait_for_state(CameraState.FLASH_BOOTED, timeout=10)
    with connected(dai, camera.address, allowFlashingBootloader=True) as bl:
        assert bl.flashBootloader(lambda _p: None, str(padded)) == (True, "")
        boots = camera.boots

    camera.wait_for_state(CameraState.BOOTLOADER, timeout=10, after_boot=boots)
    with connected(dai, camera.address) as bl:
        assert str(bl.getVersion()) == str(bl.getFlashedVersion()) == "0.0.29"
        assert not bl.isUserBootloader()
        assert not bl.readApplicationInfo(Memory.FLASH).hasApplication
        with pytest.raises(RuntimeError, match=NO_CONFIG):
            bl.readConfig()
    assert camera.config() is None and camera.application_info() is None
