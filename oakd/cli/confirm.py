"""Confirming what loses something on a camera, as people expect of a command line: `--yes` for
scripts; without it, on a terminal, oakd asks `[y/N]`; without a terminal (or with --json) it
never asks, and the command is refused (exit 2) with what would be lost and the flag to add.

The daemon decides what needs confirming (its confirmation_required error); the CLI only turns
the API's wording (`confirm: true`) into its own.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import TYPE_CHECKING, Any

from oakd.errors import ErrorCode, RemoteError
from oakd.protocol import Request
from oakd.protocol.requests import confirmation_subject

if TYPE_CHECKING:
    from oakd.client import Client

YES = ("y", "yes")


def can_ask(args: argparse.Namespace) -> bool:
    """A person is at the terminal: stdin and stderr are terminals, and no --json."""
    return not getattr(args, "json", False) and sys.stdin.isatty() and sys.stderr.isatty()


def ask(question: str) -> bool:
    """`question [y/N]` on stderr (stdout may be a pipe); only y or yes is a yes. Read in the
    event loop's thread: a thread blocked on stdin would keep Ctrl-C from ending the process."""
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in YES


def confirmed(request: Request) -> Request:
    """The same request, confirmed (`yes` for inspect, `confirm` for the rest)."""
    name = "yes" if any(f.name == "yes" for f in dataclasses.fields(request)) else "confirm"
    return dataclasses.replace(request, **{name: True})


async def call_confirmed(
    client: Client, request: Request, args: argparse.Namespace, timeout: float | None = 30.0
) -> tuple[bool, Any]:
    """Send `request`; if the daemon wants a confirmation, ask for it (or refuse, saying to
    add --yes). (False, None) when the person said no: nothing was sent."""
    try:
        return True, await client.call(request, timeout=timeout)
    except RemoteError as exc:
        if exc.code is not ErrorCode.CONFIRMATION_REQUIRED:
            raise
        what = confirmation_subject(exc.message)
        if not can_ask(args):
            raise RemoteError(
                f"{what}: add --yes to confirm (on a terminal, oakd asks)", exc.code
            ) from None
        if not ask(f"{what[:1].upper()}{what[1:]}. Go on?"):
            return False, None
    return True, await client.call(confirmed(request), timeout=timeout)
