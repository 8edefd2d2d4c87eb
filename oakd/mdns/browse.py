"""Finding daemons: a live view of the `_oakd._tcp` records on the chosen interfaces.

Every question is QM (answers by multicast). A QU question, python-zeroconf's default for the
first query, may be answered by unicast to port 5353, which the kernel hands to only one of the
sockets bound there: on a host that runs a daemon too, often the daemon's, not ours.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import TracebackType

from zeroconf import DNSQuestionType, IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from oakd.mdns.net import interface_choice, reachable_first
from oakd.mdns.record import SERVICE_TYPE, DaemonRecord, FoundDaemon

RESOLVE_MS = 1000  # to ask for what the cache lacks of a record (SRV, TXT, addresses)


class DaemonBrowser:
    """The instance names currently announced; `changed` is set whenever one comes or goes."""

    def __init__(self, interfaces: Sequence[str] = ()) -> None:
        self.interfaces = list(interfaces)
        self.names: set[str] = set()  # full names: 'oakd on plant-2._oakd._tcp.local.'
        self.changed = asyncio.Event()
        self._zc: AsyncZeroconf | None = None
        self._browser: AsyncServiceBrowser | None = None

    async def __aenter__(self) -> DaemonBrowser:
        # Opening sockets and joining the group are a few system calls, not a wait.
        self._zc = AsyncZeroconf(
            interfaces=interface_choice(self.interfaces), ip_version=IPVersion.V4Only
        )
        self._browser = AsyncServiceBrowser(
            self._zc.zeroconf,
            SERVICE_TYPE,
            handlers=[self._on_change],
            question_type=DNSQuestionType.QM,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._browser:
            await self._browser.async_cancel()
        if self._zc:
            await self._zc.async_close()
        self._zc = self._browser = None

    def _on_change(
        self, zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        if state_change is ServiceStateChange.Removed:
            self.names.discard(name)
        else:
            self.names.add(name)
        self.changed.set()

    async def resolve(self, name: str) -> FoundDaemon | None:
        """A name's whole record, from the cache or asked for; None if it does not answer."""
        assert self._zc, "use DaemonBrowser as an async context manager"
        info = AsyncServiceInfo(SERVICE_TYPE, name)
        complete = info.load_from_cache(self._zc.zeroconf) or await info.async_request(
            self._zc.zeroconf, RESOLVE_MS, question_type=DNSQuestionType.QM
        )
        if not complete or info.server is None:
            return None
        addresses = await asyncio.to_thread(
            reachable_first, info.parsed_addresses(IPVersion.V4Only)
        )
        return FoundDaemon(
            name=name.removesuffix("." + SERVICE_TYPE),
            host=info.server.removesuffix(".").removesuffix(".local"),
            port=info.port or 0,
            addresses=addresses,
            record=DaemonRecord.parse(info.properties),
        )

    async def daemons(self) -> list[FoundDaemon]:
        """Every daemon currently announced, resolved, by name."""
        found = await asyncio.gather(*(self.resolve(n) for n in self.names))
        return sorted((d for d in found if d is not None), key=lambda d: d.name)


async def browse(timeout: float, interfaces: Sequence[str] = ()) -> list[FoundDaemon]:
    """The daemons that answer within `timeout` seconds. A browse cannot know how many there
    are, so it listens for all of that time."""
    async with DaemonBrowser(interfaces) as browser:
        await asyncio.sleep(timeout)
        return await browser.daemons()
