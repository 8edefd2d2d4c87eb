"""Run a build in a child process: time limit, kill on cancel, bounded output, one result.

The child (child.py) runs the user's code; this side only supervises. The child gets its own
process group, so a timeout or a cancel kills whatever the user's code started too. Its stdout
(the answer channel) and stderr (the user's output) are pipes made here rather than by asyncio:
asyncio's Process.wait() on 3.10/3.11 also waits for its pipes to close, which a grandchild that
escaped the group could put off forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import oakd
from oakd.build.cache import PackageCache
from oakd.build.errors import FailureKind
from oakd.build.limits import format_size
from oakd.build.model import (
    BuildOptions,
    BuildResult,
    Durations,
    Failure,
    NodeInfo,
    Outcome,
)
from oakd.build.output import CapturedOutput, TailBuffer
from oakd.build.project import Project, entry_missing_message, entry_outside_message
from oakd.build.wire import ChildReport, ChildRequest, Phase
from oakd.core.package import app_name_base
from oakd.zygote.parent import ForkedChild, ZygoteRole

MESSAGE_LIMIT = 4 * 1024 * 1024  # a report line longer than this is a broken child
DRAIN_S = 2.0  # how long to wait for the last output once the process group is dead


async def build_project(
    project: Project, options: BuildOptions, cache: PackageCache, zygote: ZygoteRole | None = None
) -> BuildResult:
    """Build `project` into `cache` in a child process (forked by `zygote` when there is one:
    warm, several times faster); a failed build is a result, not an exception. Cancelling the
    call kills the child (and everything it started) first."""
    started = time.perf_counter()
    early = _precheck(project, cache)
    if early is not None:
        return _failed(project, options, early, CapturedOutput(), started)
    request = ChildRequest(
        project_dir=str(project.path.resolve()),
        entry=project.entry,
        app_name_base=app_name_base(project.name),
        compress=options.compress,
        cache_dir=str(cache.root.resolve()),
        memory_mb=options.memory_mb,
        fingerprint_only=options.fingerprint_only,
        parent_pid=os.getpid(),
        read_only=options.shield.read_only,
        writable=options.shield.writable,
        hidden=options.shield.hidden,
        telemetry=options.telemetry.to_json() if options.telemetry else None,
    )
    run = await _run_child(request, options, zygote)
    result = _result_of(project, options, run, started)
    return _check_size(result, options.max_size)


def build_project_sync(project: Project, options: BuildOptions, cache: PackageCache) -> BuildResult:
    """build_project for callers without an event loop (the CLI)."""
    return asyncio.run(build_project(project, options, cache))


@dataclass
class _ChildRun:
    """What supervising the child found out."""

    phase: Phase = Phase.START
    started: bool = False  # the child said anything at all
    report: ChildReport | None = None
    broken: str = ""  # the channel carried something that is not a message
    timed_out: bool = False
    returncode: int | None = None
    output: CapturedOutput = field(default_factory=CapturedOutput)


async def _run_child(
    request: ChildRequest, options: BuildOptions, zygote: ZygoteRole | None
) -> _ChildRun:
    run = _ChildRun()
    tail = TailBuffer(options.output_limit)
    loop = asyncio.get_running_loop()
    output_r, output_w = os.pipe()
    channel_r, channel_w = os.pipe()
    proc: ForkedChild | asyncio.subprocess.Process | None = None
    try:
        if zygote is not None:
            proc = await zygote.spawn(asdict(request), [channel_w, output_w])
        if proc is None:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "oakd.build.child",
                request.to_arg(),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=channel_w,
                stderr=output_w,
                cwd="/",  # not the project: its files must not shadow the child's own imports
                env=child_env(),
                start_new_session=True,
            )
    except BaseException:
        for fd in (output_r, channel_r):
            os.close(fd)
        raise
    finally:
        os.close(output_w)
        os.close(channel_w)
    output = _PipeReader(loop, tail.feed)
    channel = _ChannelReader(loop, run)
    files = [os.fdopen(output_r, "rb"), os.fdopen(channel_r, "rb")]  # they own the fds now
    transports: list[asyncio.BaseTransport] = []
    try:
        for protocol, file in zip((output, channel), files, strict=True):
            transports.append(await _connect(loop, protocol, file))
        await asyncio.wait_for(asyncio.shield(channel.done), options.timeout_s)
    except asyncio.TimeoutError:
        run.timed_out = run.report is None
    finally:
        # The report is the child's last word; past it, or on timeout or cancel, end them all.
        _kill_group(proc.pid)
        run.returncode = await proc.wait()
        if transports:
            # A process outside the group may hold the pipe open: then keep what arrived.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(output.closed), DRAIN_S)
        for transport in transports:
            transport.close()
        for file in files[len(transports) :]:
            file.close()
        run.output = tail.captured()
    return run


async def _connect(
    loop: asyncio.AbstractEventLoop, protocol: asyncio.Protocol, file: Any
) -> asyncio.BaseTransport:
    transport, _ = await loop.connect_read_pipe(lambda: protocol, file)
    return transport


class _PipeReader(asyncio.Protocol):
    """Hands every chunk read from a pipe to `feed`; `closed` resolves at EOF."""

    def __init__(self, loop: asyncio.AbstractEventLoop, feed: Callable[[bytes], None]) -> None:
        self.feed = feed
        self.closed: asyncio.Future[None] = loop.create_future()

    def data_received(self, data: bytes) -> None:
        self.feed(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class _ChannelReader(_PipeReader):
    """Reads the child's message lines; `done` resolves at the report or at EOF."""

    def __init__(self, loop: asyncio.AbstractEventLoop, run: _ChildRun) -> None:
        super().__init__(loop, self._take)
        self.run = run
        self.buffer = b""
        self.done: asyncio.Future[None] = self.closed

    def _take(self, data: bytes) -> None:
        self.buffer += data
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            self._message(line)
        if len(self.buffer) > MESSAGE_LIMIT:
            self._broken(f"a message line longer than {MESSAGE_LIMIT} bytes")

    def _message(self, line: bytes) -> None:
        try:
            message: Any = json.loads(line)
            self.run.started = True
            if "phase" in message:
                self.run.phase = Phase(message["phase"])
            elif "report" in message:
                self.run.report = ChildReport.from_json(message["report"])
                if not self.done.done():
                    self.done.set_result(None)
        except (ValueError, TypeError, KeyError) as exc:
            self._broken(f"an unreadable message ({exc})")

    def _broken(self, why: str) -> None:
        self.run.broken = self.run.broken or why
        self.buffer = b""
        if not self.done.done():
            self.done.set_result(None)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone
        os.killpg(pid, signal.SIGKILL)


def zygote_env() -> dict[str, str]:
    """The warm zygote's environment, and so its forked children's: ours, plus what makes a
    build's output prompt and its imports work."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"  # the output interleaves as printed, and a crash loses none
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # no __pycache__ in the watched project
    # The child runs from "/", so oakd must be importable from where this process found it.
    root = str(Path(oakd.__file__).resolve().parent.parent)
    paths = [root, *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def child_env() -> dict[str, str]:
    """A fresh build child's environment: the zygote's, and depthai quiet below errors. It
    warns "USB protocol not available" on every import in a container; the user's output
    should be the user's. DEPTHAI_LEVEL set by the user wins. (A forked child imports nothing
    anew: depthai logs there at the daemon's level, its warnings about the pipeline with it.)"""
    env = zygote_env()
    env.setdefault("DEPTHAI_LEVEL", "error")
    return env


def _precheck(project: Project, cache: PackageCache) -> Failure | None:
    """What can be told without starting a child."""
    if not project.path.is_dir():
        state = "is not a directory" if project.path.exists() else "does not exist"
        return Failure(FailureKind.PROJECT_MISSING, f"the project directory {project.path} {state}")
    outside = entry_outside_message(project.path, project.entry)
    if outside:
        return Failure(FailureKind.ENTRY_MISSING, outside)
    if not project.entry_path.is_file():
        return Failure(
            FailureKind.ENTRY_MISSING, entry_missing_message(project.path, project.entry_path)
        )
    try:
        cache.root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return Failure(
            FailureKind.CACHE, f"cannot make the package cache {cache.root}: {exc.strerror}"
        )
    return None


def _result_of(
    project: Project, options: BuildOptions, run: _ChildRun, started: float
) -> BuildResult:
    report = run.report
    if report is None or not report.ok:
        return _failed(project, options, _failure_of(run, options), run.output, started, report)
    if report.reused:
        outcome = Outcome.UNCHANGED
    else:
        outcome = Outcome.NEW if report.package else Outcome.CHECKED
    return BuildResult(
        project=project,
        outcome=outcome,
        fingerprint=report.fingerprint,
        app_name=report.app_name,
        package=Path(report.package) if report.package else None,
        size=report.size,
        compressed=options.compress,
        nodes=_nodes(report),
        output=run.output,
        durations=_durations(report, started),
        depthai_version=report.depthai_version,
        unconfined=report.confinement,
        telemetry=report.telemetry,
    )


def _failure_of(run: _ChildRun, options: BuildOptions) -> Failure:
    """The failure a child run amounts to, in words for a person."""
    doing = run.phase.doing()
    report = run.report
    if run.timed_out:
        return Failure(
            FailureKind.TIMEOUT,
            f"the build did not finish within {options.timeout_s:g} s {doing}; an endless "
            "loop? (the limit is [build] timeout_s)",
        )
    if report is not None:
        return Failure(FailureKind(report.kind), report.message, report.traceback)
    if run.broken:
        return Failure(FailureKind.INTERNAL, f"the build process sent {run.broken} {doing}")
    code = run.returncode if run.returncode is not None else 0
    if not run.started:
        return Failure(
            FailureKind.INTERNAL,
            f"the build process ended (status {code}) before it started; its output says why",
        )
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        return Failure(
            FailureKind.CRASHED,
            f"the build process was killed by {name} {doing}; if your code uses a lot of "
            f"memory, the limit is {options.memory_mb} MiB ([build] memory_mb)",
        )
    return Failure(
        FailureKind.EXITED,
        f"the build process exited with status {code} {doing}, before it could report; does "
        "your code call os._exit()? A pipeline file must define create_pipeline() and return",
    )


def _check_size(result: BuildResult, max_size: int | None) -> BuildResult:
    """Refuse a package that would not fit the camera's application region."""
    if result.package is None or max_size is None or result.size <= max_size:
        return result
    hint = "; it is compressed already" if result.compressed else "; compress it"
    return replace(
        result,
        outcome=Outcome.FAILED,
        package=None,
        failure=Failure(
            FailureKind.TOO_LARGE,
            f"the package is {format_size(result.size)}, more than the {format_size(max_size)} "
            f"the camera's application region holds{hint}, or make the assets smaller",
        ),
    )


def _failed(
    project: Project,
    options: BuildOptions,
    failure: Failure,
    output: CapturedOutput,
    started: float,
    report: ChildReport | None = None,
) -> BuildResult:
    return BuildResult(
        project=project,
        outcome=Outcome.FAILED,
        compressed=options.compress,
        nodes=_nodes(report) if report else (),
        output=output,
        failure=failure,
        durations=_durations(report, started),
        depthai_version=report.depthai_version if report else "",
    )


def _nodes(report: ChildReport) -> tuple[NodeInfo, ...]:
    return tuple(NodeInfo(int(i), str(kind), str(stream)) for i, kind, stream in report.nodes)


def _durations(report: ChildReport | None, started: float) -> Durations:
    timings = report.timings if report else {}
    return Durations(
        total_s=time.perf_counter() - started,
        import_s=timings.get("import_s", 0.0),
        user_s=timings.get("user_s", 0.0),
        fingerprint_s=timings.get("fingerprint_s", 0.0),
        package_s=timings.get("package_s", 0.0),
    )
