"""What `oakd dial-stdio` does (the command: oakd/cli/dial_cmd.py): stdin/stdout joined to the
local daemon's socket, for `--host ssh://...`.

A client on another host runs `ssh host oakd dial-stdio` and speaks the protocol over ssh's
pipes (oakd/ssh.py), as `docker system dial-stdio` does for DOCKER_HOST=ssh://. The bytes pass
through untouched; the daemon sees this process as its peer, so its peer-credential check
applies to the user ssh logged in as, exactly as for a local client.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Awaitable, Callable

from oakd.cli.common import EXIT_FAILED, EXIT_OK, fail, fail_with
from oakd.errors import OakdError

CHUNK = 65536
# After stdin's end, how long the daemon may take to hang up before we stop waiting.
DRAIN_TIMEOUT_S = 10.0


def run(args: argparse.Namespace) -> int:
    """Bridge until either side closes; errors on stderr, for ssh to carry back."""
    from oakd.paths import client_socket
    from oakd.transport import open_unix

    async def go() -> int:
        reader, writer = await open_unix(client_socket(args.socket), timeout=5.0)
        try:
            await bridge(reader, writer)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        return EXIT_OK

    try:
        return asyncio.run(go())
    except OakdError as exc:  # no daemon here: exit 3, its message on stderr, for ssh to carry
        return fail_with(exc)
    except KeyboardInterrupt:
        return fail("interrupted", EXIT_FAILED)


async def bridge(sock_reader: asyncio.StreamReader, sock_writer: asyncio.StreamWriter) -> None:
    """stdin -> socket and socket -> stdout. The daemon hanging up ends it at once; stdin's
    end is passed on as a half-close, as a local client's shutdown(SHUT_WR) would be, and the
    daemon (which takes it for the client leaving) hangs up in turn."""
    read_stdin = _stdin_reader()
    write_stdout = _stdout_writer()

    async def upstream() -> None:
        while chunk := await read_stdin():
            sock_writer.write(chunk)
            await sock_writer.drain()
        if sock_writer.can_write_eof():
            sock_writer.write_eof()

    async def downstream() -> None:
        while chunk := await sock_reader.read(CHUNK):
            await write_stdout(chunk)

    up = asyncio.ensure_future(upstream())
    down = asyncio.ensure_future(downstream())
    try:
        done, _ = await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
        if up in done and not up.exception():
            # stdin ended: give the daemon time to answer and hang up.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(down), DRAIN_TIMEOUT_S)
    finally:
        for task in (up, down):
            task.cancel()
            # A closed stdout (BrokenPipeError) or socket is an end like any other.
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await task


# stdin and stdout are served by blocking calls in threads, not by asyncio's pipe transports:
# sshd may hand both ends of one socketpair to the command, where asyncio's write transport
# takes stdin's data for stdout's end closing, and O_NONBLOCK set on one fd would be set on
# the other; a thread works the same for pipes, sockets, files and terminals.


def _stdin_reader() -> Callable[[], Awaitable[bytes]]:
    """stdin as an awaitable read of up to CHUNK bytes (b'' at the end)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()

    def feed() -> None:
        try:
            while chunk := os.read(sys.stdin.fileno(), CHUNK):
                loop.call_soon_threadsafe(reader.feed_data, chunk)
        except OSError:
            pass
        with contextlib.suppress(RuntimeError):  # the loop is gone: we are exiting anyway
            loop.call_soon_threadsafe(reader.feed_eof)

    # A daemon thread: still blocked in read() when the daemon hangs up, it must not hold the
    # exit (an executor's thread would: asyncio.run waits for those).
    threading.Thread(target=feed, name="stdin", daemon=True).start()
    return lambda: reader.read(CHUNK)


def _stdout_writer() -> Callable[[bytes], Awaitable[None]]:
    """stdout as an awaitable write that waits while the reader is slow."""
    loop = asyncio.get_running_loop()
    fd = sys.stdout.fileno()

    def write_all(data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]

    async def write(data: bytes) -> None:
        await loop.run_in_executor(None, write_all, data)

    return write
