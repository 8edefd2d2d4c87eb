"""Jobs: every device operation is one, in one persistent queue."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from oakd.core.package import APP_OFFSET, HEADER_SIZE
from oakd.errors import ErrorCode, OakdError


class JobKind(str, Enum):
    """What a job does to its camera."""

    FLASH_PACKAGE = "flash_package"
    FLASH_PROJECT = "flash_project"
    FACTORY_RESET = "factory_reset"
    CLEAR_APP = "clear_app"
    CLEAR_CONFIG = "clear_config"
    NETWORK_CONFIG = "network_config"
    BOOTLOADER_UPDATE = "bootloader_update"


class JobState(str, Enum):
    """Where a job is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"  # the camera already runs exactly this package
    INTERRUPTED = "interrupted"  # the daemon died while it ran

    @property
    def final(self) -> bool:
        """No further change will happen."""
        return self in FINAL_STATES


FINAL_STATES = frozenset(
    {JobState.DONE, JobState.FAILED, JobState.CANCELLED, JobState.SKIPPED, JobState.INTERRUPTED}
)


class JobPhase(str, Enum):
    """What a running job is doing."""

    CONNECTING = "connecting"
    COMPARING = "comparing"  # reading the camera's flash to plan a delta
    WRITING = "writing"
    VERIFYING = "verifying"


@dataclass
class Job:
    """One operation on one camera."""

    id: int
    device: str  # MX ID
    kind: JobKind
    state: JobState
    created: float
    params: dict[str, Any] = field(default_factory=dict)
    phase: JobPhase | None = None
    progress: float = 0.0
    error: str | None = None
    message: str | None = None  # the outcome in words, for done/skipped too
    started: float | None = None
    finished: float | None = None
    attempts: int = 0
    result: dict[str, Any] | None = None  # what a done job did (a flash: mode, bytes written)
    error_code: str | None = None  # a failed job's ErrorCode value, for scripts

    def params_json(self) -> str:
        """Params as stored in SQLite."""
        return json.dumps(self.params, sort_keys=True)


# How long a device operation may take before its worker is killed: generous, since a hang is
# the only thing it is for. Writes are allowed a fifth of a NOR flash's 0.5 MB/s.
SLOWEST_WRITE_BPS = 100_000
SLOWEST_READ_BPS = 1_000_000
FIXED_S = 120.0  # connecting (depthai waits up to 15 s for a reboot), rebooting, coming back
WRITTEN = {  # bytes each non-flash job writes at the most
    JobKind.FACTORY_RESET: APP_OFFSET + HEADER_SIZE,  # all below the app, and its header
    JobKind.BOOTLOADER_UPDATE: 4 * 1024 * 1024,
    JobKind.CLEAR_APP: 64 * 1024,
    JobKind.CLEAR_CONFIG: 16 * 1024,
    JobKind.NETWORK_CONFIG: 16 * 1024,
}


def deadline_s(kind: JobKind, params: dict[str, Any]) -> float:
    """Seconds a job's device operation may run before it counts as hung."""
    size = int(params.get("size", 0)) if kind in FLASHES else WRITTEN[kind]
    return FIXED_S + size / SLOWEST_WRITE_BPS + size / SLOWEST_READ_BPS


def flash_params(
    package: str,
    digest: str,
    app_name: str | None,
    size: int,
    source: str,
    force: bool,
    full: bool,
    telemetry: bool = False,
) -> dict[str, Any]:
    """The params of a flash job: which package, what it will be called on the camera, and how
    to write it (`force`: even on an old bootloader; `full`: never a delta); `telemetry`: the
    package reports its boot, so the job waits for that report."""
    params: dict[str, Any] = {
        "package": package,
        "hash": digest,
        "app_name": app_name,
        "size": size,
        "source": source,
        "force": force,
        "full": full,
    }
    if telemetry:
        params["telemetry"] = True
    return params


class JobConflict(OakdError):
    """A change the job's state does not allow (cancelling a running write, say)."""

    code = ErrorCode.BUSY


DESTRUCTIVE = frozenset(
    {
        JobKind.FACTORY_RESET,
        JobKind.CLEAR_APP,
        JobKind.CLEAR_CONFIG,
        JobKind.NETWORK_CONFIG,
        JobKind.BOOTLOADER_UPDATE,
    }
)
FLASHES = frozenset({JobKind.FLASH_PACKAGE, JobKind.FLASH_PROJECT})


class Loss(str, Enum):
    """Something on a camera that a destructive job erases or replaces."""

    APP = "the flashed app"
    NETWORK = "network settings"  # the bootloader config, where the network settings live
    USER_BOOTLOADER = "the user bootloader"
    BOOTLOADER = "the bootloader"


# What each destructive job takes away: the facts the TUI's dialogs list camera by camera.
ERASES: dict[JobKind, tuple[Loss, ...]] = {
    JobKind.FACTORY_RESET: (Loss.APP, Loss.NETWORK, Loss.USER_BOOTLOADER),
    JobKind.CLEAR_APP: (Loss.APP,),
    JobKind.CLEAR_CONFIG: (Loss.NETWORK,),
    JobKind.NETWORK_CONFIG: (Loss.NETWORK,),
    JobKind.BOOTLOADER_UPDATE: (Loss.BOOTLOADER,),
}

# The same in a sentence, with what follows from it, for the API's and the CLI's refusals.
LOSSES = {
    JobKind.FACTORY_RESET: "rewrites the bootloader and erases the flashed app, the user "
    "bootloader and the config (network settings)",
    JobKind.CLEAR_APP: "erases the flashed app: the camera stays in its bootloader",
    JobKind.CLEAR_CONFIG: "erases the bootloader config: static IP and other network settings",
    JobKind.NETWORK_CONFIG: "replaces the network settings: wrong ones make the camera "
    "unreachable until it is opened up",
    JobKind.BOOTLOADER_UPDATE: "rewrites the bootloader: a power cut during the write can brick "
    "the camera",
}


class JobQueue:
    """The queue's rules, without I/O: who runs next, what supersedes what, what may cancel.

    One job at a time per camera; jobs on different cameras run in parallel up to a limit;
    within a camera, oldest first.
    """

    def __init__(self, jobs: list[Job] | None = None) -> None:
        self.jobs: dict[int, Job] = {j.id: j for j in jobs or []}

    def add(self, job: Job, now: float) -> list[Job]:
        """Queue `job`; return the queued flashes of the same camera it supersedes."""
        superseded = []
        if job.kind in FLASHES:
            for old in self.jobs.values():
                if (
                    old.device == job.device
                    and old.kind in FLASHES
                    and old.state is JobState.QUEUED
                ):
                    finish(old, JobState.CANCELLED, now, message=f"superseded by job {job.id}")
                    superseded.append(old)
        self.jobs[job.id] = job
        return superseded

    def running(self) -> list[Job]:
        """Jobs that are running now."""
        return [j for j in self.jobs.values() if j.state is JobState.RUNNING]

    def runnable(
        self, parallel: int, also_busy: set[str] | frozenset[str] = frozenset()
    ) -> list[Job]:
        """The jobs to start now: the oldest queued job of each idle camera, within the limit.
        `also_busy` names cameras held by something that is not a job (an inspection)."""
        busy = {j.device for j in self.running()} | set(also_busy)
        room = parallel - len(busy)
        chosen: list[Job] = []
        for job in sorted(self.jobs.values(), key=lambda j: j.id):
            if room <= 0:
                break
            if job.state is JobState.QUEUED and job.device not in busy:
                busy.add(job.device)
                chosen.append(job)
                room -= 1
        return chosen

    def active_on(self, device: str) -> Job | None:
        """The job running on `device`, if any."""
        return next((j for j in self.running() if j.device == device), None)

    def cancel(self, job_id: int, now: float) -> Job:
        """Cancel a queued job. A running write is never torn off mid-way."""
        job = self.jobs.get(job_id)
        if job is None:
            raise KeyError(job_id)
        if job.state is JobState.RUNNING:
            raise JobConflict(
                f"job {job_id} is already {job.phase.value if job.phase else 'running'} on "
                f"{job.device}; a running write is never torn off mid-way (the camera would be "
                "left without an app): wait for it to end"
            )
        if job.state.final:
            raise JobConflict(f"job {job_id} has already ended ({job.state.value})")
        finish(job, JobState.CANCELLED, now, message="cancelled")
        return job

    def forget_finished(self, keep: int = 500) -> None:
        """Drop old finished jobs from memory (they stay in the store's history)."""
        finished = sorted((j for j in self.jobs.values() if j.state.final), key=lambda j: j.id)
        for job in finished[: max(0, len(finished) - keep)]:
            del self.jobs[job.id]


def start(job: Job, now: float) -> None:
    """queued -> running."""
    if job.state is not JobState.QUEUED:
        raise JobConflict(f"job {job.id} is {job.state.value}, not queued")
    job.state, job.started, job.phase = JobState.RUNNING, now, JobPhase.CONNECTING
    job.attempts += 1


def finish(
    job: Job,
    state: JobState,
    now: float,
    *,
    message: str | None = None,
    error: str | None = None,
    code: ErrorCode | None = None,
) -> None:
    """Into a final state, with what happened in words (and, for an error, its code)."""
    if job.state.final:
        raise JobConflict(f"job {job.id} has already ended ({job.state.value})")
    job.state, job.finished, job.phase = state, now, None
    job.message, job.error = message, error
    job.error_code = (code or ErrorCode.INTERNAL).value if error else None
    if state is JobState.DONE:
        job.progress = 1.0


def recover(job: Job) -> None:
    """After a crash: a job that was running is interrupted and queued again, once.

    A flash rewrites the whole application region, so redoing it is safe."""
    if job.state is not JobState.RUNNING:
        return
    times = int(job.params.get("interrupted", 0)) + 1
    job.params["interrupted"] = times
    job.phase, job.progress, job.started = None, 0.0, None
    if times > 1:
        job.state = JobState.INTERRUPTED
        job.message = None  # not "queued again", as the first interruption said
        job.error = "interrupted twice by a daemon restart; not retried again: queue it anew"
        job.error_code = ErrorCode.INTERRUPTED.value
    else:
        job.state = JobState.QUEUED
        job.message = "interrupted by a daemon restart; queued again"
