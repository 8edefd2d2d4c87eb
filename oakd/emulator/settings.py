"""How an emulated camera is built: the one place its defaults are written.

The in-process fleet, the child-process fleet and `oakd emulate`'s options all take theirs
from `DEFAULTS`, so that a camera started any of the three ways is the same camera.
"""

from __future__ import annotations

from dataclasses import dataclass

from oakd.emulator import flash as fl


@dataclass(frozen=True)
class CameraSettings:
    """How a camera is built; the same for every camera of a fleet."""

    flash_size: int = fl.DEFAULT_FLASH_SIZE
    write_speed: float = fl.DEFAULT_WRITE_SPEED
    erase_sector: int = fl.DEFAULT_ERASE_SECTOR  # 0: erase exactly what is written
    read_speed: float = fl.DEFAULT_READ_SPEED
    reboot_s: float = 1.0
    bootloader_version: str = "0.0.28"  # flashed into a new flash file
    embedded_version: str = "0.0.29"  # of images whose version cannot be read (2.33's own)
    watchdog_s: float = 10.0  # a connection whose __watchdog pings stop is dropped
    memory_info: str = "oakd emulator: NOR flash"


DEFAULTS = CameraSettings()
