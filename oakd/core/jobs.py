"""Jobs: every device operation is one, in one persistent queue."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


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

    def to_wire(self) -> dict[str, Any]:
        """As `oakd jobs --json` and the protocol show it."""
        return {
            "id": self.id,
            "device": self.device,
            "kind": self.kind.value,
            "state": self.state.value,
            "phase": self.phase.value if self.phase else None,
            "progress": self.progress,
            "error": self.error,
            "message": self.message,
            "params": self.params,
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
            "attempts": self.attempts,
        }

    def params_json(self) -> str:
        """Params as stored in SQLite."""
        return json.dumps(self.params, sort_keys=True)
