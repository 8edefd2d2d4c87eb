"""`oakd --help` and `oakd status` start fast because the parser imports no command's
machinery: the daemon, the builder, the emulator's cameras and depthai load only for the
command that runs them. A test of what is imported, not of time (a loaded machine would make a
timed test flaky); `tests/benchmarks` has no figure for this, the note's figures came from
`python -X importtime -m oakd --help`."""

from __future__ import annotations

import subprocess
import sys

HEAVY = (
    "asyncio",  # the client's event loop: loaded by the commands that talk to a daemon
    "depthai",
    "oakd.daemon",
    "oakd.services.engine",
    "oakd.build.runner",
    "oakd.build.cache",
    "oakd.emulator.camera",
    "oakd.emulator.fleet",
    "textual",
    "watchfiles",
)


def test_building_the_parser_imports_no_command_machinery() -> None:
    code = (
        "import sys; from oakd.cli import build_parser; build_parser(); "
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]", result.stdout
