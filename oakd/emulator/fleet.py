"""N emulated cameras on consecutive loopback addresses, in this process (`LocalFleet`).

Use `LocalFleet` only with clients that let Python threads run: depthai's discovery and
`DeviceBootloader` constructor hold the GIL for their whole duration, so a client using depthai
must talk to cameras in another process (`oakd.emulator.process.Fleet`).

MX IDs are stable and derived from the camera's index: `18443010` (the prefix of real OAK PoE
IDs) + `EA` (for "emulated") + the index as 6 hex digits + `00`, 18 characters like real ones:
index 0 -> 18443010EA00000000, index 26 -> 18443010EA00001A00. Camera i lives at
first_ip + i, so the same (index, state dir) always finds the same flash file.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from oakd.emulator import flash as fl
from oakd.emulator.camera import Camera
from oakd.emulator.faults import Faults
from oakd.emulator.identity import DEFAULT_FIRST_IP, addresses, mxid_for_index
from oakd.emulator.settings import DEFAULTS, CameraSettings


class LocalFleet:
    """Emulated cameras in background threads of this process; a context manager.

    `faults` maps a camera index or MX ID to the faults it starts with.
    `state_dir=None` uses a temporary directory removed by `stop()`.
    """

    def __init__(
        self,
        count: int = 1,
        first_ip: str = DEFAULT_FIRST_IP,
        state_dir: Path | str | None = None,
        bootloader_version: str = DEFAULTS.bootloader_version,
        flash_size: int = DEFAULTS.flash_size,
        write_speed: float = DEFAULTS.write_speed,
        erase_sector: int = DEFAULTS.erase_sector,
        read_speed: float = DEFAULTS.read_speed,
        reboot_s: float = DEFAULTS.reboot_s,
        embedded_bootloader_version: str = DEFAULTS.embedded_version,
        watchdog_s: float = DEFAULTS.watchdog_s,
        faults: Mapping[int | str, Faults] | None = None,
    ) -> None:
        if count < 1:
            raise ValueError("a fleet needs at least one camera")
        self._tmp: str | None = None
        if state_dir is None:
            self._tmp = tempfile.mkdtemp(prefix="oakd-emulator-")
            state_dir = self._tmp
        self.state_dir = Path(state_dir)
        self.settings = CameraSettings(
            flash_size=flash_size,
            write_speed=write_speed,
            erase_sector=erase_sector,
            read_speed=read_speed,
            reboot_s=reboot_s,
            bootloader_version=bootloader_version,
            embedded_version=embedded_bootloader_version,
            watchdog_s=watchdog_s,
        )
        initial = dict(faults or {})
        self.cameras: list[Camera] = []
        try:
            for index, address in enumerate(addresses(first_ip, count)):
                mxid = mxid_for_index(index)
                start_faults = initial.pop(index, None) or initial.pop(mxid, None) or Faults()
                self.cameras.append(
                    Camera(index, mxid, address, self.state_dir, self.settings, start_faults)
                )
        except Exception:
            self._close_files()
            raise
        if initial:
            self._close_files()
            raise ValueError(f"faults for unknown cameras: {sorted(map(str, initial))}")
        self._started: list[Camera] = []

    def camera(self, key: int | str) -> Camera:
        """A camera by index, MX ID or address."""
        if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
            return self.cameras[int(key)]
        for camera in self.cameras:
            if key in (camera.mxid, camera.address):
                return camera
        raise KeyError(f"no camera {key!r}")

    def start(self) -> LocalFleet:
        """Power every camera on; they answer discovery when this returns."""
        try:
            for camera in self.cameras:
                camera.start()
                self._started.append(camera)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Power every camera off (flash files stay, unless in a temporary directory)."""
        for camera in self._started:
            camera.stop()
        self._started = []
        self._close_files()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def _close_files(self) -> None:
        for camera in self.cameras:
            camera.flash.close()

    def __enter__(self) -> LocalFleet:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def seed_application(
    state_dir: Path | str,
    index: int,
    package: bytes,
    flash_size: int = DEFAULTS.flash_size,
    bootloader_version: str = DEFAULTS.bootloader_version,
) -> Path:
    """Put `package` in the flash of camera `index` before its fleet starts, as if it had
    been flashed long ago: the camera then powers on FLASH_BOOTED running it."""
    path = Path(state_dir) / f"{mxid_for_index(index)}.flash"
    flash = fl.FlashFile(path, flash_size, bootloader_version)
    try:
        flash.write(fl.APPLICATION_OFFSET, package)
    finally:
        flash.close()
    return path
