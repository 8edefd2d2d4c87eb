"""The demo's temporary directory: a lock says a live demo owns it; a dead demo's is removed.

A demo that ends by a signal it can handle removes its directory itself. One that is killed
(SIGKILL) cannot: its daemon and emulator die with it (leash.py), but the directory stays. The
next demo removes it. "Dead" is decided by a lock, not by a PID that the system may have given
to another process since: the demo holds an flock on `demo.lock` for its whole life, and so does
its daemon (it inherits the descriptor), and the kernel drops the lock when the last of them
is gone, however it ended.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from pathlib import Path

PREFIX = "oakd-demo-"
LOCK = "demo.lock"


def hold_lock(root: Path) -> int:
    """Lock `root` for this demo; returns the descriptor, which must stay open (and may be
    passed to children so that the directory stays theirs while they live)."""
    # Made under another name and renamed once locked: a cleaner that finds a `demo.lock` can
    # trust that it was locked by its owner first, and a free lock means a dead owner.
    fresh = root / f"{LOCK}.new"
    fd = os.open(fresh, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.rename(fresh, root / LOCK)
    return fd


def remove_stale(tmp: Path) -> list[Path]:
    """Remove the directories under `tmp` left by demos that are gone; returns them."""
    removed = []
    for root in sorted(tmp.glob(f"{PREFIX}*")):
        with contextlib.suppress(OSError):
            if root.is_dir() and root.stat().st_uid == os.getuid() and _abandoned(root):
                shutil.rmtree(root, ignore_errors=True)
                removed.append(root)
    return removed


def _abandoned(root: Path) -> bool:
    # No lock file: a demo still setting up, or one older than the lock; leave it alone.
    fd = os.open(root / LOCK, os.O_RDWR | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # a live demo (or its daemon) holds it
    finally:
        os.close(fd)
    return True
