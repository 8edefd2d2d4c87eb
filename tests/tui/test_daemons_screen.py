"""The daemons screen (D): what mDNS finds on the LAN, live, and a key to add one to the TUI
(issue 13 item 4).

Real mDNS on loopback (the suite's namespace has no other interface): the test announces a
record as a daemon's announcer does, python-zeroconf on 127.0.0.1, and the screen browses
there. Reaching the daemon found goes over ssh in `oakd tui` (tui/connection.dial_found, tested
end to end in tests/tui/test_remote_tui.py); here `dial` connects to the socket the record
names instead, so that the daemon behind the record is a stand-in whose requests are seen.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from textual.widgets import DataTable
from zeroconf import IPVersion
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from oakd.mdns.browse import DaemonBrowser
from oakd.mdns.record import SERVICE_TYPE, DaemonRecord, FoundDaemon
from oakd.protocol.requests import ListDevices
from tests.tui import data
from tests.tui.data import mxid
from tests.tui.helpers import build_app, connected, pinned_client, screen_of, until
from tests.tui.standin import StandInDaemon
from tui import hosts
from tui.connection import Daemon
from tui.screens.daemons import SHOWN_MARK, DaemonsScreen

LOOPBACK = "127.0.0.1"
NAME = "oakd on plant-2"
BROWSE_S = 10.0  # an answer comes within 1.5 s (see oakd/cli/daemons_cmd.py); load: margin


def service(name: str, host: str, record: DaemonRecord) -> AsyncServiceInfo:
    """A daemon's record as its announcer registers it, on loopback."""
    return AsyncServiceInfo(
        SERVICE_TYPE,
        f"{name}.{SERVICE_TYPE}",
        port=22,
        properties=record.properties(),
        server=f"{host}.local.",
        parsed_addresses=[LOOPBACK],
    )


@pytest.fixture
async def announced(short_tmp: Path) -> AsyncIterator[StandInDaemon]:
    """A stand-in daemon with camera 3, announced by mDNS as NAME with its socket."""
    daemon = StandInDaemon(short_tmp / "b")
    daemon.devices = [data.device(3, "gate")]
    daemon.start()
    record = DaemonRecord("uuid-b", "0.1.0", 1, 1, "ssh://ops@plant-2", str(daemon.path))
    info = service(NAME, "plant-2", record)
    zc = AsyncZeroconf(interfaces=[LOOPBACK], ip_version=IPVersion.V4Only)
    await zc.async_register_service(info)
    yield daemon
    await zc.async_unregister_service(info)
    await zc.async_close()
    daemon.stop()


def by_socket(found: FoundDaemon) -> Daemon:
    """The found daemon, reached at the socket its record names (see the module's note)."""
    return Daemon(found.name, Path(found.record.socket), pinned_client)


def loopback_browser() -> DaemonBrowser:
    return DaemonBrowser([LOOPBACK])


async def test_a_daemon_found_on_the_lan_is_added_with_a_key(
    standin: StandInDaemon, announced: StandInDaemon
) -> None:
    standin.devices = [data.device(1, "front")]
    app = build_app(standin.path, dial=by_socket)
    app.browser = loopback_browser
    async with app.run_test(size=(160, 48)) as pilot:
        await connected(pilot)
        assert not app.several and "host" not in app.cameras.shown_columns()
        await pilot.press("D")
        screen = await screen_of(pilot, DaemonsScreen)
        table = screen.query_one(DataTable)
        await until(pilot, lambda: table.row_count == 1, "the announced daemon", BROWSE_S)
        row = [cell.plain for cell in table.get_row(NAME)]
        assert row[0] == NAME and row[1] == LOOPBACK and row[3] == "1"
        assert row[4] == f"ssh://ops@{LOOPBACK}{announced.path}"  # as `oakd daemons` says

        await pilot.press("enter")
        await until(pilot, lambda: len(app.screen_stack) == 1, "the screen closed")
        # Now a TUI of two daemons: a host column, both fleets, each under its label.
        await until(pilot, lambda: app.cameras.row_count == 2, "both fleets")
        await until(pilot, lambda: app.status.state == "connected", "both connected")
        assert app.several and "host" in app.cameras.shown_columns()
        gate = hosts.key(NAME, mxid(3))
        front = hosts.key(str(standin.path), mxid(1))
        assert app.cameras.get_cell(gate, "host").plain == NAME
        assert app.cameras.get_cell(front, "host").plain == str(standin.path)
        lines = app.status.text.splitlines()
        assert len(lines) == 2 and lines[1].startswith(f"● {NAME}: oakd 0.1.0 · 1 camera")
        # The first daemon was listed again under its label, the second once.
        assert len(standin.sent(ListDevices)) == 2
        assert len(announced.sent(ListDevices)) == 1
        assert f"added {NAME}" in app.log_panel.text()

        # Open again: the daemon is marked as shown, and enter adds nothing twice.
        await pilot.press("D")
        screen = await screen_of(pilot, DaemonsScreen)
        table = screen.query_one(DataTable)
        await until(pilot, lambda: table.row_count == 1, "the announced daemon", BROWSE_S)
        assert table.get_row(NAME)[0].plain == SHOWN_MARK + NAME
        await pilot.press("enter")
        status = str(screen.query_one("#daemons-status").render())
        assert f"{NAME} is shown already" in status
        await pilot.press("escape")
        await until(pilot, lambda: len(app.screen_stack) == 1, "the screen closed")
        assert len(app.connections) == 2


async def test_the_screen_follows_a_record_that_goes(short_tmp: Path) -> None:
    daemon = StandInDaemon(short_tmp / "c").start()
    record = DaemonRecord("uuid-c", "0.1.0", 1, 0, "ssh://plant-3", str(daemon.path))
    info = service("oakd on plant-3", "plant-3", record)
    zc = AsyncZeroconf(interfaces=[LOOPBACK], ip_version=IPVersion.V4Only)
    try:
        app = build_app(daemon.path)
        app.browser = loopback_browser
        async with app.run_test(size=(120, 40)) as pilot:
            await connected(pilot)
            await pilot.press("D")
            screen = await screen_of(pilot, DaemonsScreen)
            table = screen.query_one(DataTable)
            status = screen.query_one("#daemons-status")
            await until(pilot, lambda: "no daemon found yet" in str(status.render()), "empty")
            await zc.async_register_service(info)
            await until(pilot, lambda: table.row_count == 1, "the record", BROWSE_S)
            await zc.async_unregister_service(info)  # goodbye packets: dropped at once
            await until(pilot, lambda: table.row_count == 0, "the record gone", BROWSE_S)
    finally:
        await zc.async_close()
        daemon.stop()
