"""The daemon's request handlers: one per request type, built into the server's table."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oakd import __version__
from oakd.core.jobs import JobState
from oakd.protocol import PROTOCOL_VERSION, ListDevices, ListJobs, Request, Status
from oakd.services.server import Handler
from oakd.services.store import Store

if TYPE_CHECKING:
    from oakd.daemon import Daemon


class Api:
    """What the daemon answers; each handler reads state, none blocks the event loop long."""

    def __init__(self, daemon: Daemon, store: Store, socket_path: Path, state_dir: Path) -> None:
        self.daemon = daemon
        self.store = store
        self.socket_path = socket_path
        self.state_dir = state_dir
        self.started = time.monotonic()

    def table(self) -> dict[type[Request], Handler]:
        """The dispatch table: request type to handler."""
        return {
            Status: self.status,
            ListDevices: self.devices,
            ListJobs: self.jobs,
        }

    async def status(self, _: Status) -> dict[str, Any]:
        """Version, uptime, where things are, and counts."""
        devices = list(self.daemon.registry.devices.values())
        config = self.daemon.config
        counts = self.store.count_jobs()
        return {
            "version": __version__,
            "protocol": PROTOCOL_VERSION,
            "pid": os.getpid(),
            "uptime_s": round(time.monotonic() - self.started, 3),
            "socket": str(self.socket_path),
            "state_dir": str(self.state_dir),
            "config": str(config.source) if config.source else None,
            "discovery_interval_s": config.discovery.interval_s,
            "discovery_scans": self.daemon.discovery.scans if self.daemon.discovery else 0,
            "devices": len(devices),
            "online": sum(1 for d in devices if d.online),
            "jobs": {s.value: counts.get(s.value, 0) for s in (JobState.QUEUED, JobState.RUNNING)},
        }

    async def devices(self, _: ListDevices) -> list[dict[str, Any]]:
        """Every camera seen, with its last known state."""
        devices = sorted(self.daemon.registry.devices.values(), key=lambda d: d.id)
        return [d.to_wire() for d in devices]

    async def jobs(self, body: ListJobs) -> list[dict[str, Any]]:
        """Jobs, newest first."""
        return [j.to_wire() for j in self.store.jobs(limit=body.limit)]
