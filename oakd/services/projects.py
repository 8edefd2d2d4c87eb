"""Live reload: watched projects are built on every change that matters and flashed to their
cameras. A failed build flashes nothing (the cameras keep their last good app); a build whose
fingerprint a camera already runs queues nothing for it and says so.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from oakd.build import BuildOptions, BuildResult, PackageCache, Project, build_project
from oakd.build.confine import Shield
from oakd.build.errors import BuildError
from oakd.build.limits import app_region_size
from oakd.build.project import entry_missing_message, entry_outside_message
from oakd.build.telemetry import Telemetry
from oakd.config import Config, ProjectEntry
from oakd.core.devices import Device, DeviceState
from oakd.core.history import Build, changed_sections, rollback_target
from oakd.core.jobs import Job, JobKind, flash_params
from oakd.core.package import HASH_CHARS, PackageError, package_sections
from oakd.core.registry import DeviceRegistry
from oakd.errors import ErrorCode, OakdError
from oakd.protocol import EVENT_LOG, EVENT_PROJECT_BUILD, EVENT_PROJECT_CHANGED
from oakd.protocol.replies import BuildFailure, BuildSummary, LogLine, ProjectBuilt, ProjectInfo
from oakd.services.bus import EventBus, Nudge
from oakd.services.engine import FlashEngine
from oakd.services.store import Store
from oakd.services.telemetry import TelemetryService
from oakd.services.watcher import ProjectFilter, watch_directory
from oakd.tasks import TaskSet
from oakd.zygote.parent import ZygoteRole

log = logging.getLogger(__name__)


@dataclass
class WatchedProject:
    """A project, where it goes, and how its last build went."""

    path: Path
    entry: str
    devices: list[str]
    compress: bool
    source: str  # "config" or "runtime" (oakd watch)
    ignore: list[str] = field(default_factory=list)  # the config's patterns (see ProjectFilter)
    state: str = "idle"  # idle, building, ok, failed, missing
    last_build: BuildSummary | None = None
    # Targets not seen when the last good build was flashed, and that build's flash params:
    # each is flashed when it is seen (a camera that boots after the daemon, say).
    unseen: list[str] = field(default_factory=list)
    last_params: dict[str, Any] | None = None
    telemetry: bool = True  # the project's `telemetry`; off: flash what the pipeline builds
    build_task: asyncio.Task[None] | None = field(default=None, repr=False)
    stop: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @classmethod
    def configured(cls, path: Path, entry: ProjectEntry) -> WatchedProject:
        """The project a [[project]] table of the config names."""
        devices, ignore = list(entry.devices), list(entry.ignore)
        return cls(
            path, entry.entry, devices, entry.compress, "config", ignore, telemetry=entry.telemetry
        )

    def settings(self) -> tuple[Any, ...]:
        """What a config reload compares: a change restarts the watch."""
        return (self.entry, self.devices, self.compress, self.ignore, self.telemetry)

    def info(self) -> ProjectInfo:
        """As the protocol answers it."""
        return ProjectInfo(
            path=str(self.path),
            entry=self.entry,
            devices=list(self.devices),
            compress=self.compress,
            source=self.source,
            ignore=list(self.ignore),
            state=self.state,
            last_build=self.last_build,
        )


def build_summary(result: BuildResult, flashed: list[str], note: str) -> BuildSummary:
    """What a build did, for events and `oakd projects`."""
    failure = result.failure
    error = None
    if failure is not None:
        error = BuildFailure(failure.kind.value, failure.message, failure.traceback or "")
    data = result.to_json()
    return BuildSummary(
        ok=result.ok,
        unchanged=result.unchanged,
        outcome=data["outcome"],
        fingerprint=data["fingerprint"],
        app_name=data["app_name"],
        size=data["size"],
        error=error,
        output=data["output"]["text"],
        durations=data["durations"],
        flashed=flashed,
        note=note,
        finished=time.time(),
    )


class ProjectService:
    """Watches projects, builds them in child processes, and queues flashes."""

    def __init__(
        self,
        store: Store,
        bus: EventBus,
        registry: DeviceRegistry,
        engine: FlashEngine,
        config: Callable[[], Config],
        cache: PackageCache,
        shield: Shield | None = None,
        telemetry: TelemetryService | None = None,
        zygote: ZygoteRole | None = None,
    ) -> None:
        self.store = store
        self.telemetry = telemetry  # where apps report; None: builds add no telemetry
        self.bus = bus
        self.registry = registry
        self.engine = engine
        self.config = config
        self.cache = cache
        self.shield = shield or Shield()  # what of the daemon's files builds may not touch
        self.projects: dict[Path, WatchedProject] = {}
        self.zygote = zygote  # the daemon's warm zygote, forking builds; None: fresh children
        self._tasks = TaskSet()
        self._stop = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Watch the configured and remembered projects until stopped."""
        self.sync_config()
        for path, entry, devices, compress in self.store.projects():
            self._start(WatchedProject(Path(path), entry, devices, compress, "runtime"))
        arrivals = Nudge("device")
        self.bus.subscribe(arrivals)
        self._tasks.start(self._flash_arrivals(arrivals), name="flash arriving targets")
        try:
            await stop.wait()
        finally:
            self.bus.unsubscribe(arrivals)
        self._stop.set()
        for project in self.projects.values():
            project.stop.set()
        await self._tasks.cancel_all()

    def sync_config(self) -> None:
        """Match the watched [[project]] tables to the config (at start and on reload)."""
        wanted = {_resolve(p.path): p for p in self.config().project}
        for path, project in list(self.projects.items()):
            if project.source == "config" and path not in wanted:
                self._drop(path)
        for path, entry in wanted.items():
            current = self.projects.get(path)
            configured = WatchedProject.configured(path, entry)
            if current and current.settings() == configured.settings():
                continue
            if current:
                self._drop(path)
            self._start(configured)

    # -- requests

    def watch(self, path: str, devices: list[str], entry: str, compress: bool) -> WatchedProject:
        """Start watching a project (remembered across restarts)."""
        resolved = _resolve(path)
        if not resolved.is_dir():
            raise OakdError(
                f"{resolved} is not a directory; give the project's directory", ErrorCode.BAD_PARAMS
            )
        # Refused now rather than watched: a project with no entry file would only ever fail
        # its builds, while the command said it was watching.
        problem = entry_outside_message(resolved, entry)
        if problem is None and not (resolved / entry).is_file():
            problem = entry_missing_message(resolved, resolved / entry)
        if problem:
            raise OakdError(problem, ErrorCode.BAD_PARAMS)
        if not devices:
            raise OakdError("name at least one camera (--device)", ErrorCode.BAD_PARAMS)
        ids = [self.registry.resolve(ref).id for ref in devices]
        if resolved in self.projects:
            self._drop(resolved)
        self.store.save_project(str(resolved), entry, ids, compress)
        project = WatchedProject(resolved, entry, ids, compress, "runtime")
        self._start(project)
        return project

    def unwatch(self, path: str) -> WatchedProject:
        """Stop watching a project."""
        resolved = _resolve(path)
        project = self.projects.get(resolved)
        if project is None:
            known = ", ".join(str(p) for p in self.projects) or "none"
            raise OakdError(f"{resolved} is not watched (watched: {known})", ErrorCode.NOT_FOUND)
        if project.source == "config":
            raise OakdError(
                f"{resolved} is watched because the config names it; remove its "
                "[[project]] table and reload",
                ErrorCode.REFUSED,
            )
        self.store.forget_project(str(resolved))
        self._drop(resolved)
        return project

    async def flash_once(
        self, path: str, devices: list[str], force: bool, full: bool = False
    ) -> list[Job]:
        """Build a project now (not watched) and queue it to the cameras."""
        resolved = _resolve(path)
        targets = [self.registry.resolve(ref).id for ref in devices]
        entry = next((p for p in self.config().project if _resolve(p.path) == resolved), None)
        project = WatchedProject(
            resolved,
            entry.entry if entry else "pipeline.py",
            targets,
            entry.compress if entry else True,
            "once",
        )
        # A one-off build of a watched directory is that project's build too: its row shows
        # it start and end (it stayed "building" otherwise); any other one is no project's.
        watched = self.projects.get(resolved)
        result = await self._build(project, shown=watched)
        if result.ok:
            await self._record(result)
        if watched is not None:
            note = "flashed on request" if result.ok else "build failed: nothing flashed"
            self._built(watched, result, targets if result.ok else [], note)
        if not result.ok:
            assert result.failure is not None
            detail = f"\n{result.failure.traceback}" if result.failure.traceback else ""
            raise BuildError(result.failure.kind, result.failure.message + detail)
        return [
            self.engine.submit(JobKind.FLASH_PROJECT, d, self._params(result, force, full))
            for d in targets
        ]

    async def _record(self, result: BuildResult) -> None:
        """Keep a good build in the project's history (core/history.py), with the sections it
        changed, unless it is the newest there already."""
        if result.package is None:
            return
        project = str(result.project.path)
        digest = result.fingerprint[:HASH_CHARS]
        recorded = self.store.builds(project)
        if recorded and recorded[0].fingerprint == digest:
            return
        before = Path(recorded[0].package) if recorded else None

        def compare() -> tuple[str, ...]:
            if before is None:
                return ()
            try:
                return changed_sections(package_sections(before), package_sections(result.package))
            except (OSError, PackageError):  # the older one was pruned, or is unreadable
                return ("?",)

        changed = await asyncio.to_thread(compare)
        self.store.add_build(
            Build(
                project,
                time.time(),
                result.app_name,
                digest,
                str(result.package),
                result.size,
                changed,
            )
        )

    def builds(self, path: str) -> list[Build]:
        """A project's recorded builds, newest first."""
        return self.store.builds(str(_resolve(path)))

    def rollback(self, device_ref: str, path: str | None = None) -> Job:
        """Flash a camera the build before the one it runs, of the project that flashes it
        (or of `path`): a flash_project job, as the project's own flashes are."""
        device = self.registry.resolve(device_ref)
        if path is not None:
            project = str(_resolve(path))
        else:
            mine = sorted(str(p.path) for p in self.projects.values() if device.id in p.devices)
            if len(mine) != 1:
                which = "no watched project flashes it" if not mine else "several projects do"
                raise OakdError(
                    f"cannot tell which project to roll camera {device.id} back in: {which}; "
                    "name it (`oakd rollback DEVICE --project DIR`)",
                    ErrorCode.BAD_PARAMS if mine else ErrorCode.NOT_FOUND,
                )
            project = mine[0]
        target = rollback_target(
            self.store.builds(project), device.flashed_hash, lambda p: Path(p).is_file()
        )
        if isinstance(target, str):
            raise OakdError(
                f"cannot roll camera {device.id} back in {project}: {target}", ErrorCode.REFUSED
            )
        params = flash_params(
            target.package, target.fingerprint, target.app_name, target.size, project, False, False
        )
        self.engine.check(JobKind.FLASH_PROJECT, device.id, params)
        return self.engine.submit(JobKind.FLASH_PROJECT, device.id, params)

    # -- watching and building

    def _start(self, project: WatchedProject) -> None:
        self.projects[project.path] = project
        self._tasks.start(self._watch(project), name=f"watch {project.path}")
        self._publish(project)

    def _drop(self, path: Path) -> None:
        project = self.projects.pop(path)
        project.stop.set()
        if project.build_task:
            project.build_task.cancel()
        project.state = "unwatched"
        self._publish(project)

    async def _watch(self, project: WatchedProject) -> None:
        self._trigger(project, "watch started")

        def changed(reason: str) -> None:
            log.info("%s: %s", project.path, reason)
            if reason == "deleted":
                if project.build_task:
                    project.build_task.cancel()
                project.state = "missing"
                self._say(
                    project,
                    "warning",
                    f"{project.path} is gone; waiting for it to come "
                    "back. The cameras keep running their app",
                )
                self._publish(project)
                return
            self._trigger(project, reason)

        # The daemon's own files (state, package cache, socket) may lie inside a project.
        own = [*self.shield.read_only, *self.shield.writable, *self.shield.hidden]
        watch_filter = ProjectFilter(project.path, project.ignore, [_resolve(p) for p in own])
        debounce = self.config().build.debounce_ms
        await watch_directory(project.path, changed, project.stop, debounce, watch_filter)

    def _trigger(self, project: WatchedProject, reason: str) -> None:
        """Build now; a build still running for this project is superseded (cancelled)."""
        if project.build_task and not project.build_task.done():
            project.build_task.cancel()
        project.build_task = self._tasks.start(
            self._rebuild(project, reason), name=f"build {project.path}"
        )

    async def _rebuild(self, project: WatchedProject, reason: str) -> None:
        result = await self._build(project)
        if result.unconfined:
            log.warning("%s: the build was not confined: %s", project.path, result.unconfined)
        for warning in result.warnings:
            log.warning("%s: %s", project.path, warning)
        flashed: list[str] = []
        if result.ok:
            await self._record(result)
            flashed, note = self._flash(project, result)
            keep = self.config().build.keep_packages
            self.cache.prune(keep)  # keeps what queued flashes and the cameras need
        else:
            assert result.failure is not None
            note = "build failed: nothing flashed, the cameras keep their last good app"
            self._say(
                project,
                "error",
                f"{result.failure.message}\n{result.failure.traceback}"
                f"\n{result.output.text}".rstrip(),
            )
        log.info("%s: %s (%s)", project.path, note, reason)
        self._say(project, "info" if result.ok else "error", note)
        self._built(project, result, flashed, note)

    def _built(
        self, project: WatchedProject, result: BuildResult, flashed: list[str], note: str
    ) -> None:
        """A build of a watched project ended: its state and last build, for every client."""
        project.state = "ok" if result.ok else "failed"
        project.last_build = build_summary(result, flashed, note)
        self.bus.publish(EVENT_PROJECT_BUILD, ProjectBuilt(str(project.path), project.last_build))
        self._publish(project)

    async def _build(
        self, project: WatchedProject, shown: WatchedProject | None = None
    ) -> BuildResult:
        """Build `project`; `shown` (default: the project itself) is the watched project whose
        state says "building" meanwhile, None for a build of no watched project."""
        shown = project if shown is None and project.source != "once" else shown
        if shown is not None:
            shown.state = "building"
            self._publish(shown)
        config = self.config()
        entry = ProjectEntry(str(project.path), project.entry, project.devices, project.compress)
        options = BuildOptions.from_config(config.build, entry, max_size=self._max_size(project))
        options = replace(options, shield=self.shield, telemetry=self._telemetry(project))
        where = Project(project.path, project.entry)
        return await build_project(where, options, self.cache, self.zygote)

    def _telemetry(self, project: WatchedProject) -> Telemetry | None:
        """Where the app reports (services/telemetry.py), unless the project says no."""
        if self.telemetry is None or not project.telemetry:
            return None
        return self.telemetry.targets()

    def _max_size(self, project: WatchedProject) -> int | None:
        """The smallest application region among the targets whose memory is known."""
        sizes = []
        for ref in project.devices:
            device = self._device(ref)
            memory = (device.inspection or {}).get("memory") if device else None
            if memory and memory.get("size"):
                sizes.append(app_region_size(memory["size"]))
        return min(sizes) if sizes else None

    def _params(self, result: BuildResult, force: bool, full: bool = False) -> dict[str, Any]:
        return flash_params(
            str(result.package),
            result.fingerprint[:HASH_CHARS],
            result.app_name,
            result.size,
            str(result.project.path),
            force,
            full,
            telemetry=result.telemetry is not None,
        )

    def _flash(self, project: WatchedProject, result: BuildResult) -> tuple[list[str], str]:
        """Queue flashes where the camera does not already run this build."""
        digest = result.fingerprint[:HASH_CHARS]
        queued, current, unknown = [], [], []
        for ref in project.devices:
            device = self._device(ref)
            if device is None or not device.online:
                # Not seen yet, or not answering now (a [[device]] of the config is known
                # before discovery finds it): flashed when it is seen (_flash_arrivals), not
                # queued to fail against a camera that is not there.
                unknown.append(ref)
            elif device.flashed_hash == digest and device.state is DeviceState.FLASH_BOOTED:
                current.append(ref)
            else:
                try:
                    self.engine.submit(
                        JobKind.FLASH_PROJECT, device.id, self._params(result, False)
                    )
                    queued.append(device.id)
                except OakdError as exc:
                    self._say(project, "error", f"not flashed to {ref}: {exc.message}")
        what = "unchanged" if result.unchanged else f"built {result.app_name}"
        if queued:
            note = f"{what}: flashing {len(queued)} camera(s)"
        elif current:
            runs = f"all {len(current)} camera(s) already run {result.app_name}"
            note = f"{what}: {runs}; nothing to flash"
        else:
            note = f"{what}: no camera to flash"
        if unknown:
            note += f" ({len(unknown)} not online yet: {', '.join(unknown)}; flashed when seen)"
        project.unseen, project.last_params = unknown, self._params(result, False)
        return queued, note

    async def _flash_arrivals(self, arrivals: Nudge) -> None:
        """Flash each project's last good build to a target that was not seen when it was
        built, once it is (the build's own flash skipped it)."""
        while True:
            await arrivals.event.wait()
            arrivals.event.clear()
            for project in list(self.projects.values()):
                for ref in list(project.unseen):
                    device = self._device(ref)
                    if device is None or not device.online or project.last_params is None:
                        continue
                    project.unseen.remove(ref)
                    try:
                        self.engine.submit(JobKind.FLASH_PROJECT, device.id, project.last_params)
                    except OakdError as exc:
                        self._say(project, "error", f"not flashed to {ref}: {exc.message}")
                        continue
                    self._say(project, "info", f"{ref} is seen now: flashing it the last build")

    def _device(self, ref: str) -> Device | None:
        """A target camera by MX ID or alias; None while it has not been seen."""
        try:
            return self.registry.resolve(ref)
        except OakdError:
            return None

    def _say(self, project: WatchedProject, level: str, message: str) -> None:
        self.bus.publish(EVENT_LOG, LogLine(level, str(project.path), message))

    def _publish(self, project: WatchedProject) -> None:
        self.bus.publish(EVENT_PROJECT_CHANGED, project.info())


def _resolve(path: str) -> Path:
    return Path(path).expanduser().resolve()
