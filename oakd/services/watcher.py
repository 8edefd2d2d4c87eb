"""Watching one project directory: bursts of writes become one signal; the directory may vanish.

watchfiles groups a burst of writes (an editor's atomic save, a git checkout) and yields once
it has been quiet for `step` ms. A directory that is deleted and made again (a branch switch,
rm -rf and restore) is a new inode that the old watch no longer sees, so the watcher checks
the inode after every batch and at every timeout, and starts over when it changed.

Not every write is a reason to build: ProjectFilter drops what cannot change the pipeline (VCS
and tool caches, logs, built packages, the daemon's own files) and what the project's `ignore`
patterns name. It looks at paths relative to the project, so that where the project lives
(say under ~/build/) never hides it.
"""

from __future__ import annotations

import asyncio
import fnmatch
import glob
import logging
import os
import re
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from watchfiles import Change, DefaultFilter, awatch

log = logging.getLogger(__name__)

POLL_MISSING_S = 0.25  # how often to look for a vanished directory to come back


class ProjectFilter(DefaultFilter):
    """DefaultFilter (VCS folders, __pycache__, editor swap and backup files, ...) plus the
    caches of tools people run in a project, logs and built packages; and the project's own
    patterns.

    watchfiles matches `ignore_dirs` against every part of the path it is given, so the filter
    hands it the path relative to the project root: a project in /home/u/build/counter is
    watched, its own build/ folder is not.

    A pattern is a glob (fnmatch): without a "/" it matches a file or directory name at any
    depth ("*.csv", "scratch"); with one it matches the path from the project root ("data/*",
    "/notes.md"). A matched directory takes everything under it along.
    """

    ignore_dirs = (*DefaultFilter.ignore_dirs, ".ruff_cache", ".nox", ".cache", "build", "dist")
    ignore_entity_patterns = (
        *DefaultFilter.ignore_entity_patterns,
        r"\.log(\.\d+)?$",  # logs, rotated ones too: a log written in the project looped builds
        r"\.dap$",  # packages (`oakd build -o`): output, never input
        r"\.tmp$",  # half-written files; the rename that completes one is seen under its name
    )

    def __init__(
        self, root: Path, patterns: Sequence[str] = (), paths: Sequence[Path] = ()
    ) -> None:
        """`patterns` as the class says; `paths`: resolved absolute paths to leave out (the
        daemon's state, package cache and socket, should they lie inside the project)."""
        super().__init__()
        self.root = str(root)
        own = ["/" + glob.escape(os.path.relpath(p, root)) for p in paths if root in p.parents]
        names: list[re.Pattern[str]] = []
        relative: list[re.Pattern[str]] = []
        for pattern in (*patterns, *own):
            glob_text = pattern.strip("/")
            if glob_text:  # "scratch/" is a name, "/notes.md" and "data/*" are paths
                kind = relative if "/" in pattern.rstrip("/") else names
                kind.append(re.compile(fnmatch.translate(glob_text)))
        self._names = tuple(names)
        self._relative = tuple(relative)

    def __call__(self, change: Change, path: str) -> bool:
        rel = os.path.relpath(path, self.root)
        if not super().__call__(change, rel):
            return False
        parts = rel.split(os.sep)
        if any(r.match(part) for r in self._names for part in parts):
            return False
        prefixes = [os.sep.join(parts[: i + 1]) for i in range(len(parts))]
        return not any(r.match(prefix) for r in self._relative for prefix in prefixes)


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino if path.is_dir() else None
    except OSError:
        return None


async def watch_directory(
    path: Path,
    on_change: Callable[[str], Awaitable[None] | None],
    stop: asyncio.Event,
    step_ms: int = 50,
    watch_filter: ProjectFilter | None = None,
) -> None:
    """Call `on_change(reason)` once per burst of changes until `stop` is set.

    Also called when the directory vanishes ("deleted") and when it comes back ("restored").
    `watch_filter` says which changes count (default: ProjectFilter(path)).
    """
    watch_filter = watch_filter or ProjectFilter(path)
    missing_reported = False
    while not stop.is_set():
        inode = _inode(path)
        if inode is None:
            if not missing_reported:
                missing_reported = True
                await _call(on_change, "deleted")
            await asyncio.sleep(POLL_MISSING_S)
            continue
        if missing_reported:
            missing_reported = False
            await _call(on_change, "restored")
        watch_stop = asyncio.Event()
        async for changes in awatch(
            path,
            watch_filter=watch_filter,
            step=step_ms,
            debounce=max(1600, step_ms * 4),
            rust_timeout=500,
            yield_on_timeout=True,
            stop_event=watch_stop,
        ):
            if stop.is_set():
                watch_stop.set()
                break
            if _inode(path) != inode:
                watch_stop.set()  # deleted or replaced: start over on the new directory
                if _inode(path) is not None:
                    await _call(on_change, "replaced")
                break
            if changes:
                await _call(on_change, _describe(changes, path))


async def _call(on_change: Callable[[str], Awaitable[None] | None], reason: str) -> None:
    result = on_change(reason)
    if result is not None:
        await result


def _describe(changes: set[tuple[Change, str]], root: Path) -> str:
    names = sorted({os.path.relpath(p, root) for _, p in changes})
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"changed: {shown}"
