"""What a standalone app says about itself: the datagrams, and a camera's app health.

Pure. The builder puts a Script node on the camera that sends these (build/telemetry.py), the
emulator runs it (emulator/app.py), and the daemon reads them (services/telemetry.py).

A datagram is UTF-8 text of at most MAX_DATAGRAM bytes:

    oakd1 <seq> <kind> <app>\\n<body>

`seq` counts from 1 at each boot, so that a gap shows a loss; `kind` is one of KINDS; `app`
is the application name the package was built with (name@hash). A `log` or `crash` body is
`<level>\\t<source>\\t<text>` (source: the Script's name); `boot` and `beat` have none.

Health, per camera, from what oakd flashed and what arrives:

    flash done ──▶ FLASHED ──boot of the expected app──▶ BOOTED ──beat──▶ ALIVE
                      │ nothing in boot_timeout_s          │ nothing for SILENT_AFTER beats
                      ▼                                    ▼
                  NO_REPORT                              SILENT
    a crash within CRASH_AT_BOOT_S of a boot, or CRASH_LOOP_BOOTS boots in CRASH_WINDOW_S:
    CRASH_LOOP (until CRASH_WINDOW_S pass with beats and no boot)
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from enum import Enum

MAGIC = "oakd1"
MAX_DATAGRAM = 1200  # bytes: one unfragmented UDP payload on any Ethernet path
MAX_TEXT = MAX_DATAGRAM - 200  # of a log line's text, cut by the sender
KINDS = ("boot", "beat", "log", "crash")
LEVELS = ("trace", "debug", "info", "warn", "error", "critical")
DEFAULT_PORT = 11497  # UDP, on the daemon; 11490/11491 are XLink's
HEARTBEAT_S = 2.0
SILENT_AFTER = 3  # heartbeats missed
CRASH_AT_BOOT_S = 15.0  # a traceback this soon after a boot: the app cannot start
CRASH_WINDOW_S = 60.0
CRASH_LOOP_BOOTS = 3
MAX_LOG_LINES = 100_000  # kept per camera at the most ([telemetry] log_lines), and asked for
_APP = re.compile(r"^[A-Za-z0-9._@-]{1,80}$")


class TelemetryError(ValueError):
    """A datagram that is not one of ours; `reason` is what the daemon counts it under."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Datagram:
    """One datagram, read."""

    seq: int
    kind: str
    app: str
    level: str = ""
    source: str = ""
    text: str = ""


def encode(
    seq: int, kind: str, app: str, level: str = "", source: str = "", text: str = ""
) -> bytes:
    """A datagram as the camera's Script sends it (the emulator's tests and the builder's
    script follow this; it is the one definition of the format)."""
    head = f"{MAGIC} {seq} {kind} {app}\n"
    body = f"{level}\t{source}\t{text}" if kind in ("log", "crash") else ""
    return (head + body).encode()[:MAX_DATAGRAM]


def parse(data: bytes) -> Datagram:
    """Read a datagram; TelemetryError says why it is not one."""
    if len(data) > MAX_DATAGRAM:
        raise TelemetryError("oversized")
    try:
        text = data.decode()
    except UnicodeDecodeError:
        raise TelemetryError("malformed") from None
    head, _, body = text.partition("\n")
    parts = head.split(" ")
    if len(parts) != 4 or parts[0] != MAGIC:
        raise TelemetryError("malformed")
    _, seq_text, kind, app = parts
    if not seq_text.isdigit() or len(seq_text) > 12 or kind not in KINDS or not _APP.match(app):
        raise TelemetryError("malformed")
    if kind in ("boot", "beat"):
        return Datagram(int(seq_text), kind, app)
    level, _, rest = body.partition("\t")
    source, _, line = rest.partition("\t")
    if level not in LEVELS:
        raise TelemetryError("malformed")
    return Datagram(int(seq_text), kind, app, level, source[:80], line)


@dataclass(frozen=True)
class AppLine:
    """One thing a camera's app reported, as the daemon keeps it: a boot, a log line, a
    crash (heartbeats are not kept)."""

    device: str  # MX ID
    at: float  # when the daemon received it
    app: str
    seq: int
    kind: str  # boot, log, crash
    level: str = ""
    source: str = ""
    text: str = ""


class HealthState(str, Enum):
    """How a camera's app is doing, as its telemetry says."""

    UNKNOWN = "unknown"  # nothing flashed by oakd with telemetry, nothing heard
    FLASHED = "flashed"  # written; its boot report is awaited
    NO_REPORT = "no_report"  # flashed, but its app never reported booting
    BOOTED = "booted"
    ALIVE = "alive"
    SILENT = "silent"  # it was heard, and heartbeats stopped
    CRASH_LOOP = "crash_loop"


@dataclass
class Health:
    """One camera's app health; every method takes the time (seconds, wall clock)."""

    state: HealthState = HealthState.UNKNOWN
    expected: str | None = None  # the app oakd flashed, when it expects a boot report
    app: str | None = None  # the app last heard from
    since: float = 0.0  # when `state` began
    flashed_at: float | None = None
    last_heard: float | None = None
    last_seq: int = 0
    lost: int = 0  # datagrams missing from the numbering
    last_crash: str | None = None  # the latest traceback
    boots: deque[float] = field(default_factory=lambda: deque(maxlen=CRASH_LOOP_BOOTS))
    last_boot: float | None = None

    def flashed(self, app: str, now: float, booted: bool = False) -> None:
        """oakd wrote `app` and saw the camera come back with it. `booted`: its boot report
        came already, while the write's result was on its way, and what came since (a crash
        loop, say) is the new app's and stands."""
        self.expected, self.flashed_at = app, now
        if booted:
            if self.state in (HealthState.UNKNOWN, HealthState.FLASHED, HealthState.NO_REPORT):
                self._go(HealthState.BOOTED, now)
            return
        self.boots.clear()
        self.last_crash = None
        self._go(HealthState.FLASHED, now)

    def heard(self, datagram: Datagram, now: float) -> bool:
        """A datagram from this camera; True when the state changed."""
        before = self.state
        if self.app is not None and datagram.app != self.app:
            # Another app (flashed since): what the one before did is not this one's.
            self.boots.clear()
            self.last_crash, self.last_seq, self.lost = None, 0, 0
            if self.state is HealthState.CRASH_LOOP:
                self._go(HealthState.BOOTED, now)
        if datagram.kind == "boot" or datagram.seq < self.last_seq:
            self._booted(datagram, now)
        elif datagram.seq > self.last_seq + 1:
            self.lost += datagram.seq - self.last_seq - 1
        self.last_seq = datagram.seq
        self.last_heard = now
        self.app = datagram.app
        if datagram.kind == "crash":
            self.last_crash = datagram.text
            early = self.last_boot is not None and now - self.last_boot <= CRASH_AT_BOOT_S
            if early:
                self._go(HealthState.CRASH_LOOP, now)
        elif datagram.kind != "boot" and self.state in (HealthState.BOOTED, HealthState.SILENT):
            self._go(HealthState.ALIVE, now)
        elif self.state in (HealthState.FLASHED, HealthState.NO_REPORT, HealthState.UNKNOWN):
            self._go(HealthState.BOOTED, now)
        if self.state is HealthState.CRASH_LOOP and self._loop_over(now):
            self._go(HealthState.ALIVE, now)
        return self.state is not before

    def tick(self, now: float, boot_timeout_s: float, heartbeat_s: float = HEARTBEAT_S) -> bool:
        """Time passes; True when the state changed."""
        before = self.state
        quiet = self.last_heard is None or now - self.last_heard > SILENT_AFTER * heartbeat_s
        if self.state is HealthState.FLASHED and self.flashed_at is not None:
            if now - self.flashed_at > boot_timeout_s:
                self._go(HealthState.NO_REPORT, now)
        elif self.state in (HealthState.BOOTED, HealthState.ALIVE) and quiet:
            self._go(HealthState.SILENT, now)
        return self.state is not before

    def forget(self, now: float) -> None:
        """The app is gone (cleared, reset, or flashed without telemetry)."""
        self.expected = self.app = None
        self._go(HealthState.UNKNOWN, now)

    def _booted(self, datagram: Datagram, now: float) -> None:
        self.boots.append(now)
        self.last_boot = now
        self.last_seq = 0
        looping = len(self.boots) == CRASH_LOOP_BOOTS and now - self.boots[0] <= CRASH_WINDOW_S
        if looping:
            self._go(HealthState.CRASH_LOOP, now)
        elif self.state is not HealthState.CRASH_LOOP:
            self._go(HealthState.BOOTED, now)

    def _loop_over(self, now: float) -> bool:
        return self.last_boot is not None and now - self.last_boot > CRASH_WINDOW_S

    def _go(self, state: HealthState, now: float) -> None:
        if state is not self.state:
            self.state, self.since = state, now
