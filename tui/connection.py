"""The TUI's link to the daemon: connect, subscribe, list, relay events, and reconnect.

`Connection.run()` runs in a Textual worker for the life of the app. It never touches a widget:
it posts messages (Connected, Disconnected, Events) to the app, which updates the screen. When the
daemon goes away it retries with backoff, and on reconnect subscribes again and posts fresh lists,
so the screen stays as it was and catches up.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from textual.message import Message
from textual.message_pump import MessagePump

from oakd.client import Client, unreachable
from oakd.errors import DaemonUnreachable, ErrorCode, OakdError, ProtocolError, RemoteError
from oakd.protocol import Request, read_event, read_reply
from oakd.protocol.replies import DeviceInfo, JobInfo, ProjectInfo
from oakd.protocol.requests import ListDevices, ListJobs, ListProjects
from oakd.protocol.session import Status, StatusInfo
from oakd.remote import SshTarget, parse_url
from oakd.ssh import SshTransport

if TYPE_CHECKING:  # zeroconf loads only for the daemons screen
    from oakd.mdns.record import FoundDaemon

CLIENT_NAME = "oakd-tui"
MAX_BATCH = 500  # events relayed in one message at most


class DaemonClient(Protocol):
    """What the TUI needs of oakd.client.Client (tests may hand in something else)."""

    events: asyncio.Queue[dict[str, Any] | None]

    async def call(self, body: Request, timeout: float | None = 30.0) -> Any:
        """Send a request, return its result (as the wire has it), raise RemoteError or
        DaemonUnreachable."""
        ...

    async def subscribe(self, topics: list[str] | None = None) -> None:
        """Have the daemon push events into `events`."""
        ...

    async def close(self) -> None:
        """Close the connection."""
        ...


# Where the daemon is: its socket on this host, or a remote's ssh:// URL (`oakd tui --host`),
# which only labels it: the remote factory knows the way.
Where = Path | str
# Called with the Where and the client's name; tests hand in factories of (Path, str).
ClientFactory = Callable[[Any, str], Awaitable[DaemonClient]]


async def connect_client(path: Path, name: str) -> DaemonClient:
    """The real thing: oakd.client.Client over the daemon's Unix socket."""
    return await Client.connect(path, name=name)


def remote_client_factory(target: SshTarget) -> ClientFactory:
    """Clients of a daemon on another host, a new ssh each (re)connection. Always in batch
    mode: a prompt of ssh's would draw over the TUI and wait for keys the TUI reads."""

    async def connect(where: Where, name: str) -> DaemonClient:
        return await Client.connect(SshTransport(target, batch=True), name=name)

    return connect


@dataclass(frozen=True)
class Daemon:
    """One daemon the TUI shows: its label (the host column; unique), where it is, and how to
    reach it (a local socket's factory, or remote_client_factory)."""

    label: str
    where: Where
    factory: ClientFactory = connect_client


Dial = Callable[["FoundDaemon"], Daemon]  # a daemon found on the LAN -> how the TUI reaches it


def dial_found(found: FoundDaemon) -> Daemon:
    """A daemon `oakd daemons` found, reached as `--host URL` would: over ssh, named by its
    instance name ("oakd on plant-2")."""
    target = parse_url(found.url())
    return Daemon(found.name, target.label, remote_client_factory(target))


def lost(where: Where, why: str) -> DaemonUnreachable:
    """The error for a daemon this connection lost, in the words of its transport."""
    if isinstance(where, Path):
        return unreachable(where, why)
    return DaemonUnreachable(f"no oakd daemon reachable at {where} ({why})")


@dataclass(frozen=True)
class Backoff:
    """Delays between reconnection attempts: `first`, doubling, at most `limit` seconds."""

    first: float = 0.25
    limit: float = 5.0

    def delays(self) -> Iterator[float]:
        """first, 2*first, 4*first, ... capped at limit, forever."""
        delay = self.first
        while True:
            yield delay
            delay = min(delay * 2, self.limit)


@dataclass(frozen=True)
class Snapshot:
    """Everything the screen shows, as listed right after (re)connecting."""

    daemon: StatusInfo
    devices: list[DeviceInfo]
    jobs: list[JobInfo]
    projects: list[ProjectInfo] | None  # None: this daemon does not serve `projects`


class Connection:
    """One daemon, kept connected for as long as `run()` runs; with several daemons the app
    holds one each, and each reconnects on its own."""

    @dataclass
    class Connected(Message):
        """Connected (again), subscribed, and listed."""

        snapshot: Snapshot
        host: str = ""  # the connection's label (tui/hosts.py)

    @dataclass
    class Disconnected(Message):
        """Not connected; another attempt follows in `retry_in` seconds."""

        reason: str  # DaemonUnreachable's message: what failed and how to start a daemon
        attempt: int  # 1 for the first failed attempt since the last good connection
        retry_in: float
        ever_connected: bool
        host: str = ""

    @dataclass
    class Events(Message):
        """Events pushed by the daemon, in order, as (name, data) pairs with their data typed
        (oakd/protocol EVENTS); `ignored` says what could not be read (events of unknown
        names, a newer daemon's, are left out silently)."""

        events: list[tuple[str, Any]]
        host: str = ""
        ignored: list[str] = field(default_factory=list)

    def __init__(
        self,
        target: MessagePump,
        path: Where,
        factory: ClientFactory = connect_client,
        backoff: Backoff | None = None,
        label: str = "",
    ) -> None:
        self.target = target
        # Which daemon this is, in the host column and on its messages ("": the only one).
        self.label = label
        self.path = path
        self.factory = factory
        self.backoff = backoff or Backoff()
        self.client: DaemonClient | None = None
        self.ever_connected = False
        self.closed = False

    @property
    def connected(self) -> bool:
        """A daemon is on the line."""
        return self.client is not None

    async def call(self, body: Request, timeout: float | None = 30.0) -> Any:
        """Send one request on the current connection; the answer typed as its REPLY."""
        client = self.client
        if client is None:
            raise lost(self.path, "not connected; reconnecting")
        return read_reply(body, await client.call(body, timeout=timeout))

    async def close(self) -> None:
        """Hang up for good (the app is quitting)."""
        self.closed = True
        client, self.client = self.client, None
        if client is not None:
            await client.close()

    async def run(self) -> None:
        """Connect, relay, and reconnect after every loss, until cancelled or closed."""
        delays = self.backoff.delays()
        attempt = 0
        try:
            while not self.closed:
                try:
                    client = await self.factory(self.path, CLIENT_NAME)
                except OakdError as exc:  # unreachable, or refused (protocol, permission)
                    attempt += 1
                    await self._wait(exc.message, attempt, next(delays))
                    continue
                try:
                    snapshot = await self._start(client)
                except (OakdError, asyncio.TimeoutError) as exc:
                    await client.close()
                    attempt += 1
                    why = getattr(exc, "message", "the daemon did not answer in time")
                    await self._wait(why, attempt, next(delays))
                    continue
                if self.closed:
                    await client.close()
                    return
                delays, attempt = self.backoff.delays(), 0
                self.client, self.ever_connected = client, True
                self.target.post_message(self.Connected(snapshot, self.label))
                await self._relay(client)
                if self.closed:
                    return
                self.client = None
                await client.close()
                attempt += 1
                gone = lost(self.path, "the daemon closed the connection")
                await self._wait(gone.message, attempt, 0.0)
        finally:
            if self.client is not None:
                with contextlib.suppress(Exception):
                    await self.client.close()
                self.client = None

    async def _wait(self, reason: str, attempt: int, delay: float) -> None:
        self.target.post_message(
            self.Disconnected(reason, attempt, delay, self.ever_connected, self.label)
        )
        if delay:
            await asyncio.sleep(delay)

    async def _start(self, client: DaemonClient) -> Snapshot:
        # Subscribe before listing: an event between the two is then seen twice, never missed.
        await client.subscribe()
        # `status` carries the daemon's settings the screen follows (flash.min_bootloader).
        asked = (Status(), ListDevices(), ListJobs(limit=100))
        status, devices, jobs = [read_reply(body, await client.call(body)) for body in asked]
        projects: list[ProjectInfo] | None
        try:
            projects = read_reply(ListProjects(), await client.call(ListProjects()))
        except RemoteError as exc:
            if exc.code is not ErrorCode.UNKNOWN_REQUEST:
                raise
            projects = None
        return Snapshot(status, devices, jobs, projects)

    async def _relay(self, client: DaemonClient) -> None:
        """Post events in batches: whatever has arrived by the time the app can take it."""
        while True:
            message = await client.events.get()
            batch: list[tuple[str, Any]] = []
            ignored: list[str] = []
            while message is not None:
                name = str(message.get("event"))
                try:
                    data = read_event(name, message.get("data"))
                except ProtocolError as exc:
                    ignored.append(f"ignored a {name} event: {exc.message}")
                else:
                    if data is not None:
                        batch.append((name, data))
                if len(batch) + len(ignored) >= MAX_BATCH or client.events.empty():
                    break
                message = client.events.get_nowait()
            if batch or ignored:
                self.target.post_message(self.Events(batch, self.label, ignored))
            if message is None:
                return
