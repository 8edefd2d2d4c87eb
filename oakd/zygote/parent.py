"""The daemon's side of a warm zygote (oakd/zygote): start it once, ask it to fork children.

A daemon has one `Zygote` for its roles; each user holds its role's `ZygoteRole`, and the
daemon closes the zygote. `spawn()` returns a forked child, or None when the zygote cannot
fork for that role (it failed to start, refused the role as unsafe, or died): the caller then
starts a fresh process, as it always could (the builder `python -m oakd.build.child`, the
worker pool `python -m oakd.worker`). Nothing of the user's runs in the zygote or here.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from typing import Any

from oakd.tasks import TaskSet

log = logging.getLogger(__name__)

START_TIMEOUT_S = 120.0  # importing depthai and its unpacking, on a loaded machine
REPLY_TIMEOUT_S = 10.0  # a fork; a role's first also settles it (the build role: ~0.3 s)
EXIT_TIMEOUT_S = 30.0  # wait() comes after a SIGKILL of the child's group: it ends at once
MESSAGE_LIMIT = 1024 * 1024


class ForkedChild:
    """A child forked by the zygote: its pid, and its exit status when it ends."""

    def __init__(self, pid: int, exits: dict[int, asyncio.Future[int]]) -> None:
        self.pid = pid
        self._exits = exits
        self._exited = exits[pid]

    @property
    def returncode(self) -> int | None:
        """The exit status once the zygote has told it (None while it runs)."""
        return self._exited.result() if self._exited.done() else None

    async def wait(self) -> int:
        """The exit status, as asyncio's Process.returncode (negative: killed by a signal)."""
        try:
            status = await asyncio.wait_for(asyncio.shield(self._exited), EXIT_TIMEOUT_S)
        except asyncio.TimeoutError:  # the zygote never said: count it as killed
            status = -signal.SIGKILL
        self._exits.pop(self.pid, None)
        return status


class PipedChild:
    """A forked child whose stdin, stdout and stderr are pipes to this process: the part of an
    asyncio.subprocess.Process that a device worker's owner uses (oakd/services/workers.py)."""

    def __init__(
        self,
        child: ForkedChild,
        stdin: asyncio.StreamWriter,
        stdout: asyncio.StreamReader,
        stderr: asyncio.StreamReader,
    ) -> None:
        self.pid = child.pid
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self._child = child

    @property
    def returncode(self) -> int | None:
        """The exit status, None while it runs."""
        return self._child.returncode

    async def wait(self) -> int:
        """Wait for the exit status."""
        return await self._child.wait()

    def send_signal(self, sig: int) -> None:
        """Send a signal (ProcessLookupError once it is gone)."""
        if self.returncode is not None:
            raise ProcessLookupError(self.pid)
        os.kill(self.pid, sig)

    def kill(self) -> None:
        """SIGKILL."""
        self.send_signal(signal.SIGKILL)


class ZygoteRole:
    """What a user of one role (oakd.zygote.ROLES) asks of the zygote."""

    def __init__(self, zygote: Zygote, name: str) -> None:
        self.zygote = zygote
        self.name = name

    @property
    def forks(self) -> bool:
        """The zygote runs, warm and alone, and forks this role's children at once."""
        return self.zygote.forks(self.name)

    async def spawn(self, request: dict[str, Any], fds: list[int]) -> ForkedChild | None:
        """See Zygote.spawn."""
        return await self.zygote.spawn(self.name, request, fds)

    async def spawn_piped(self, request: dict[str, Any], limit: int) -> PipedChild | None:
        """See Zygote.spawn_piped."""
        return await self.zygote.spawn_piped(self.name, request, limit)

    async def serve(self, request: dict[str, Any], timeout: float) -> dict[str, Any] | None:
        """See Zygote.serve."""
        return await self.zygote.serve(self.name, request, timeout)


class Zygote:
    """One warm zygote process for `roles` (oakd.zygote.ROLES), started on first use and
    restarted if it dies after it was ready."""

    def __init__(self, roles: Sequence[str], env: dict[str, str]) -> None:
        self.roles = tuple(roles)
        self.env = env
        self._proc: asyncio.subprocess.Process | None = None
        self._sock: socket.socket | None = None
        self._lock = asyncio.Lock()
        self._ids = itertools.count(1)
        # The roles it forks for, once it is ready; none: it never will.
        self._ready: asyncio.Future[frozenset[str]] | None = None
        self._ready_by = 0.0  # the loop's time by which it must be ready
        self._started: dict[int, asyncio.Future[int]] = {}  # fork id -> pid
        self._exits: dict[int, asyncio.Future[int]] = {}  # pid -> status
        self._served: dict[int, asyncio.Future[dict[str, Any]]] = {}  # serve id -> its answer
        self._reader = TaskSet()
        self._unusable: str | None = None  # why no zygote serves; logged once

    def role(self, name: str) -> ZygoteRole:
        """The part of this zygote that one role's user needs."""
        assert name in self.roles, name
        return ZygoteRole(self, name)

    def forks(self, role: str) -> bool:
        """It runs, warm and alone, and forks `role`'s children at once."""
        ready = self._ready
        return self._running() and ready is not None and ready.done() and role in ready.result()

    async def spawn(self, role: str, request: dict[str, Any], fds: list[int]) -> ForkedChild | None:
        """Fork a child of `role` for `request`, handing it `fds` (the role's; the caller
        closes its copies)."""
        if not await self._ensure(role):
            return None
        assert self._sock is not None
        loop = asyncio.get_running_loop()
        fork_id = next(self._ids)
        started: asyncio.Future[int] = loop.create_future()
        self._started[fork_id] = started
        message = json.dumps({"fork": fork_id, "role": role, "request": request})
        try:
            socket.send_fds(self._sock, [message.encode()], fds)
            pid = await asyncio.wait_for(started, REPLY_TIMEOUT_S)
        except (OSError, asyncio.TimeoutError, RuntimeError) as exc:
            self._started.pop(fork_id, None)
            log.warning("the warm zygote did not fork a %s child (%s): a fresh one", role, exc)
            return None
        self._exits.setdefault(pid, loop.create_future())
        return ForkedChild(pid, self._exits)

    async def serve(
        self, role: str, request: dict[str, Any], timeout: float
    ) -> dict[str, Any] | None:
        """The zygote's own answer to `request` (its role's serve()) while it cannot fork yet,
        so that a daemon's first scan does not wait for depthai's unpacking. None once it
        forks (fork a child for the request instead) or when no zygote can serve. A failure
        it reports raises RuntimeError; so does no answer within `timeout`, after which the
        zygote is killed (and, not yet ready, not tried again)."""
        async with self._lock:
            if not await self._start():
                return None
        if self._ready is None or self._ready.done() or self._sock is None:
            return None
        serve_id = next(self._ids)
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._served[serve_id] = answer
        try:
            message = {"serve": serve_id, "role": role, "request": request}
            self._sock.send(json.dumps(message).encode())
            reply = await asyncio.wait_for(answer, timeout)
        except asyncio.TimeoutError:
            self._kill(f"it did not answer {request.get('op', 'a request')} within {timeout:.0f} s")
            raise RuntimeError(f"the warm zygote did not answer within {timeout:.0f} s") from None
        except OSError as exc:
            raise RuntimeError(f"the warm zygote is gone ({exc})") from None
        finally:
            self._served.pop(serve_id, None)
        if "error" in reply:
            raise RuntimeError(str(reply["error"]))
        result: dict[str, Any] = reply.get("result", {})
        return result

    async def spawn_piped(
        self, role: str, request: dict[str, Any], limit: int
    ) -> PipedChild | None:
        """Fork a child of `role` with pipes for its stdin, stdout and stderr (the role's three
        fds); `limit` is the readers' line limit, as create_subprocess_exec's."""
        loop = asyncio.get_running_loop()
        stdin_r, stdin_w = os.pipe()
        stdout_r, stdout_w = os.pipe()
        stderr_r, stderr_w = os.pipe()
        try:
            child = await self.spawn(role, request, [stdin_r, stdout_w, stderr_w])
        finally:
            for fd in (stdin_r, stdout_w, stderr_w):
                os.close(fd)
        if child is None:
            for fd in (stdin_w, stdout_r, stderr_r):
                os.close(fd)
            return None
        readers = []
        for fd in (stdout_r, stderr_r):
            reader = asyncio.StreamReader(limit=limit)
            await loop.connect_read_pipe(
                functools.partial(asyncio.StreamReaderProtocol, reader),
                os.fdopen(fd, "rb", buffering=0),
            )
            readers.append(reader)
        transport, protocol = await loop.connect_write_pipe(
            lambda: asyncio.StreamReaderProtocol(asyncio.StreamReader()),
            os.fdopen(stdin_w, "wb", buffering=0),
        )
        writer = asyncio.StreamWriter(transport, protocol, None, loop)
        return PipedChild(child, writer, readers[0], readers[1])

    async def close(self) -> None:
        """Stop the zygote (and any child it still has)."""
        if self._ready is not None and not self._ready.done():
            self._unusable = "closed"  # not a failure: no warning
            self._ready.set_result(frozenset())
        await self._reader.cancel_all()
        if self._sock is not None:
            self._sock.close()  # the zygote sees the end of the socket and exits
            self._sock = None
        if self._proc is not None:
            try:
                await asyncio.wait_for(self._proc.wait(), 5)
            except asyncio.TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self._proc.kill()
                await self._proc.wait()
            self._proc = None

    def _running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None and self._sock is not None

    async def _start(self) -> bool:
        """Start the process unless it runs (under the lock); False when none can serve."""
        if self._running():
            return True
        if self._unusable is not None:
            return False
        loop = asyncio.get_running_loop()
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "oakd.zygote",
                ",".join(self.roles),
                str(theirs.fileno()),
                pass_fds=[theirs.fileno()],
                stdin=asyncio.subprocess.DEVNULL,
                cwd="/",
                env={**self.env, "OAKD_PARENT_PID": str(os.getpid())},
            )
        finally:
            theirs.close()
        mine.setblocking(False)
        self._sock = mine
        self._ready = loop.create_future()
        self._ready_by = loop.time() + START_TIMEOUT_S
        self._reader.start(self._read(mine, self._ready), name="warm zygote replies")
        return True

    async def _ensure(self, role: str) -> bool:
        """Start it if need be and wait until it forks; False when it never will for `role`."""
        async with self._lock:
            if not await self._start():
                return False
        ready = self._ready
        assert ready is not None
        remaining = self._ready_by - asyncio.get_running_loop().time()
        try:
            return role in await asyncio.wait_for(asyncio.shield(ready), max(remaining, 0.0))
        except asyncio.TimeoutError:
            self._kill(f"not ready within {START_TIMEOUT_S:.0f} s")
            return False

    def _kill(self, why: str) -> None:
        """Give up on this process: a zygote not yet ready is not started again."""
        if self._ready is not None and not self._ready.done():
            self._not_ready(why)
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.send_signal(signal.SIGKILL)

    def _not_ready(self, why: str) -> None:
        """It will never fork: say why, once, and leave the children to fresh processes."""
        assert self._ready is not None
        self._unusable = why
        log.warning("no warm zygote (%s): each child starts a fresh process", why)
        self._ready.set_result(frozenset())

    async def _read(self, sock: socket.socket, ready: asyncio.Future[frozenset[str]]) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                data = await loop.sock_recv(sock, MESSAGE_LIMIT)
                if not data:
                    break
                self._dispatch(json.loads(data), loop)
        except (OSError, ValueError) as exc:
            log.warning("the warm zygote's socket failed: %s", exc)
        finally:
            # The zygote is gone, and its children with it (they die with their parent).
            if not ready.done():
                self._not_ready("it exited at start")
            for started in self._started.values():
                if not started.done():
                    started.set_exception(RuntimeError("the warm zygote exited"))
            for exited in self._exits.values():
                if not exited.done():
                    exited.set_result(-signal.SIGKILL)
            for answer in self._served.values():
                if not answer.done():
                    answer.set_exception(RuntimeError("the warm zygote exited"))
            self._started.clear()
            if self._sock is sock:
                sock.close()
                self._sock = None

    def _dispatch(self, message: dict[str, Any], loop: asyncio.AbstractEventLoop) -> None:
        if "ready" in message or "unsafe" in message:
            if self._ready is not None and not self._ready.done():
                if "ready" not in message:
                    self._kill(str(message["unsafe"]))
                    return
                forks = frozenset(message.get("roles", ()))
                for role in sorted(set(self.roles) - forks):  # once: it does not start again
                    log.warning(
                        "the warm zygote forks no %s children (%s): each starts a fresh process",
                        role,
                        message.get("unsafe", "refused"),
                    )
                self._ready.set_result(forks)
        elif "served" in message:
            answer = self._served.get(int(message["served"]))
            if answer is not None and not answer.done():
                answer.set_result(message)
        elif "started" in message:
            future = self._started.pop(int(message["started"]), None)
            if future is not None and not future.done():
                future.set_result(int(message["pid"]))
        elif "failed" in message:
            future = self._started.pop(int(message["failed"]), None)
            if future is not None and not future.done():
                future.set_exception(RuntimeError(str(message.get("message"))))
        elif "exited" in message:
            pid = int(message["exited"])
            future = self._exits.setdefault(pid, loop.create_future())
            if not future.done():
                future.set_result(int(message["status"]))
