"""What a build takes (BuildOptions) and gives back (BuildResult): plain data, no I/O."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from oakd.build.confine import Shield
from oakd.build.errors import FailureKind
from oakd.build.output import DEFAULT_LIMIT, CapturedOutput
from oakd.build.project import Project
from oakd.build.telemetry import Telemetry
from oakd.config import BuildSection, ProjectEntry

NO_NODES = (
    "the pipeline has no nodes: the camera would boot an app that does nothing; create the "
    "nodes in the pipeline that create_pipeline() returns"
)


class Outcome(str, Enum):
    """How a build ended."""

    NEW = "new"  # a package was made and stored in the cache
    UNCHANGED = "unchanged"  # the fingerprint was in the cache already: no package was made
    CHECKED = "checked"  # fingerprint_only: the code ran and the pipeline is fine; no package
    FAILED = "failed"


@dataclass(frozen=True)
class BuildOptions:
    """How to build: package options and the limits on the child that runs the user's code."""

    compress: bool = True
    timeout_s: float = 60.0
    memory_mb: int = 2048  # RLIMIT_AS of the child; depthai itself needs about 300 MiB
    max_size: int | None = None  # refuse larger packages; see limits.app_region_size
    output_limit: int = DEFAULT_LIMIT  # bytes of printed output kept (the tail)
    # Run the code and fingerprint it, but make no package: a fast "does this change matter?"
    # (a cached fingerprint still gives UNCHANGED and the package).
    fingerprint_only: bool = False
    # The daemon's files the user's code may not touch (its state, its socket).
    shield: Shield = field(default_factory=Shield)
    # Where the app reports its boot, heartbeats and logs; None: the package is exactly what
    # the pipeline builds (build/telemetry.py).
    telemetry: Telemetry | None = None

    @classmethod
    def from_config(
        cls, build: BuildSection, project: ProjectEntry | None = None, max_size: int | None = None
    ) -> BuildOptions:
        """Options from the config's [build] section and a [[project]] table."""
        return cls(
            compress=project.compress if project else True,
            timeout_s=build.timeout_s,
            memory_mb=build.memory_mb,
            max_size=max_size,
        )


@dataclass(frozen=True)
class NodeInfo:
    """One node of the built pipeline."""

    id: int
    type: str  # depthai's class name: Script, ColorCamera, XLinkOut, ...
    stream: str = ""  # XLinkIn/XLinkOut only: the stream name, to help find the node

    def label(self) -> str:
        """'node 3 (XLinkOut, stream "frames")'."""
        stream = f', stream "{self.stream}"' if self.stream else ""
        return f"node {self.id} ({self.type}{stream})"


@dataclass(frozen=True)
class Failure:
    """Why a build failed: a kind for scripts, a message and the user's traceback for people."""

    kind: FailureKind
    message: str
    traceback: str = ""


@dataclass(frozen=True)
class Durations:
    """Where the time went, in seconds; phases not reached are 0."""

    total_s: float = 0.0  # from the call until the result, child start included
    import_s: float = 0.0  # importing depthai in the child
    user_s: float = 0.0  # running the user's module and create_pipeline()
    fingerprint_s: float = 0.0  # serializing the pipeline and hashing
    package_s: float = 0.0  # making and storing the package (0 when reused)


@dataclass(frozen=True)
class BuildResult:
    """Everything a build found out; `ok` unless FAILED, `package` set for NEW and UNCHANGED."""

    project: Project
    outcome: Outcome
    fingerprint: str = ""
    app_name: str = ""
    package: Path | None = None  # the cached package; None when failed or CHECKED
    size: int = 0
    compressed: bool = True
    nodes: tuple[NodeInfo, ...] = ()
    output: CapturedOutput = field(default_factory=CapturedOutput)
    failure: Failure | None = None
    durations: Durations = field(default_factory=Durations)
    depthai_version: str = ""
    # What of the confinement could not be had ("" when the build had its own PID and mount
    # namespaces): then a process the user's code starts with setsid may outlive the build.
    unconfined: str = ""
    telemetry: dict[str, Any] | None = None  # what telemetry added (build/telemetry.add)

    @property
    def ok(self) -> bool:
        """The build did not fail (a package is ready, unless fingerprint_only)."""
        return self.outcome is not Outcome.FAILED

    @property
    def unchanged(self) -> bool:
        """The fingerprint was known: nothing that matters changed since it was built."""
        return self.outcome is Outcome.UNCHANGED

    @property
    def warnings(self) -> list[str]:
        """What built but is likely not what the user meant."""
        if not self.ok:
            return []
        found = []
        if not self.nodes:
            found.append(NO_NODES)
        return found

    def node_summary(self) -> str:
        """'3 nodes: 2 Script, 1 ColorCamera'."""
        counts = Counter(node.type for node in self.nodes)
        parts = ", ".join(f"{n} {kind}" for kind, n in counts.most_common())
        noun = "node" if len(self.nodes) == 1 else "nodes"
        return f"{len(self.nodes)} {noun}: {parts}" if parts else "no nodes"

    def to_json(self) -> dict[str, Any]:
        """The result as JSON-able data (CLI --json, the daemon's events)."""
        return {
            "project": str(self.project.path),
            "entry": self.project.entry,
            "ok": self.ok,
            "outcome": self.outcome.value,
            "fingerprint": self.fingerprint or None,
            "app_name": self.app_name or None,
            "package": str(self.package) if self.package else None,
            "size": self.size or None,
            "compressed": self.compressed,
            "nodes": [{"id": n.id, "type": n.type, "stream": n.stream} for n in self.nodes],
            "output": {
                "text": self.output.text,
                "total_bytes": self.output.total_bytes,
                "truncated": self.output.truncated,
            },
            "error": None
            if self.failure is None
            else {
                "kind": self.failure.kind.value,
                "message": self.failure.message,
                "traceback": self.failure.traceback,
            },
            "durations": {
                "total_s": round(self.durations.total_s, 4),
                "import_s": round(self.durations.import_s, 4),
                "user_s": round(self.durations.user_s, 4),
                "fingerprint_s": round(self.durations.fingerprint_s, 4),
                "package_s": round(self.durations.package_s, 4),
            },
            "depthai_version": self.depthai_version or None,
            "unconfined": self.unconfined or None,
            "telemetry": self.telemetry,
            "warnings": self.warnings,
        }
