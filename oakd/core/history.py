"""A project's build history: what each good build changed, and which one a rollback goes to.

Pure: the daemon records builds (services/projects.py, the store's `builds` table) and asks
here what a rollback means.

- What changed is said by section (`pipeline`, `assets`, `__firmware`, ...): a section whose
  size or checksum differs, one that came, one that went. The app name changes with every
  build (it carries the hash), so `app_name` is never counted as a change.
- A rollback goes to the newest recorded build older than the one the camera runs, whose
  package is still in the cache. A camera running no recorded build has no "previous": oakd
  does not guess which build that would be.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from oakd.core.package import APP_NAME, Section

KEEP = 10  # builds recorded per project; their packages are kept in the cache with them


@dataclass(frozen=True)
class Build:
    """One good build of a project, as recorded."""

    project: str
    finished: float
    app_name: str
    fingerprint: str  # the package's hash (12 characters, as in the app name)
    package: str  # its path in the cache
    size: int
    changed: tuple[str, ...]  # sections that differ from the build before; () for the first


def changed_sections(before: Sequence[Section], after: Sequence[Section]) -> tuple[str, ...]:
    """The sections that differ between two packages, in the order of `after` (then those
    that went), app_name left out."""
    old = {s.name: (s.size, s.checksum) for s in before if s.name != APP_NAME}
    new = {s.name: (s.size, s.checksum) for s in after if s.name != APP_NAME}
    differ = [name for name, facts in new.items() if old.get(name) != facts]
    gone = [name for name in old if name not in new]
    return (*differ, *gone)


def rollback_target(
    builds: Sequence[Build], running: str | None, exists: Callable[[str], bool]
) -> Build | str:
    """The build to roll back to (builds newest first; `running`: the hash the camera runs),
    or why there is none."""
    hashes = [b.fingerprint for b in builds]
    if running is None or running not in hashes:
        return (
            "the camera runs no build recorded for this project (flashed by hand, or before "
            "the history was kept): flash the one you want with `oakd flash --dap`"
        )
    older = builds[hashes.index(running) + 1 :]
    for build in older:
        if build.fingerprint != running and exists(build.package):
            return build
    if older:
        return "the older builds' packages are no longer in the cache"
    return "it runs the oldest build recorded: there is nothing to roll back to"
