"""Device workers seen from the daemon: child processes that run depthai (oakd.worker).

A fresh worker costs about a second of CPU before it can work (importing depthai, which then
unpacks its firmware), so workers fork from a warm zygote (oakd/worker/forked.py) when one can
serve, and from a fresh `python -m oakd.worker` when not; and they are reused: the pool keeps
`warm` idle workers and grows up to the flash parallelism. A worker that dies is replaced; the
operation it was running fails as transient (and is retried by the engine).

Nothing a worker does can hang the daemon or flood its log: every call has a deadline, after
which the worker is killed; its own output (depthai's C++ logger writes to fd 1 and 2) goes
through a pipe and a rate limit (oakd.core.output), and a worker that floods it for seconds
(depthai spinning on a dead link) is killed too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from oakd.core.output import OutputLimiter, Verdict
from oakd.tasks import TaskSet, wait_any
from oakd.worker.contract import DeviceError, Failure, Op
from oakd.zygote.parent import PipedChild, ZygoteRole

log = logging.getLogger(__name__)

START_TIMEOUT_S = 120.0  # importing depthai on a loaded machine
DEFAULT_DEADLINE_S = 300.0  # a device operation that takes longer has hung
STREAM_LIMIT = 64 * 1024  # asyncio's default line limit, for fresh and forked workers alike
EventHandler = Callable[[dict[str, Any]], None]


class Worker:
    """One device worker: a `python -m oakd.worker` child, or one forked by the zygote."""

    def __init__(self, proc: asyncio.subprocess.Process | PipedChild, info: dict[str, Any]) -> None:
        self.proc = proc
        self.info = info
        self.busy = False
        self.killed_because: str | None = None  # why oakd killed it, for the failed call
        self._output = TaskSet()
        self._output.start(self._relay_output(), name=f"worker {proc.pid} output")

    @classmethod
    async def start(cls, zygote: ZygoteRole | None = None) -> Worker:
        """Start a worker (forked by `zygote` when it can) and wait until it is ready."""
        proc: asyncio.subprocess.Process | PipedChild | None = None
        if zygote is not None:
            proc = await zygote.spawn_piped({}, limit=STREAM_LIMIT)
        if proc is None:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "oakd.worker",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env={**os.environ, "OAKD_PARENT_PID": str(os.getpid())},
                limit=STREAM_LIMIT,
            )
        worker = cls(proc, {})
        try:
            ready = await asyncio.wait_for(worker._next(), START_TIMEOUT_S)
        except (asyncio.TimeoutError, DeviceError):
            await worker.stop()
            raise DeviceError(
                Failure.FAILED, "the device worker did not start (see the log)"
            ) from None
        worker.info = ready
        return worker

    @property
    def alive(self) -> bool:
        """The child is still running, and oakd has not given up on it."""
        return self.proc.returncode is None and self.killed_because is None

    async def _next(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                code = await self.proc.wait()
                why = self.killed_because or f"the device worker died (exit code {code})"
                raise DeviceError(Failure.TRANSIENT, why)
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                log.warning("device worker: %s", line.decode(errors="replace").rstrip())
                continue
            if isinstance(message, dict):
                return message

    async def call(
        self,
        op: Op,
        params: Mapping[str, Any],
        on_event: EventHandler | None = None,
        timeout: float = DEFAULT_DEADLINE_S,
    ) -> dict[str, Any]:
        """Run one operation; phase and progress events go to `on_event`. Past `timeout`
        seconds the worker is killed and the call fails as transient."""
        self.busy = True
        try:
            return await asyncio.wait_for(self._call(op, params, on_event), timeout)
        except asyncio.TimeoutError:
            self.kill(f"the camera did not finish ({op}) within {timeout:.0f} s")
            raise DeviceError(
                Failure.TRANSIENT,
                f"the camera did not finish within {timeout:.0f} s (the deadline for {op}); "
                "its device worker was stopped and will be replaced",
            ) from None
        finally:
            self.busy = False

    async def _call(
        self, op: Op, params: Mapping[str, Any], on_event: EventHandler | None
    ) -> dict[str, Any]:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps({"op": op.value, "params": params}).encode() + b"\n")
            await self.proc.stdin.drain()
            while True:
                message = await self._next()
                event = message.get("event")
                if event in ("done", "error") and message.get("retire"):
                    # It exits after this answer (oakd/worker/closing.py): never lend it again.
                    self.killed_because = f"the device worker retired: {message['retire']}"
                if event == "done":
                    result: dict[str, Any] = message.get("result", {})
                    return result
                if event == "error":
                    raise DeviceError.from_event(message)
                if on_event:
                    on_event(message)
        except (BrokenPipeError, ConnectionResetError):
            raise DeviceError(
                Failure.TRANSIENT, self.killed_because or "the device worker died"
            ) from None

    def kill(self, why: str) -> None:
        """Kill the worker at once (SIGKILL); `why` becomes the error of its running call."""
        if self.killed_because is not None:
            return  # killed already; the first reason stands
        self.killed_because = why
        if self.proc.returncode is None:
            log.error("device worker %s: %s; killing it", self.proc.pid, why)
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGKILL)

    async def _relay_output(self) -> None:
        """Copy the worker's own output (depthai's logger) to the log, within the limits."""
        assert self.proc.stderr is not None
        limiter = OutputLimiter()
        pid = self.proc.pid
        while True:
            try:
                line = await self.proc.stderr.readline()
            except ValueError:  # a line longer than the stream's limit: take a piece
                line = await self.proc.stderr.read(64 * 1024)
            if not line:
                break
            now = time.monotonic()
            text = line.decode(errors="replace").rstrip()[:2000]
            verdict = limiter.take(now)
            if verdict is Verdict.LOG:
                log.warning("device worker %s: %s", pid, text)
            elif verdict is Verdict.STOP:
                self.kill(f"depthai in the device worker flooded its output ({text!r})")
            dropped = limiter.report(now)
            if dropped:
                log.warning("device worker %s: %d more lines of output dropped", pid, dropped)
        if limiter.dropped:
            log.warning("device worker %s: %d more lines of output dropped", pid, limiter.dropped)

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
        await self._output.join(timeout=2)


class WorkerPool:
    """Warm workers for device operations: `async with pool.worker() as w: await w.call(...)`."""

    def __init__(self, warm: int = 1, zygote: ZygoteRole | None = None) -> None:
        self.warm = warm
        self.zygote = zygote
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
            worker = await Worker.start(self.zygote)
        except DeviceError as exc:
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
        worker = await Worker.start(self.zygote)
        self._all.add(worker)
        self._changed.set()
        return worker

    def give_back(self, worker: Worker) -> None:
        """Return a worker after use; a dead one is dropped."""
        if worker.alive and len(self._idle) < max(self.warm, 1) * 4:
            self._idle.append(worker)
        else:
            self._all.discard(worker)
            if worker.proc.returncode is None:  # a spare, or one killed but not yet reaped
                self._tasks.start(worker.stop(), name="stop worker")

    @contextlib.asynccontextmanager
    async def worker(self) -> AsyncIterator[Worker]:
        """Borrow a worker for the duration of a block."""
        worker = await self.take()
        try:
            yield worker
        finally:
            self.give_back(worker)
