"""The builder's side of the warm zygote (zygote.py): start it once, ask it to fork builds.

`Zygote.spawn()` returns a forked build child, or None when no zygote can serve (it failed to
start, or died): the runner then starts a fresh `python -m oakd.build.child`, as it always
could. Nothing of the user's runs in the zygote or here.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import signal
import socket
import sys
from dataclasses import asdict
from typing import Any

from oakd.build.wire import ChildRequest
from oakd.tasks import TaskSet

log = logging.getLogger(__name__)

START_TIMEOUT_S = 120.0  # importing depthai and one warm-up package, on a loaded machine
REPLY_TIMEOUT_S = 10.0
EXIT_TIMEOUT_S = 30.0  # wait() comes after a SIGKILL of the child's group: it ends at once
MESSAGE_LIMIT = 1024 * 1024


class ForkedChild:
    """A build child forked by the zygote: its pid, and its exit status when it ends."""

    def __init__(self, pid: int, exits: dict[int, asyncio.Future[int]]) -> None:
        self.pid = pid
        self._exits = exits
        self._exited = exits[pid]

    async def wait(self) -> int:
        """The exit status, as asyncio's Process.returncode (negative: killed by a signal)."""
        try:
            status = await asyncio.wait_for(asyncio.shield(self._exited), EXIT_TIMEOUT_S)
        except asyncio.TimeoutError:  # the zygote never said: count it as killed
            status = -signal.SIGKILL
        self._exits.pop(self.pid, None)
        return status


class Zygote:
    """One warm zygote process, started on first use and restarted if it dies."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self._proc: asyncio.subprocess.Process | None = None
        self._sock: socket.socket | None = None
        self._lock = asyncio.Lock()
        self._ids = itertools.count(1)
        self._started: dict[int, asyncio.Future[int]] = {}  # build id -> pid
        self._exits: dict[int, asyncio.Future[int]] = {}  # pid -> status
        self._reader = TaskSet()
        self._unusable: str | None = None  # why no zygote serves; logged once

    async def spawn(self, request: ChildRequest, channel: int, output: int) -> ForkedChild | None:
        """Fork a build child with `channel` as its stdout and `output` as its stderr."""
        async with self._lock:
            if not await self._ensure():
                return None
        assert self._sock is not None
        loop = asyncio.get_running_loop()
        build_id = next(self._ids)
        started: asyncio.Future[int] = loop.create_future()
        self._started[build_id] = started
        message = json.dumps({"build": build_id, "request": asdict(request)})
        try:
            socket.send_fds(self._sock, [message.encode()], [channel, output])
            pid = await asyncio.wait_for(started, REPLY_TIMEOUT_S)
        except (OSError, asyncio.TimeoutError, RuntimeError) as exc:
            self._started.pop(build_id, None)
            log.warning("the warm builder did not fork a build (%s); using a fresh process", exc)
            return None
        self._exits.setdefault(pid, loop.create_future())
        return ForkedChild(pid, self._exits)

    async def close(self) -> None:
        """Stop the zygote (and any build child it still has)."""
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

    async def _ensure(self) -> bool:
        if self._proc is not None and self._proc.returncode is None and self._sock is not None:
            return True
        if self._unusable is not None:
            return False
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "oakd.build.zygote",
                str(theirs.fileno()),
                pass_fds=[theirs.fileno()],
                stdin=asyncio.subprocess.DEVNULL,
                cwd="/",
                env={**self.env, "OAKD_PARENT_PID": str(os.getpid())},
            )
        finally:
            theirs.close()
        mine.setblocking(False)
        try:
            ready = json.loads(
                await asyncio.wait_for(
                    asyncio.get_running_loop().sock_recv(mine, MESSAGE_LIMIT), START_TIMEOUT_S
                )
                or b"{}"
            )
        except (asyncio.TimeoutError, OSError, ValueError) as exc:
            ready = {"unsafe": f"no answer ({exc or type(exc).__name__})"}
        if "ready" not in ready:
            self._unusable = str(ready.get("unsafe", "it exited at start"))
            log.warning("no warm builder (%s): each build starts a fresh process", self._unusable)
            mine.close()
            with contextlib.suppress(ProcessLookupError):
                self._proc.send_signal(signal.SIGKILL)
            await self._proc.wait()
            return False
        self._sock = mine
        self._reader.start(self._read(mine), name="warm builder replies")
        return True

    async def _read(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                data = await loop.sock_recv(sock, MESSAGE_LIMIT)
                if not data:
                    break
                self._dispatch(json.loads(data), loop)
        except (OSError, ValueError) as exc:
            log.warning("the warm builder's socket failed: %s", exc)
        finally:
            # The zygote is gone, and its children with it (they die with their parent).
            for started in self._started.values():
                if not started.done():
                    started.set_exception(RuntimeError("the warm builder exited"))
            for exited in self._exits.values():
                if not exited.done():
                    exited.set_result(-signal.SIGKILL)
            self._started.clear()
            if self._sock is sock:
                sock.close()
                self._sock = None

    def _dispatch(self, message: dict[str, Any], loop: asyncio.AbstractEventLoop) -> None:
        if "started" in message:
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
