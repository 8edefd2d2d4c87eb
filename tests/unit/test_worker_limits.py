"""A device worker that floods its output or hangs is killed, and its call fails with the reason.

The worker here is a stand-in program, not `python -m oakd.worker`: what it imitates (depthai's
reader thread spinning on a dead link, writing "Cannot find file descriptor by key" as fast as
it can) happens only by chance under load, and cannot be brought about on purpose.
"""

from __future__ import annotations

import asyncio
import sys
import time

import pytest

from oakd.services.workers import Worker
from oakd.worker.contract import DeviceError, Failure, Op

FLOOD = """
import sys
sys.stdin.readline()  # the request
while True:
    sys.stderr.write("F: [global] tcpipPlatformRead:272 Cannot find file descriptor by key: 55\\n")
"""
HANG = "import sys, time\nsys.stdin.readline()\ntime.sleep(600)\n"


async def stand_in(code: str) -> Worker:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        code,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    return Worker(proc, {})


async def test_a_worker_that_floods_its_output_is_killed() -> None:
    worker = await stand_in(FLOOD)
    started = time.monotonic()
    with pytest.raises(DeviceError, match="flooded its output") as caught:
        await worker.call(Op.FLASH, {}, timeout=120)
    assert caught.value.failure is Failure.TRANSIENT
    assert time.monotonic() - started < 60  # long before the deadline
    assert await asyncio.wait_for(worker.proc.wait(), 10) < 0
    assert not worker.alive
    await worker.stop()


async def test_a_worker_past_its_deadline_is_killed() -> None:
    worker = await stand_in(HANG)
    with pytest.raises(DeviceError, match="did not finish within 1 s") as caught:
        await worker.call(Op.FLASH, {}, timeout=1)
    assert caught.value.failure is Failure.TRANSIENT
    assert await asyncio.wait_for(worker.proc.wait(), 10) < 0
    await worker.stop()


RETIRES = """
import json, sys
sys.stdin.readline()
print(json.dumps({"event": "done", "result": {"ok": 1}, "retire": "close hung"}), flush=True)
"""


async def test_a_worker_whose_depthai_close_hung_answers_then_is_never_lent_again() -> None:
    worker = await stand_in(RETIRES)
    assert await worker.call(Op.FLASH, {}, timeout=30) == {"ok": 1}  # the work stands
    assert not worker.alive and "close hung" in (worker.killed_because or "")
    await worker.stop()


def test_a_close_that_does_not_return_is_given_up_on_and_retires_the_worker() -> None:
    # A stand-in for depthai's DeviceBootloader: its close() deadlock (a mutex that
    # XLinkConnection::close never gets) comes only by chance, under heavy load.
    from oakd.worker import closing

    class Hung:
        def close(self) -> None:
            time.sleep(3600)

    class Fine:
        def close(self) -> None:
            pass

    assert closing.close_within(Fine(), 5) and closing.retiring() is None
    started = time.monotonic()
    assert not closing.close_within(Hung(), 0.2)
    assert time.monotonic() - started < 5
    assert "close() did not return" in (closing.retiring() or "")
