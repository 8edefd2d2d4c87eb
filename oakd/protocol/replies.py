"""What the daemon answers and pushes about cameras, jobs, projects and logs, typed: one class
per shape, shared by every side (the daemon's own answers, hello, status and subscribe, are in
session.py).

The daemon builds these from its models (`DeviceInfo.of(device)`, ...) and the server writes
them with `to_wire`; the CLI and the TUI read them back with `from_wire` (through `read_reply`
and `read_event`), and so do the tests' stand-in daemons. A shape changes here and nowhere
else. How they are read and written is typed.py's.

`host` (on devices, jobs and projects) never goes on the wire: a client that shows several
daemons labels each reply with the daemon it came from (tui/hosts.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from oakd.core.devices import Device, DeviceState
from oakd.core.history import Build
from oakd.core.jobs import FINAL_STATES, Job, JobKind, JobPhase, JobState
from oakd.core.package import HASH_CHARS
from oakd.core.telemetry import AppLine, Health, HealthState
from oakd.protocol import (
    EVENT_APP_LOG,
    EVENT_DEVICE_ADDED,
    EVENT_DEVICE_CHANGED,
    EVENT_DEVICE_OFFLINE,
    EVENT_JOB_CHANGED,
    EVENT_JOB_PROGRESS,
    EVENT_LOG,
    EVENT_PROJECT_BUILD,
    EVENT_PROJECT_CHANGED,
)
from oakd.protocol.typed import CLIENT_SIDE, from_wire

# -- cameras -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BootloaderFacts:
    """What a connection to the bootloader read (or the version a flash reported)."""

    version: str | None = None
    embedded: bool | None = None
    flashed_version: str | None = None
    type: str | None = None
    user_bootloader: bool | None = None


@dataclass(frozen=True)
class MemoryFacts:
    """The camera's flash."""

    available: bool = False
    size: int = 0  # bytes; 0 when the bootloader does not say
    info: str = ""


@dataclass(frozen=True)
class ApplicationFacts:
    """The app in the camera's flash."""

    present: bool = False
    name: str | None = None
    firmware: str | None = None


@dataclass(frozen=True)
class NetworkFacts:
    """A written network config (the bootloader config's IPv4 part)."""

    static: bool = False
    address: str = ""
    mask: str = ""
    gateway: str = ""
    dns: str = ""
    mac: str = ""


@dataclass(frozen=True)
class Inspection:
    """What `oakd inspect` last read of a camera (parts a flash since updated included).

    `network` is None both when no config is written (DHCP, the factory default) and when it
    was never read: `network_read` tells them apart (on the wire: the key is there, or not)."""

    bootloader: BootloaderFacts | None = None
    memory: MemoryFacts | None = None
    application: ApplicationFacts | None = None
    network: NetworkFacts | None = None
    inspected_at: float | None = None
    network_read: bool = field(default=False, metadata=CLIENT_SIDE)

    def finish(self, data: Mapping[str, Any]) -> Inspection:
        """Read from the wire: note whether the network config was read."""
        return dataclasses.replace(self, network_read="network" in data)

    def omitted(self) -> set[str]:
        """Left off the wire: `network` when it was never read."""
        return set() if self.network_read else {"network"}


@dataclass(frozen=True)
class DeltaVerdict:
    """Does this camera store a package verbatim (proven by reading a full write back)?"""

    bootloader: str | None = None
    verbatim: bool = False
    at: float | None = None


@dataclass(frozen=True)
class HealthInfo:
    """How a camera's app is doing (core/telemetry.py HealthState and its words)."""

    state: HealthState
    since: float
    app: str | None = None  # the app last heard from
    expected: str | None = None  # the app oakd flashed, whose boot report it awaits
    last_heard: float | None = None
    lost: int = 0  # datagrams missing from the numbering
    last_crash: str | None = None  # the latest traceback

    @classmethod
    def of(cls, health: Health) -> HealthInfo:
        """A camera's health as the daemon answers it."""
        return cls(
            health.state,
            health.since,
            health.app,
            health.expected,
            health.last_heard,
            health.lost,
            health.last_crash,
        )

    def describe(self, now: float) -> str:
        """'alive 2 s', 'crash loop', 'no boot report', ..."""
        if self.state is HealthState.ALIVE and self.last_heard is not None:
            return f"alive {max(0.0, now - self.last_heard):.0f} s"
        return HEALTH_WORDS.get(self.state, self.state.value.replace("_", " "))


HEALTH_WORDS = {HealthState.NO_REPORT: "no boot report", HealthState.UNKNOWN: "-"}


@dataclass(frozen=True)
class AppLogLine:
    """One thing a camera's app reported (`logs`, and the app.log event)."""

    device: str
    at: float
    app: str
    seq: int
    kind: str  # boot, log, crash
    level: str = ""
    source: str = ""  # the Script's name
    text: str = ""

    @classmethod
    def of(cls, line: AppLine) -> AppLogLine:
        """A kept line as the daemon answers it."""
        return cls(
            line.device, line.at, line.app, line.seq, line.kind, line.level, line.source, line.text
        )


@dataclass(frozen=True)
class DeviceInfo:
    """A camera as the daemon knows it."""

    id: str  # MX ID
    address: str
    state: DeviceState
    online: bool
    first_seen: float
    last_seen: float
    alias: str | None = None
    flashed_hash: str | None = None  # the package oakd last flashed here (12 hex digits)
    flashed_app: str | None = None  # its application name: None when unknown or none
    flashed_at: float | None = None
    inspection: Inspection | None = None
    delta: DeltaVerdict | None = None
    write_unfinished: bool = False  # a write may be in flight, or did not finish
    health: HealthInfo | None = None  # None: nothing known of its app's health
    host: str = field(default="", metadata=CLIENT_SIDE)

    @classmethod
    def of(cls, device: Device) -> DeviceInfo:
        """The daemon's record of a camera, as it answers it."""
        inspection = None
        if device.inspection is not None:
            inspection = from_wire(Inspection, device.inspection, "inspection")
        verdict = None
        if device.delta_verdict:
            verdict = from_wire(DeltaVerdict, device.delta_verdict, "delta")
        return cls(
            id=device.id,
            address=device.address,
            state=device.state,
            online=device.online,
            first_seen=device.first_seen,
            last_seen=device.last_seen,
            alias=device.alias,
            flashed_hash=device.flashed_hash,
            flashed_app=device.flashed_app,
            flashed_at=device.flashed_at,
            inspection=inspection,
            delta=verdict,
            write_unfinished=device.flash_journal is not None,
            health=None
            if device.health.state is HealthState.UNKNOWN
            else HealthInfo.of(device.health),
        )

    @property
    def label(self) -> str:
        """What a person calls the camera: its alias, else its MX ID."""
        return self.alias or self.id

    @property
    def bootloader_version(self) -> str | None:
        """The bootloader version an inspection (or a flash) read, if any."""
        facts = self.inspection.bootloader if self.inspection else None
        return facts.version if facts else None

    @property
    def running_app(self) -> str | None:
        """The app the camera runs now: only a FLASH_BOOTED camera runs one."""
        if self.state is not DeviceState.FLASH_BOOTED:
            return None
        return self.flashed_app or "(unnamed app)"

    def delta_in_words(self) -> str:
        """Whether this camera gets delta flashes, in words."""
        if self.write_unfinished:
            return (
                "after a check: an earlier write did not finish, so the next flash reads the "
                "whole package back and writes what differs"
            )
        if self.delta is None:
            return "not proven yet (the next full write reads the package back)"
        said = "held" if self.delta.verbatim else "did not hold"
        answer = "yes" if self.delta.verbatim else "no"
        return f"{answer}: its flash {said} a package verbatim (bootloader {self.delta.bootloader})"


# -- jobs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobInfo:
    """One operation on one camera."""

    id: int
    device: str  # MX ID
    kind: JobKind
    state: JobState
    created: float
    phase: JobPhase | None = None
    progress: float = 0.0  # 0..1
    error: str | None = None
    error_code: str | None = None  # a failed job's ErrorCode value
    message: str | None = None  # the outcome in words, done and skipped included
    params: dict[str, Any] = field(default_factory=dict)
    started: float | None = None
    finished: float | None = None
    attempts: int = 0
    result: dict[str, Any] | None = None  # what a done job did (a flash: mode, bytes written)
    host: str = field(default="", metadata=CLIENT_SIDE)
    # The last job.progress's bytes (JobProgress.transfer), kept by a client that draws them.
    transfer: dict[str, Any] = field(default_factory=dict, metadata=CLIENT_SIDE)

    @classmethod
    def of(cls, job: Job) -> JobInfo:
        """A job as the daemon answers it."""
        return cls(
            id=job.id,
            device=job.device,
            kind=job.kind,
            state=job.state,
            created=job.created,
            phase=job.phase,
            progress=job.progress,
            error=job.error,
            error_code=job.error_code,
            message=job.message,
            params=job.params,
            started=job.started,
            finished=job.finished,
            attempts=job.attempts,
            result=job.result,
        )

    @property
    def final(self) -> bool:
        """No further change will happen to this job."""
        return self.state in FINAL_STATES


@dataclass(frozen=True)
class JobProgress:
    """A job.progress event: at most 10 a second per job."""

    id: int
    device: str
    progress: float
    phase: JobPhase | None = None
    bytes_done: int | None = None
    bytes_total: int | None = None
    bytes_per_s: float | None = None
    eta_s: float | None = None

    @property
    def transfer(self) -> dict[str, Any]:
        """The bytes part, as core/transfer.describe reads it ({} before a write)."""
        fields = ("bytes_done", "bytes_total", "bytes_per_s", "eta_s")
        return {name: getattr(self, name) for name in fields if getattr(self, name) is not None}


# -- projects and builds --------------------------------------------------------------------


@dataclass(frozen=True)
class BuildFailure:
    """Why a build failed: its kind (oakd/build/errors.FailureKind) and the user's traceback."""

    kind: str
    message: str
    traceback: str = ""


@dataclass(frozen=True)
class BuildSummary:
    """What one build of a watched project did."""

    ok: bool
    unchanged: bool = False
    outcome: str = ""
    fingerprint: str | None = None
    app_name: str | None = None
    size: int | None = None
    error: BuildFailure | None = None
    output: str = ""  # what the user's code printed (bounded)
    durations: dict[str, float] = field(default_factory=dict)
    flashed: list[str] = field(default_factory=list)  # the cameras it was queued to
    note: str = ""  # what came of it, in words
    finished: float | None = None

    @property
    def failed(self) -> bool:
        """A finished build that did not produce a package."""
        return not self.ok

    @property
    def short_hash(self) -> str | None:
        """The package's hash as a camera's record carries it."""
        return self.fingerprint[:HASH_CHARS] if self.fingerprint else None


@dataclass(frozen=True)
class ProjectInfo:
    """A watched project, where it goes, and how its last build went."""

    path: str
    entry: str = "pipeline.py"
    devices: list[str] = field(default_factory=list)  # as the project names them (alias or ID)
    compress: bool = True
    source: str = "runtime"  # "config" or "runtime" (oakd watch)
    ignore: list[str] = field(default_factory=list)
    state: str = "idle"  # idle, building, ok, failed, missing, unwatched
    last_build: BuildSummary | None = None
    host: str = field(default="", metadata=CLIENT_SIDE)

    def runs_last_build(self, device: DeviceInfo | None) -> bool | None:
        """Does the camera run this project's last good build, as oakd's record of it says?
        None when that cannot be told (no good build yet, or a camera not known). After a
        reset or a clear (or a flash by hand) it does not, and the project's "ok" would hide
        that: clients show such a camera out of sync and offer the flash; oakd does not
        re-flash it by itself, since whoever reset or cleared it may have meant to."""
        build_ = self.last_build
        if device is None or build_ is None or not build_.ok or not build_.short_hash:
            return None
        return device.flashed_hash == build_.short_hash

    def out_of_sync(self, devices: Mapping[str, DeviceInfo]) -> list[str]:
        """The project's cameras (as it names them) that do not run its last good build;
        `devices` by MX ID, a camera named by alias found by its alias."""
        by_alias = {d.alias: d for d in devices.values() if d.alias}
        return [
            ref
            for ref in self.devices
            if self.runs_last_build(devices.get(ref) or by_alias.get(ref)) is False
        ]


OUT_OF_SYNC = "out of sync"  # a project's state, as clients show it, when out_of_sync says so


@dataclass(frozen=True)
class ProjectBuilt:
    """A project.build event: one finished build."""

    project: str
    result: BuildSummary


@dataclass(frozen=True)
class BuildInfo:
    """One good build of a project, as recorded (`builds`)."""

    project: str
    finished: float
    app_name: str
    hash: str
    package: str
    size: int
    changed: list[str] = field(default_factory=list)  # sections that differ from the build before

    @classmethod
    def of(cls, recorded: Build) -> BuildInfo:
        """A recorded build as `builds` answers it."""
        return cls(
            project=recorded.project,
            finished=recorded.finished,
            app_name=recorded.app_name,
            hash=recorded.fingerprint,
            package=recorded.package,
            size=recorded.size,
            changed=list(recorded.changed),
        )


# -- logs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogLine:
    """A log event."""

    level: str
    source: str
    message: str


EVENTS: dict[str, Any] = {  # each event's data, typed (read_event)
    EVENT_DEVICE_ADDED: DeviceInfo,
    EVENT_DEVICE_CHANGED: DeviceInfo,
    EVENT_DEVICE_OFFLINE: DeviceInfo,
    EVENT_JOB_CHANGED: JobInfo,
    EVENT_JOB_PROGRESS: JobProgress,
    EVENT_PROJECT_CHANGED: ProjectInfo,
    EVENT_PROJECT_BUILD: ProjectBuilt,
    EVENT_LOG: LogLine,
    EVENT_APP_LOG: AppLogLine,
}
