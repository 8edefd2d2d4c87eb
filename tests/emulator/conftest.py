"""Fixtures for the emulator suite: fleets in a child process, one DAP per session.

Everything here runs inside the suite's private loopback-only network namespace (see
tests/conftest.py), so depthai's broadcasts cannot leave the machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from oakd.emulator.process import Fleet
from tests.emulator.helpers import FAST, Package


@pytest.fixture(scope="session")
def dai() -> Any:
    """The real depthai module (imported lazily: only tests that drive it pay for it)."""
    import depthai

    return depthai


@pytest.fixture(scope="session")
def dap(dai: Any) -> Package:
    """A compressed package of an empty pipeline named 'emulator-test' (~10.7 MB, ~4 s)."""
    name = "emulator-test"
    pkg = dai.DeviceBootloader.createDepthaiApplicationPackage(
        dai.Pipeline(), compress=True, applicationName=name
    )
    return Package(name, pkg, bytes(pkg))


@pytest.fixture
def make_fleet(tmp_path: Path) -> Iterator[Callable[..., Fleet]]:
    """Start fleets in `tmp_path/state` with fast defaults; all are stopped at teardown."""
    fleets: list[Fleet] = []

    def make(count: int = 1, **kwargs: Any) -> Fleet:
        options = {**FAST, "state_dir": tmp_path / "state", **kwargs}
        fleet = Fleet(count=count, **options).start()
        fleets.append(fleet)
        return fleet

    yield make
    for fleet in fleets:
        fleet.stop()
