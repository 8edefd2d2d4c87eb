"""Move this process into a private network namespace that holds only loopback.

depthai's discovery broadcasts UDP on every interface, and a test that flashes "the first camera
it finds" could flash a real camera on someone's desk. So the test suite, `oakd demo` and the
benchmarks move into a namespace of their own before they start anything; every thread and child
process (daemon, emulator, workers, builders) inherits it. `unshare --net` done in-process, so
that `uv run pytest` and `uv run oakd demo` are safe on any machine.

Call it while the process has a single thread: a user namespace cannot be entered otherwise.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import socket
import struct

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1


def _unshare(flags: int) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(flags) != 0:
        return ctypes.get_errno()
    return 0


def _map_to_root(uid: int, gid: int) -> None:
    """In a fresh user namespace, become root of it (as `unshare --map-root-user` does)."""
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"0 {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"0 {gid} 1")


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifreq = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s, SIOCGIFFLAGS, ifreq))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


def only_loopback() -> bool:
    """True when this process sees no network interface but loopback."""
    return [name for _, name in socket.if_nameindex()] == ["lo"]


def enter_private_netns(fresh: bool = False) -> str | None:
    """Enter a loopback-only namespace; return None on success, else why it could not be made.

    `fresh`: make a new one even when this process is isolated already. Each of the test
    suite's parallel workers needs its own, or their emulated cameras would claim the same
    loopback addresses and ports. Only the calling thread and what it starts from then on move.
    """
    if only_loopback() and not fresh:
        _loopback_up()  # already isolated (e.g. started under `unshare --net`)
        return None
    if not hasattr(os, "getuid"):
        return "network namespaces need Linux"
    uid, gid = os.getuid(), os.getgid()
    # As root, or as the root of the user namespace a parent made, no user namespace is needed
    # (and a process with threads, such as a pytest-xdist worker, could not enter one).
    err = _unshare(CLONE_NEWNET)
    if err:
        # Unprivileged: a user namespace first grants CAP_NET_ADMIN inside it.
        err = _unshare(CLONE_NEWUSER | CLONE_NEWNET)
        if err:
            return f"unshare(CLONE_NEWUSER|CLONE_NEWNET) failed: {os.strerror(err)}"
        _map_to_root(uid, gid)
    _loopback_up()
    if not only_loopback():
        return "a namespace was made but it still shows interfaces other than loopback"
    return None
