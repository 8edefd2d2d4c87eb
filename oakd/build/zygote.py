"""`python -m oakd.build.zygote FD`: a warm process that forks one confined child per build.

A build in a fresh `python -m oakd.build.child` pays for the interpreter, the depthai import and
depthai's first package in a new process (unpacking its firmware): about 0.7 s of the 0.9 s of
a build. This process pays that once, then forks: a forked child starts with depthai imported
and warm, and builds in ~0.2 s. The user's code still runs only in the child, under the same
limits as a fresh one (child.run_build: RLIMIT_AS, its own session so that a kill of its
process group reaches what it started, death with its parent, the time limit in the daemon).

Forking is safe because, once warm, this process runs one thread (checked at start: with more,
it refuses to serve and the builder falls back to fresh children).

Protocol on FD, a SOCK_SEQPACKET socket to the builder (one message per packet, JSON):
  zygote -> builder  {"ready": pid}                 once warm
  builder -> zygote  {"build": id, "request": {...}} with two fds: the channel and the output
  zygote -> builder  {"started": id, "pid": pid}     or {"failed": id, "message": ...}
  zygote -> builder  {"exited": pid, "status": s}    s as Process.returncode (-9 for SIGKILL)
The zygote exits when the socket closes (killing the children it still has) or when its parent
dies.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, NoReturn

MESSAGE_LIMIT = 1024 * 1024


def main(argv: list[str]) -> int:
    """Warm up, then fork a child for each build request until the socket closes."""
    from oakd.build.confine import die_with_parent

    sock = socket.socket(fileno=int(argv[1]))
    die_with_parent(int(os.environ.get("OAKD_PARENT_PID", os.getppid())))
    warm_up()
    if threading.active_count() != 1:
        _send(sock, {"unsafe": f"{threading.active_count()} threads after warm-up"})
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
                message, fds, _flags, _addr = socket.recv_fds(sock, MESSAGE_LIMIT, 2)
                if not message:
                    return 0
                _start(sock, json.loads(message), fds, children, (wake_r, wake_w))
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


def warm_up() -> None:
    """Import depthai and make one package, so that every forked child starts warm."""
    import depthai as dai

    with tempfile.TemporaryDirectory(prefix="oakd-zygote-") as tmp:
        dai.DeviceBootloader.saveDepthaiApplicationPackage(
            Path(tmp) / "warm.dap", dai.Pipeline(), compress=False
        )


def _start(
    sock: socket.socket,
    message: dict[str, Any],
    fds: list[int],
    children: set[int],
    wake: tuple[int, int],
) -> None:
    build_id = message.get("build")
    if len(fds) != 2:
        for fd in fds:
            os.close(fd)
        _send(sock, {"failed": build_id, "message": "a build needs two file descriptors"})
        return
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _child(message["request"], fds, sock, wake)
    for fd in fds:
        os.close(fd)
    children.add(pid)
    _send(sock, {"started": build_id, "pid": pid})


def _child(
    request: dict[str, Any], fds: list[int], sock: socket.socket, wake: tuple[int, int]
) -> NoReturn:
    """In the forked child: become a fresh build child, then build (never returns)."""
    try:
        os.setsid()  # its own session and process group, as a fresh child has
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        sock.close()
        for fd in wake:
            os.close(fd)
        channel, output = fds
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(channel, 1)
        os.dup2(output, 2)
        for fd in (devnull, channel, output):
            os.close(fd)
        os.chdir("/")
        from oakd.build.child import run_build
        from oakd.build.wire import ChildRequest

        run_build(ChildRequest.from_json({**request, "parent_pid": os.getppid()}))
    finally:
        os._exit(70)  # run_build exits by itself; this is for a failure before it


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


def _send(sock: socket.socket, message: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # the builder is gone: the next recv ends the loop
        sock.send(json.dumps(message).encode())


if __name__ == "__main__":
    sys.exit(main(sys.argv))
