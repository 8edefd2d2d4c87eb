"""Builds forked by the warm zygote: the same packages, the same limits and failures as a fresh
build child, and a fresh child again when the zygote is gone."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from oakd.build import BuildOptions, FailureKind, Outcome, PackageCache, Project, build_project
from oakd.build.runner import zygote_env
from oakd.services.workers import Worker
from oakd.zygote.parent import PipedChild, Zygote
from tests.build.projects import (
    parent_of,
    pid_alive,
    read_pids,
    spawn_and_record,
    write_project,
)
from tests.helpers import wait_for

pytestmark = pytest.mark.timeout(180)

LOOP = "\ndef create_pipeline():\n    while True:\n        pass\n"
BAD = {
    FailureKind.SYNTAX: "def create_pipeline(:\n    pass\n",
    FailureKind.EXCEPTION: "def create_pipeline():\n    raise ValueError('no camera here')\n",
    FailureKind.EXITED: "import os\nprint('bye', flush=True)\nos._exit(7)\n",
    FailureKind.CRASHED: "import os, signal\n\ndef create_pipeline():\n"
    "    os.kill(os.getpid(), signal.SIGSEGV)\n",
    FailureKind.MEMORY: "def create_pipeline():\n    hoard = []\n    while True:\n"
    "        hoard.append(bytearray(64 * 1024 * 1024))\n",
}


async def test_a_forked_build_makes_the_same_package_as_a_fresh_one(tmp_path: Path) -> None:
    project = Project(write_project(tmp_path / "src"))
    fresh = await build_project(project, BuildOptions(), PackageCache(tmp_path / "fresh"))
    zygote = Zygote(("device", "build"), zygote_env())  # as a daemon has it
    builds = zygote.role("build")
    warm_cache = PackageCache(tmp_path / "warm")
    try:
        warm = await build_project(project, BuildOptions(), warm_cache, builds)
        assert warm.outcome is Outcome.NEW, warm.failure
        assert warm.fingerprint == fresh.fingerprint
        assert warm.package and fresh.package
        assert warm.package.read_bytes() == fresh.package.read_bytes()
        again = await build_project(
            project, BuildOptions(), PackageCache(tmp_path / "warm"), builds
        )
        assert again.outcome is Outcome.UNCHANGED
        assert zygote._proc is not None  # one zygote served both
        # The same process forks the daemon's device workers: one depthai import for both.
        worker = await Worker.start(zygote.role("device"))
        assert isinstance(worker.proc, PipedChild)
        assert parent_of(worker.proc.pid) == zygote._proc.pid
        await worker.stop()
    finally:
        await zygote.close()


async def test_forked_builds_fail_as_fresh_ones_do_and_leave_nothing_behind(
    tmp_path: Path,
) -> None:
    zygote = Zygote(("device", "build"), zygote_env())  # as a daemon has it
    builds = zygote.role("build")
    cache = PackageCache(tmp_path / "cache")
    options = BuildOptions(timeout_s=20.0, fingerprint_only=True, memory_mb=768)
    try:
        for expected, code in BAD.items():
            project = Project(write_project(tmp_path / expected.value, code))
            result = await build_project(project, options, cache, builds)
            assert result.failure is not None, expected
            assert result.failure.kind is expected, (expected, result.failure)
            if expected is FailureKind.EXITED:
                assert result.output.text == "bye\n"
        looping = write_project(tmp_path / "loop", spawn_and_record(session=True) + LOOP)
        result = await build_project(Project(looping), BuildOptions(timeout_s=2.0), cache, builds)
        assert result.failure is not None and result.failure.kind is FailureKind.TIMEOUT
        pids = read_pids(looping / "pids")
        wait_for(lambda: not any(pid_alive(p) for p in pids), 10, "the child and its sleeper")
    finally:
        await zygote.close()


async def test_without_a_zygote_builds_start_fresh_children(tmp_path: Path) -> None:
    zygote = Zygote(("device", "build"), zygote_env())  # as a daemon has it
    builds = zygote.role("build")
    cache = PackageCache(tmp_path / "cache")
    project = Project(write_project(tmp_path / "src"))
    options = BuildOptions(fingerprint_only=True)
    try:
        assert (await build_project(project, options, cache, builds)).ok
        assert zygote._proc is not None
        os.kill(zygote._proc.pid, signal.SIGKILL)
        await zygote._proc.wait()
        # The next build gets a new zygote or a fresh child; either way it builds.
        assert (await build_project(project, options, cache, builds)).ok
    finally:
        await zygote.close()
