"""The daemon's ear for what the cameras' apps say: a UDP listener, logs and app health.

A datagram (core/telemetry.py) is accepted only from the address of a camera the daemon knows,
and is that camera's. What is not one of ours, from elsewhere, oversized, or more than a camera
may send (RATE a second, BURST at once) is dropped and counted; nothing about it is kept but
the count, so a flood costs the daemon a counter. Per camera the daemon keeps the last
`[telemetry] log_lines` boots, log lines and crashes (in the store, so across restarts; they
reach the store in batches, at most once a FLUSH_S) and the app's health (core/telemetry.py
Health), whose changes it publishes as device.changed.

The listener binds `[telemetry] bind:port`. If that port is taken (another daemon), telemetry
is off for this daemon, which says so in its log and `status`, and its builds add none.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import socket
import struct
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from oakd.build.telemetry import Telemetry
from oakd.config import Config
from oakd.core import telemetry as wire
from oakd.core.devices import Device
from oakd.core.registry import DeviceRegistry
from oakd.core.telemetry import AppLine, Datagram, TelemetryError
from oakd.protocol import EVENT_APP_LOG, EVENT_DEVICE_CHANGED
from oakd.protocol.replies import AppLogLine, DeviceInfo
from oakd.services.bus import EventBus
from oakd.services.store import Store
from oakd.tasks import wait_any

log = logging.getLogger(__name__)

RATE = 50.0  # datagrams a second a camera may send, on average
BURST = 200  # and at once
FLUSH_S = 0.5
TICK_S = 1.0
MAX_TARGETS = 8  # addresses a camera sends each datagram to
PENDING_LIMIT = 5000  # lines waiting for the store; more are dropped (and counted)


@dataclass
class _Bucket:
    tokens: float
    at: float

    def take(self, now: float) -> bool:
        self.tokens = min(BURST, self.tokens + (now - self.at) * RATE)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class TelemetryService(asyncio.DatagramProtocol):
    """Listens while `run` runs; `counts` says what came and what was dropped, and why."""

    def __init__(
        self, registry: DeviceRegistry, store: Store, bus: EventBus, config: Callable[[], Config]
    ) -> None:
        self.registry = registry
        self.store = store
        self.bus = bus
        self.config = config
        self.counts: Counter[str] = Counter()
        self.listening: tuple[str, int] | None = None  # where, once bound
        self.problem = ""  # why not listening
        self._buckets: dict[str, _Bucket] = {}
        self._pending: list[AppLine] = []
        self._booted: dict[str, asyncio.Event] = {}
        self._stopping = asyncio.Event()  # a flash waiting for a boot report stops waiting
        self._transport: asyncio.DatagramTransport | None = None

    # -- what the builder and the engine ask

    def targets(self) -> Telemetry | None:
        """Where the apps this daemon builds send: every IPv4 address of this host (the one a
        camera reaches it at is among them, whatever its subnet; the others cost a datagram
        each that goes nowhere), and the port. The same for every build, whichever cameras
        are known when it runs, so that a build's fingerprint does not depend on that. None
        when telemetry is off."""
        settings = self.config().telemetry
        if self.listening is None or not settings.enabled:
            return None
        port = self.listening[1]
        addresses = host_addresses()[:MAX_TARGETS]
        return Telemetry(tuple((a, port) for a in addresses), settings.heartbeat_s)

    def flashed(self, device: Device, app: str, since: float) -> None:
        """oakd wrote `app` (with telemetry) to `device`: its boot report is awaited (one that
        came after `since`, the job's start, while the write's result was on its way, counts)."""
        health = device.health
        reported = health.app == app and (health.last_boot or 0.0) >= since
        event = self._booted[device.id] = asyncio.Event()
        health.flashed(app, time.time(), booted=reported)
        if reported:
            event.set()
        self._changed(device)

    async def wait_boot(self, device: Device, timeout: float) -> bool:
        """True once the app flashed last reported booting, False after `timeout`."""
        event = self._booted.get(device.id)
        if event is None or self._stopping.is_set():
            return False
        await wait_any([event, self._stopping], timeout)
        return event.is_set()

    def lines(self, device: str, since: float | None, limit: int) -> list[AppLogLine]:
        """A camera's kept lines, pending ones included, oldest first."""
        kept = self.store.app_lines(device, since, limit)
        pending = [
            x for x in self._pending if x.device == device and (since is None or x.at > since)
        ]
        return [AppLogLine.of(x) for x in [*kept, *pending][-limit:]]

    # -- running

    async def open(self) -> None:
        """Bind the listener (before any build asks where its telemetry goes: a build made
        before it would have none, and the next one a fingerprint of its own)."""
        settings = self.config().telemetry
        if not settings.enabled:
            self.problem = "off ([telemetry] enabled = false)"
            return
        loop = asyncio.get_running_loop()
        try:
            self._transport, _ = await loop.create_datagram_endpoint(
                lambda: self, local_addr=(settings.bind, settings.port), family=socket.AF_INET
            )
        except OSError as exc:
            self.problem = f"cannot listen on UDP {settings.bind}:{settings.port}: {exc.strerror}"
            log.warning(
                "telemetry off: %s (another daemon?); builds add no telemetry", self.problem
            )
            return
        self.listening = self._transport.get_extra_info("sockname")[:2]
        log.info("telemetry: listening on UDP %s:%s", *self.listening)

    async def run(self, stop: asyncio.Event) -> None:
        """Keep health up to date and lines flushed until `stop` (after `open`)."""
        try:
            last_tick = 0.0
            while not stop.is_set():
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), FLUSH_S)
                self._flush()
                if time.monotonic() - last_tick >= TICK_S:
                    last_tick = time.monotonic()
                    self._tick()
        finally:
            self._stopping.set()
            if self._transport is not None:
                self._transport.close()
            self._flush()

    def datagram_received(self, data: bytes, addr: tuple[str | int, int]) -> None:
        # asyncio closes a datagram transport whose protocol raises: a bug here must cost one
        # datagram, never the listener.
        try:
            self._received(data, addr)
        except Exception:
            self.counts["internal_error"] += 1
            if self.counts["internal_error"] <= 3:  # bounded: a flood of them floods no log
                log.exception("telemetry: a datagram from %s could not be handled", addr[0])

    def _received(self, data: bytes, addr: tuple[str | int, int]) -> None:
        now = time.time()
        device = self._device_at(str(addr[0]))
        if device is None:
            self.counts["unknown_source"] += 1
            return
        bucket = self._buckets.setdefault(device.id, _Bucket(BURST, time.monotonic()))
        if not bucket.take(time.monotonic()):
            self.counts["flood"] += 1
            return
        try:
            datagram = wire.parse(data)
        except TelemetryError as exc:
            self.counts[exc.reason] += 1
            return
        self.counts["accepted"] += 1
        self._heard(device, datagram, now)

    def error_received(self, exc: Exception) -> None:
        log.debug("telemetry socket: %s", exc)

    # -- inside

    def _device_at(self, address: str) -> Device | None:
        for device in self.registry.devices.values():
            if device.address == address:
                return device
        return None

    def _heard(self, device: Device, datagram: Datagram, now: float) -> None:
        health = device.health
        changed = health.heard(datagram, now)
        if datagram.kind == "boot" and datagram.app == health.expected:
            event = self._booted.get(device.id)
            if event is not None:
                event.set()
        if datagram.kind != "beat":
            line = AppLine(
                device.id,
                now,
                datagram.app,
                datagram.seq,
                datagram.kind,
                datagram.level,
                datagram.source,
                datagram.text,
            )
            if len(self._pending) < PENDING_LIMIT:
                self._pending.append(line)
            else:
                self.counts["store_behind"] += 1
            self.bus.publish(EVENT_APP_LOG, AppLogLine.of(line))
        if changed or datagram.kind == "crash":
            self._changed(device)

    def _tick(self) -> None:
        settings = self.config().telemetry
        now = time.time()
        for device in list(self.registry.devices.values()):
            if device.health.tick(now, settings.boot_timeout_s, settings.heartbeat_s):
                self._changed(device)

    def _changed(self, device: Device) -> None:
        self.bus.publish(EVENT_DEVICE_CHANGED, DeviceInfo.of(device))

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        try:
            self.store.add_app_lines(pending, self.config().telemetry.log_lines)
        except Exception:  # a full disk must not take telemetry down: the lines are lost
            log.exception("telemetry: %d app lines could not be kept", len(pending))


SIOCGIFADDR = 0x8915  # Linux: an interface's IPv4 address


def host_addresses() -> list[str]:
    """This host's IPv4 addresses (one per interface that has one), sorted."""
    found = set()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _, name in socket.if_nameindex():
            request = struct.pack("256s", name.encode()[:15])
            try:
                reply = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, request)
            except OSError:  # down, or no IPv4 address
                continue
            found.add(socket.inet_ntoa(reply[20:24]))
    return sorted(found, key=lambda a: tuple(int(p) for p in a.split(".")))
