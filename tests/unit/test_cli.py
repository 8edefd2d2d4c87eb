"""The command line's exit codes: 2 for usage, 3 when no daemon is reachable."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import oakd


def test_usage_error_exits_2() -> None:
    result = oakd("devices", "--no-such-flag")
    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr


def test_no_daemon_exits_3_and_says_how_to_start_one(tmp_path: Path) -> None:
    for command in ("status", "devices", "jobs"):
        result = oakd(command, "--socket", str(tmp_path / "none.sock"))
        assert result.returncode == 3
        assert "no oakd daemon reachable" in result.stderr
        assert "oakd daemon" in result.stderr
