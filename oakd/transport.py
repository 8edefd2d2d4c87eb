"""How a client's bytes reach a daemon: a stream pair, and what to say when it fails.

oakd.client speaks the protocol over any Transport: the local Unix socket (here), or a pipe to
`oakd dial-stdio` on another host through ssh (oakd/ssh.py). Opening the Unix socket is also what
`oakd dial-stdio` does on that host, so both report a missing daemon in the same words.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from oakd.errors import DaemonUnreachable, OakdError
from oakd.protocol import MAX_FRAME

if TYPE_CHECKING:  # asyncio loads with a client that needs it: not for oakd/oneshot.py
    import asyncio

    Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]

CONNECT_TIMEOUT_S = 5.0  # opening a local socket takes microseconds, unless the daemon is stuck
ANSWER_TIMEOUT_S = 30.0  # a daemon answers a request at once: jobs are followed by their events


class Transport(Protocol):
    """A way to one daemon; `open` once, then `close`."""

    where: str  # for messages: a socket path or an ssh:// URL
    # How long the daemon may take to answer hello: over ssh, the login is part of it.
    hello_timeout: float | None

    async def open(self, timeout: float) -> Streams:
        """Connect; raise DaemonUnreachable saying what failed and what to do."""
        ...

    def lost(self, why: str) -> DaemonUnreachable:
        """The error for a connection that ended, or never answered, for reason `why`."""
        ...

    async def ended(self) -> OakdError | None:
        """After the stream ended early: the cause, if the transport knows better than EOF."""
        ...

    async def close(self) -> None:
        """Release what `open` started (the writer is closed by the client)."""
        ...


def unreachable(path: Path, why: str) -> DaemonUnreachable:
    """The error for 'no daemon there', with how to start one."""
    return DaemonUnreachable(
        f"no oakd daemon reachable at {path} ({why}). Start one with `oakd daemon` (or "
        "`systemctl --user start oakd`), or point --socket / $OAKD_SOCKET at a running one."
    )


def connect_failure(path: Path, exc: BaseException) -> DaemonUnreachable:
    """What a failed connect to the socket at `path` means, and what to do about it."""
    if isinstance(exc, FileNotFoundError):
        return unreachable(path, "no socket file")
    if isinstance(exc, ConnectionRefusedError):
        return unreachable(path, "the socket file is stale")
    if isinstance(exc, PermissionError):
        return DaemonUnreachable(
            f"not allowed to open {path}; ask the daemon's owner to add you to its "
            "socket group (daemon.socket_group)"
        )
    return unreachable(path, str(exc) or type(exc).__name__)


async def open_unix(path: Path, timeout: float) -> Streams:
    """Connect to a daemon's socket; DaemonUnreachable says why not and what to do."""
    import asyncio

    try:
        return await asyncio.wait_for(
            asyncio.open_unix_connection(str(path), limit=MAX_FRAME), timeout
        )
    except (OSError, asyncio.TimeoutError) as exc:
        raise connect_failure(path, exc) from None


class UnixTransport:
    """The daemon's socket on this host."""

    hello_timeout: float | None = ANSWER_TIMEOUT_S

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)

    async def open(self, timeout: float) -> Streams:
        return await open_unix(self.path, timeout)

    def lost(self, why: str) -> DaemonUnreachable:
        return unreachable(self.path, why)

    async def ended(self) -> OakdError | None:
        return None  # EOF on a local socket says it all

    async def close(self) -> None:
        return None
