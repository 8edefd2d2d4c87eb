"""Fixtures for the TUI tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.standin import StandInDaemon


@pytest.fixture
def standin(short_tmp: Path) -> Iterator[StandInDaemon]:
    """A stand-in daemon on a short socket path, stopped after the test."""
    daemon = StandInDaemon(short_tmp / "s").start()
    yield daemon
    daemon.stop()
