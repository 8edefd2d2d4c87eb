"""The device registry: what discovery scans add up to. Pure: no I/O, no clock of its own."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from oakd.core.devices import Device, DeviceState
from oakd.errors import ErrorCode, OakdError


def _never(_: str) -> bool:
    return False


# A camera missing from this many scans in a row is offline (one lost datagram is not enough).
MISSED_SCANS_OFFLINE = 2


@dataclass(frozen=True)
class Sighting:
    """One discovery reply: who answered, from where, in which state."""

    mxid: str
    address: str
    state: DeviceState


class ChangeKind(str, Enum):
    """What a scan did to a camera."""

    ADDED = "added"
    CHANGED = "changed"
    OFFLINE = "offline"


@dataclass(frozen=True)
class Change:
    """A camera's new record and why it changed."""

    kind: ChangeKind
    device: Device


class DeviceRegistry:
    """Cameras by MX ID. One camera seen on two interfaces (two replies) is one camera."""

    def __init__(
        self, devices: Iterable[Device] = (), aliases: Mapping[str, str] | None = None
    ) -> None:
        self.devices: dict[str, Device] = {d.id: d for d in devices}
        self._missed: dict[str, int] = {}
        self.aliases: dict[str, str] = dict(aliases or {})  # MX ID -> alias
        for device in self.devices.values():
            device.alias = self.aliases.get(device.id)

    def set_aliases(self, aliases: Mapping[str, str]) -> None:
        """Apply the config's aliases (after a reload)."""
        self.aliases = dict(aliases)
        for device in self.devices.values():
            device.alias = self.aliases.get(device.id)

    def apply_scan(
        self, sightings: Iterable[Sighting], now: float, busy: Callable[[str], bool] = _never
    ) -> list[Change]:
        """Fold one complete scan into the registry and say what changed.

        `busy(mxid)` is true while oakd itself works on a camera. A camera seen in its
        bootloader, or held by another host, while oakd is not working on it has been connected
        to by someone else, who may have flashed it: what oakd recorded it runs is forgotten,
        so that the next flash is not wrongly skipped."""
        seen = _merge(sightings, self.devices)
        changes: list[Change] = []
        for mxid, sighting in seen.items():
            self._missed[mxid] = 0
            device = self.devices.get(mxid)
            if device is None:
                device = Device(
                    mxid, sighting.address, sighting.state, now, now, self.aliases.get(mxid)
                )
                self.devices[mxid] = device
                changes.append(Change(ChangeKind.ADDED, dataclasses.replace(device)))
                continue
            moved = (device.address, device.state) != (sighting.address, sighting.state)
            device.address, device.state, device.last_seen = sighting.address, sighting.state, now
            outside = sighting.state in (DeviceState.BOOTLOADER, DeviceState.BOOTED)
            if outside and device.flashed_hash and not busy(mxid):
                device.flashed_hash = device.flashed_app = None
                moved = True
            if moved:
                changes.append(Change(ChangeKind.CHANGED, dataclasses.replace(device)))
        for mxid, device in self.devices.items():
            if mxid in seen or device.state is DeviceState.OFFLINE:
                continue
            self._missed[mxid] = self._missed.get(mxid, 0) + 1
            if self._missed[mxid] >= MISSED_SCANS_OFFLINE:
                device.state = DeviceState.OFFLINE
                changes.append(Change(ChangeKind.OFFLINE, dataclasses.replace(device)))
        return changes

    def resolve(self, ref: str) -> Device:
        """A camera by MX ID, unique MX ID prefix, address or alias; errors say which exist."""
        if ref in self.devices:
            return self.devices[ref]
        by_alias = [d for d in self.devices.values() if d.alias == ref]
        by_address = [d for d in self.devices.values() if d.address == ref]
        by_prefix = [d for d in self.devices.values() if ref and d.id.startswith(ref.upper())]
        for matches in (by_alias, by_address, by_prefix):
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                names = ", ".join(sorted(d.id for d in matches))
                raise OakdError(
                    f"{ref!r} matches several cameras ({names}); give more of the MX ID",
                    ErrorCode.AMBIGUOUS,
                )
        known = ", ".join(sorted(self.devices)) or "none yet"
        raise OakdError(
            f"no camera {ref!r} (by MX ID, prefix, address or alias); known cameras: {known}. "
            "`oakd devices` lists them",
            ErrorCode.NOT_FOUND,
        )


def _merge(sightings: Iterable[Sighting], known: Mapping[str, Device]) -> dict[str, Sighting]:
    """One sighting per MX ID: keep the known address when the camera answers on several."""
    merged: dict[str, Sighting] = {}
    for s in sightings:
        current = merged.get(s.mxid)
        if current is None:
            merged[s.mxid] = s
            continue
        previous = known.get(s.mxid)
        if previous is not None and s.address == previous.address:
            merged[s.mxid] = s
    return merged
