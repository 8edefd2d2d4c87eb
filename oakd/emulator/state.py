"""The camera's boot state machine, pure: no sockets, no files, no clock of its own.

    power on / reset ──▶ [flashed bootloader] ──app in flash?──▶ FLASH_BOOTED (4)
                                  │ no app                          │ UDP reboot-to-bootloader
                                  ▼                                 ▼
                             BOOTLOADER (3) ◀──────────── [flashed bootloader, stay]
    BOOT_MEMORY(image) ──▶ BOOTLOADER (3) running the image from RAM (embedded version)

Every reboot passes through OFFLINE for `reboot_s` (silent on UDP, no TCP). A boot that finds
no bootloader in flash ends in BRICKED (silent for good, until the flash file is repaired).
The boot from flash after an XLink reset starts the flashed application: the protocol notes
(§3.4) mark that as a guess about real bootloaders.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class CameraState(Enum):
    """What the camera is doing; `wire` is the state its discovery replies carry."""

    OFFLINE = "OFFLINE"
    BOOTLOADER = "BOOTLOADER"
    FLASH_BOOTED = "FLASH_BOOTED"
    BRICKED = "BRICKED"

    @property
    def wire(self) -> int | None:
        """XLink device state on the wire (3, 4), None when discovery stays silent."""
        return {CameraState.BOOTLOADER: 3, CameraState.FLASH_BOOTED: 4}.get(self)


BOOTED_WIRE_STATE = 1  # what a camera held by another host answers


class BootSource(Enum):
    """Where a reboot ends up."""

    FLASH = "flash"  # power-on or reset: the flashed bootloader, then the app if there is one
    FLASH_BOOTLOADER = "flash_bootloader"  # UDP reboot-to-bootloader: stay in the bootloader
    RAM = "ram"  # BOOT_MEMORY: the image the host sent, a bootloader running from RAM


@dataclass(frozen=True)
class FlashFacts:
    """What a boot reads from flash."""

    bootloader_version: str | None  # None: no bootloader (erased or torn boot header)
    user_bootloader_version: str | None  # set when a valid user bootloader is configured
    has_application: bool


@dataclass(frozen=True)
class Running:
    """What runs after a boot."""

    state: CameraState
    version: str | None = None  # of the running bootloader
    from_flash: bool = True  # False for an image booted from RAM (BOOT_MEMORY)
    user_bootloader: bool = False


def boot(source: BootSource, facts: FlashFacts, ram_version: str | None = None) -> Running:
    """The outcome of booting from `source` with `facts` in flash."""
    if source is BootSource.RAM:
        return Running(CameraState.BOOTLOADER, ram_version, from_flash=False)
    if facts.bootloader_version is None:
        return Running(CameraState.BRICKED)
    user = facts.user_bootloader_version is not None
    version = facts.user_bootloader_version or facts.bootloader_version
    if source is BootSource.FLASH and facts.has_application:
        return Running(CameraState.FLASH_BOOTED, version, user_bootloader=user)
    return Running(CameraState.BOOTLOADER, version, user_bootloader=user)


class BootMachine:
    """Reboot timing around `boot()`: OFFLINE for `reboot_s`, then whatever boot() says."""

    def __init__(self, reboot_s: float) -> None:
        self.reboot_s = reboot_s
        self.running = Running(CameraState.OFFLINE)
        self.boots = 0  # completed boots: tests wait for the next one, not for a stale state
        self._back_at = 0.0
        self._source = BootSource.FLASH
        self._ram_version: str | None = None

    @property
    def state(self) -> CameraState:
        """The current state (OFFLINE while a reboot is under way)."""
        return self.running.state

    def reboot(self, now: float, source: BootSource, ram_version: str | None = None) -> None:
        """Start a reboot at `now` that ends up booting from `source`."""
        self.running = Running(CameraState.OFFLINE)
        self._back_at = now + self.reboot_s
        self._source = source
        self._ram_version = ram_version

    def due(self, now: float) -> bool:
        """Whether a reboot under way has lasted long enough to boot."""
        return self.running.state is CameraState.OFFLINE and now >= self._back_at

    def finish(self, facts: FlashFacts) -> Running:
        """Complete the reboot under way with what flash holds now."""
        self.running = boot(self._source, facts, self._ram_version)
        self.boots += 1
        return self.running
