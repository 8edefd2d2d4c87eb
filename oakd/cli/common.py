"""What every client command shares: exit codes, the socket option, the table printer."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from oakd.client import Client
from oakd.errors import ConfigError, DaemonUnreachable, OakdError
from oakd.paths import client_socket

EXIT_OK = 0
EXIT_FAILED = 1  # the operation failed
EXIT_USAGE = 2  # the command line or the config is wrong
EXIT_NO_DAEMON = 3  # no daemon reachable

T = TypeVar("T")


def add_client_options(parser: argparse.ArgumentParser, json_flag: bool = True) -> None:
    """--socket for every client command, and --json where output is data."""
    parser.add_argument(
        "--socket", metavar="PATH", help="daemon socket (default: $OAKD_SOCKET, then the usual)"
    )
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def fail(message: str, code: int = EXIT_FAILED) -> int:
    """Print an error for a person and return the exit code."""
    print(f"oakd: {message}", file=sys.stderr)
    return code


def run_client(args: argparse.Namespace, work: Callable[[Client], Awaitable[int]]) -> int:
    """Connect to the daemon, run `work`, and map errors to exit codes."""

    async def go() -> int:
        client = await Client.connect(client_socket(args.socket), name=f"oakd-cli/{args.command}")
        try:
            return await work(client)
        finally:
            await client.close()

    try:
        return asyncio.run(go())
    except DaemonUnreachable as exc:
        return fail(exc.message, EXIT_NO_DAEMON)
    except ConfigError as exc:
        return fail(exc.message, EXIT_USAGE)
    except OakdError as exc:
        return fail(f"{exc.message} [{exc.code.value}]", EXIT_FAILED)
    except KeyboardInterrupt:
        return fail("interrupted", EXIT_FAILED)


def print_json(data: Any) -> None:
    """JSON on stdout, one document."""
    json.dump(data, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


def when(ts: float | None) -> str:
    """A timestamp for a table: time today, date and time otherwise."""
    if ts is None:
        return "-"
    moment = datetime.fromtimestamp(ts)
    if moment.date() == datetime.now().date():
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%Y-%m-%d %H:%M")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], empty: str) -> None:
    """Aligned columns for people; `empty` when there are no rows."""
    if not rows:
        print(empty)
        return
    cells = [[str(h) for h in headers]] + [["-" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
