"""The daemon announces itself by mDNS as `_oakd._tcp.local.`, for `oakd daemons` to find.

The record (oakd.mdns.record) says who the daemon is (a uuid kept in the state directory), its
version, how many cameras are online and how to reach it (an SSH login and the socket path).

Policy:
- the camera count is re-published when a device event says it may have changed, at most once
  a second (RFC 6762 §6 allows a record to be multicast no more often);
- interfaces are looked at every POLL_S seconds (getifaddrs, off the event loop): when the
  addresses to announce change, or `[daemon] announce_interfaces` does, the record is withdrawn
  and announced afresh on the new set (python-zeroconf binds its sockets once; its
  `async_update_interfaces` needs 0.150, oakd allows 0.130). The same poll retries an
  announcement that failed, so a daemon started before the network was up is found once it is;
- on shutdown, or when `[daemon] announce` is turned off and the config reloaded, the record is
  withdrawn (goodbye packets: browsers drop it at once instead of at its TTL).

A failure (no multicast, no interface, port 5353 refused) is logged once, as a warning (and
python-zeroconf's own message once), and never stops the daemon; the next success says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pwd
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from zeroconf import DNSQuestionType, IPVersion
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from oakd import __version__
from oakd.config import Config
from oakd.core.registry import DeviceRegistry
from oakd.mdns.net import announced_addresses, interface_choice
from oakd.mdns.record import (
    SERVICE_TYPE,
    SSH_PORT,
    DaemonRecord,
    host_label,
    instance_name,
)
from oakd.protocol import PROTOCOL_VERSION
from oakd.services.bus import EventBus, Nudge
from oakd.tasks import wait_any

log = logging.getLogger("oakd.announce")

POLL_S = 5.0  # interfaces: how often they are looked at
MIN_UPDATE_S = 1.0  # the camera count: at most one re-publication a second
# Before probing for the name, a browse asks (QM: answers by multicast) who holds it already.
# python-zeroconf finds a conflict only in its cache, and its probe asks for unicast answers,
# which the kernel hands to just one of the sockets bound to port 5353 on this host (SO_REUSEPORT
# picks one by a hash): without this, a second daemon on the same host took the first one's
# name in 4 of 6 tries. One second is enough for the answers (20-120 ms of delay, up to 500 ms
# of aggregation). Two daemons that start within the same second can still both take the name.
PRE_BROWSE_S = 1.0
UUID_FILE = "uuid"


def daemon_uuid(state_dir: Path) -> str:
    """This state directory's daemon id, made on first use: a daemon keeps it across restarts,
    renames and address changes, so that a browser can tell it from another."""
    path = state_dir / UUID_FILE
    try:
        return str(uuid.UUID(path.read_text().strip()))
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        log.warning("%s is unreadable (%s): making a new daemon id", path, exc)
    made = str(uuid.uuid4())
    tmp = path.with_suffix(".tmp")
    tmp.write_text(made + "\n")
    tmp.replace(path)  # atomic: a crash leaves the old file or the new one
    return made


def ssh_hint(shared: bool) -> str:
    """ssh://[user@]host: the daemon's user, unless members of a group may use its socket
    (the system service runs as `oakd`, a user nobody logs in as: they log in as themselves)."""
    host = host_label()
    if shared:
        return f"ssh://{host}"
    try:
        user = pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return f"ssh://{host}"
    return f"ssh://{user}@{host}"


class Announcer:
    """Keeps this daemon's mDNS record up to date while it runs."""

    def __init__(
        self,
        registry: DeviceRegistry,
        bus: EventBus,
        config: Callable[[], Config],
        state_dir: Path,
        socket_path: Path,
        shared: bool,
    ) -> None:
        self.registry = registry
        self.bus = bus
        self.config = config
        self.state_dir = state_dir
        self.socket_path = socket_path
        self.shared = shared
        self._nudge = Nudge("device")
        self._zc: AsyncZeroconf | None = None
        self._info: AsyncServiceInfo | None = None
        self._key: tuple[tuple[str, ...], tuple[str, ...]] | None = None  # (chosen, addresses)
        self._cameras = -1  # as last published
        self._uuid: str | None = None
        self._failing = False

    @property
    def name(self) -> str | None:
        """The instance name announced, None when there is no record."""
        return self._info.name if self._info else None

    async def run(self, stop: asyncio.Event) -> None:
        """Announce until stopped, then withdraw."""
        self.bus.subscribe(self._nudge)
        try:
            while not stop.is_set():
                await self._tick(stop)
                if await wait_any([stop, self._nudge.event], timeout=POLL_S) and not stop.is_set():
                    await wait_any([stop], timeout=MIN_UPDATE_S)  # a burst of changes: one update
                self._nudge.event.clear()
        finally:
            self.bus.unsubscribe(self._nudge)
            await self._withdraw()

    async def _tick(self, stop: asyncio.Event) -> None:
        section = self.config().daemon
        if not section.announce:
            if self._zc:
                log.info("announcing turned off: record withdrawn")
                await self._withdraw()
            return
        chosen = tuple(section.announce_interfaces)
        addresses = tuple(await asyncio.to_thread(announced_addresses, chosen))
        if self._zc is None or self._key != (chosen, addresses):
            if self._zc:
                log.info("interfaces changed (now %s): announcing afresh", ", ".join(addresses))
                await self._withdraw()
            await self._announce(chosen, addresses, stop)
        elif self._online() != self._cameras:
            await self._update()

    def _online(self) -> int:
        return sum(1 for d in self.registry.devices.values() if d.online)

    def _record_info(self, name: str, addresses: tuple[str, ...]) -> AsyncServiceInfo:
        if self._uuid is None:
            self._uuid = daemon_uuid(self.state_dir)
        self._cameras = self._online()
        record = DaemonRecord(
            uuid=self._uuid,
            version=__version__,
            protocol=PROTOCOL_VERSION,
            cameras=self._cameras,
            ssh=ssh_hint(self.shared),
            socket=str(self.socket_path),
        )
        return AsyncServiceInfo(
            SERVICE_TYPE,
            name,
            port=SSH_PORT,
            properties=record.properties(),
            server=f"{host_label()}.local.",
            parsed_addresses=list(addresses),
        )

    async def _announce(
        self, chosen: tuple[str, ...], addresses: tuple[str, ...], stop: asyncio.Event
    ) -> None:
        self._key = (chosen, addresses)  # a failure is retried when this changes, or next poll
        if not addresses:
            where = ", ".join(chosen) if chosen else "any interface"
            self._failed(f"no IPv4 address on {where}")
            return
        try:
            with _zeroconf_quiet(self._failing):
                info = await self._register(chosen, addresses, stop)
        except Exception as exc:  # no multicast, no such address, a zeroconf that did not start
            self._failed(f"{type(exc).__name__}: {exc}")
            await self._withdraw()
            return
        if info is None:  # stopped meanwhile
            return
        self._info = info
        self._failing = False
        log.info(
            "announced as %r on %s (%d cameras online)",
            info.name.removesuffix("." + SERVICE_TYPE),
            ", ".join(addresses),
            self._cameras,
        )

    async def _register(
        self, chosen: tuple[str, ...], addresses: tuple[str, ...], stop: asyncio.Event
    ) -> AsyncServiceInfo | None:
        """Open the sockets, learn who holds names already, probe ours and announce it."""
        self._zc = AsyncZeroconf(interfaces=interface_choice(chosen), ip_version=IPVersion.V4Only)
        browser = AsyncServiceBrowser(
            self._zc.zeroconf, SERVICE_TYPE, handlers=[_ignore], question_type=DNSQuestionType.QM
        )
        try:
            if await wait_any([stop], timeout=PRE_BROWSE_S):
                return None
            info = self._record_info(f"{instance_name()}.{SERVICE_TYPE}", addresses)
            # Probing (about a second) then the announcements; the name may come back renamed.
            await (await self._zc.async_register_service(info, allow_name_change=True))
        finally:
            await browser.async_cancel()
        return info

    async def _update(self) -> None:
        """Re-publish the record with the current camera count."""
        assert self._zc and self._info
        info = self._record_info(self._info.name, tuple(self._info.parsed_addresses()))
        try:
            await (await self._zc.async_update_service(info))
        except Exception as exc:
            self._failed(f"{type(exc).__name__}: {exc}")
            await self._withdraw()  # announced afresh at the next poll
            return
        self._info = info
        log.debug("record updated: %d cameras online", self._cameras)

    async def _withdraw(self) -> None:
        """Send goodbyes for the record and close the sockets; never raises."""
        zc, self._zc, self._info = self._zc, None, None
        if zc is None:
            return
        try:
            await zc.async_close()  # unregisters every service first: goodbye packets
        except Exception as exc:
            log.debug("closing zeroconf: %s", exc)

    def _failed(self, why: str) -> None:
        if self._failing:
            log.debug("still not announced: %s", why)
            return
        self._failing = True
        log.warning(
            "cannot announce this daemon by mDNS (%s); it keeps running, `oakd daemons` will "
            "not list it until this clears. `[daemon] announce = false` turns announcing off",
            why,
        )


@contextlib.contextmanager
def _zeroconf_quiet(quiet: bool) -> Iterator[None]:
    """While a failure repeats, python-zeroconf's own message about it is not logged again."""
    logger = logging.getLogger("zeroconf")
    level = logger.level
    if quiet:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _ignore(**_: object) -> None:
    """The pre-browse only fills the cache; its events are not needed."""
