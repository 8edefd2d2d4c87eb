"""A pipeline project: a directory, its entry file, and the name its packages carry."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_ENTRY = "pipeline.py"


@dataclass(frozen=True)
class Project:
    """A directory whose entry file defines `create_pipeline()` (or a module-level `pipeline`).

    `name` goes into the package's application name; it defaults to the directory's name.
    """

    path: Path
    entry: str = DEFAULT_ENTRY
    name: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.path.name or "pipeline")

    @property
    def entry_path(self) -> Path:
        """The entry file, inside the project directory."""
        return self.path / self.entry


def entry_outside_message(project: Path, entry: str) -> str | None:
    """Why `entry` may not be the entry file of `project` (it leads outside it), or None."""
    root = project.resolve()
    target = (root / entry).resolve()
    if target == root or root not in target.parents:
        return (
            f"the entry {entry!r} is outside the project {root}: a project's code must live "
            "in its directory; move the file in, or watch the directory that holds it"
        )
    return None


def entry_missing_message(project: Path, entry: Path) -> str:
    """No entry file: say which one was looked for and how to name another."""
    return (
        f"no {entry.name} in {project}: create it (it defines create_pipeline()), or name the "
        "entry file with --entry (config: entry = ... in [[project]])"
    )
