"""One request to the daemon on this host, with a plain socket: no event loop.

`oakd status` is what scripts and health checks run most often, and Python takes longer to
import asyncio (~90 ms here) than the rest of the command. So a command that sends one
request to the local socket and prints the answer comes here; everything else (events, ssh,
the TUI) uses oakd/client.py. Both speak through the same pieces: the frames and the reading
of a response (oakd/protocol), and what a failed connect means (oakd/transport.py).
"""

from __future__ import annotations

import socket
from io import BufferedReader
from pathlib import Path
from typing import Any

from oakd.protocol import (
    MAX_FRAME,
    PROTOCOL_VERSION,
    Request,
    decode,
    encode,
    make_request,
    result_of,
    untied_error,
)
from oakd.protocol.session import Hello
from oakd.transport import ANSWER_TIMEOUT_S, CONNECT_TIMEOUT_S, connect_failure, unreachable


def call_once(
    path: Path, body: Request, name: str = "oakd-client", timeout: float = ANSWER_TIMEOUT_S
) -> Any:
    """Say hello to the daemon at `path`, send `body` and return its result. Raises
    DaemonUnreachable as oakd.client does (no socket, a stale one, no answer within
    `timeout`), and RemoteError for an error answer (a refused hello included)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(CONNECT_TIMEOUT_S)
        try:
            sock.connect(str(path))
        except OSError as exc:
            raise connect_failure(path, exc) from None
        sock.settimeout(timeout)
        with sock.makefile("rb") as replies:
            hello = Hello(protocol=PROTOCOL_VERSION, client=name)
            _exchange(sock, replies, path, 1, hello, timeout)
            return _exchange(sock, replies, path, 2, body, timeout)


def _exchange(
    sock: socket.socket,
    replies: BufferedReader,
    path: Path,
    req_id: int,
    body: Request,
    timeout: float,
) -> Any:
    try:
        sock.sendall(encode(make_request(req_id, body)))
        while True:
            line = replies.readline(MAX_FRAME)
            if not line.endswith(b"\n"):  # the end of the stream, or a frame past the limit
                raise unreachable(path, "the daemon closed the connection")
            response = decode(line)
            if response.get("id") == req_id or untied_error(response):
                return result_of(response)
    except TimeoutError:  # socket.timeout is TimeoutError since Python 3.10
        raise unreachable(path, f"no answer to {body.TYPE} within {timeout:g} s") from None
    except OSError as exc:
        raise unreachable(path, f"connection lost: {exc}") from None
