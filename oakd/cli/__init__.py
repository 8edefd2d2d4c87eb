"""The `oakd` command: one subcommand per module, each a client of the daemon or a program."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from oakd import __version__
from oakd.cli.commands import COMMANDS, command_modules


def build_parser(commands: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command line: every command's parser, or only those of `commands`' modules, the
    other commands named (what `main` builds, so that a command loads only its own module)."""
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
    modules = command_modules() if commands is None else {COMMANDS[c][0] for c in commands}
    for module in modules:
        importlib.import_module(module).register(sub)
    for name, (_, text) in COMMANDS.items():
        if name not in sub.choices:  # named only, for `oakd --help`: it takes no options
            sub.add_parser(name, help=text, add_help=False)
    return parser


def _command_of(argv: Sequence[str]) -> str:
    """The command `argv` runs, read by a parser that loads no command's module: it also
    answers `oakd --help`, `--version` and a missing or unknown command, as the whole one
    would."""
    args, _ = build_parser(commands=()).parse_known_args(argv)
    name: str = args.command
    return name


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the return value is the process exit code (see oakd.cli.exits)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(commands=[_command_of(argv)])
    args = parser.parse_args(argv)
    if args.global_host and not getattr(args, "client_command", False):
        parser.error(f"--host: `oakd {args.command}` runs here, it is no client of a daemon")
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
