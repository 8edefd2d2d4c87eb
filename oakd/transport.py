"""How a client's bytes reach a daemon: a stream pair, and what to say when it fails.

oakd.client speaks the protocol over any Transport: the local Unix socket (here), or a pipe to
`oakd dial-stdio` on another host through ssh (oakd/ssh.py). Opening the Unix socket is also what
`oakd dial-stdio` does on that host, so both report a missing daemon in the same words.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol

from oakd.errors import DaemonUnreachable, OakdError
from oakd.protocol import MAX_FRAME

Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]


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


async def open_unix(path: Path, timeout: float) -> Streams:
    """Connect to a daemon's socket; DaemonUnreachable says why not and what to do."""
    try:
        return await asyncio.wait_for(
            asyncio.open_unix_connection(str(path), limit=MAX_FRAME), timeout
        )
    except FileNotFoundError:
        raise unreachable(path, "no socket file") from None
    except ConnectionRefusedError:
        raise unreachable(path, "the socket file is stale") from None
    except PermissionError:
        raise DaemonUnreachable(
            f"not allowed to open {path}; ask the daemon's owner to add you to its "
            "socket group (daemon.socket_group)"
        ) from None
    except (OSError, asyncio.TimeoutError) as exc:
        raise unreachable(path, str(exc) or type(exc).__name__) from None


class UnixTransport:
    """The daemon's socket on this host."""

    hello_timeout: float | None = 30.0

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
