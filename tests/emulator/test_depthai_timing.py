"""The write-time model seen through depthai, and 16 cameras at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from oakd.emulator import flash as fl
from oakd.emulator.process import Fleet
from oakd.emulator.state import CameraState
from tests.emulator.helpers import Package, Progress, connected


@pytest.mark.timeout(60)
def test_progress_follows_the_write_speed(
    dai: Any, dap: Package, make_fleet: Callable[..., Fleet]
) -> None:
    # ~7.1 s of programming: longer than the 6 s after which depthai gives up on a device
    # whose watchdog goes unanswered, so this also shows the XLink loop never blocks.
    speed = 1.5e6
    camera = make_fleet(1, write_speed=speed).cameras[0]
    model = fl.WriteModel(speed)
    duration = model.duration(len(dap.raw))  # erasing the sectors first, then programming
    programming = len(dap.raw) / model.program_speed
    landed: list[tuple[float, bool, bool]] = []
    progress = Progress()

    def watch(value: float) -> None:
        progress(value)
        if 0.45 < value < 0.55 and not landed:  # look at the flash half way through
            quarter = fl.APPLICATION_OFFSET + len(dap.raw) // 4
            late = fl.APPLICATION_OFFSET + len(dap.raw) * 9 // 10
            landed.append(
                (
                    value,
                    camera.read_flash(quarter, 4096) == dap.raw[len(dap.raw) // 4 :][:4096],
                    camera.read_flash(late, 4096) == b"\xff" * 4096,
                )
            )

    with connected(dai, camera.address) as bl:
        started = time.monotonic()
        assert bl.flashDepthaiApplicationPackage(watch, dap.as_list) == (True, "")
        elapsed = time.monotonic() - started
    assert duration <= elapsed < duration + 3
    progress.assert_complete()
    assert len(progress.values) >= 90
    # Each report arrives when that fraction has been programmed (within a second, which
    # leaves room for a busy machine; the whole write takes seven).
    begin = progress.times[0] - progress.values[0] * programming
    for value, at in zip(progress.values, progress.times, strict=True):
        assert abs(at - (begin + value * programming)) < 1.0, (value, at - begin)
    assert landed and landed[0][1:] == (True, True)  # programmed progressively


@pytest.mark.timeout(120)
def test_sixteen_cameras_at_once(dai: Any, dap: Package, make_fleet: Callable[..., Fleet]) -> None:
    fleet = make_fleet(16, flash_size=20 * fl.MiB)
    found = dai.DeviceBootloader.getAllAvailableDevices()
    assert sorted((d.getMxId(), d.name) for d in found) == sorted(
        (c.mxid, c.address) for c in fleet.cameras
    )
    # depthai's constructor holds the GIL: connect one by one, then flash all at once.
    bootloaders = [dai.DeviceBootloader(info) for info in found]
    results: dict[str, tuple[bool, str]] = {}

    def flash(bl: Any, name: str) -> None:
        results[name] = bl.flashDepthaiApplicationPackage(dap.as_list)

    threads = [
        threading.Thread(target=flash, args=(bl, info.name))
        for bl, info in zip(bootloaders, found, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == {camera.address: (True, "") for camera in fleet.cameras}
    boots = {camera.mxid: camera.boots for camera in fleet.cameras}
    closers = [threading.Thread(target=bl.close) for bl in bootloaders]
    for thread in closers:
        thread.start()
    for thread in closers:
        thread.join(timeout=60)
    for camera in fleet.cameras:
        assert camera.read_flash(fl.APPLICATION_OFFSET, len(dap.raw)) == dap.raw
        camera.wait_for_state(CameraState.FLASH_BOOTED, timeout=10, after_boot=boots[camera.mxid])
    states = {d.state for d in dai.DeviceBootloader.getAllAvailableDevices()}
    assert states == {dai.XLinkDeviceState.X_LINK_FLASH_BOOTED}
