"""The daemon's client, shared by the CLI and the TUI: requests, answers and pushed events."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from pathlib import Path
from typing import Any

from oakd.errors import DaemonUnreachable, ErrorCode, ProtocolError, RemoteError
from oakd.protocol import (
    EVENT_TOPICS,
    PROTOCOL_VERSION,
    Request,
    decode,
    encode,
    make_request,
    read_reply,
    result_of,
    untied_error,
)
from oakd.protocol.session import Hello, Subscribe
from oakd.transport import (
    ANSWER_TIMEOUT_S,
    CONNECT_TIMEOUT_S,
    Transport,
    UnixTransport,
    unreachable,
)

__all__ = ["Client", "unreachable"]  # unreachable: for the TUI's own messages


class Client:
    """One connection to the daemon. Use `await Client.connect(path or transport)`; close with
    `close()`."""

    def __init__(
        self, transport: Transport, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ):
        self.transport = transport
        self.where = transport.where
        self._reader = reader
        self._writer = writer
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self.events: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._read_task = asyncio.get_running_loop().create_task(self._read_loop())
        self.daemon: dict[str, Any] = {}

    @classmethod
    async def connect(
        cls, target: Path | Transport, name: str = "oakd-client", timeout: float = CONNECT_TIMEOUT_S
    ) -> Client:
        """Connect and say hello; raise DaemonUnreachable when nobody answers, saying which
        step failed (over ssh: the login, oakd there, its daemon), or RemoteError when the
        daemon refuses (another protocol version, a user it does not serve)."""
        transport = UnixTransport(target) if isinstance(target, Path) else target
        reader, writer = await transport.open(timeout)
        client = cls(transport, reader, writer)
        try:
            client.daemon = await client.call(
                Hello(protocol=PROTOCOL_VERSION, client=name), timeout=transport.hello_timeout
            )
        except DaemonUnreachable as exc:
            # The stream ended before hello was answered: the transport may know why (ssh's
            # exit status and stderr), better than "the daemon closed the connection".
            cause = await transport.ended()
            await client.close()
            raise (cause or exc) from None
        except asyncio.TimeoutError:
            cause = await transport.ended()
            await client.close()
            waited = transport.hello_timeout
            raise cause or transport.lost(f"no answer to hello within {waited:g} s") from None
        except RemoteError as exc:
            await client.close()
            if exc.code is ErrorCode.PROTOCOL_MISMATCH and not isinstance(target, Path):
                raise RemoteError(f"{transport.where}: {exc.message}", exc.code) from None
            raise
        except BaseException:
            await client.close()
            raise
        return client

    async def call(self, body: Request, timeout: float | None = ANSWER_TIMEOUT_S) -> Any:
        """Send one request and return its result; an error answer raises RemoteError."""
        req_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[req_id] = future
        try:
            self._writer.write(encode(make_request(req_id, body)))
            await self._writer.drain()
            return await asyncio.wait_for(future, timeout)
        except ConnectionError as exc:
            raise self.transport.lost(f"connection lost: {exc}") from None
        finally:
            self._pending.pop(req_id, None)

    async def ask(self, body: Request, timeout: float | None = ANSWER_TIMEOUT_S) -> Any:
        """Send one request and return its answer typed as the request's REPLY (a class of
        oakd/protocol/replies.py, or a list of one); a reply that does not fit raises
        ProtocolError naming the field."""
        return read_reply(body, await self.call(body, timeout))

    async def subscribe(self, topics: list[str] | None = None) -> None:
        """Have the daemon push events of these topics (all by default) into `events`."""
        await self.call(Subscribe(topics=list(topics or EVENT_TOPICS)))

    async def _read_loop(self) -> None:
        try:
            while True:
                line = await self._reader.readline()
                if not line.endswith(b"\n"):
                    break
                self._on_message(decode(line))
        except (ConnectionError, ValueError, ProtocolError):
            pass
        finally:
            lost = self.transport.lost("the daemon closed the connection")
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(lost)
            self.events.put_nowait(None)  # tells event readers the stream ended

    def _on_message(self, message: dict[str, Any]) -> None:
        if "event" in message:
            self.events.put_nowait(message)
            return
        future = self._pending.get(message.get("id"))  # type: ignore[arg-type]
        if untied_error(message):
            future = next(iter(self._pending.values()), None)
        if future is None or future.done():
            return
        try:
            future.set_result(result_of(message))
        except RemoteError as exc:
            future.set_exception(exc)

    async def close(self) -> None:
        """Close the connection."""
        self._read_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._read_task
        self._writer.close()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()
        await self.transport.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
