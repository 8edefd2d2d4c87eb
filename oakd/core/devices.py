"""Cameras as the daemon knows them: keyed by MX ID, never by address."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from oakd.core.telemetry import Health


class DeviceState(str, Enum):
    """What discovery last said about a camera (or that it stopped answering)."""

    BOOTLOADER = "bootloader"  # the bootloader waits for a host: inspect, flash, reset
    FLASH_BOOTED = "flash_booted"  # runs its flashed app; a connection reboots it out of it
    BOOTED = "booted"  # held by another host: hands off
    OFFLINE = "offline"  # missed two discovery scans in a row


@dataclass
class Device:
    """One camera, with what oakd saw of it and what oakd flashed to it."""

    id: str  # MX ID
    address: str
    state: DeviceState
    first_seen: float
    last_seen: float
    alias: str | None = None
    flashed_hash: str | None = None  # content hash of the package oakd last flashed here
    flashed_app: str | None = None  # its application name
    flashed_at: float | None = None
    inspection: dict[str, Any] | None = None  # what `oakd inspect` last read, kept
    # The package oakd last wrote here and verified: a delta's base, if the camera's header
    # still matches it (a hint, kept when flashed_hash is forgotten).
    flashed_package: str | None = None
    # Set while a write may be in flight (job id, since when): a delta never follows an
    # unfinished write.
    flash_journal: dict[str, Any] | None = None
    # Does this camera store a package verbatim? {"bootloader", "verbatim", "at"}, proven by
    # reading the first full flash back; deltas only where it is true for that bootloader.
    delta_verdict: dict[str, Any] | None = None
    # How its app is doing, as its telemetry says (services/telemetry.py); not kept across
    # restarts: after one it is unknown until the app is heard again.
    health: Health = field(default_factory=Health)

    @property
    def online(self) -> bool:
        """Seen in the latest scans."""
        return self.state is not DeviceState.OFFLINE
