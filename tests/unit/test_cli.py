"""The command line's exit codes: 2 for usage, 3 when no daemon is reachable, 1 for a failed
operation, one decision per error code; and a quiet exit when stdout's reader leaves early."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from oakd.cli.common import (
    EXIT_BROKEN_PIPE,
    EXIT_CODES,
    EXIT_FAILED,
    EXIT_NO_DAEMON,
    EXIT_USAGE,
    exit_code,
)
from oakd.errors import ConfigError, DaemonUnreachable, ErrorCode, OakdError
from tests.helpers import oakd


def test_usage_error_exits_2() -> None:
    result = oakd("devices", "--no-such-flag")
    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr


def test_no_daemon_exits_3_and_says_how_to_start_one(tmp_path: Path) -> None:
    for command in (
        ["status"],
        ["devices"],
        ["jobs"],
        ["reset", "door", "--yes"],
        ["flash", "door", "--dap", "x.dap"],
        ["watch", str(tmp_path), "-d", "door"],
    ):
        result = oakd(*command, "--socket", str(tmp_path / "none.sock"))
        assert result.returncode == 3, (command, result.stderr)
        assert "no oakd daemon reachable" in result.stderr
        assert "oakd daemon" in result.stderr


def test_every_error_code_has_its_exit_code_decided() -> None:
    assert set(EXIT_CODES) == set(ErrorCode)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (ErrorCode.BAD_PARAMS, EXIT_USAGE),
        (ErrorCode.CONFIRMATION_REQUIRED, EXIT_USAGE),
        (ErrorCode.AMBIGUOUS, EXIT_USAGE),
        (ErrorCode.NOT_FOUND, EXIT_USAGE),
        (ErrorCode.CONFIG, EXIT_USAGE),
        (ErrorCode.DAEMON_UNREACHABLE, EXIT_NO_DAEMON),
        (ErrorCode.PERMISSION_DENIED, EXIT_NO_DAEMON),
        (ErrorCode.REFUSED, EXIT_FAILED),
        (ErrorCode.BUSY, EXIT_FAILED),
        (ErrorCode.DEVICE_UNREACHABLE, EXIT_FAILED),
        (ErrorCode.DEVICE_FAILED, EXIT_FAILED),
        (ErrorCode.BUILD_FAILED, EXIT_FAILED),
        (ErrorCode.INTERNAL, EXIT_FAILED),
    ],
)
def test_exit_code_follows_from_the_error_code(code: ErrorCode, expected: int) -> None:
    assert exit_code(OakdError("x", code)) == expected


def test_error_classes_get_their_codes_exit_code() -> None:
    assert exit_code(ConfigError("x")) == EXIT_USAGE
    assert exit_code(DaemonUnreachable("x")) == EXIT_NO_DAEMON


# A command that prints a megabyte, line by line, through the guard every command uses.
LOUD = """
import sys
from oakd.cli.common import quiet_when_stdout_closes

def command():
    for i in range(100_000):
        print(f"line {i:08d}")
    return 0

sys.exit(quiet_when_stdout_closes(command))
"""


@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
def test_a_reader_that_leaves_after_the_first_line_gets_a_quiet_exit(buffered: bool) -> None:
    env = dict(os.environ)
    env.pop("PYTHONUNBUFFERED", None)
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    proc = subprocess.Popen(
        [sys.executable, "-c", LOUD],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    # A megabyte does not fit in the pipe: the child is blocked writing when the reader leaves.
    assert proc.stdout.readline() == "line 00000000\n"
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == EXIT_BROKEN_PIPE == 141
    assert err == ""


def test_events_are_described_in_words() -> None:
    from oakd.cli.events_cmd import describe, for_project
    from oakd.protocol import read_event

    def said(name: str, data: Any) -> str | None:
        return describe(name, read_event(name, data))

    job = {
        "id": 5,
        "kind": "flash_project",
        "device": "C",
        "state": "failed",
        "created": 0.0,
        "error": "gone",
    }
    assert said("job.changed", job) == "job #5 flash_project on C: failed: gone"
    running = {**job, "state": "running", "phase": "writing", "error": None}
    assert said("job.changed", running) == "job #5 flash_project on C: running (writing)"
    build = {"project": "/p", "result": {"ok": True, "app_name": "p@ab", "unchanged": True}}
    assert said("project.build", build) == "build /p: p@ab (unchanged)"
    failed = {"project": "/p", "result": {"ok": False, "error": {"kind": "user", "message": "x"}}}
    assert said("project.build", failed) == "build /p: failed: user: x"
    camera = {"id": "C", "address": "10.0.0.2", "online": False, "first_seen": 0, "last_seen": 0}
    assert said("device.offline", {**camera, "state": "offline"}) == "camera C offline"
    booted = {**camera, "online": True, "state": "flash_booted", "flashed_app": "p@ab"}
    assert said("device.changed", booted) == "camera C: flash_booted, runs p@ab"
    assert said("device.added", booted) == "camera C found: flash_booted, runs p@ab"
    progress = {"id": 5, "device": "C", "progress": 0.42, "phase": "writing"}
    assert said("job.progress", progress) == "job #5 writing 42%"
    log = {"level": "info", "source": "engine", "message": "hi"}
    assert said("log", log) == "log info engine: hi"
    assert said("something.new", {}) is None
    keep = for_project("/p")
    assert keep("project.build", read_event("project.build", build))
    assert not keep("project.build", read_event("project.build", {**build, "project": "/q"}))
    mine = {**job, "params": {"source": "/p"}}
    assert keep("job.changed", read_event("job.changed", mine))
    assert keep("job.progress", read_event("job.progress", {**progress, "id": 5}))
    theirs = {**mine, "id": 6, "params": {"source": "/q"}}
    assert not keep("job.changed", read_event("job.changed", theirs))
    assert not keep("job.progress", read_event("job.progress", {**progress, "id": 6}))
    assert not keep("log", read_event("log", log))
    assert not keep("something.new", read_event("something.new", {}))


def test_the_readme_lists_every_command() -> None:
    import argparse
    import re
    from pathlib import Path

    from oakd.cli import build_parser

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    listed = set(re.findall(r"^\| `oakd ([a-z-]+)", readme, re.MULTILINE))
    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert listed == set(commands.choices)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_tables_are_rich_on_a_terminal_and_plain_in_a_pipe(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from oakd.cli.common import print_table

    rows = [("front", "[bold]x[/]", None)]
    print_table(("NAME", "APP", "LAST"), rows, "none")
    plain = capsys.readouterr().out.splitlines()
    assert plain == ["NAME   APP         LAST", "front  [bold]x[/]  -"]
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    monkeypatch.setenv("COLUMNS", "60")
    print_table(("NAME", "APP", "LAST"), rows, "none")
    drawn = terminal.getvalue()
    assert "─" in drawn  # rich's rule under the headers
    assert "[bold]x[/]" in drawn  # a cell is text, never markup
