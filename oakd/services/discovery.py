"""Passive, continuous discovery: scans in a device worker (oakd/worker/scan.py), folded into
the registry, the store and the event bus.

Discovery never connects to a camera: a connection to a FLASH_BOOTED camera reboots it out of
its app. It only sends the 4-byte DISCOVER datagram and reads the replies.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from oakd.config import Config
from oakd.core.devices import DeviceState
from oakd.core.registry import ChangeKind, DeviceRegistry, Sighting
from oakd.protocol import EVENT_DEVICE_ADDED, EVENT_DEVICE_CHANGED, EVENT_DEVICE_OFFLINE
from oakd.protocol.replies import DeviceInfo
from oakd.services.bus import EventBus
from oakd.services.store import Store
from oakd.services.workers import Worker
from oakd.tasks import wait_any
from oakd.worker.contract import Op, ScanParams
from oakd.zygote.parent import ZygoteRole

log = logging.getLogger(__name__)

SCAN_DEADLINE_S = 30.0  # a scan takes about a second; one that runs this long has hung

# One complete scan (broadcast and static addresses), awaited from the event loop.
Scanner = Callable[[Sequence[str]], Awaitable[list[Sighting]]]

_EVENTS = {
    ChangeKind.ADDED: EVENT_DEVICE_ADDED,
    ChangeKind.CHANGED: EVENT_DEVICE_CHANGED,
    ChangeKind.OFFLINE: EVENT_DEVICE_OFFLINE,
}


class WorkerScanner:
    """Scans in a device worker of its own, so that depthai never runs in the daemon and a
    scan never waits behind a flash. Until the zygote can fork that worker (depthai unpacks
    its firmware for a second or two first), the zygote scans itself: a daemon's first pass
    waits for one scan, not for the unpacking."""

    def __init__(self, zygote: ZygoteRole | None = None) -> None:
        self._zygote = zygote
        self._worker: Worker | None = None

    async def __call__(self, static_addresses: Sequence[str]) -> list[Sighting]:
        params: ScanParams = {"static": list(static_addresses)}
        if self._worker is None or not self._worker.alive:
            if self._zygote is not None and not self._zygote.forks:
                request = {"op": Op.SCAN.value, "params": params}
                early = await self._zygote.serve(request, timeout=SCAN_DEADLINE_S)
                if early is not None:
                    return _sightings(early)
            self._worker = await Worker.start(self._zygote)  # the zygote forks now, or never
        return _sightings(await self._worker.call(Op.SCAN, params, timeout=SCAN_DEADLINE_S))

    async def close(self) -> None:
        """Stop the worker."""
        if self._worker is not None:
            await self._worker.stop()


def _sightings(result: dict[str, Any]) -> list[Sighting]:
    return [Sighting(m, a, DeviceState(s)) for m, a, s in result["sightings"]]


class Discovery:
    """Scans every discovery interval in a device worker process and folds the results into the
    registry, the store and the event bus."""

    def __init__(
        self,
        registry: DeviceRegistry,
        store: Store,
        bus: EventBus,
        config: Callable[[], Config],
        scanner: Scanner,
    ) -> None:
        self.registry = registry
        self.store = store
        self.bus = bus
        self.config = config
        self.scanner = scanner
        self.first_pass = asyncio.Event()
        self.busy: Callable[[str], bool] = lambda _: False  # set by the daemon: the engine's
        self.scans = 0
        self._wake = asyncio.Event()

    def rescan(self) -> None:
        """Scan now instead of at the end of the interval."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Scan until stopped."""
        while not stop.is_set():
            await self.scan_once()
            self._wake.clear()
            await wait_any([stop, self._wake], timeout=self.config().discovery.interval_s)

    async def scan_once(self) -> None:
        """One scan, applied. A failed scan is logged and counts as no news, not as silence."""
        static = self.config().unicast_addresses()
        try:
            sightings = await self.scanner(list(static))
        except Exception:
            log.exception("discovery scan failed; trying again next interval")
            self.first_pass.set()
            return
        now = time.time()
        changes = self.registry.apply_scan(sightings, now, self.busy)
        seen = {s.mxid for s in sightings}
        self.store.upsert_devices(
            [d for d in self.registry.devices.values() if d.id in seen]
            + [c.device for c in changes if c.kind is ChangeKind.OFFLINE]
        )
        for change in changes:
            log.info(
                "camera %s %s (%s, %s)",
                change.device.id,
                change.kind.value,
                change.device.address,
                change.device.state.value,
            )
            self.bus.publish(_EVENTS[change.kind], DeviceInfo.of(change.device))
        self.scans += 1
        self.first_pass.set()
