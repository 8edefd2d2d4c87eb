"""Watching one project directory: bursts of writes become one signal; the directory may vanish.

watchfiles groups a burst of writes (an editor's atomic save, a git checkout) and yields once
it has been quiet for `step` ms. A directory that is deleted and made again (a branch switch,
rm -rf and restore) is a new inode that the old watch no longer sees, so the watcher checks
the inode after every batch and at every timeout, and starts over when it changed.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from watchfiles import Change, DefaultFilter, awatch

log = logging.getLogger(__name__)

POLL_MISSING_S = 0.25  # how often to look for a vanished directory to come back


class ProjectFilter(DefaultFilter):
    """DefaultFilter (VCS folders, __pycache__, editor swap and backup files, ...) plus the
    caches of tools people run in a project."""

    ignore_dirs = (*DefaultFilter.ignore_dirs, ".ruff_cache", ".cache", "build", "dist")


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
) -> None:
    """Call `on_change(reason)` once per burst of changes until `stop` is set.

    Also called when the directory vanishes ("deleted") and when it comes back ("restored").
    """
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
            watch_filter=ProjectFilter(),
            step=step_ms,
            debounce=max(1600, step_ms * 4),
            rust_timeout=500,
            yield_on_timeout=True,
            stop_event=watch_stop,
            raise_interrupt=False,
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
