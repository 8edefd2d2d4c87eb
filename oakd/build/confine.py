"""Limits the build child puts on itself before it runs any user code (Linux)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    _die_with_parent_now()  # on other systems than Linux: the parent's kill on timeout remains
    if os.getppid() != parent_pid:
        os._exit(1)


CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18
# statvfs flags a remount must keep (the kernel locks them on mounts from outside a user
# namespace): ST_* -> MS_*.
KEPT_FLAGS = {2: 2, 4: 4, 8: 8, 1024: 1024, 2048: 2048, 4096: 1 << 21}


@dataclass(frozen=True)
class Shield:
    """What a build's code may not touch: directories it sees read-only (the daemon's state),
    directories under those it may still write (the package cache), files it does not see at
    all (the daemon's socket: its API would let the build flash, reset or reconfigure cameras).
    """

    read_only: tuple[str, ...] = ()
    writable: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()


def private_pid_namespace(shield: Shield | None = None) -> str | None:
    """Run the rest of this build in a PID namespace of its own, so that nothing the user's code
    starts (even with setsid) outlives the build: when the namespace's first process ends, the
    kernel kills every process left in it.

    Three processes: this one stays outside, waits and passes the build's end on (an exit
    status, or death by the same signal); the namespace's first process only reaps (a PID 1
    ignores signals it has no handler for, which user code would notice); the build runs as its
    child and returns from this call. Returns None there, or why no namespace could be made (as
    a user without user namespaces): then the build goes on in this process, as before.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWPID | CLONE_NEWNS | (0 if uid == 0 else CLONE_NEWUSER)
    if libc.unshare(flags) != 0:
        return os.strerror(ctypes.get_errno())
    if flags & CLONE_NEWUSER:
        try:  # the same uid and gid inside: files keep their owner
            Path("/proc/self/setgroups").write_text("deny")
            Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
            Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
        except OSError as exc:
            return f"cannot map the user into its namespace ({exc.strerror})"
    unshielded = _raise_shield(libc, shield or Shield())
    ends_r, ends_w = os.pipe()
    first = os.fork()
    if first:  # outside: mirror how the build ended
        os.close(ends_w)
        os.waitpid(first, 0)
        end = os.read(ends_r, 64).decode() or "exit 1"
        how, number = end.split()
        if how == "signal":
            signal.signal(int(number), signal.SIG_DFL)
            os.kill(os.getpid(), int(number))
        os._exit(int(number))
    os.close(ends_r)
    _die_with_parent_now()
    build = os.fork()
    if build:  # PID 1 of the namespace: wait for the build, report, and take the rest along
        _, status = os.waitpid(build, 0)
        if os.WIFSIGNALED(status):
            os.write(ends_w, f"signal {os.WTERMSIG(status)}".encode())
        else:
            os.write(ends_w, f"exit {os.WEXITSTATUS(status)}".encode())
        os._exit(0)
    os.close(ends_w)
    _die_with_parent_now()
    return unshielded


def _raise_shield(libc: Any, shield: Shield) -> str | None:
    """Mount the shield in this (new) mount namespace; None, or what could not be done."""

    def mount(source: str | None, target: str, flags: int) -> None:
        if libc.mount(_c(source), _c(target), None, flags, None) != 0:
            raise OSError(ctypes.get_errno(), f"{os.strerror(ctypes.get_errno())}: {target}")

    def bind(path: str, read_only: bool) -> None:
        kept = sum(ms for st, ms in KEPT_FLAGS.items() if os.statvfs(path).f_flag & st)
        mount(path, path, MS_BIND | MS_REC)
        mount(None, path, MS_BIND | MS_REMOUNT | kept | (MS_RDONLY if read_only else 0))

    try:
        # Nothing mounted here may reach the daemon's own view of the files.
        mount(None, "/", MS_REC | MS_PRIVATE)
        for path in shield.read_only:
            if os.path.isdir(path):
                bind(path, read_only=True)
        for path in shield.writable:
            if os.path.isdir(path):
                bind(path, read_only=False)
        for path in shield.hidden:
            if os.path.exists(path):
                mount(os.devnull, path, MS_BIND)
    except OSError as exc:
        return f"the daemon's files could not be shielded ({exc.strerror})"
    return None


def _c(text: str | None) -> bytes | None:
    return None if text is None else os.fsencode(text)


def _die_with_parent_now() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
