"""`python -m oakd.zygote ROLE FD`: warm up for ROLE once, then fork one child per request.

The user's code never runs here, only in a build child (which gets the same limits as a fresh
one: oakd/build/forked.py). Nothing a child does reaches this process: each runs in its own
process and dies with it (PR_SET_PDEATHSIG), as this process dies with the daemon.

Protocol on FD, a SOCK_SEQPACKET socket to the daemon (one message per packet, JSON):
  zygote -> daemon  {"ready": pid}                   once warm and single-threaded
                    {"unsafe": why}                  instead, when forking would not be safe
  daemon -> zygote  {"fork": id, "request": {...}}   with the role's file descriptors
  zygote -> daemon  {"started": id, "pid": pid}      or {"failed": id, "message": ...}
  zygote -> daemon  {"exited": pid, "status": s}     s as Process.returncode (-9 for SIGKILL)
The zygote exits when the socket closes (killing the children it still has) or when its parent
dies.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import select
import signal
import socket
import sys
import threading
import time
from types import ModuleType
from typing import Any, NoReturn

from oakd.zygote import ROLES

MESSAGE_LIMIT = 1024 * 1024
ALONE_WITHIN_S = 60.0  # depthai's unpacking threads end ~1 s after its import, here
SETTLE_S = 0.5  # this long with no CPU used: the threads left are not unpacking
IDLE_CPU_S = 0.02  # CPU of our own polling in SETTLE_S, and then some


def main(argv: list[str]) -> int:
    """Warm up, then fork a child for each request until the socket closes."""
    from oakd.build.confine import die_with_parent

    sock = socket.socket(fileno=int(argv[2]))
    die_with_parent(int(os.environ.get("OAKD_PARENT_PID", os.getppid())))
    role = importlib.import_module(ROLES[argv[1]])
    role.warm_up()
    others = other_threads(ALONE_WITHIN_S)
    if others and not role.FORKS_BESIDE_IDLE_THREADS:
        _send(sock, {"unsafe": f"{others} threads besides the main one after warm-up"})
        return 1
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    children: set[int] = set()
    _send(sock, {"ready": os.getpid()})
    try:
        while True:
            ready, _, _ = select.select([sock.fileno(), wake_r], [], [])
            if wake_r in ready:
                os.read(wake_r, 4096)
            _reap(sock, children)
            if sock.fileno() in ready:
                message, fds, _flags, _addr = socket.recv_fds(sock, MESSAGE_LIMIT, role.FDS)
                if not message:
                    return 0
                _start(role, sock, json.loads(message), fds, children, (wake_r, wake_w))
    finally:
        for pid in children:
            _kill(pid)


def other_threads(within: float, settle: float = SETTLE_S) -> int:
    """How many threads besides this one still run once depthai's firmware unpacking is over:
    waits up to `within` seconds for the others to end, but no longer than `settle` seconds
    once the process uses no CPU (the threads left then wait on something, as libusb's event
    thread does, and will not end). The kernel's count: depthai's threads are not Python's."""
    deadline = time.monotonic() + within
    quiet_since, cpu_then = time.monotonic(), time.process_time()
    while True:
        try:
            others = len(os.listdir("/proc/self/task")) - 1
        except OSError:  # no /proc: Python's own count is all there is
            others = threading.active_count() - 1
        now, cpu = time.monotonic(), time.process_time()  # every thread's CPU
        if cpu - cpu_then > IDLE_CPU_S:
            quiet_since, cpu_then = now, cpu
        if others == 0 or now > deadline or now - quiet_since > settle:
            return others
        time.sleep(0.02)


def _start(
    role: ModuleType,
    sock: socket.socket,
    message: dict[str, Any],
    fds: list[int],
    children: set[int],
    wake: tuple[int, int],
) -> None:
    fork_id = message.get("fork")
    if len(fds) != role.FDS:
        for fd in fds:
            os.close(fd)
        _send(sock, {"failed": fork_id, "message": f"a fork needs {role.FDS} file descriptors"})
        return
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _child(role, message["request"], fds, sock, wake)
    for fd in fds:
        os.close(fd)
    children.add(pid)
    _send(sock, {"started": fork_id, "pid": pid})


def _child(
    role: ModuleType,
    request: dict[str, Any],
    fds: list[int],
    sock: socket.socket,
    wake: tuple[int, int],
) -> NoReturn:
    """In the forked child: drop the zygote's own ends, then become the role's child."""
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        sock.close()
        for fd in wake:
            os.close(fd)
        role.run_forked(request, fds)
    finally:
        os._exit(70)  # run_forked never returns; this is for a failure before it ends


def _reap(sock: socket.socket, children: set[int]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        _send(sock, {"exited": pid, "status": code})


def _kill(pid: int) -> None:
    """Kill a child and its process group (a build child leads one; a device worker not)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


def _send(sock: socket.socket, message: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # the builder is gone: the next recv ends the loop
        sock.send(json.dumps(message).encode())


if __name__ == "__main__":
    sys.exit(main(sys.argv))
