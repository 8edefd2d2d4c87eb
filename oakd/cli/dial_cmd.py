"""`oakd dial-stdio`: the command line; the bridge itself is oakd/dial.py, loaded when it runs
(every `oakd` command builds this parser, and the bridge needs asyncio)."""

from __future__ import annotations

import argparse

from oakd.cli.commands import Commands, add_command


def register(sub: Commands[argparse.ArgumentParser]) -> None:
    """Add `oakd dial-stdio`."""
    p = add_command(
        sub,
        "dial-stdio",
        description="Copies stdin to the local daemon's socket and its answers to stdout, "
        "until either side closes. Exit 3 when no daemon is there.",
    )
    p.add_argument(
        "--socket", metavar="PATH", help="daemon socket (default: $OAKD_SOCKET, then the usual)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Bridge until either side closes (oakd/dial.py)."""
    from oakd.dial import run as bridge_until_closed

    return bridge_until_closed(args)
