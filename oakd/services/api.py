"""The daemon's request handlers: one per request type, built into the server's table."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from oakd import __version__
from oakd.config import Config
from oakd.core.jobs import JobState
from oakd.protocol import PROTOCOL_VERSION, ListDevices, ListJobs, Request, Status
from oakd.services.server import Handler
from oakd.services.store import Store


class Api:
    """What the daemon answers; each handler reads state, none blocks the event loop long."""

    def __init__(
        self, config: Config, store: Store, socket_path: Path | None, state_dir: Path
    ) -> None:
        self.config = config
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
        devices = self.store.devices()
        counts = self.store.count_jobs()
        return {
            "version": __version__,
            "protocol": PROTOCOL_VERSION,
            "pid": os.getpid(),
            "uptime_s": round(time.monotonic() - self.started, 3),
            "socket": str(self.socket_path) if self.socket_path else None,
            "state_dir": str(self.state_dir),
            "config": str(self.config.source) if self.config.source else None,
            "devices": len(devices),
            "online": sum(1 for d in devices if d.online),
            "jobs": {s.value: counts.get(s.value, 0) for s in (JobState.QUEUED, JobState.RUNNING)},
        }

    async def devices(self, _: ListDevices) -> list[dict[str, Any]]:
        """Every camera seen, with its last known state."""
        return [d.to_wire() for d in self.store.devices()]

    async def jobs(self, body: ListJobs) -> list[dict[str, Any]]:
        """Jobs, newest first."""
        return [j.to_wire() for j in self.store.jobs(limit=body.limit)]
