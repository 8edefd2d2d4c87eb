"""Every way a project can be wrong gives one failure: a stable kind and a message for a person."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from oakd.build import (
    BuildOptions,
    BuildResult,
    FailureKind,
    Outcome,
    PackageCache,
    Project,
    build_project,
    build_project_sync,
)
from oakd.build.confine import Shield
from oakd.build.wire import ChildRequest
from tests.build.projects import (
    PIPELINE,
    pid_alive,
    read_pids,
    spawn_and_record,
    write_project,
)
from tests.helpers import wait_for


def build(project: Path, cache: PackageCache, **options: Any) -> BuildResult:
    """Build (making no package: none of these gets that far); the failure must be there."""
    defaults = BuildOptions(timeout_s=20.0, fingerprint_only=True)
    result = build_project_sync(Project(project), replace(defaults, **options), cache)
    assert result.outcome is Outcome.FAILED, result
    assert result.failure is not None and result.package is None
    return result


def kind(result: BuildResult) -> FailureKind:
    assert result.failure is not None
    return result.failure.kind


def test_a_syntax_error_names_file_and_line(tmp_path: Path, cache: PackageCache) -> None:
    project = write_project(tmp_path, "import depthai as dai\n\ndef create_pipeline(:\n    pass\n")
    result = build(project, cache)
    assert kind(result) is FailureKind.SYNTAX
    assert result.failure and result.failure.message.startswith("pipeline.py, line 3: SyntaxError")
    assert "def create_pipeline(:" in result.failure.traceback


def test_an_exception_in_create_pipeline_comes_with_the_users_traceback(
    tmp_path: Path, cache: PackageCache
) -> None:
    code = """
    import depthai as dai

    def create_pipeline():
        raise ValueError("no camera named door")
    """
    result = build(write_project(tmp_path, code), cache)
    assert kind(result) is FailureKind.EXCEPTION and result.failure
    assert result.failure.message == (
        "ValueError in create_pipeline() (pipeline.py, line 5): no camera named door"
    )
    assert 'raise ValueError("no camera named door")' in result.failure.traceback
    assert "oakd/build" not in result.failure.traceback  # the builder's frames are noise


def test_an_exception_while_loading_says_so(tmp_path: Path, cache: PackageCache) -> None:
    result = build(write_project(tmp_path, "import no_such_module_here\n"), cache)
    assert kind(result) is FailureKind.EXCEPTION and result.failure
    assert "ModuleNotFoundError while loading pipeline.py (pipeline.py, line 1)" in (
        result.failure.message
    )


def test_neither_create_pipeline_nor_pipeline(tmp_path: Path, cache: PackageCache) -> None:
    result = build(write_project(tmp_path, "import depthai as dai\nPIPELINE = 1\n"), cache)
    assert kind(result) is FailureKind.NO_PIPELINE and result.failure
    assert "defines neither create_pipeline() nor a module-level `pipeline`" in (
        result.failure.message
    )


@pytest.mark.parametrize(
    ("code", "said"),
    [
        ("def create_pipeline():\n    return None\n", "create_pipeline() returned None, not"),
        ("def create_pipeline():\n    return [1]\n", "create_pipeline() returned a list, not"),
        ("pipeline = 42\n", "the module-level `pipeline` is an int, not a depthai.Pipeline"),
        ("create_pipeline = 'x'\n", "create_pipeline in pipeline.py is a str, not a function"),
    ],
)
def test_the_wrong_type(tmp_path: Path, cache: PackageCache, code: str, said: str) -> None:
    result = build(write_project(tmp_path, code), cache)
    assert kind(result) is FailureKind.WRONG_TYPE and result.failure
    assert said in result.failure.message


def test_an_endless_loop_hits_the_time_limit_and_nothing_survives(
    tmp_path: Path, cache: PackageCache
) -> None:
    code = spawn_and_record() + "\ndef create_pipeline():\n    while True:\n        pass\n"
    project = write_project(tmp_path, code)
    result = build(project, cache, timeout_s=2.0)
    assert kind(result) is FailureKind.TIMEOUT and result.failure
    assert "did not finish within 2 s while running your pipeline code" in result.failure.message
    assert 2.0 <= result.durations.total_s < 10
    pids = read_pids(project / "pids")
    assert len(pids) == 2
    wait_for(lambda: not any(pid_alive(p) for p in pids), 10, "the child and its sleeper to die")


def test_a_memory_bomb_hits_the_memory_limit(tmp_path: Path, cache: PackageCache) -> None:
    code = """
    def create_pipeline():
        hoard = []
        while True:
            hoard.append(bytearray(64 * 1024 * 1024))
    """
    result = build(write_project(tmp_path, code), cache, memory_mb=512)
    assert kind(result) is FailureKind.MEMORY and result.failure
    assert "ran out of memory in create_pipeline() (pipeline.py, line 5)" in result.failure.message
    assert "512 MiB" in result.failure.message
    assert "MemoryError" in result.failure.traceback


def test_sys_exit_is_a_failure_that_says_so(tmp_path: Path, cache: PackageCache) -> None:
    code = "import sys\n\ndef create_pipeline():\n    sys.exit(3)\n"
    result = build(write_project(tmp_path, code), cache)
    assert kind(result) is FailureKind.EXITED and result.failure
    assert "called sys.exit(3) in create_pipeline()" in result.failure.message


def test_os_exit_is_a_failure_that_says_so(tmp_path: Path, cache: PackageCache) -> None:
    code = "import os\nprint('bye', flush=True)\nos._exit(7)\n"
    result = build(write_project(tmp_path, code), cache)
    assert kind(result) is FailureKind.EXITED and result.failure
    assert "exited with status 7 while running your pipeline code" in result.failure.message
    assert "os._exit()" in result.failure.message
    assert result.output.text == "bye\n"


def test_megabytes_of_output_keep_the_tail_and_the_traceback(
    tmp_path: Path, cache: PackageCache
) -> None:
    code = """
    import sys
    for i in range(100_000):
        print(f"line {i:06d} " + "x" * 90)
    sys.stderr.write("the last words\\n")
    raise RuntimeError("after all that")
    """
    result = build(write_project(tmp_path, code), cache, output_limit=64 * 1024)
    assert kind(result) is FailureKind.EXCEPTION and result.failure
    output = result.output
    assert output.truncated and output.total_bytes > 10_000_000
    assert len(output.text.encode()) <= 64 * 1024
    assert output.text.startswith("line ") and output.text.endswith("the last words\n")
    assert "line 099999" in output.text
    assert 'raise RuntimeError("after all that")' in result.failure.traceback


@pytest.mark.parametrize("node", ["XLinkOut", "XLinkIn"])
def test_an_xlink_node_is_refused_by_id_type_and_stream(
    tmp_path: Path, cache: PackageCache, node: str
) -> None:
    code = f"""
    import depthai as dai

    def create_pipeline():
        pipeline = dai.Pipeline()
        pipeline.create(dai.node.Script)
        xlink = pipeline.create(dai.node.{node})
        xlink.setStreamName("frames")
        return pipeline
    """
    result = build(write_project(tmp_path, code), cache)
    assert kind(result) is FailureKind.NOT_STANDALONE and result.failure
    assert f'node 1 ({node}, stream "frames")' in result.failure.message
    assert "no host attached" in result.failure.message
    assert [(n.id, n.type) for n in result.nodes] == [(0, "Script"), (1, node)]


def test_the_entry_file_missing(tmp_path: Path, cache: PackageCache) -> None:
    project = write_project(tmp_path)
    result = build_project_sync(Project(project, entry="main.py"), BuildOptions(), cache)
    assert kind(result) is FailureKind.ENTRY_MISSING and result.failure
    assert f"no main.py in {project}" in result.failure.message
    assert "--entry" in result.failure.message


def test_the_project_directory_missing_or_deleted(tmp_path: Path, cache: PackageCache) -> None:
    project = write_project(tmp_path)
    shutil.rmtree(project)
    result = build_project_sync(Project(project), BuildOptions(), cache)
    assert kind(result) is FailureKind.PROJECT_MISSING and result.failure
    assert f"the project directory {project} does not exist" == result.failure.message


def test_the_child_itself_reports_a_project_deleted_before_it_started(tmp_path: Path) -> None:
    # The runner checks first; the child checks again, for a directory deleted in between.
    request = ChildRequest(
        project_dir=str(tmp_path / "gone"),
        entry="pipeline.py",
        app_name_base="gone",
        compress=True,
        cache_dir=str(tmp_path / "cache"),
        memory_mb=2048,
        fingerprint_only=False,
        parent_pid=0,
    )
    # parent_pid is checked against the real parent: run it from a shell-less Popen.
    proc = subprocess.run(
        [sys.executable, "-c", CHILD_WITH_OUR_PID, request.to_arg()],
        capture_output=True,
        timeout=30,
    )
    report = json.loads(proc.stdout.splitlines()[-1])["report"]
    assert report["kind"] == "project_missing"
    assert "is gone or unreadable" in report["message"]


# Runs the child in-process with parent_pid set to this interpreter's parent (the test).
CHILD_WITH_OUR_PID = """
import json, os, sys
from oakd.build import child
request = json.loads(sys.argv[1])
request["parent_pid"] = os.getppid()
child.main(["child", json.dumps(request)])
"""


async def test_cancelling_a_build_kills_the_child_and_what_it_started(
    tmp_path: Path, cache: PackageCache
) -> None:
    code = spawn_and_record() + "\nimport time\ntime.sleep(300)\n"
    project = write_project(tmp_path, code)
    options = BuildOptions(timeout_s=60)
    task = asyncio.ensure_future(build_project(Project(project), options, cache))
    deadline = asyncio.get_running_loop().time() + 20
    try:
        while len(read_pids(project / "pids")) < 2:  # the user's code is running
            assert not task.done(), task.result()
            assert asyncio.get_running_loop().time() < deadline, "the user's code never ran"
            await asyncio.sleep(0.02)
    finally:
        task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    pids = read_pids(project / "pids")
    wait_for(lambda: not any(pid_alive(p) for p in pids), 10, "the child and its sleeper to die")


def test_a_crash_names_the_signal(tmp_path: Path, cache: PackageCache) -> None:
    code = "import os, signal\n\ndef create_pipeline():\n    os.kill(os.getpid(), signal.SIGSEGV)\n"
    result = build(write_project(tmp_path, code), cache)
    assert kind(result) is FailureKind.CRASHED and result.failure
    assert "killed by SIGSEGV while running your pipeline code" in result.failure.message


def test_a_process_started_in_a_session_of_its_own_does_not_outlive_the_build(
    tmp_path: Path, cache: PackageCache
) -> None:
    # A daemonizing subprocess leaves the build's process group, so the group kill misses it;
    # the build's PID namespace does not.
    project = write_project(tmp_path, spawn_and_record(session=True) + PIPELINE)
    options = BuildOptions(timeout_s=20.0, fingerprint_only=True)
    result = build_project_sync(Project(project), options, cache)
    assert result.ok, result.failure
    pids = read_pids(project / "pids")
    assert len(pids) == 2
    wait_for(lambda: not any(pid_alive(p) for p in pids), 10, "the escaped sleeper to die")


def test_an_entry_outside_the_project_is_refused(tmp_path: Path, cache: PackageCache) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.py").write_text("open('ran', 'w').write('yes')\n")
    project = write_project(tmp_path)
    result = build_project_sync(
        Project(project, entry="../outside/x.py"), BuildOptions(fingerprint_only=True), cache
    )
    assert kind(result) is FailureKind.ENTRY_MISSING and result.failure
    assert "is outside the project" in result.failure.message
    assert not (outside / "ran").exists() and not (project / "ran").exists()


PROBE = """
import json, os, socket
results = {}
for name, path in (("state", STATE + "/oakd.sqlite3"), ("cache", CACHE + "/probe")):
    try:
        with open(path, "w") as f:
            f.write("user code was here")
        results[name] = "written"
    except OSError as exc:
        results[name] = exc.strerror
client = socket.socket(socket.AF_UNIX)
try:
    client.connect(SOCKET)
    results["socket"] = "connected"
except OSError as exc:
    results["socket"] = exc.strerror
open("results.json", "w").write(json.dumps(results))
"""


def test_the_daemons_state_and_socket_are_out_of_reach_of_user_code(
    tmp_path: Path, cache: PackageCache
) -> None:
    state, own_cache = tmp_path / "state", tmp_path / "state" / "cache"
    own_cache.mkdir(parents=True)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(tmp_path / "oakd.sock"))
    listener.listen()
    names = {"STATE": str(state), "CACHE": str(own_cache), "SOCKET": str(tmp_path / "oakd.sock")}
    code = "".join(f"{k} = {v!r}\n" for k, v in names.items()) + PROBE + PIPELINE
    project = write_project(tmp_path, code)
    shield = Shield(read_only=(str(state),), writable=(str(own_cache),), hidden=(names["SOCKET"],))
    options = BuildOptions(fingerprint_only=True, shield=shield)
    try:
        result = build_project_sync(Project(project), options, cache)
    finally:
        listener.close()
    assert result.ok, result.failure
    results = json.loads((project / "results.json").read_text())
    assert results["state"] == "Read-only file system", results
    assert results["cache"] == "written", results  # the package cache stays writable
    assert results["socket"] != "connected", results
    assert not (state / "oakd.sqlite3").exists()
