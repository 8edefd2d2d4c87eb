"""What every client command shares: exit codes, --host and --socket, the table printer."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from oakd.errors import ErrorCode, OakdError
from oakd.paths import client_socket

if TYPE_CHECKING:
    from oakd.client import Client
    from oakd.protocol import Request
    from oakd.transport import Transport

EXIT_OK = 0
EXIT_FAILED = 1  # the operation failed
EXIT_USAGE = 2  # the command line or the config is wrong
EXIT_NO_DAEMON = 3  # no daemon reachable
# The reader of stdout went away (`| head -1`): what a shell reports for a program that
# SIGPIPE killed, as cat or git would be, so `set -o pipefail` treats oakd like them.
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE

# The exit code of every error code, decided here and nowhere else: it tells a script whether to
# fix its command line (2), start a daemon (3), or look at the camera or the operation (1).
# Every code is listed (a test checks it), so a new code is a decision, not a default.
EXIT_CODES: dict[ErrorCode, int] = {
    # The daemon spoke to a client that sent what no `oakd` command sends: the client or the
    # daemon is broken or of another version, not the command line.
    ErrorCode.BAD_FRAME: EXIT_FAILED,
    ErrorCode.FRAME_TOO_LARGE: EXIT_FAILED,
    ErrorCode.HELLO_REQUIRED: EXIT_FAILED,
    ErrorCode.PROTOCOL_MISMATCH: EXIT_FAILED,
    ErrorCode.UNKNOWN_REQUEST: EXIT_FAILED,
    ErrorCode.BAD_PARAMS: EXIT_USAGE,
    # Refused by the daemon's peer check: no daemon this user may use, as when the socket's
    # mode refuses the connection (oakd.client raises DaemonUnreachable for that).
    ErrorCode.PERMISSION_DENIED: EXIT_NO_DAEMON,
    ErrorCode.TOO_MANY_REQUESTS: EXIT_FAILED,  # like busy: the moment, not the command line
    ErrorCode.INTERNAL: EXIT_FAILED,
    ErrorCode.DAEMON_UNREACHABLE: EXIT_NO_DAEMON,
    ErrorCode.ALREADY_RUNNING: EXIT_FAILED,
    ErrorCode.CONFIG: EXIT_USAGE,
    ErrorCode.STATE: EXIT_FAILED,
    # A camera, job or project the command line names that is not there, or not only one.
    ErrorCode.NOT_FOUND: EXIT_USAGE,
    ErrorCode.AMBIGUOUS: EXIT_USAGE,
    ErrorCode.CONFIRMATION_REQUIRED: EXIT_USAGE,  # --yes missing
    # The command line was fine; the camera, the package or the moment was not.
    ErrorCode.REFUSED: EXIT_FAILED,
    ErrorCode.BOOTLOADER_TOO_OLD: EXIT_FAILED,
    ErrorCode.DEVICE_UNREACHABLE: EXIT_FAILED,  # a camera that went quiet is no missing daemon
    ErrorCode.DEVICE_FAILED: EXIT_FAILED,
    ErrorCode.BUSY: EXIT_FAILED,
    ErrorCode.INTERRUPTED: EXIT_FAILED,
    ErrorCode.BUILD_FAILED: EXIT_FAILED,
}

T = TypeVar("T")


def add_client_options(parser: argparse.ArgumentParser, json_flag: bool = True) -> None:
    """--host and --socket for every client command, and --json where output is data."""
    parser.add_argument(
        "--host",
        metavar="URL|NAME",
        help="another daemon: ssh://[user@]host[:port][/path/to/socket], unix:///path/to/socket "
        "(another socket here) or the name "
        "of a [[remote]] in the config (default: $OAKD_HOST; none: this host)",
    )
    parser.add_argument(
        "--socket",
        metavar="PATH",
        help="daemon socket (default: $OAKD_SOCKET, then the usual); with --host, on that host",
    )
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.set_defaults(client_command=True)  # `oakd --host URL COMMAND` is allowed


def fail(message: str, code: int = EXIT_FAILED) -> int:
    """Print an error for a person and return the exit code."""
    print(f"oakd: {message}", file=sys.stderr)
    return code


def exit_code(error: OakdError) -> int:
    """The exit code for an error (see EXIT_CODES)."""
    return EXIT_CODES.get(error.code, EXIT_FAILED)


def fail_with(error: OakdError) -> int:
    """Print an error for a person and return its exit code; scripts also get the code."""
    plain = error.code in (ErrorCode.DAEMON_UNREACHABLE, ErrorCode.CONFIG)  # they say it all
    return fail(
        error.message if plain else f"{error.message} [{error.code.value}]", exit_code(error)
    )


def quiet_when_stdout_closes(command: Callable[[], int]) -> int:
    """Run a command; if the reader of its output goes away early (`| head -1`), stop
    quietly with EXIT_BROKEN_PIPE instead of a BrokenPipeError traceback."""
    try:
        code = command()
        sys.stdout.flush()  # here, where EPIPE can be caught, not at the interpreter's exit
        return code
    except BrokenPipeError:
        # Python's recipe ("Note on SIGPIPE", signal docs): point the dead stream at devnull,
        # so the interpreter's last flush has nowhere to fail. stderr too: it may share the
        # pipe (`2>&1 | head`), and the reader that left wants nothing more from us.
        devnull = os.open(os.devnull, os.O_WRONLY)
        for stream in (sys.stdout, sys.stderr):
            os.dup2(devnull, stream.fileno())
        os.close(devnull)
        return EXIT_BROKEN_PIPE


def daemon_target(
    args: argparse.Namespace, batch: bool | None = None, env: dict[str, str] | None = None
) -> Path | Transport:
    """Where the command's daemon is: the local socket, or, with --host / $OAKD_HOST, a pipe
    through ssh (ConfigError for a bad URL or an unknown name). `batch`: ssh may not prompt;
    by default, when stdin is no terminal."""
    env = dict(os.environ) if env is None else env
    host = getattr(args, "host", None) or getattr(args, "global_host", None) or env.get("OAKD_HOST")
    if not host:
        return client_socket(args.socket, env)
    # Loaded only for a remote: the config and ssh are no concern of a local command.
    from oakd.remote import is_url, resolve
    from oakd.ssh import SshTransport

    remotes = []
    if not is_url(host):
        from oakd.config import load_config

        remotes = load_config(None, env).remote
    target = resolve(host, remotes, env, socket=args.socket)
    if isinstance(target, Path):
        return target
    if batch is None:
        batch = not sys.stdin.isatty()
    return SshTransport(target, batch=batch, env=env)


def run_client(
    args: argparse.Namespace,
    work: Callable[[Client], Awaitable[int]],
    until_interrupted: bool = False,
) -> int:
    """Connect to the daemon, run `work`, and map errors to exit codes. `until_interrupted`:
    a command that streams until Ctrl-C, which then ends it as it should (exit 0)."""
    return _guarded(lambda: _run_async(args, daemon_target(args), work), until_interrupted)


def run_request(args: argparse.Namespace, body: Request, show: Callable[[Any], int]) -> int:
    """Send one request, have `show` print its result, and map errors to exit codes. To the
    daemon on this host without an event loop (oakd/oneshot.py): the command starts in half
    the time. Over ssh through the client, as every other command."""

    def command() -> int:
        target = daemon_target(args)
        if not isinstance(target, Path):

            async def work(client: Client) -> int:
                return show(await client.call(body))

            return _run_async(args, target, work)
        from oakd.oneshot import call_once

        return show(call_once(target, body, name=_client_name(args)))

    return _guarded(command)


def _client_name(args: argparse.Namespace) -> str:
    return f"oakd-cli/{args.command}"


def _run_async(
    args: argparse.Namespace, target: Path | Transport, work: Callable[[Client], Awaitable[int]]
) -> int:
    # Here, not at the top: `oakd --help` and the local commands need no event loop or client.
    import asyncio

    from oakd.client import Client

    async def go() -> int:
        client = await Client.connect(target, name=_client_name(args))
        try:
            return await work(client)
        finally:
            await client.close()

    try:
        return asyncio.run(go())
    except asyncio.TimeoutError:  # a request the daemon took its answer's deadline over
        raise OakdError(f"the daemon at {target} did not answer in time (see its log)") from None


def _guarded(command: Callable[[], int], until_interrupted: bool = False) -> int:
    """Run a client command: an OakdError becomes its message and exit code, Ctrl-C ends it."""

    def run() -> int:
        try:
            return command()
        except OakdError as exc:
            return fail_with(exc)
        except KeyboardInterrupt:
            return EXIT_OK if until_interrupted else fail("interrupted", EXIT_FAILED)

    return quiet_when_stdout_closes(run)


def _rich_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from rich import box  # rich loads only for a table on a terminal
    from rich.console import Console
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, header_style="bold")
    for header in headers:
        table.add_column(str(header), overflow="fold")
    for row in rows:
        table.add_row(*("-" if c is None else str(c) for c in row))
    Console(highlight=False, markup=False).print(table)


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
    """A table for people (rich's, on a terminal: headers in bold, long cells folded to the
    terminal's width); plain aligned columns when stdout is a pipe or a file, which grep and
    awk read. `empty` when there are no rows."""
    if not rows:
        print(empty)
        return
    if sys.stdout.isatty():
        _rich_table(headers, rows)
        return
    cells = [[str(h) for h in headers]] + [["-" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
