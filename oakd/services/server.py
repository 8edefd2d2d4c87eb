"""The socket server: one Session per client, one dispatch table, one handler per request.

A slow or dead client never blocks the daemon or other clients: everything sent to a client goes
through its own bounded queue, and a client whose queue fills up is dropped with a logged reason.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from oakd import __version__
from oakd.errors import ErrorCode, OakdError, ProtocolError
from oakd.protocol import (
    EVENT_TOPICS,
    MAX_FRAME,
    PROTOCOL_VERSION,
    Envelope,
    Request,
    decode,
    encode,
    error,
    failure,
    ok,
    parse_request,
    valid_id,
)
from oakd.protocol.session import Hello, Subscribe
from oakd.services.bus import EventBus
from oakd.services.listener import Peer, peer_allowed, peer_of
from oakd.tasks import TaskSet

log = logging.getLogger(__name__)

Handler = Callable[[Any], Awaitable[Any]]
QUEUE_LIMIT = 1024  # frames waiting for one client before it is dropped
INFLIGHT_LIMIT = 64  # requests one client may have running at once
# Clients served at once, well below a service's default of 1024 open files. At the limit a new
# client takes the place of the oldest one that has not said hello yet, so that connections that
# never speak cannot shut out an `oakd status`; with none such, the newcomer is refused.
MAX_CLIENTS = 256
HELLO_TIMEOUT_S = 10.0  # a client that says nothing this long after connecting is closed


class Session:
    """One connected client: its reader loop, its bounded outbox, its subscriptions."""

    def __init__(
        self,
        server: Server,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        peer: Peer,
    ) -> None:
        self._server = server
        self._reader = reader
        self._writer = writer
        self.peer = peer
        self.topics: frozenset[str] = frozenset()
        self.client_name = ""
        self._greeted = False
        self._outbox: asyncio.Queue[bytes | None] = asyncio.Queue(QUEUE_LIMIT)
        self._requests = TaskSet()
        self._writer_task: asyncio.Task[None] | None = None
        self._closing = False
        self.connected_at = time.monotonic()

    def __repr__(self) -> str:
        name = f" {self.client_name}" if self.client_name else ""
        return f"client{name} (pid {self.peer.pid}, uid {self.peer.uid})"

    @property
    def greeted(self) -> bool:
        """The client has said hello: it is a client, not just a connection."""
        return self._greeted

    def push(self, frame: bytes) -> None:
        """Queue a frame for this client; drop the client if it cannot keep up."""
        if self._closing:
            return
        try:
            self._outbox.put_nowait(frame)
        except asyncio.QueueFull:
            self.drop(f"it did not read its messages ({QUEUE_LIMIT} waiting)")

    def send(self, message: dict[str, Any]) -> None:
        """Queue a response or event."""
        self.push(encode(message))

    def drop(self, reason: str) -> None:
        """Disconnect now, without waiting for anything this client owes us."""
        if self._closing:
            return
        log.warning("dropping %r: %s", self, reason)
        self._closing = True
        self._server.bus.unsubscribe(self)
        self._writer.transport.abort()
        if self._writer_task is not None:
            self._writer_task.cancel()  # it may be waiting on a queue nobody will fill

    def finish(self) -> None:
        """Disconnect after what is already queued has been written."""
        self._server.bus.unsubscribe(self)
        if self._closing:
            return
        if self._outbox.full():
            self.drop("it did not read its messages before closing")
            return
        self._closing = True
        self._outbox.put_nowait(None)  # the writer stops after what is queued

    async def serve(self) -> None:
        """Read and answer frames until the client leaves or is dropped."""
        writer_task = asyncio.get_running_loop().create_task(self._write_loop())
        self._writer_task = writer_task
        try:
            await self._read_loop()
        finally:
            self._server.bus.unsubscribe(self)
            await self._requests.cancel_all()
            if not self._closing:
                self.finish()
            try:
                await asyncio.wait_for(writer_task, timeout=5)
            except (asyncio.TimeoutError, asyncio.CancelledError, ConnectionError):
                self._writer.transport.abort()
            self._writer.close()

    async def _write_loop(self) -> None:
        try:
            while True:
                frame = await self._outbox.get()
                if frame is None:
                    return
                self._writer.write(frame)
                await self._writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            return

    async def _read_loop(self) -> None:
        while not self._closing:
            try:
                if self._greeted:
                    line = await self._reader.readline()
                else:
                    line = await asyncio.wait_for(self._reader.readline(), HELLO_TIMEOUT_S)
            except asyncio.TimeoutError:
                self.send(
                    error(
                        None,
                        ErrorCode.HELLO_REQUIRED,
                        f"no hello within {HELLO_TIMEOUT_S:g} s of connecting; the connection "
                        "is closed",
                    )
                )
                self.finish()
                return
            except ValueError:  # the StreamReader's limit: a frame over MAX_FRAME
                self.send(
                    error(
                        None,
                        ErrorCode.FRAME_TOO_LARGE,
                        f"a frame is limited to {MAX_FRAME} bytes; the connection is closed",
                    )
                )
                self.finish()
                return
            except ConnectionError:
                return
            if not line.endswith(b"\n"):
                return  # end of stream, possibly mid-frame: the client vanished
            self._on_frame(line)

    def _on_frame(self, line: bytes) -> None:
        req_id: Any = None
        try:
            message = decode(line)
            req_id = message.get("id")
            envelope = parse_request(message)
            if isinstance(envelope.body, Hello):
                self._hello(envelope.id, envelope.body)
                return
            if not self._greeted:
                raise ProtocolError(
                    'the first request must be "hello" with your protocol version',
                    ErrorCode.HELLO_REQUIRED,
                )
            if isinstance(envelope.body, Subscribe):
                self._subscribe(envelope.id, envelope.body)
                return
            if len(self._requests) >= INFLIGHT_LIMIT:
                raise OakdError(
                    f"more than {INFLIGHT_LIMIT} requests in flight; wait for answers first",
                    ErrorCode.TOO_MANY_REQUESTS,
                )
            self._requests.start(self._answer(envelope), name=f"request {envelope.body.TYPE}")
        except OakdError as exc:
            self.send(failure(valid_id(req_id), exc))

    def _hello(self, req_id: int | str, hello: Hello) -> None:
        if hello.protocol != PROTOCOL_VERSION:
            self.send(
                error(
                    req_id,
                    ErrorCode.PROTOCOL_MISMATCH,
                    f"this client speaks protocol {hello.protocol}, the daemon (oakd "
                    f"{__version__}) speaks {PROTOCOL_VERSION}: use the same oakd version for "
                    "both (restart the daemon after an upgrade)",
                )
            )
            self.finish()
            return
        self._greeted = True
        self.client_name = hello.client
        self.send(
            ok(req_id, {"protocol": PROTOCOL_VERSION, "version": __version__, "pid": os.getpid()})
        )

    def _subscribe(self, req_id: int | str, body: Subscribe) -> None:
        unknown = sorted(set(body.topics) - set(EVENT_TOPICS))
        if unknown:
            raise ProtocolError(
                f"unknown topics {unknown}; choose from {list(EVENT_TOPICS)}", ErrorCode.BAD_PARAMS
            )
        self.topics = frozenset(body.topics)
        self._server.bus.subscribe(self)
        self.send(ok(req_id, {"topics": sorted(self.topics)}))

    async def _answer(self, envelope: Envelope) -> None:
        handler = self._server.handlers.get(type(envelope.body))
        try:
            if handler is None:
                raise ProtocolError(
                    f"{envelope.body.TYPE!r} is not served by this daemon",
                    ErrorCode.UNKNOWN_REQUEST,
                )
            result = await handler(envelope.body)
            self.send(ok(envelope.id, result))
        except OakdError as exc:
            self.send(failure(envelope.id, exc))
        except Exception as exc:  # a bug in a handler must not take the daemon down
            log.exception("request %s failed", envelope.body.TYPE)
            self.send(
                error(
                    envelope.id,
                    ErrorCode.INTERNAL,
                    f"internal error in {envelope.body.TYPE!r}: {exc!r}; see the daemon's log",
                )
            )


class Server:
    """Accepts clients on a listening Unix socket and serves them until stopped."""

    def __init__(
        self,
        sock: socket.socket,
        path: Path | None,
        bus: EventBus,
        handlers: dict[type[Request], Handler],
        group_gid: int | None = None,
    ) -> None:
        self._sock = sock
        self._path = path
        self._inode = os.stat(path).st_ino if path else None
        self.bus = bus
        self.handlers = handlers
        self._group_gid = group_gid
        self.sessions: set[Session] = set()
        self._connections = TaskSet()

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until `stop` is set, then disconnect everyone and remove the socket file."""
        # asyncio listens again with its own backlog (100 by default): keep the kernel's.
        server = await asyncio.start_unix_server(
            self._accept, sock=self._sock, limit=MAX_FRAME, backlog=socket.SOMAXCONN
        )
        try:
            await stop.wait()
        finally:
            server.close()
            for session in list(self.sessions):
                session.drop("the daemon is stopping")
            await self._connections.cancel_all()
            self._remove_socket_file()

    def _remove_socket_file(self) -> None:
        # Only our own file: never one a newer daemon has put in its place.
        if self._path is None:
            return
        try:
            if os.stat(self._path).st_ino == self._inode:
                self._path.unlink()
        except FileNotFoundError:
            pass

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.start(self._serve(reader, writer), name="client")

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = peer_of(writer.get_extra_info("socket"))
        session = Session(self, reader, writer, peer)
        if len(self.sessions) >= MAX_CLIENTS:
            silent = [s for s in self.sessions if not s.greeted]
            if silent:
                min(silent, key=lambda s: s.connected_at).drop(
                    f"{MAX_CLIENTS} clients are connected and it had not said hello"
                )
            else:
                log.warning("refusing %r: %d clients are connected already", session, MAX_CLIENTS)
                session.send(
                    error(
                        None,
                        ErrorCode.BUSY,
                        f"the daemon serves {MAX_CLIENTS} clients at once and has that many; "
                        "close some (TUIs, `oakd watch --follow`) and try again",
                    )
                )
                session.finish()
        if not peer_allowed(peer, self._group_gid):
            log.warning("refusing %r: not the daemon's user, root or the socket group", session)
            session.send(
                error(
                    None,
                    ErrorCode.PERMISSION_DENIED,
                    "this daemon serves only its own user, root and the group in "
                    "daemon.socket_group; ask its owner to add you to that group",
                )
            )
            session.finish()
        self.sessions.add(session)
        try:
            await session.serve()
        finally:
            self.sessions.discard(session)
