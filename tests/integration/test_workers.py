"""Device workers forked from the warm zygote (oakd/zygote, oakd/worker/forked.py): they serve
as fresh ones do, die with their zygote, and a zygote that cannot serve leaves the daemon with
fresh workers. Real processes, real depthai, an emulated camera. How much faster they start:
tests/benchmarks/bench_workers.py."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable

import pytest

from oakd.emulator.process import Fleet
from oakd.services.workers import Worker
from oakd.worker.contract import DeviceError, Failure, Op
from oakd.zygote.parent import PipedChild, Zygote
from tests.build.projects import parent_of, pid_alive
from tests.helpers import wait_for

pytestmark = pytest.mark.timeout(180)


async def test_forked_workers_serve_as_fresh_ones(make_fleet: Callable[..., Fleet]) -> None:
    camera = make_fleet(1).cameras[0]
    zygote = Zygote(("device",), dict(os.environ))
    workers = zygote.role("device")
    try:
        fresh = await Worker.start()
        forked = await Worker.start(workers)  # the zygote's own start, then a fork
        again = await Worker.start(workers)
        assert isinstance(forked.proc, PipedChild) and isinstance(again.proc, PipedChild)
        assert zygote._proc is not None
        assert parent_of(forked.proc.pid) == parent_of(again.proc.pid) == zygote._proc.pid
        for worker in (fresh, forked, again):
            found = await worker.call(Op.SCAN, {"static": [camera.address]}, timeout=30)
            assert {s[0] for s in found["sightings"]} == {camera.mxid}
        await forked.stop()
        assert forked.proc.returncode == 0  # stdin closed: it ended as a fresh one does
        await fresh.stop()
    finally:
        await zygote.close()
    # The zygote's children end with it: no worker outlives the daemon's zygote.
    wait_for(lambda: not pid_alive(again.proc.pid), 10, "the forked worker to end with its zygote")
    with pytest.raises(DeviceError):
        await again.call(Op.SCAN, {"static": []}, timeout=10)


async def test_the_zygote_scans_itself_until_it_can_fork(
    make_fleet: Callable[..., Fleet],
) -> None:
    # A daemon's first discovery pass does not wait for depthai's unpacking: a scan sent while
    # the zygote is still warming is answered by the zygote. Once it forks, serve() says so
    # (None), and the scan goes to a forked worker. A request it cannot answer fails alone.
    camera = make_fleet(1).cameras[0]
    zygote = Zygote(("device",), dict(os.environ))
    workers = zygote.role("device")
    scan = {"op": Op.SCAN.value, "params": {"static": [camera.address]}}
    flash = {"op": Op.FLASH.value, "params": {}}
    try:
        # Both sent at its start, before it can have finished warming.
        scanning = asyncio.ensure_future(workers.serve(scan, timeout=30))
        refused = asyncio.ensure_future(workers.serve(flash, timeout=30))
        early = await scanning
        assert early is not None
        assert {s[0] for s in early["sightings"]} == {camera.mxid}
        with pytest.raises(RuntimeError, match="answers only scan"):
            await refused
        worker = await Worker.start(workers)  # the same zygote, not killed by the failure
        assert workers.forks and zygote._proc is not None
        assert isinstance(worker.proc, PipedChild)
        assert parent_of(worker.proc.pid) == zygote._proc.pid
        assert await workers.serve(scan, timeout=30) is None  # it forks now: a worker's job
        found = await worker.call(Op.SCAN, {"static": [camera.address]}, timeout=30)
        assert {s[0] for s in found["sightings"]} == {camera.mxid}
        await worker.stop()
    finally:
        await zygote.close()


async def test_a_zygote_that_does_not_answer_a_scan_is_killed() -> None:
    # Every wait has a deadline: a zygote stopped before it answers (SIGSTOP, as a hung depthai
    # would leave it) is killed at the scan's deadline, not tried again, and workers start
    # fresh.
    zygote = Zygote(("device",), dict(os.environ))
    workers = zygote.role("device")
    try:
        scanning = asyncio.ensure_future(
            workers.serve({"op": Op.SCAN.value, "params": {"static": []}}, timeout=3)
        )
        while zygote._proc is None:  # started under serve(); it needs ~0.2 s before it reads
            await asyncio.sleep(0.001)
        stopped = zygote._proc
        stopped.send_signal(signal.SIGSTOP)
        with pytest.raises(RuntimeError, match="did not answer within 3 s"):
            await scanning
        assert await asyncio.wait_for(stopped.wait(), 30) == -signal.SIGKILL
        assert not workers.forks
        worker = await Worker.start(workers)
        assert isinstance(worker.proc, asyncio.subprocess.Process)  # fresh
        await worker.stop()
    finally:
        await zygote.close()


async def test_a_zygote_that_cannot_serve_leaves_fresh_workers() -> None:
    # A zygote that exits at start (here: a role it does not know), or that refuses because
    # other threads run after its warm-up, says so once; every worker is then a fresh process.
    zygote = Zygote(("no-such-role",), dict(os.environ))
    workers = zygote.role("no-such-role")
    try:
        worker = await Worker.start(workers)
        assert isinstance(worker.proc, asyncio.subprocess.Process)
        assert (await worker.call(Op.SCAN, {"static": []}, timeout=30)) == {"sightings": []}
        await worker.stop()
        assert await workers.spawn({}, []) is None  # and it is not tried again
    finally:
        await zygote.close()


async def test_a_killed_zygote_is_replaced_by_the_next_worker(
    make_fleet: Callable[..., Fleet],
) -> None:
    camera = make_fleet(1).cameras[0]
    zygote = Zygote(("device",), dict(os.environ))
    workers = zygote.role("device")
    try:
        first = await Worker.start(workers)
        assert zygote._proc is not None
        killed = zygote._proc.pid
        os.kill(killed, signal.SIGKILL)
        wait_for(lambda: not pid_alive(first.proc.pid), 10, "its worker to die with it")
        with pytest.raises(DeviceError) as caught:  # transient: the engine retries the job
            await first.call(Op.SCAN, {"static": []}, timeout=10)
        assert caught.value.failure is Failure.TRANSIENT
        second = await Worker.start(workers)  # from a new zygote
        assert isinstance(second.proc, PipedChild)
        assert parent_of(second.proc.pid) not in (killed, os.getpid())
        found = await second.call(Op.SCAN, {"static": [camera.address]}, timeout=30)
        assert {s[0] for s in found["sightings"]} == {camera.mxid}
        await second.stop()
    finally:
        await zygote.close()


def test_the_zygote_forks_only_once_every_other_thread_has_ended() -> None:
    # depthai's import starts two threads that unpack its firmware and then end: the zygote
    # waits for them, counting the kernel's threads (Python knows only its own). A thread that
    # stays and waits (as libusb's event thread does, on a machine with USB) is told from them
    # within a second, not at the deadline: the process then uses no CPU. In a child process:
    # this one has pytest's threads.
    code = (
        "import threading, time\n"
        "import depthai\n"
        "from oakd.zygote.__main__ import other_threads\n"
        "print(threading.active_count(), other_threads(0.0), other_threads(120.0))\n"
        "threading.Thread(target=time.sleep, args=(600,), daemon=True).start()\n"
        "print(other_threads(120.0))\n"
    )
    result = subprocess.run(  # 60 s: less than the 120 s that other_threads may wait at most
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    numbers = [line for line in result.stdout.splitlines() if not line.startswith("[")]
    python_threads, at_import, after_unpacking, staying = map(int, " ".join(numbers).split())
    assert (python_threads, after_unpacking, staying) == (1, 0, 1)
    assert at_import >= 1  # the unpacking threads, which Python does not count
