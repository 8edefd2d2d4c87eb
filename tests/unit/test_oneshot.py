"""`oakd status` asks the local daemon without an event loop (oakd/oneshot.py): it must fail as
the async client fails, in the same words and with the same codes. Against real Unix sockets;
where a daemon would have to misbehave (never answer, refuse, hang up), a peer written here
plays it, sending what oakd.protocol writes. The answers of a real daemon are tested in
tests/integration (every `oakd status` there goes through this path)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from oakd.client import Client
from oakd.errors import DaemonUnreachable, ErrorCode, OakdError, RemoteError
from oakd.oneshot import call_once
from oakd.protocol import encode, error, ok
from oakd.protocol.session import Status
from tests.helpers import short_tempdir

Peer = Callable[[socket.socket], object]


@pytest.fixture
def socket_dir() -> Iterator[Path]:
    with short_tempdir() as path:
        yield path


def serve_one(path: Path, peer: Peer) -> threading.Thread:
    """Listen at `path` and hand the first connection to `peer`."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)

    def run() -> None:
        with listener:
            conn, _ = listener.accept()
            with conn:
                peer(conn)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def both_clients(path: Path) -> list[BaseException]:
    """The error each client raises for the daemon at `path`: oneshot's, then oakd.client's."""
    errors: list[BaseException] = []
    try:
        call_once(path, Status(), timeout=5)
    except OakdError as exc:
        errors.append(exc)

    async def connect() -> None:
        client = await Client.connect(path)
        await client.close()

    try:
        asyncio.run(connect())
    except OakdError as exc:
        errors.append(exc)
    return errors


def test_no_socket_and_a_stale_one_read_as_the_async_client_reads_them(socket_dir: Path) -> None:
    missing = socket_dir / "none.sock"
    stale = socket_dir / "stale.sock"
    socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).bind(str(stale))  # bound, never listened
    for path, why in ((missing, "no socket file"), (stale, "the socket file is stale")):
        oneshot, async_client = both_clients(path)
        assert isinstance(oneshot, DaemonUnreachable) and why in oneshot.message
        assert (type(oneshot), oneshot.message) == (type(async_client), str(async_client))


def test_a_refusal_tied_to_no_request_is_the_daemons_error_with_its_code(
    socket_dir: Path,
) -> None:
    # As the daemon's peer check refuses a user it does not serve: an error with a null id.
    refusal = error(None, ErrorCode.PERMISSION_DENIED, "uid 65534 may not use this daemon")

    def refuse(conn: socket.socket) -> None:
        conn.recv(4096)
        conn.sendall(encode(refusal))

    oneshot_path, async_path = socket_dir / "a.sock", socket_dir / "b.sock"
    serve_one(oneshot_path, refuse)
    serve_one(async_path, refuse)
    with pytest.raises(RemoteError) as oneshot:
        call_once(oneshot_path, Status(), timeout=5)
    with pytest.raises(RemoteError) as async_client:
        asyncio.run(Client.connect(async_path))
    assert oneshot.value.code is ErrorCode.PERMISSION_DENIED
    assert oneshot.value.message == async_client.value.message == refusal["error"]["message"]
    assert async_client.value.code is ErrorCode.PERMISSION_DENIED


def test_a_daemon_that_never_answers_is_unreachable_within_the_deadline(socket_dir: Path) -> None:
    path = socket_dir / "d.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)  # the kernel accepts the connection; nobody reads it
    with listener, pytest.raises(DaemonUnreachable) as caught:
        call_once(path, Status(), timeout=0.3)
    assert "no answer to hello within 0.3 s" in caught.value.message


def test_the_answer_to_the_request_is_returned_and_a_hang_up_is_reported(
    socket_dir: Path,
) -> None:
    def answer(conn: socket.socket) -> None:
        requests = conn.makefile("rb")
        requests.readline()
        conn.sendall(encode(ok(1, {"daemon": "oakd"})))
        requests.readline()
        # An event before the answer is no answer (a one-shot client never subscribes, but
        # the frame is the protocol's): it is passed over.
        conn.sendall(encode({"event": "log", "data": {}}) + encode(ok(2, {"pid": 7})))
        requests.readline()  # until the client closes

    answered, hung_up = socket_dir / "a.sock", socket_dir / "b.sock"
    serve_one(answered, answer)
    assert call_once(answered, Status(), timeout=5) == {"pid": 7}
    serve_one(hung_up, lambda conn: conn.recv(4096))  # reads hello, closes
    with pytest.raises(DaemonUnreachable) as caught:
        call_once(hung_up, Status(), timeout=5)
    assert "the daemon closed the connection" in caught.value.message
