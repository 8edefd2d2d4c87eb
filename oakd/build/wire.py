"""What the builder and its child process say to each other.

The request is one JSON argument on the child's command line. The child answers on its original
stdout, one JSON object per line: `{"phase": ...}` as it enters each phase (so that a time limit
can say where the build was), then one `{"report": ...}`. The user's prints never reach that
channel: the child points its fd 1 at the output pipe (fd 2) before any user code runs.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any


class Phase(str, Enum):
    """Where the child is; a timeout or a crash names the last phase entered."""

    START = "start"  # starting Python and importing depthai
    USER = "user"  # running the user's module and create_pipeline()
    FINGERPRINT = "fingerprint"  # serializing the pipeline
    PACKAGE = "package"  # depthai making the package

    def doing(self) -> str:
        """The phase as words for a message: 'while running your pipeline code'."""
        return {
            Phase.START: "while starting (importing depthai)",
            Phase.USER: "while running your pipeline code",
            Phase.FINGERPRINT: "while serializing the pipeline",
            Phase.PACKAGE: "while depthai made the package",
        }[self]


@dataclass(frozen=True)
class ChildRequest:
    """One build, as the child needs it."""

    project_dir: str
    entry: str
    app_name_base: str
    compress: bool
    cache_dir: str
    memory_mb: int
    fingerprint_only: bool  # stop after the fingerprint: make no package
    parent_pid: int  # the child exits if its parent is gone before it could watch for that
    # The daemon's files the user's code may not touch (confine.Shield's fields).
    read_only: tuple[str, ...] = ()
    writable: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
    # Where the app's telemetry goes (build/telemetry.Telemetry.to_json); None: none added.
    telemetry: dict[str, Any] | None = None

    def to_arg(self) -> str:
        """The request as the child's command-line argument."""
        return json.dumps(asdict(self))

    @classmethod
    def from_arg(cls, text: str) -> ChildRequest:
        """Read the command-line argument back."""
        return cls.from_json(json.loads(text))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChildRequest:
        """The request from its decoded JSON form (lists become tuples)."""
        shield = {k: tuple(data.get(k, ())) for k in ("read_only", "writable", "hidden")}
        return cls(**{**data, **shield})


@dataclass
class ChildReport:
    """The child's answer: a package (new or reused) or a failure, and its timings."""

    ok: bool = False
    kind: str = ""  # a FailureKind value when not ok
    message: str = ""
    traceback: str = ""
    fingerprint: str = ""
    app_name: str = ""
    package: str = ""
    reused: bool = False
    size: int = 0
    nodes: list[tuple[int, str, str]] = field(default_factory=list)  # id, type, stream
    timings: dict[str, float] = field(default_factory=dict)  # import_s, user_s, ...
    depthai_version: str = ""
    confinement: str = ""  # why the build had no PID namespace of its own ('' when it had)
    telemetry: dict[str, Any] | None = None  # what build/telemetry.add added

    def to_line(self) -> bytes:
        """The report as one message line."""
        return json.dumps({"report": asdict(self)}).encode() + b"\n"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChildReport:
        """The report from a decoded message; unknown fields are ignored."""
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        known["nodes"] = [tuple(node) for node in known.get("nodes", [])]
        return cls(**known)


def phase_line(phase: Phase) -> bytes:
    """A phase message."""
    return json.dumps({"phase": phase.value}).encode() + b"\n"
