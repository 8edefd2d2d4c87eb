"""Limits the build child puts on itself before it runs any user code (Linux)."""

from __future__ import annotations

import os
import resource
import signal

# Address space set aside for reporting a MemoryError: freed first thing when one is caught,
# so that formatting the traceback and writing the report do not fail in turn.
_BALLAST_SIZE = 8 * 1024 * 1024
_ballast: bytearray | None = None


def limit_memory(memory_mb: int) -> None:
    """Cap the address space (RLIMIT_AS), so that a memory bomb fails the build, not the
    machine; and set the ballast aside. depthai needs about 300 MiB of it just to import."""
    global _ballast
    limit = memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    _ballast = bytearray(_BALLAST_SIZE)


def release_ballast() -> None:
    """Give back the reserve after a MemoryError."""
    global _ballast
    _ballast = None


def die_with_parent(parent_pid: int) -> None:
    """Die when the builder dies: the time limit lives in the parent, so an orphaned endless
    loop would otherwise run forever. Exits at once if the parent is already gone."""
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: the parent's kill on timeout remains
    if os.getppid() != parent_pid:
        os._exit(1)
