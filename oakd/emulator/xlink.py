"""XLink over TCP, device side: the 84-byte event header, streams and flow control.

The host (depthai 2.33) connects to port 11490 and speaks in events (protocol notes §2). Every
host request gets a response of type request+8 with the same id; data the host writes must be
released by the device with a READ_REL_REQ once consumed, and the host's releases of data the
device wrote must be answered, or one side blocks for ever (§2.3).

The pure part (`Event`, `pack_event`, `unpack_event`, `response_to`) has no I/O. `Link` owns one
host connection: `serve()` is its receive loop and never blocks on anything but the socket, so
pings and watchdog packets are answered while a bootloader command takes its time in another
thread (§6). That thread uses `read()` and `write()`.
"""

from __future__ import annotations

import collections
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

log = logging.getLogger(__name__)

XLINK_PORT = 11490
HEADER = struct.Struct("<ii52sIIIIII")
HEADER_SIZE = HEADER.size  # 84
STREAM_NAME_SIZE = 52

FLAG_ACK = 0x1
FLAG_NACK = 0x2

# The host keeps at most this many unreleased packets per stream; beyond it a packet is dropped.
MAX_PACKETS_PER_STREAM = 64
# A WRITE_REQ larger than this is not a real host: refuse instead of allocating it.
MAX_PACKET_SIZE = 64 * 1024 * 1024

WATCHDOG_STREAM = "__watchdog"
# The host pings every 0.75 s and gives up after missing pings for a few seconds. A gap this long
# between two pings arriving, or an event this long to answer, is logged: it tells whether a
# "ping was missed" came from the host (late pings) or from this emulator (late answers).
SLOW_S = 1.5
WATCHDOG_RESET = b"\x01\x00\x00\x00"

# Events the device originates get ids far from the host's (which start at 11); only (id, type)
# pairs are matched, so this is for readability of captures, not correctness.
DEVICE_EVENT_ID_START = 0x100000


class EventType(IntEnum):
    """XLink event types; a response is its request + 8."""

    WRITE_REQ = 0
    READ_REQ = 1
    READ_REL_REQ = 2
    CREATE_STREAM_REQ = 3
    CLOSE_STREAM_REQ = 4
    PING_REQ = 5
    RESET_REQ = 6
    WRITE_RESP = 8
    READ_RESP = 9
    READ_REL_RESP = 10
    CREATE_STREAM_RESP = 11
    CLOSE_STREAM_RESP = 12
    PING_RESP = 13
    RESET_RESP = 14
    READ_REL_SPEC_REQ = 24
    READ_REL_SPEC_RESP = 25


@dataclass(frozen=True)
class Event:
    """One XLink event header (the timestamp is filled in when packed)."""

    id: int
    type: int
    stream_name: str = ""
    stream_id: int = 0
    size: int = 0
    flags: int = 0


def pack_event(event: Event, now_ns: int | None = None) -> bytes:
    """The 84 wire bytes of `event`, stamped with `now_ns` (monotonic by default)."""
    ns = time.monotonic_ns() if now_ns is None else now_ns
    seconds, nanos = divmod(ns, 1_000_000_000)
    return HEADER.pack(
        event.id,
        event.type,
        event.stream_name.encode("ascii", "replace")[: STREAM_NAME_SIZE - 1],
        nanos,
        seconds & 0xFFFFFFFF,
        (seconds >> 32) & 0xFFFFFFFF,
        event.stream_id & 0xFFFFFFFF,
        event.size & 0xFFFFFFFF,
        event.flags & 0xFFFFFFFF,
    )


def unpack_event(raw: bytes) -> Event:
    """Parse an 84-byte header; the stream name stops at its first NUL."""
    ev_id, ev_type, name, _ns, _lsb, _msb, stream_id, size, flags = HEADER.unpack(raw)
    return Event(
        id=ev_id,
        type=ev_type,
        stream_name=name.split(b"\0", 1)[0].decode("ascii", "replace"),
        stream_id=stream_id,
        size=size,
        flags=flags,
    )


def response_to(request: Event) -> Event:
    """The acknowledged response to a host request: same id, echoed stream and size."""
    return Event(
        id=request.id,
        type=request.type + 8,
        stream_name=request.stream_name,
        stream_id=request.stream_id,
        size=request.size,
        flags=FLAG_ACK,
    )


class LinkClosed(Exception):
    """The host connection is gone; whatever was in progress on it is abandoned."""


class _Stream:
    """Device-side view of one host-created stream."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.id: int | None = None
        self.inbound: collections.deque[bytes] = collections.deque()
        self.unreleased = 0  # packets the device wrote that the host has not released yet


class Link:
    """One XLink connection from a host, served from the device side.

    Run `serve()` in a thread of its own; it returns when the connection ends (host reset,
    host gone, `close()` or `drop()`). `read()` and `write()` are for the command thread.
    """

    def __init__(
        self,
        sock: socket.socket,
        on_watchdog_reset: Callable[[], None] | None = None,
        name: str = "",
    ) -> None:
        self._sock = sock
        self._name = name
        self._on_watchdog_reset = on_watchdog_reset
        self._send_lock = threading.Lock()
        self._cond = threading.Condition()
        self._streams: dict[str, _Stream] = {}
        self._by_id: dict[int, _Stream] = {}
        self._next_id = DEVICE_EVENT_ID_START
        self._closed = threading.Event()
        self.reset_requested = False
        self.last_watchdog: float | None = None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # -- state ------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once the connection has ended."""
        return self._closed.is_set()

    @property
    def closed_event(self) -> threading.Event:
        """Set when the connection ends; long waits in command handlers wait on it."""
        return self._closed

    def close(self) -> None:
        """End the connection in order (FIN): what a rebooting device's TCP stack does."""
        self._shutdown(hard=False)

    def drop(self) -> None:
        """End the connection abruptly (RST), as a cable pulled mid-transfer looks on loopback."""
        self._shutdown(hard=True)

    def _shutdown(self, hard: bool) -> None:
        with self._cond:
            if self._closed.is_set():
                return
            self._closed.set()
            self._cond.notify_all()
        try:
            if hard:
                # Linger 0 makes the final close send RST rather than wait politely.
                self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            # shutdown() wakes a thread blocked in recv() or sendall(); close() alone would not.
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        with self._send_lock:
            self._sock.close()

    # -- receive loop ------------------------------------------------------------------------

    def serve(self) -> None:
        """Answer the host's events until the connection ends."""
        try:
            while not self.closed:
                event = unpack_event(self._recv_exact(HEADER_SIZE))
                started = time.monotonic()
                self._handle(event)
                took = time.monotonic() - started
                if took > SLOW_S:
                    log.warning("%s: answering event %d took %.1f s", self._name, event.type, took)
        except (LinkClosed, OSError) as exc:
            log.debug("%s: link ended: %s", self._name, exc)
        finally:
            self.close()

    def _handle(self, event: Event) -> None:
        kind = event.type
        if kind == EventType.WRITE_REQ:
            if event.size > MAX_PACKET_SIZE:
                raise LinkClosed(f"packet of {event.size} bytes refused")
            payload = self._recv_exact(event.size)
            self._send(response_to(event))
            self._deliver(event.stream_id, payload)
        elif kind == EventType.READ_REL_REQ:
            self._send(response_to(event))
            with self._cond:
                stream = self._by_id.get(event.stream_id)
                if stream is not None and stream.unreleased > 0:
                    stream.unreleased -= 1
                    self._cond.notify_all()
        elif kind == EventType.CREATE_STREAM_REQ:
            with self._cond:
                stream = self._streams.setdefault(event.stream_name, _Stream(event.stream_name))
                stream.id = event.stream_id
                self._by_id[event.stream_id] = stream
                self._cond.notify_all()
            self._send(response_to(event))
        elif kind == EventType.CLOSE_STREAM_REQ:
            self._send(response_to(event))
            with self._cond:
                stream = self._by_id.pop(event.stream_id, None)
                if stream is not None:
                    stream.id = None
                    stream.unreleased = 0
                self._cond.notify_all()
        elif kind == EventType.PING_REQ:
            self._send(response_to(event))
        elif kind == EventType.RESET_REQ:
            self.reset_requested = True
            self._send(response_to(event))
            raise LinkClosed("host requested a reset")
        elif kind >= EventType.WRITE_RESP:
            pass  # the host's answers to the device's own requests: nothing to do
        else:
            log.debug("%s: ignoring event type %d", self._name, kind)

    def _deliver(self, stream_id: int, payload: bytes) -> None:
        with self._cond:
            stream = self._by_id.get(stream_id)
            if stream is None:
                log.debug("%s: write to unknown stream id %d dropped", self._name, stream_id)
                return
            if stream.name == WATCHDOG_STREAM:
                now = time.monotonic()
                if self.last_watchdog is not None and now - self.last_watchdog > SLOW_S:
                    log.warning(
                        "%s: no watchdog ping from the host for %.1f s",
                        self._name,
                        now - self.last_watchdog,
                    )
                self.last_watchdog = now
            else:
                stream.inbound.append(payload)
                self._cond.notify_all()
                return
        # Watchdog packets are consumed on the spot: nothing else would ever read them.
        self._release(stream_id, len(payload))
        if payload[:4] == WATCHDOG_RESET and self._on_watchdog_reset is not None:
            self._on_watchdog_reset()

    # -- command-thread API ------------------------------------------------------------------

    def read(self, stream_name: str, timeout: float | None = None) -> bytes:
        """Take the next packet the host wrote to `stream_name` and release it."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            stream = self._streams.setdefault(stream_name, _Stream(stream_name))
            while not stream.inbound:
                if self.closed:
                    raise LinkClosed("connection closed")
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError(f"no packet on {stream_name}")
                self._cond.wait(remaining)
            payload = stream.inbound.popleft()
            stream_id = stream.id
        if stream_id is not None:
            self._release(stream_id, len(payload))
        return payload

    def write(self, stream_name: str, data: bytes) -> None:
        """Send one packet to the host on a stream the host opened; waits for flow control."""
        with self._cond:
            stream = self._streams.setdefault(stream_name, _Stream(stream_name))
            while stream.id is None or stream.unreleased >= MAX_PACKETS_PER_STREAM:
                if self.closed:
                    raise LinkClosed("connection closed")
                self._cond.wait(0.5)
            stream.unreleased += 1
            event = Event(self._new_id(), EventType.WRITE_REQ, stream_name, stream.id, len(data))
        self._send(event, data)

    # -- plumbing ---------------------------------------------------------------------------

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _release(self, stream_id: int, size: int) -> None:
        with self._cond:
            event_id = self._new_id()
        self._send(Event(event_id, EventType.READ_REL_REQ, "", stream_id, size))

    def _send(self, event: Event, payload: bytes = b"") -> None:
        header = pack_event(event)
        with self._send_lock:
            if self.closed:
                raise LinkClosed("connection closed")
            try:
                self._sock.sendall(header + payload if len(payload) < 65536 else header)
                if len(payload) >= 65536:
                    self._sock.sendall(payload)
            except OSError as exc:
                raise LinkClosed(str(exc)) from exc

    def _recv_exact(self, size: int) -> bytes:
        buf = bytearray(size)
        view = memoryview(buf)
        got = 0
        while got < size:
            try:
                n = self._sock.recv_into(view[got:], min(size - got, 1 << 20))
            except OSError as exc:
                raise LinkClosed(str(exc)) from exc
            if n == 0:
                raise LinkClosed("host closed the connection")
            got += n
        return bytes(buf)
