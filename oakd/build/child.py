"""The build child: runs the user's pipeline code under limits, fingerprints it, packages it.

Started by runner.py as `python -m oakd.build.child REQUEST`; never imported by the daemon. The
order matters: the answer channel is set aside and the memory limit set before depthai or any
user code is loaded, and the process ends with os._exit(), because a normal interpreter exit
after importing depthai waits ~0.7 s for depthai's firmware-unpacking threads.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

from oakd.build.cache import PackageCache
from oakd.build.confine import (
    Shield,
    die_with_parent,
    limit_memory,
    private_pid_namespace,
    release_ballast,
)
from oakd.build.diagnosis import Refusal, describe_type, user_failure
from oakd.build.errors import FailureKind
from oakd.build.fingerprint import Toolchain, fingerprint_document, fingerprint_of
from oakd.build.firmware import compress_package
from oakd.build.project import entry_missing_message, entry_outside_message
from oakd.build.telemetry import Telemetry, script_sources
from oakd.build.telemetry import add as add_telemetry
from oakd.build.wire import ChildReport, ChildRequest, Phase, phase_line
from oakd.core.package import PackageError, app_name

NOT_STANDALONE = ("XLinkIn", "XLinkOut")
TRACEBACK_LIMIT = 32 * 1024


class Channel:
    """The child's answers to the builder, on the stdout it was started with."""

    def __init__(self) -> None:
        sys.stdout.flush()
        self.fd = os.dup(1)  # os.dup makes it non-inheritable: the user's subprocesses miss it
        os.dup2(2, 1)  # from here on, print() goes to the output pipe with stderr

    def send(self, line: bytes) -> None:
        """Write one message line, all of it."""
        view = memoryview(line)
        while view:
            view = view[os.write(self.fd, view) :]


def main(argv: list[str]) -> NoReturn:
    """Run one build and exit; the report is the last line on the channel."""
    run_build(ChildRequest.from_arg(argv[1]))


def run_build(request: ChildRequest) -> NoReturn:
    """The build in this process: stdout is the channel, stderr the output pipe. Started as
    `python -m oakd.build.child`, or forked by a warm zygote (forked.py)."""
    channel = Channel()
    die_with_parent(request.parent_pid)
    report = ChildReport()
    shield = Shield(request.read_only, request.writable, request.hidden)
    report.confinement = private_pid_namespace(shield) or ""  # what could not be done
    limit_memory(request.memory_mb)
    try:
        Build(request, channel, report).run()
        report.ok = True
    except Refusal as refusal:
        report.kind, report.message = refusal.kind.value, refusal.message
        report.traceback = refusal.traceback[-TRACEBACK_LIMIT:]
    except BaseException as exc:  # a bug of ours: say so with our own traceback
        release_ballast()
        report.kind = FailureKind.INTERNAL.value
        report.message = f"the builder failed: {type(exc).__name__}: {exc}"
        report.traceback = traceback.format_exc()[-TRACEBACK_LIMIT:]
    for stream in (sys.stdout, sys.stderr):
        # The user's code may have closed or replaced them; the report goes out regardless.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    channel.send(report.to_line())
    os._exit(0)


class Build:
    """The steps of one build; each raises Refusal with a message for a person."""

    def __init__(self, request: ChildRequest, channel: Channel, report: ChildReport) -> None:
        self.request = request
        self.channel = channel
        self.report = report
        self.project = Path(request.project_dir)
        self.entry = self.project / request.entry
        self.serialized: dict[str, Any] = {}  # the user's pipeline, as fingerprinted

    def run(self) -> None:
        """Load the user's code, check the pipeline, fingerprint it, package it if new."""
        self.channel.send(phase_line(Phase.START))
        self.enter_project()
        dai = self.timed("import_s", self.import_depthai)
        self.report.depthai_version = dai.__version__
        self.channel.send(phase_line(Phase.USER))
        pipeline = self.timed("user_s", lambda: self.user_pipeline(dai))
        self.check_standalone(pipeline)
        self.channel.send(phase_line(Phase.FINGERPRINT))
        fingerprint = self.timed("fingerprint_s", lambda: self.fingerprint(dai, pipeline))
        self.report.fingerprint = fingerprint
        self.report.app_name = app_name(self.request.app_name_base, fingerprint)
        if self.request.telemetry is not None:
            settings = Telemetry.from_json(self.request.telemetry)
            sources = script_sources(self.serialized)
            self.report.telemetry = add_telemetry(
                dai, pipeline, settings, self.report.app_name, sources
            )
        cache = PackageCache(Path(self.request.cache_dir))
        try:
            cached = cache.lookup(fingerprint)
        except OSError as exc:
            raise Refusal(
                FailureKind.CACHE, f"cannot read the package cache {cache.root}: {exc.strerror}"
            ) from None
        if cached is None and self.request.fingerprint_only:
            return
        if cached is None:
            self.channel.send(phase_line(Phase.PACKAGE))
            cached = self.timed("package_s", lambda: self.package(dai, pipeline, cache))
        else:
            self.report.reused = True
        self.report.package = str(cached)
        self.report.size = cached.stat().st_size

    def timed(self, name: str, step: Callable[[], Any]) -> Any:
        """Run a step and record its duration."""
        start = time.perf_counter()
        try:
            return step()
        finally:
            self.report.timings[name] = time.perf_counter() - start

    def enter_project(self) -> None:
        """Make the project the working directory and the first place imports look."""
        try:
            os.chdir(self.project)
        except OSError as exc:
            raise Refusal(
                FailureKind.PROJECT_MISSING,
                f"the project directory {self.project} is gone or unreadable ({exc.strerror})",
            ) from None
        outside = entry_outside_message(self.project, self.request.entry)
        if outside:
            raise Refusal(FailureKind.ENTRY_MISSING, outside)
        if not self.entry.is_file():
            message = entry_missing_message(self.project, self.entry)
            raise Refusal(FailureKind.ENTRY_MISSING, message)
        sys.path.insert(0, str(self.project))
        sys.argv = [str(self.entry)]
        sys.dont_write_bytecode = True  # a __pycache__ in the project would wake the watcher

    def import_depthai(self) -> ModuleType:
        """depthai, imported under the memory limit."""
        try:
            import depthai
        except MemoryError:
            release_ballast()
            raise Refusal(
                FailureKind.MEMORY,
                f"depthai cannot even be imported within {self.request.memory_mb} MiB; it needs "
                "about 300 MiB: raise [build] memory_mb",
            ) from None
        return depthai

    def user_pipeline(self, dai: ModuleType) -> Any:
        """Import the entry file and get its pipeline, as a person would expect it to work."""
        module = self.call_user(f"while loading {self.request.entry}", self.load_entry)
        factory = getattr(module, "create_pipeline", None)
        if factory is not None:
            if not callable(factory):
                raise Refusal(
                    FailureKind.WRONG_TYPE,
                    f"create_pipeline in {self.request.entry} is {describe_type(factory)}, "
                    "not a function",
                )
            pipeline = self.call_user("in create_pipeline()", factory)
            what = "create_pipeline() returned"
        elif hasattr(module, "pipeline"):
            pipeline, what = module.pipeline, "the module-level `pipeline` is"
        else:
            raise Refusal(
                FailureKind.NO_PIPELINE,
                f"{self.request.entry} defines neither create_pipeline() nor a module-level "
                "`pipeline`: add `def create_pipeline() -> dai.Pipeline:` that builds the "
                "pipeline and returns it",
            )
        if not isinstance(pipeline, dai.Pipeline):
            raise Refusal(
                FailureKind.WRONG_TYPE,
                f"{what} {describe_type(pipeline)}, not a depthai.Pipeline",
            )
        return pipeline

    def load_entry(self) -> ModuleType:
        """Execute the entry file as a module named after it (never as __main__, so that its
        `if __name__ == "__main__":` block, which often flashes a camera, does not run)."""
        name = self.entry.stem if self.entry.stem.isidentifier() else "pipeline_entry"
        spec = importlib.util.spec_from_file_location(name, self.entry)
        if spec is None or spec.loader is None:
            raise Refusal(FailureKind.ENTRY_MISSING, f"{self.entry} cannot be loaded as Python")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module

    def call_user(self, doing: str, step: Callable[[], Any]) -> Any:
        """Run user code; whatever it raises or however it exits becomes a Refusal."""
        try:
            return step()
        except Refusal:
            raise
        except BaseException as exc:
            raise user_failure(exc, doing, self.project, self.request.memory_mb) from None

    def check_standalone(self, pipeline: Any) -> None:
        """Refuse XLink nodes: a flashed camera has no host to talk to."""
        nodes = []
        for node in pipeline.getAllNodes():
            kind = type(node).__name__
            stream = node.getStreamName() if kind in NOT_STANDALONE else ""
            nodes.append((node.id, kind, stream))
        self.report.nodes = sorted(nodes)
        xlink = [n for n in self.report.nodes if n[1] in NOT_STANDALONE]
        if xlink:
            names = " and ".join(f'node {i} ({kind}, stream "{s}")' for i, kind, s in xlink)
            raise Refusal(
                FailureKind.NOT_STANDALONE,
                f"this pipeline cannot run standalone: {names} "
                f"{'talks' if len(xlink) == 1 else 'talk'} to a host over XLink, and a flashed "
                "camera has no host attached, so nothing would read or feed "
                f"{'it' if len(xlink) == 1 else 'them'}. Remove XLinkIn/XLinkOut nodes and send "
                "results out through a Script node (network) or SPIOut",
            )

    def fingerprint(self, dai: ModuleType, pipeline: Any) -> str:
        """The fingerprint of what the package would hold (see fingerprint.py)."""
        try:
            serialized = self.serialized = pipeline.serializeToJson()
            device_config = pipeline.getDeviceConfig()
        except MemoryError:
            release_ballast()
            raise Refusal(FailureKind.MEMORY, self.memory_message("serializing")) from None
        except RuntimeError as exc:
            raise Refusal(
                FailureKind.PACKAGE, f"depthai cannot serialize this pipeline: {exc}"
            ) from None
        toolchain = Toolchain(
            depthai_version=dai.__version__,
            device_version=getattr(dai, "__device_version__", ""),
            custom_firmware=custom_firmware_hash(),
        )
        document = fingerprint_document(
            serialized,
            device_config,
            toolchain,
            compress=self.request.compress,
            app_name_base=self.request.app_name_base,
            telemetry=self.request.telemetry,
        )
        return fingerprint_of(document)

    def package(self, dai: ModuleType, pipeline: Any, cache: PackageCache) -> Path:
        """Make the package straight into the cache.

        saveDepthaiApplicationPackage is createDepthaiApplicationPackage writing to a file:
        it skips a list of one Python int per byte (28 M of them uncompressed), which made the
        uncompressed build 4.6x slower and its peak memory 200 MB larger. A compressed package
        is made from the uncompressed one with the firmware compressed once (firmware.py).
        """

        def save(path: Path) -> None:
            dai.DeviceBootloader.saveDepthaiApplicationPackage(
                str(path), pipeline, compress=False, applicationName=self.report.app_name
            )

        def write(path: Path) -> None:
            if not self.request.compress:
                save(path)
                return
            raw = path.with_name(f"{path.name}.raw.tmp")
            try:
                save(raw)
                path.write_bytes(compress_package(raw.read_bytes(), cache.firmware))
            finally:
                raw.unlink(missing_ok=True)

        try:
            return cache.store(self.report.fingerprint, write)
        except MemoryError:
            release_ballast()
            raise Refusal(FailureKind.MEMORY, self.memory_message("making the package")) from None
        except PackageError as exc:
            raise Refusal(
                FailureKind.PACKAGE, f"depthai wrote a broken package ({exc}); is the disk full?"
            ) from None
        except OSError as exc:
            raise Refusal(
                FailureKind.CACHE,
                f"cannot write the package into {cache.root}: {exc.strerror or exc}",
            ) from None
        except RuntimeError as exc:
            raise Refusal(
                FailureKind.PACKAGE, f"depthai cannot package this pipeline: {exc}"
            ) from None

    def memory_message(self, doing: str) -> str:
        """Out of memory in depthai's part of the build."""
        return (
            f"the build ran out of memory while {doing}: it may use "
            f"{self.request.memory_mb} MiB; large assets need more: raise [build] memory_mb"
        )


def custom_firmware_hash() -> str:
    """SHA-256 of the firmware named by $DEPTHAI_DEVICE_BINARY, which depthai packs instead of
    its own; '' when unset."""
    import hashlib

    path = os.environ.get("DEPTHAI_DEVICE_BINARY", "")
    if not path:
        return ""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return f"unreadable:{path}"


if __name__ == "__main__":
    main(sys.argv)
