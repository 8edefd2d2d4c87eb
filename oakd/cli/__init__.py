"""The `oakd` command: one subcommand per module, each a client of the daemon or a program."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType

from oakd import __version__
from oakd.cli import (
    build_cmd,
    daemon_cmd,
    daemons_cmd,
    demo_cmd,
    device_cmds,
    dial_cmd,
    events_cmd,
    logs_cmd,
    project_cmds,
    query,
    service_cmd,
    tui_cmd,
)
from oakd.emulator import cli as emulate_cmd

# Each module has `register(subparsers)`, which adds its parsers and sets `func` on them.
COMMAND_MODULES: tuple[ModuleType, ...] = (
    demo_cmd,
    daemon_cmd,
    daemons_cmd,
    query,
    device_cmds,
    project_cmds,
    events_cmd,
    logs_cmd,
    build_cmd,
    service_cmd,
    emulate_cmd,
    tui_cmd,
    dial_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, for `main` and for tests that check usage errors."""
    parser = argparse.ArgumentParser(
        prog="oakd",
        description="Develop standalone-mode pipelines on Luxonis OAK PoE cameras.",
    )
    parser.add_argument("--version", action="version", version=f"oakd {__version__}")
    # Also before the command, as `docker -H`: `oakd --host plant-2 devices`. Its own dest: a
    # subcommand's defaults would overwrite a shared one.
    parser.add_argument(
        "--host",
        dest="global_host",
        metavar="URL|NAME",
        help="the daemon of a client command on another host (see `oakd status --help`)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the return value is the process exit code (see oakd.cli.exits)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.global_host and not getattr(args, "client_command", False):
        parser.error(f"--host: `oakd {args.command}` runs here, it is no client of a daemon")
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
