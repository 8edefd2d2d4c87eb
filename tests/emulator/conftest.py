"""Fixtures for the emulator suite: depthai, and the suite's one package as depthai takes it.

Everything here runs inside the suite's private loopback-only network namespace (see
tests/conftest.py), so depthai's broadcasts cannot leave the machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.emulator.helpers import Package


@pytest.fixture(scope="session")
def dai() -> Any:
    """The real depthai module (imported lazily: only tests that drive it pay for it)."""
    import depthai

    return depthai


@pytest.fixture(scope="session")
def dap(dap_file: Path) -> Package:
    """The suite's one real package (tests/conftest.py dap_file: making one takes seconds)."""
    data = dap_file.read_bytes()
    return Package("engine-test", list(data), data)
