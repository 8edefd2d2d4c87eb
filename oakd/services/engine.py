"""The flash engine: every device operation is a job in one persistent queue.

The rules live in oakd.core.jobs (pure); this service does the I/O: the store, the events,
and the device workers that run depthai. One job at a time per camera; cameras in parallel up
to flash.parallel; transient failures retried with backoff; progress events at most ~10 per
second per job, and the final state always.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oakd.build.cache import PackageCache
from oakd.build.limits import short_size
from oakd.config import Config
from oakd.core import jobs as rules
from oakd.core.devices import Device, DeviceState
from oakd.core.jobs import DESTRUCTIVE, LOSSES, Job, JobKind, JobPhase, JobQueue, JobState
from oakd.core.package import (
    MAX_PACKAGE_SIZE,
    PackageError,
    inspect_package,
    named_with_hash,
    parse_app_name,
)
from oakd.core.registry import DeviceRegistry
from oakd.core.telemetry import HealthState
from oakd.core.transfer import Transfer
from oakd.core.versions import Version
from oakd.errors import ErrorCode, OakdError
from oakd.protocol import EVENT_DEVICE_CHANGED, EVENT_JOB_CHANGED, EVENT_JOB_PROGRESS
from oakd.protocol.replies import DeviceInfo, JobInfo, JobProgress
from oakd.protocol.requests import needs_confirmation
from oakd.services.bus import EventBus
from oakd.services.store import Store
from oakd.services.telemetry import TelemetryService
from oakd.services.workers import WorkerPool
from oakd.tasks import TaskSet, wait_any
from oakd.worker.contract import OP_FOR_JOB, DeviceError, DeviceParams, Op, bootloader_too_old

log = logging.getLogger(__name__)

# After a job, a discovery scan that was already on the wire may still see the camera in its
# bootloader; for this long such a sighting is taken as oakd's own doing.
QUIET_AFTER_S = 2.0
PROGRESS_EVERY_S = 0.1  # at most ~10 progress events a second per job
BACKOFF_S = (1.0, 2.0, 4.0, 8.0)
WRITE_FACTS = ("mode", "written", "total", "reason", "repair")  # what a flash job's result keeps


# What a done job that is not a flash says it did (job.message).
DONE_MESSAGES = {
    JobKind.FACTORY_RESET: "reset: the camera waits in its bootloader",
    JobKind.CLEAR_APP: "app erased: the camera waits in its bootloader",
    JobKind.CLEAR_CONFIG: "config erased: network settings back to DHCP",
    JobKind.NETWORK_CONFIG: "network config written",
    JobKind.BOOTLOADER_UPDATE: "bootloader written",
}


def _seen_app(device: Device, name: str | None) -> None:
    """A write oakd verified: an earlier inspection's app section says so too, so that
    `devices --json` never shows an app the camera no longer has."""
    if device.inspection is not None:
        present = name is not None
        device.inspection["application"] = {"present": present, "name": name, "firmware": None}


def describe_write(result: dict[str, Any]) -> str:
    """'delta: 257 KiB of 10.25 MiB written' or 'full write: <reason>'."""
    if result.get("mode") == "delta":
        after = "; an unfinished write read back" if result.get("repair") else ""
        written = f"{short_size(result['written'])} of {short_size(result['total'])} written"
        return f"delta: {written}{after}"
    reason = result.get("reason")
    return f"full write{': ' + reason if reason else ''}"


def read_package_file(path: Path) -> bytes:
    """The bytes of a .dap file; only a regular file no larger than any package can be, so that
    a FIFO, a device or a huge file is refused before anything is read (call it off the event
    loop: it reads up to tens of MB)."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; a regular file ignores it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise refused(f"cannot read the package {path}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise refused(
                f"{path} is not a regular file (a FIFO, a device or a directory?); give the "
                "path of a .dap package file"
            )
        if info.st_size > MAX_PACKAGE_SIZE:
            raise refused(
                f"{path} has {short_size(info.st_size)}, more than any camera's application "
                f"region ({short_size(MAX_PACKAGE_SIZE)}): it is not a package a camera can hold"
            )
        return file.read(MAX_PACKAGE_SIZE + 1)


def refused(message: str) -> OakdError:
    """A preflight refusal: nothing was written."""
    return OakdError(message, ErrorCode.REFUSED)


class FlashEngine:
    """Queues, runs and records device operations."""

    def __init__(
        self,
        store: Store,
        bus: EventBus,
        registry: DeviceRegistry,
        config: Callable[[], Config],
        pool: WorkerPool,
        packages: PackageCache,
        after_job: Callable[[], None] = lambda: None,
        telemetry: TelemetryService | None = None,
    ) -> None:
        self.store = store
        self.telemetry = telemetry  # hears the boot reports of what is flashed
        self.bus = bus
        self.registry = registry
        self.config = config
        self.pool = pool
        self.packages = packages
        self.after_job = after_job  # e.g. ask discovery to look again
        self.queue = JobQueue()
        self._inspecting: set[str] = set()  # cameras being inspected: no job starts on them
        self._touched: dict[str, float] = {}  # camera -> when oakd last finished working on it
        self._wake = asyncio.Event()
        self._running = TaskSet()
        self._recover()

    # -- start-up

    def _recover(self) -> None:
        """Load unfinished jobs; a job that was running when the daemon died is requeued once."""
        for job in reversed(self.store.jobs([JobState.QUEUED, JobState.RUNNING], limit=100000)):
            if job.state is JobState.RUNNING:
                rules.recover(job)
                self.store.save_job(job)
                self.store.record(
                    "interrupted", "the daemon stopped while this job ran", job.device, job.id
                )
                log.warning("job %s was interrupted by a restart: %s", job.id, job.state.value)
            if job.state is JobState.QUEUED:
                self.queue.jobs[job.id] = job

    # -- the API's entry points

    def submit(
        self, kind: JobKind, device_ref: str, params: dict[str, Any], confirm: bool = False
    ) -> Job:
        """Check, queue and announce one job; errors say what to do instead."""
        device = self.check(kind, device_ref, params, confirm)
        job = self.store.add_job(device.id, kind, params)
        for old in self.queue.add(job, time.time()):
            self._save(old)
        self.store.record("queued", f"{kind.value} queued", device.id, job.id)
        self._publish(job)
        self._wake.set()
        return job

    def check(
        self, kind: JobKind, device_ref: str, params: dict[str, Any], confirm: bool = False
    ) -> Device:
        """Everything `submit` refuses, without queueing: check all cameras first, then submit,
        and a request for several cameras is all or nothing."""
        device = self.registry.resolve(device_ref)
        if kind in DESTRUCTIVE and not confirm:
            raise OakdError(
                needs_confirmation(
                    f"this {kind.value.replace('_', ' ')} on camera {device.id} {LOSSES[kind]}"
                ),
                ErrorCode.CONFIRMATION_REQUIRED,
            )
        self._preflight(device)
        if kind in rules.FLASHES and not params.get("force"):
            self._check_known_bootloader(device)
        return device

    def prepare_package(self, path: Path, force: bool, full: bool = False) -> dict[str, Any]:
        """Read a .dap file, check it can boot, give it an app name carrying its hash, and
        keep it in the package cache. Returns the flash job's params."""
        data = read_package_file(path)
        try:
            named, digest = named_with_hash(data, path.stem)
            info = inspect_package(named)
        except PackageError as exc:
            raise refused(f"{path}: {exc}") from None
        stored = self.packages.lookup(digest) or self.packages.store(
            digest, lambda temp: temp.write_bytes(named)
        )
        return rules.flash_params(
            str(stored), digest, info.app_name, info.size, str(path), force, full
        )

    def cancel(self, job_id: int) -> Job:
        """Cancel a queued job."""
        try:
            job = self.queue.cancel(job_id, time.time())
        except KeyError:
            stored = self.store.job(job_id)
            if stored is None:
                raise OakdError(
                    f"no job {job_id}; `oakd jobs` lists them", ErrorCode.NOT_FOUND
                ) from None
            raise OakdError(
                f"job {job_id} has already ended ({stored.state.value})", ErrorCode.BUSY
            ) from None
        self._save(job)
        return job

    async def inspect(self, device_ref: str, yes: bool) -> Device:
        """Read a camera's details in a worker and keep them; never during a job on it."""
        device = self.registry.resolve(device_ref)
        self._preflight(device)
        if device.state is DeviceState.FLASH_BOOTED and not yes:
            raise OakdError(
                needs_confirmation(
                    f"camera {device.id} is running its app: inspecting it reboots it into the "
                    "bootloader, which stops the app until the camera restarts it",
                    "yes",
                ),
                ErrorCode.CONFIRMATION_REQUIRED,
            )
        job = self.queue.active_on(device.id)
        if job is not None or device.id in self._inspecting:
            what = f"job {job.id}" if job else "another inspection"
            raise OakdError(
                f"camera {device.id} is busy with {what}; try again when it ends", ErrorCode.BUSY
            )
        self._inspecting.add(device.id)
        try:
            async with self.pool.worker() as worker:
                params: DeviceParams = {
                    "address": device.address,
                    "mxid": device.id,
                    "min_bootloader": self.config().flash.min_bootloader,
                }
                # A DeviceError reaches the client with its own code (device_unreachable, ...).
                details = await worker.call(Op.INSPECT, params)
        finally:
            self._touched[device.id] = time.monotonic()
            self._inspecting.discard(device.id)
            self._wake.set()
            self.after_job()
        device.inspection = details
        # What the camera said is the newest fact about its app: it replaces oakd's record.
        app = details.get("application") or {}
        name = app.get("name") if app.get("present") else None
        parsed = parse_app_name(name) if name else None
        device.flashed_app, device.flashed_hash = name, parsed[1] if parsed else None
        self.store.upsert_device(device)
        self.bus.publish(EVENT_DEVICE_CHANGED, DeviceInfo.of(device))
        return device

    def packages_in_use(self) -> set[Path]:
        """Packages that queued or running jobs still need, and those cameras hold (the base
        of their next delta): never pruned from the cache."""
        queued = {
            Path(job.params["package"])
            for job in self.queue.jobs.values()
            if not job.state.final and "package" in job.params
        }
        devices = self.registry.devices.values()
        held = {Path(d.flashed_package) for d in devices if d.flashed_package}
        return queued | held

    def busy(self, device: str) -> bool:
        """oakd is working on this camera, or just was (see QUIET_AFTER_S)."""
        if self.queue.active_on(device) or device in self._inspecting:
            return True
        return time.monotonic() - self._touched.get(device, -QUIET_AFTER_S) < QUIET_AFTER_S

    # -- the loop

    async def run(self, stop: asyncio.Event) -> None:
        """Start runnable jobs whenever something changes; at stop, let running writes end."""
        while not stop.is_set():
            for job in self.queue.runnable(self.config().flash.parallel, self._inspecting):
                rules.start(job, time.time())
                self._save(job)
                self._running.start(self._run(job), name=f"job {job.id}")
            self._wake.clear()
            await wait_any([stop, self._wake], timeout=5)
        # Never tear a write off: give running jobs time to end, then stop the rest.
        await self._running.join(timeout=60)

    async def _run(self, job: Job) -> None:
        try:
            await self._attempts(job)
        except OakdError as exc:
            rules.finish(job, JobState.FAILED, time.time(), error=exc.message, code=exc.code)
        except Exception as exc:  # a bug must fail the job, never the daemon
            log.exception("job %s crashed", job.id)
            rules.finish(job, JobState.FAILED, time.time(), error=f"internal error: {exc!r}")
        finally:
            self._touched[job.device] = time.monotonic()
            self._save(job)
            self.queue.forget_finished()
            self._wake.set()
            self.after_job()

    async def _attempts(self, job: Job) -> None:
        retries = self.config().flash.retries
        # A camera whose app crashes as it boots drops out of its app every few seconds: the
        # worker catches it in its bootloader (and retries when it slips away) before writing.
        looping = self.registry.devices[job.device].health.state is HealthState.CRASH_LOOP
        while True:
            device = self.registry.devices[job.device]
            if self._skip(job, device):
                return
            try:
                self._preflight(device)
                result = await self._call(job, device)
            except DeviceError as exc:
                self._after_failed_attempt(job, device)
                if not exc.failure.retried or job.attempts > retries:
                    tries = f" (after {job.attempts} attempts)" if job.attempts > 1 else ""
                    raise OakdError(exc.message + tries, exc.code) from None
                delay = BACKOFF_S[min(job.attempts - 1, len(BACKOFF_S) - 1)]
                job.message = (
                    f"attempt {job.attempts} failed, retrying in {delay:.0f} s: {exc.message}"
                )
                job.phase, job.progress = JobPhase.CONNECTING, 0.0
                job.attempts += 1
                self._save(job)
                await asyncio.sleep(delay)
                continue
            warning = await self._boot_report(job, device, result)
            if looping and job.kind in rules.FLASHES:
                warning = f"; it was in a crash loop before this flash{warning}"
            self._succeeded(job, device, result, warning)
            return

    def _skip(self, job: Job, device: Device) -> bool:
        """A flash of exactly what the camera already runs is skipped, writing nothing."""
        if job.kind not in rules.FLASHES or job.attempts > 1:
            return False
        if device.state is DeviceState.FLASH_BOOTED and device.flashed_hash == job.params["hash"]:
            rules.finish(
                job, JobState.SKIPPED, time.time(), message=f"already runs {device.flashed_app}"
            )
            return True
        return False

    def _check_known_bootloader(self, device: Device) -> None:
        """Refuse at once when an inspection already showed an old bootloader; otherwise the
        worker checks it after connecting, before anything is written."""
        version = ((device.inspection or {}).get("bootloader") or {}).get("version")
        minimum = Version.parse(self.config().flash.min_bootloader)
        too_old = bootloader_too_old(device.id, version, minimum) if version else None
        if too_old is not None:
            raise too_old

    def _preflight(self, device: Device) -> None:
        if device.state is DeviceState.BOOTED:
            raise refused(
                f"camera {device.id} is held by another host (it reports BOOTED): close the "
                "program using it, then try again"
            )

    async def _call(self, job: Job, device: Device) -> dict[str, Any]:
        last_sent = 0.0
        transfer: Transfer | None = None  # the write's bytes, once the worker says them

        def on_event(event: dict[str, Any]) -> None:
            nonlocal last_sent, transfer
            if event.get("event") == "phase":
                job.phase = JobPhase(event["phase"])
                self._save(job)
            elif event.get("event") == "size":
                transfer = Transfer(int(event["bytes"]), time.monotonic())
            elif event.get("event") == "progress":
                value = min(1.0, float(event["value"]))
                job.progress = max(job.progress, value)
                now = time.monotonic()
                if now - last_sent >= PROGRESS_EVERY_S or job.progress >= 1.0:
                    last_sent = now
                    moved = transfer.snapshot(value, now) if transfer is not None else {}
                    progress = JobProgress(job.id, job.device, job.progress, job.phase, **moved)
                    self.bus.publish(EVENT_JOB_PROGRESS, progress)

        params = {
            **job.params,
            "address": device.address,
            "mxid": device.id,
            "min_bootloader": self.config().flash.min_bootloader,
        }
        if job.kind in rules.FLASHES:
            params |= self._delta_params(job, device)
        async with self.pool.worker() as worker:
            deadline = rules.deadline_s(job.kind, job.params)
            return await worker.call(OP_FOR_JOB[job.kind], params, on_event, deadline)

    def _delta_params(self, job: Job, device: Device) -> dict[str, Any]:
        """What the worker needs to decide on a delta; and the journal entry, written before
        anything reaches the camera, so that an unfinished write is never a delta's base."""
        params = {
            "delta": self.config().flash.delta and not job.params.get("full"),
            "base": device.flashed_package,
            "verdict": device.delta_verdict,
            "journal": device.flash_journal is not None,
        }
        device.flash_journal = {"job": job.id, "since": time.time()}
        self.store.upsert_device(device)
        return params

    def _after_failed_attempt(self, job: Job, device: Device) -> None:
        """A flash that failed after it began writing may have landed: what the camera runs is
        unknown now (never guessed), and the journal stays until a write is verified."""
        if job.kind not in rules.FLASHES or device.flash_journal is None:
            return
        if job.phase in (None, JobPhase.CONNECTING, JobPhase.COMPARING):
            device.flash_journal = None  # nothing was written
        else:
            device.flashed_hash = device.flashed_app = None
        self.store.upsert_device(device)
        self.bus.publish(EVENT_DEVICE_CHANGED, DeviceInfo.of(device))

    async def _boot_report(self, job: Job, device: Device, result: dict[str, Any]) -> str:
        """A flash of a package with telemetry waits for its app's boot report; what to add
        to the job's message when none came ("" when it did, or none is expected)."""
        app = result.get("app_name")
        if self.telemetry is None or not job.params.get("telemetry") or not app:
            return ""
        self.telemetry.flashed(device, str(app), since=job.started or 0.0)
        timeout = self.config().telemetry.boot_timeout_s
        if await self.telemetry.wait_boot(device, timeout):
            return ""
        return (
            f"; warning: its app did not report booting within {timeout:.0f} s (it may crash "
            "as it starts, or its datagrams do not reach this daemon: `oakd logs` shows what "
            "came)"
        )

    def _succeeded(
        self, job: Job, device: Device, result: dict[str, Any], warning: str = ""
    ) -> None:
        now = time.time()
        if job.kind in rules.FLASHES:
            device.flashed_hash = job.params["hash"]
            device.flashed_app = result.get("app_name")
            device.flashed_at = now
            device.flashed_package = job.params["package"]
            device.flash_journal = None
            device.delta_verdict = result.get("verdict") or device.delta_verdict
            device.state = DeviceState.FLASH_BOOTED
            job.result = {k: result[k] for k in WRITE_FACTS if k in result}
            message = f"runs {device.flashed_app} ({describe_write(job.result)}){warning}"
            if warning:
                job.result["boot_reported"] = False
            _seen_app(device, device.flashed_app)
        elif job.kind in (JobKind.FACTORY_RESET, JobKind.CLEAR_APP):
            device.flashed_hash = device.flashed_app = None
            _seen_app(device, None)
            message = DONE_MESSAGES[job.kind]
        else:
            message = DONE_MESSAGES[job.kind]
        if "bootloader" in result:
            # Every job connects to the bootloader: what it reported is a fact worth showing
            # (the table would say "?" until an inspection otherwise).
            device.inspection = device.inspection or {}
            device.inspection.setdefault("bootloader", {})["version"] = result["bootloader"]
            if job.kind is JobKind.BOOTLOADER_UPDATE:
                message = f"{message}: {result['bootloader']}"
        self.store.upsert_device(device)
        self.bus.publish(EVENT_DEVICE_CHANGED, DeviceInfo.of(device))
        rules.finish(job, JobState.DONE, now, message=message)

    # -- bookkeeping

    def _save(self, job: Job) -> None:
        self.store.save_job(job)
        if job.state.final:
            outcome = job.error or job.message or job.state.value
            self.store.record(job.state.value, outcome, job.device, job.id)
        self._publish(job)

    def _publish(self, job: Job) -> None:
        self.bus.publish(EVENT_JOB_CHANGED, JobInfo.of(job))
