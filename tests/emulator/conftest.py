"""Fixtures for the emulator suite: fleets in a child process, one DAP per session.

Everything here runs inside the suite's private loopback-only network namespace (see
tests/conftest.py), so depthai's broadcasts cannot leave the machine.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.helpers import Package


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
