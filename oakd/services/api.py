"""The daemon's request handlers: one per request type, built into the server's table."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oakd import __version__
from oakd.config import Config
from oakd.core.jobs import JobKind, JobState
from oakd.core.netconfig import NetworkConfigError, check_static
from oakd.core.registry import DeviceRegistry
from oakd.core.telemetry import MAX_LOG_LINES
from oakd.errors import ErrorCode, OakdError
from oakd.protocol import PROTOCOL_VERSION, Request
from oakd.protocol.replies import AppLogLine, BuildInfo, DeviceInfo, JobInfo, ProjectInfo
from oakd.protocol.requests import (
    BootloaderUpdate,
    Builds,
    Cancel,
    ClearApp,
    ClearConfig,
    FactoryReset,
    Flash,
    Inspect,
    ListDevices,
    ListJobs,
    ListProjects,
    Logs,
    NetworkConfig,
    Rollback,
    Unwatch,
    Watch,
)
from oakd.protocol.session import Status, StatusInfo
from oakd.services.discovery import Discovery
from oakd.services.engine import FlashEngine
from oakd.services.projects import ProjectService
from oakd.services.server import Handler
from oakd.services.store import Store
from oakd.services.telemetry import TelemetryService


@dataclass(frozen=True)
class Services:
    """What the handlers work with, each given explicitly (the daemon assembles them)."""

    store: Store
    registry: DeviceRegistry
    discovery: Discovery
    engine: FlashEngine
    projects: ProjectService
    telemetry: TelemetryService
    config: Callable[[], Config]  # the running config (SIGHUP replaces it)
    socket_path: Path
    state_dir: Path


class Api:
    """What the daemon answers; each handler reads state, none blocks the event loop long."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.store = services.store
        self.registry = services.registry
        self.engine = services.engine
        self.projects = services.projects
        self.started = time.monotonic()

    def table(self) -> dict[type[Request], Handler]:
        """The dispatch table: request type to handler."""
        return {
            Status: self.status,
            ListDevices: self.devices,
            ListJobs: self.jobs,
            Inspect: self.inspect,
            Flash: self.flash,
            Cancel: self.cancel,
            FactoryReset: self.factory_reset,
            ClearApp: self.clear_app,
            ClearConfig: self.clear_config,
            NetworkConfig: self.network_config,
            BootloaderUpdate: self.bootloader_update,
            Watch: self.watch,
            Unwatch: self.unwatch,
            ListProjects: self.list_projects,
            Logs: self.logs,
            Builds: self.builds,
            Rollback: self.rollback,
        }

    async def status(self, _: Status) -> StatusInfo:
        """Version, uptime, where things are, and counts."""
        devices = list(self.registry.devices.values())
        config = self.services.config()
        counts = self.store.count_jobs()
        telemetry = self.services.telemetry
        heard = telemetry.listening
        return StatusInfo(
            version=__version__,
            protocol=PROTOCOL_VERSION,
            pid=os.getpid(),
            uptime_s=round(time.monotonic() - self.started, 3),
            socket=str(self.services.socket_path),
            state_dir=str(self.services.state_dir),
            config=str(config.source) if config.source else None,
            discovery_interval_s=config.discovery.interval_s,
            # Clients flag older bootloaders by the daemon's setting, never by a copy of theirs.
            min_bootloader=config.flash.min_bootloader,
            discovery_scans=self.services.discovery.scans,
            devices=len(devices),
            online=sum(1 for d in devices if d.online),
            jobs={s.value: counts.get(s.value, 0) for s in (JobState.QUEUED, JobState.RUNNING)},
            telemetry=f"udp://{heard[0]}:{heard[1]}" if heard else "",
            telemetry_problem=telemetry.problem,
            telemetry_counts=dict(telemetry.counts),
        )

    async def devices(self, _: ListDevices) -> list[DeviceInfo]:
        """Every camera seen, with its last known state."""
        devices = sorted(self.registry.devices.values(), key=lambda d: d.id)
        return [DeviceInfo.of(d) for d in devices]

    async def jobs(self, body: ListJobs) -> list[JobInfo]:
        """Jobs, newest first."""
        return [JobInfo.of(j) for j in self.store.jobs(limit=body.limit)]

    async def inspect(self, body: Inspect) -> DeviceInfo:
        """Connect, read the details, keep them; returns the device with its inspection."""
        device = await self.engine.inspect(body.device, body.yes)
        return DeviceInfo.of(device)

    async def flash(self, body: Flash) -> list[JobInfo]:
        """Queue a flash for each camera; returns the jobs."""
        if (body.package is None) == (body.project is None):
            raise OakdError("give exactly one of package and project", ErrorCode.BAD_PARAMS)
        if not body.devices:
            raise OakdError("name at least one camera to flash", ErrorCode.BAD_PARAMS)
        devices = [self.registry.resolve(ref) for ref in body.devices]  # all or none
        if body.project is not None:
            jobs = await self.projects.flash_once(body.project, body.devices, body.force, body.full)
            return [JobInfo.of(j) for j in jobs]
        assert body.package is not None
        # Off the event loop: reading and caching a package takes tens of milliseconds.
        params = await asyncio.to_thread(
            self.engine.prepare_package, Path(body.package), body.force, body.full
        )
        for d in devices:
            self.engine.check(JobKind.FLASH_PACKAGE, d.id, params)
        jobs = [self.engine.submit(JobKind.FLASH_PACKAGE, d.id, params) for d in devices]
        return [JobInfo.of(j) for j in jobs]

    async def cancel(self, body: Cancel) -> JobInfo:
        """Cancel a queued job."""
        return JobInfo.of(self.engine.cancel(body.job))

    def _destructive(
        self, kind: JobKind, device: str, confirm: bool, params: dict[str, Any] | None = None
    ) -> JobInfo:
        return JobInfo.of(self.engine.submit(kind, device, params or {}, confirm=confirm))

    async def factory_reset(self, body: FactoryReset) -> JobInfo:
        """Queue a factory reset."""
        return self._destructive(JobKind.FACTORY_RESET, body.device, body.confirm)

    async def clear_app(self, body: ClearApp) -> JobInfo:
        """Queue erasing the app."""
        return self._destructive(JobKind.CLEAR_APP, body.device, body.confirm)

    async def clear_config(self, body: ClearConfig) -> JobInfo:
        """Queue erasing the bootloader config."""
        return self._destructive(JobKind.CLEAR_CONFIG, body.device, body.confirm)

    async def bootloader_update(self, body: BootloaderUpdate) -> JobInfo:
        """Queue a bootloader update."""
        return self._destructive(JobKind.BOOTLOADER_UPDATE, body.device, body.confirm)

    async def network_config(self, body: NetworkConfig) -> JobInfo:
        """Validate, then queue, a network config write."""
        if body.dhcp == (body.static is not None):
            raise OakdError("give exactly one of dhcp and static", ErrorCode.BAD_PARAMS)
        params: dict[str, Any] = {"dhcp": body.dhcp}
        if body.static is not None:
            try:
                static = check_static(body.static, body.gateway, body.dns)
            except NetworkConfigError as exc:
                raise OakdError(f"not written: {exc}", ErrorCode.BAD_PARAMS) from None
            params.update(
                static=static.address, mask=static.mask, gateway=static.gateway, dns=static.dns
            )
        return self._destructive(JobKind.NETWORK_CONFIG, body.device, body.confirm, params)

    async def watch(self, body: Watch) -> ProjectInfo:
        """Watch a project and flash it to cameras on every change."""
        return self.projects.watch(body.path, body.devices, body.entry, body.compress).info()

    async def unwatch(self, body: Unwatch) -> ProjectInfo:
        """Stop watching a project."""
        return self.projects.unwatch(body.path).info()

    async def builds(self, body: Builds) -> list[BuildInfo]:
        """A project's recorded builds."""
        return [BuildInfo.of(b) for b in self.projects.builds(body.project)]

    async def rollback(self, body: Rollback) -> JobInfo:
        """Queue the flash of the build before the one the camera runs."""
        return JobInfo.of(self.projects.rollback(body.device, body.project))

    async def logs(self, body: Logs) -> list[AppLogLine]:
        """What a camera's app reported."""
        device = self.registry.resolve(body.device)
        if not 1 <= body.limit <= MAX_LOG_LINES:
            raise OakdError(f"limit: expected 1 to {MAX_LOG_LINES} lines", ErrorCode.BAD_PARAMS)
        return self.services.telemetry.lines(device.id, body.since, body.limit)

    async def list_projects(self, _: ListProjects) -> list[ProjectInfo]:
        """The watched projects."""
        return [p.info() for p in self.projects.projects.values()]
