"""Device workers seen from the daemon: child processes that run depthai (oakd.worker).

Importing depthai takes about a second, so workers are started ahead and reused: the pool
keeps one idle worker warm and grows up to the flash parallelism. A worker that dies is
replaced; the operation it was running fails as transient (and is retried by the engine).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

from oakd.tasks import TaskSet, wait_any

log = logging.getLogger(__name__)

START_TIMEOUT_S = 120.0  # importing depthai on a loaded machine
EventHandler = Callable[[dict[str, Any]], None]


class WorkerError(Exception):
    """An operation ended in an error; `kind` is transient, refused or failed."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class Worker:
    """One `python -m oakd.worker` child."""

    def __init__(self, proc: asyncio.subprocess.Process, info: dict[str, Any]) -> None:
        self.proc = proc
        self.info = info
        self.busy = False

    @classmethod
    async def start(cls) -> Worker:
        """Start a worker and wait until depthai is imported."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "oakd.worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "OAKD_PARENT_PID": str(os.getpid())},
        )
        worker = cls(proc, {})
        try:
            ready = await asyncio.wait_for(worker._next(), START_TIMEOUT_S)
        except (asyncio.TimeoutError, WorkerError):
            await worker.stop()
            raise WorkerError("failed", "the device worker did not start (see the log)") from None
        worker.info = ready
        return worker

    @property
    def alive(self) -> bool:
        """The child is still running."""
        return self.proc.returncode is None

    async def _next(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                code = await self.proc.wait()
                raise WorkerError("transient", f"the device worker died (exit code {code})")
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                log.warning("device worker: %s", line.decode(errors="replace").rstrip())
                continue
            if isinstance(message, dict):
                return message

    async def call(
        self, op: str, params: dict[str, Any], on_event: EventHandler | None = None
    ) -> dict[str, Any]:
        """Run one operation; phase and progress events go to `on_event`."""
        assert self.proc.stdin is not None
        self.busy = True
        try:
            self.proc.stdin.write(json.dumps({"op": op, "params": params}).encode() + b"\n")
            await self.proc.stdin.drain()
            while True:
                message = await self._next()
                event = message.get("event")
                if event == "done":
                    result: dict[str, Any] = message.get("result", {})
                    return result
                if event == "error":
                    raise WorkerError(message.get("kind", "failed"), message.get("message", ""))
                if on_event:
                    on_event(message)
        except (BrokenPipeError, ConnectionResetError):
            raise WorkerError("transient", "the device worker died") from None
        finally:
            self.busy = False

    async def stop(self) -> None:
        """Close stdin (the worker exits) and make sure it is gone."""
        if self.proc.stdin and not self.proc.stdin.is_closing():
            self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 5)
        except asyncio.TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()


class WorkerPool:
    """Warm workers for device operations: `async with pool.worker() as w: await w.call(...)`."""

    def __init__(self, warm: int = 1) -> None:
        self.warm = warm
        self._idle: list[Worker] = []
        self._all: set[Worker] = set()
        self._starting = 0
        self._tasks = TaskSet()
        self._changed = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Keep `warm` idle workers ready until stopped; then stop them all."""
        try:
            while not stop.is_set():
                while len(self._idle) + self._starting < self.warm:
                    self._starting += 1
                    self._tasks.start(self._add_idle(), name="start worker")
                self._changed.clear()
                await wait_any([stop, self._changed], timeout=5)
        finally:
            await self._tasks.cancel_all()
            await asyncio.gather(*(w.stop() for w in list(self._all)), return_exceptions=True)

    async def _add_idle(self) -> None:
        try:
            worker = await Worker.start()
        except WorkerError as exc:
            log.error("%s; trying again", exc.message)
            await asyncio.sleep(2)
            return
        finally:
            self._starting -= 1
            self._changed.set()
        self._all.add(worker)
        self._idle.append(worker)

    async def take(self) -> Worker:
        """An idle worker, or a new one."""
        while self._idle:
            worker = self._idle.pop()
            if worker.alive:
                self._changed.set()  # start the next warm one
                return worker
            self._all.discard(worker)
        worker = await Worker.start()
        self._all.add(worker)
        self._changed.set()
        return worker

    def give_back(self, worker: Worker) -> None:
        """Return a worker after use; a dead one is dropped."""
        if worker.alive and len(self._idle) < max(self.warm, 1) * 4:
            self._idle.append(worker)
        else:
            self._all.discard(worker)
            if worker.alive:
                self._tasks.start(worker.stop(), name="stop worker")

    @contextlib.asynccontextmanager
    async def worker(self) -> AsyncIterator[Worker]:
        """Borrow a worker for the duration of a block."""
        worker = await self.take()
        try:
            yield worker
        finally:
            self.give_back(worker)
