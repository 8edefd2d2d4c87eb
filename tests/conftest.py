"""Suite-wide setup: every test runs in a private, loopback-only network namespace."""

from __future__ import annotations

import faulthandler
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from oakd.build.firmware import FirmwareCache, compress_package
from oakd.emulator.process import Fleet
from oakd.netns import enter_private_netns
from tests import firmware
from tests.helpers import (
    EXIT_POISONED,
    FAST,
    DaemonProcess,
    short_tempdir,
    spinning_link_threads,
)

_ISOLATION_FAILURE: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _ISOLATION_FAILURE
    # Before any test, fixture or depthai thread exists: unshare(CLONE_NEWUSER) needs a
    # single-threaded process. The suite runs in parallel workers (pytest-xdist): the main
    # process isolates itself first, so the workers start isolated, and each makes a namespace
    # of its own so that their cameras can use the same addresses.
    _ISOLATION_FAILURE = enter_private_netns(fresh="PYTEST_XDIST_WORKER" in os.environ)
    if _ISOLATION_FAILURE and os.environ.get("OAKD_REQUIRE_NETNS") == "1":
        raise pytest.UsageError(
            f"OAKD_REQUIRE_NETNS=1 but no private network namespace: {_ISOLATION_FAILURE}"
        )


_SKIPPED: list[str] = []


@pytest.fixture(scope="session", autouse=True)
def _suite_firmware(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Where the suite's one compressed firmware goes (tests/firmware.py; made on first use)."""
    firmware.set_root(tmp_path_factory, os.environ.get("PYTEST_XDIST_WORKER"))


@pytest.fixture(autouse=True)
def _hard_deadline(request: pytest.FixtureRequest) -> Iterator[None]:
    """A deadline that holds when Python cannot run: a spinning depthai link thread can starve
    every Python thread of the GIL (pytest-timeout's included; even a Thread.start blocks), so
    faulthandler's C watchdog ends the worker 60 s past the test's timeout, with every thread's
    stack: xdist fails the test as crashed and starts a fresh worker."""
    marker = request.node.get_closest_marker("timeout")
    limit = float(marker.args[0]) if marker and marker.args else 120.0
    faulthandler.dump_traceback_later(limit + 60, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(autouse=True)
def _no_spinning_link_thread() -> Iterator[None]:
    """After a test, no depthai link reader spins in this process.

    depthai 2.33 can leave a link's EventRead00Thr spinning for good after a close that raced
    the camera's own (oakd/worker/closing.py): it then takes a core and starves every later
    test of this worker, so that one loaded run's next test (a Pilot test) stalled for minutes
    past its timeout. The test that left it fails, as crashed, and xdist starts a fresh worker:
    a failure, never a hang. Costs nothing when no such thread is left (the usual case)."""
    yield
    if spinning_link_threads():
        os.write(
            2,
            b"oakd tests: a depthai link thread (EventRead) spins after this test's close "
            b"(a depthai race under load); this test process exits so that later tests run\n",
        )
        os._exit(EXIT_POISONED)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _SKIPPED.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # In CI a skipped test is not a passed one: OAKD_NO_SKIPS=1 (set by .ci/run) fails the run.
    if _SKIPPED and os.environ.get("OAKD_NO_SKIPS") == "1" and exitstatus == 0:
        print(f"\nOAKD_NO_SKIPS=1: {len(_SKIPPED)} tests were skipped: {', '.join(_SKIPPED)}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# Modules of long tests (10-50 s each: many flashes, builds, a whole demo), run first: xdist
# hands tests out in collection order, and a long test drawn last kept one worker busy while
# the others had nothing left (the same order on every worker, as xdist requires).
LONG_FIRST = (
    "build/test_firmware.py",
    "tui/test_demo_tmux.py",
    "integration/test_delta.py",
    "integration/test_live_reload.py",
    "integration/test_daemons_mdns.py",
    "integration/test_telemetry.py",
    "integration/test_engine.py",
    "emulator/test_depthai_timing.py",
)


def _long_first(item: pytest.Item) -> int:
    path = Path(str(item.fspath)).relative_to(Path(__file__).parent).as_posix()
    return LONG_FIRST.index(path) if path in LONG_FIRST else len(LONG_FIRST)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=_long_first)  # stable: the rest keep their order
    unit_dir = Path(__file__).parent / "unit"
    for item in items:
        # Everything outside tests/unit may open IP sockets (emulator, discovery, depthai).
        if unit_dir not in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.netns)
        if _ISOLATION_FAILURE and item.get_closest_marker("netns"):
            item.add_marker(
                pytest.mark.skip(reason=f"no private network namespace: {_ISOLATION_FAILURE}")
            )


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A temp dir with a short path: Unix socket paths are limited to 107 bytes."""
    with short_tempdir() as path:
        yield path


@pytest.fixture
def daemon(short_tmp: Path) -> Iterator[DaemonProcess]:
    """A real daemon, ready to serve, stopped at the end of the test."""
    proc = DaemonProcess(short_tmp).wait_ready()
    yield proc
    proc.stop()


FAST_CONFIG = """
[discovery]
interval_s = 0.5
[flash]
retries = {retries}
"""


@pytest.fixture(scope="session")
def dap_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real compressed package of a Script-node pipeline (~10.7 MB), built once: depthai's
    uncompressed package with the suite's compressed firmware, byte for byte what depthai's
    compress=True makes (tests/build/test_firmware.py)."""
    import depthai as dai

    pipeline = dai.Pipeline()
    script = pipeline.create(dai.node.Script)
    script.setScript("import time\nwhile True:\n    time.sleep(1)\n")
    root = tmp_path_factory.mktemp("dap")
    raw, path = root / "engine-test.raw", root / "engine-test.dap"
    dai.DeviceBootloader.saveDepthaiApplicationPackage(
        raw, pipeline, compress=False, applicationName="engine-test"
    )
    path.write_bytes(compress_package(raw.read_bytes(), FirmwareCache(firmware.firmware_dir())))
    raw.unlink()
    return path


@pytest.fixture
def make_fleet(tmp_path: Path) -> Iterator[Callable[..., Fleet]]:
    """Start emulated cameras in a child process, their flash files in `tmp_path/state`, with
    fast defaults; all are stopped at teardown."""
    fleets: list[Fleet] = []

    def make(count: int = 1, **kwargs: Any) -> Fleet:
        options = {**FAST, "state_dir": tmp_path / "state", **kwargs}
        fleet = Fleet(count=count, **options).start()
        fleets.append(fleet)
        return fleet

    yield make
    for fleet in fleets:
        fleet.stop()


@pytest.fixture
def make_daemon(short_tmp: Path) -> Iterator[Callable[..., DaemonProcess]]:
    """Start real daemons (fast discovery, one retry); all are stopped at teardown."""
    daemons: list[DaemonProcess] = []

    def make(extra_config: str = "", retries: int = 1) -> DaemonProcess:
        config = short_tmp / "config.toml"
        config.write_text(FAST_CONFIG.format(retries=retries) + extra_config)
        daemon = DaemonProcess(short_tmp, config=config).wait_ready()
        daemons.append(daemon)
        return daemon

    yield make
    for daemon in daemons:
        daemon.stop()
