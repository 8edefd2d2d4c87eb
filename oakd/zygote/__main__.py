"""`python -m oakd.zygote ROLES FD`: warm up for each of ROLES ("device,build") once, then fork
one child per request.

One process serves every role of a daemon: depthai's import and unpacking (~1 s of CPU,
~100 MB) is paid once, not once per role. The user's code never runs here, only in a build
child (which gets the same limits as a fresh one: oakd/build/forked.py). Nothing a child does
reaches this process: each runs in its own process and dies with it (PR_SET_PDEATHSIG), as
this process dies with the daemon.

Protocol on FD, a SOCK_SEQPACKET socket to the daemon (one message per packet, JSON):
  zygote -> daemon  {"ready": pid, "roles": [...]}   once warm and alone: the roles it forks,
                    (+ "unsafe": why)                and why it forks no other
                    {"unsafe": why}                  instead, when it can fork for no role
  daemon -> zygote  {"fork": id, "role": r, "request": {...}}   with the role's file descriptors
  zygote -> daemon  {"started": id, "pid": pid}      or {"failed": id, "message": ...}
  zygote -> daemon  {"exited": pid, "status": s}     s as Process.returncode (-9 for SIGKILL)
  daemon -> zygote  {"serve": id, "role": r, "request": {...}}  the role answers it here
  zygote -> daemon  {"served": id, "result": {...}}  or {"served": id, "error": message}
A role with a serve() answers requests itself while the zygote waits to be alone: the device
role scans, so that a daemon's first discovery pass does not wait the second or two that
depthai's unpacking takes (a scan needs none of the firmware). The daemon sends them only
before "ready"; after it, a request is answered all the same, between forks. A role's
settle() (the build role: its imports and one package) runs before the role's first fork. The
zygote exits when the socket closes (killing the children it still has) or when its parent
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
from collections.abc import Callable
from types import ModuleType
from typing import Any, NoReturn

from oakd.zygote import ROLES

MESSAGE_LIMIT = 1024 * 1024
ALONE_WITHIN_S = 60.0  # depthai's unpacking threads end ~1 s after its import, here
SETTLE_S = 0.5  # this long with no CPU used: the threads left are not unpacking
IDLE_CPU_S = 0.02  # CPU of our own polling in SETTLE_S, and then some
POLL_S = 0.02  # how often the thread count is looked at while waiting to be alone


def main(argv: list[str]) -> int:
    """Warm up, then fork a child for each request until the socket closes."""
    from oakd.build.confine import die_with_parent

    sock = socket.socket(fileno=int(argv[2]))
    die_with_parent(int(os.environ.get("OAKD_PARENT_PID", os.getppid())))
    roles = {name: importlib.import_module(ROLES[name]) for name in argv[1].split(",")}
    for role in roles.values():
        role.warm_up()
    most_fds = max(role.FDS for role in roles.values())
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    children: set[int] = set()
    alone = ThreadWatch(ALONE_WITHIN_S)
    forks: dict[str, ModuleType] | None = None  # the roles it forks for, once it knows
    settled: set[str] = set()
    others = 0
    try:
        while True:
            if forks is None and (verdict := alone.verdict()) is not None:
                others = verdict
                forks = forking_roles(roles, others)
                if not forks:
                    _send(sock, {"unsafe": _unsafe(others)})
                    return 1
                ready: dict[str, Any] = {"ready": os.getpid(), "roles": sorted(forks)}
                if len(forks) < len(roles):
                    ready["unsafe"] = _unsafe(others)
                _send(sock, ready)
            wait = None if forks is not None else POLL_S
            readable, _, _ = select.select([sock.fileno(), wake_r], [], [], wait)
            if wake_r in readable:
                os.read(wake_r, 4096)
            _reap(sock, children)
            if sock.fileno() in readable:
                message, fds, _flags, _addr = socket.recv_fds(sock, MESSAGE_LIMIT, most_fds)
                if not message:
                    return 0
                request = json.loads(message)
                if "serve" in request:
                    _close(fds)
                    _serve(roles.get(str(request.get("role"))), sock, request)
                    continue
                # The daemon waits for "ready" and asks only for the roles it names.
                name = str(request.get("role"))
                if forks is not None and name in forks and name not in settled:
                    settled.add(name)
                    forks, others = settle(forks[name], forks, others, other_thread_count)
                if forks is not None and name in forks:
                    _start(forks[name], sock, request, fds, children, (wake_r, wake_w))
                else:
                    _close(fds)
                    state = "not ready yet" if forks is None else _unsafe(others)
                    why = f"not forking for the role {name!r} ({state})"
                    _send(sock, {"failed": request.get("fork"), "message": why})
    finally:
        for pid in children:
            _kill(pid)


def forking_roles(roles: dict[str, ModuleType], others: int) -> dict[str, ModuleType]:
    """The roles that may fork beside `others` threads."""
    return {n: r for n, r in roles.items() if not others or r.FORKS_BESIDE_IDLE_THREADS}


def settle(
    role: ModuleType, forks: dict[str, ModuleType], others: int, count: Callable[[], int]
) -> tuple[dict[str, ModuleType], int]:
    """Run `role`'s settle() (before its first fork: a daemon that never builds never pays
    for the build role's); the roles that still fork after it, and the threads there are."""
    work = getattr(role, "settle", None)
    if work is not None:
        work()
    after = count()
    if after > others:  # a settle() left a thread: fork only where an idle one does no harm
        forks = {n: r for n, r in forks.items() if r.FORKS_BESIDE_IDLE_THREADS}
    return forks, max(after, others)


def _unsafe(others: int) -> str:
    return f"{others} threads besides the main one after warm-up"


class ThreadWatch:
    """Whether depthai's firmware unpacking is over, and how many threads besides this one it
    leaves. Each verdict() looks once: None while other threads may still be unpacking (up to
    `within` seconds); then the count. Threads that stay and use no CPU for `settle` seconds
    wait on something (as libusb's event thread does) and will not end. The kernel's count:
    depthai's threads are not Python's."""

    def __init__(self, within: float, settle: float = SETTLE_S) -> None:
        self._deadline = time.monotonic() + within
        self._settle = settle
        self._quiet_since, self._cpu_then = time.monotonic(), time.process_time()

    def verdict(self) -> int | None:
        """None while waiting; then how many other threads there are."""
        others = other_thread_count()
        now, cpu = time.monotonic(), time.process_time()  # every thread's CPU
        if cpu - self._cpu_then > IDLE_CPU_S:
            self._quiet_since, self._cpu_then = now, cpu
        if others == 0 or now > self._deadline or now - self._quiet_since > self._settle:
            return others
        return None


def other_thread_count() -> int:
    """Threads besides this one, as the kernel counts them (depthai's are not Python's)."""
    try:
        return len(os.listdir("/proc/self/task")) - 1
    except OSError:  # no /proc: Python's own count is all there is
        return threading.active_count() - 1


def other_threads(within: float, settle: float = SETTLE_S) -> int:
    """Wait for ThreadWatch's verdict: how many threads besides this one stay."""
    watch = ThreadWatch(within, settle)
    while (others := watch.verdict()) is None:
        time.sleep(POLL_S)
    return others


def _serve(role: ModuleType | None, sock: socket.socket, message: dict[str, Any]) -> None:
    """Answer a request in this process: the role's serve(), which never forks or starts a
    thread that stays (the device role: one scan)."""
    serve_id = message.get("serve")
    serve = getattr(role, "serve", None)
    if serve is None:
        why = f"no role {message.get('role')!r} here answers requests"
        _send(sock, {"served": serve_id, "error": why})
        return
    try:
        result = serve(message.get("request", {}))
    except Exception as exc:  # the request failed, not the zygote: say so and go on
        _send(sock, {"served": serve_id, "error": f"{type(exc).__name__}: {exc}"})
        return
    _send(sock, {"served": serve_id, "result": result})


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
        _close(fds)
        _send(sock, {"failed": fork_id, "message": f"a fork needs {role.FDS} file descriptors"})
        return
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _child(role, message["request"], fds, sock, wake)
    _close(fds)
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
        _close(list(wake))
        role.run_forked(request, fds)
    finally:
        os._exit(70)  # run_forked never returns; this is for a failure before it ends


def _close(fds: list[int]) -> None:
    for fd in fds:
        os.close(fd)


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
