"""Fixtures for the TUI tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import pytest_textual_snapshot  # type: ignore[import-untyped]

from tests.tui.standin import StandInDaemon

# pytest-textual-snapshot 1.0.0 names its extension with `_file_extension`, which syrupy 7
# renamed to `file_extension`: without this the screenshots are stored as .raw, not .svg.
pytest_textual_snapshot.SVGImageExtension.file_extension = "svg"


@pytest.fixture
def standin(short_tmp: Path) -> Iterator[StandInDaemon]:
    """A stand-in daemon on a short socket path, stopped after the test."""
    daemon = StandInDaemon(short_tmp / "s").start()
    yield daemon
    daemon.stop()
