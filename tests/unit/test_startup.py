"""`oakd --help` and `oakd status` start fast because a command line loads only the module of
the command it runs: `oakd --help` loads no command's module at all, and no command loads the
daemon, the builder, the emulator's cameras or depthai unless it runs them. A test of what is
imported, not of time (a loaded machine would make a timed test flaky); the figures are
`python tests/benchmarks/bench_startup.py`."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

from oakd.cli.commands import COMMANDS, command_modules

HEAVY = (
    "depthai",
    "oakd.daemon",
    "oakd.services.engine",
    "oakd.build.runner",
    "oakd.build.cache",
    "oakd.emulator.camera",
    "oakd.emulator.fleet",
    "textual",
    "watchfiles",
    "zeroconf",
)


def _loaded_by(argv: list[str]) -> set[str]:
    """The modules of oakd, and the HEAVY ones, loaded by `oakd ARGV` up to its exit (no daemon
    is listening at the socket it is given)."""
    code = (
        "import contextlib, io, sys\n"
        "from oakd.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        f"    main({argv!r})\n"
        "print(' '.join(m for m in sys.modules if m.startswith(('oakd', 'asyncio')) "
        f"or m in {HEAVY!r}))\n"
    )
    env = {"OAKD_SOCKET": "/nonexistent/oakd.sock", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def test_help_loads_no_command_module() -> None:
    loaded = _loaded_by(["--help"])
    assert loaded == {"oakd", "oakd.cli", "oakd.cli.commands"}


def test_status_loads_its_own_module_and_the_session_only_and_no_event_loop() -> None:
    loaded = _loaded_by(["status"])
    assert {"oakd.cli.status_cmd", "oakd.oneshot", "oakd.protocol.session"} <= loaded
    # One request to the local socket needs no event loop: asyncio alone takes longer to import
    # than the rest of the command (oakd/oneshot.py).
    assert not loaded & {"asyncio", "oakd.client"}, loaded & {"asyncio", "oakd.client"}
    others = {module for module in command_modules() if module != "oakd.cli.status_cmd"}
    assert not loaded & others, loaded & others
    assert not loaded & set(HEAVY), loaded & set(HEAVY)
    # The rest of the vocabulary (every camera, job and project class) is not built.
    assert not loaded & {"oakd.protocol.requests", "oakd.protocol.replies"}


def test_a_command_of_one_request_loads_no_event_loop() -> None:
    for command in (["devices"], ["jobs"], ["status", "--json"]):
        loaded = _loaded_by(command)
        assert "oakd.oneshot" in loaded, command
        assert not loaded & {"asyncio", "oakd.client"}, (command, loaded & {"asyncio"})


def test_the_whole_parser_imports_no_command_machinery() -> None:
    code = (
        "import sys; from oakd.cli import build_parser; build_parser(); "
        f"print([m for m in {(*HEAVY, 'asyncio')!r} if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]", result.stdout


def test_each_module_adds_the_commands_the_table_gives_it() -> None:
    # COMMANDS names each command's module, for `oakd --help` and for main to load it: a
    # command the module does not add, or adds without the table, would be a stub or missing.
    for module in command_modules():
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers()
        importlib.import_module(module).register(sub)
        assert set(sub.choices) == {name for name, (m, _) in COMMANDS.items() if m == module}
