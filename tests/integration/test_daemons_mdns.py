"""Daemons announce themselves by mDNS and `oakd daemons` finds them (issue 13 item 3).

Real mDNS between real daemons, on loopback only: the suite's network namespace has no other
interface, and every daemon and browser here is told to use 127.0.0.1 besides. python-zeroconf
sends on the interface's address, which works on a loopback without the MULTICAST flag.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from oakd import __version__
from oakd.emulator.process import Fleet
from oakd.mdns.browse import DaemonBrowser
from tests.helpers import DaemonProcess, oakd, wait_for

LOOPBACK = "127.0.0.1"
CONFIG = """
[discovery]
interval_s = 0.5
[daemon]
announce = {announce}
announce_interfaces = ["127.0.0.1"]
"""


@pytest.fixture
def start_daemon(short_tmp: Path) -> Iterator[Callable[..., DaemonProcess]]:
    """Start real daemons, each with its own socket and state directory; stopped at the end."""
    daemons: list[DaemonProcess] = []

    def start(name: str, announce: bool = True, *extra: str) -> DaemonProcess:
        root = short_tmp / name
        root.mkdir()
        config = root / "config.toml"
        config.write_text(CONFIG.format(announce="true" if announce else "false"))
        daemon = DaemonProcess(root, *extra, config=config).wait_ready()
        daemons.append(daemon)
        return daemon

    yield start
    for daemon in daemons:
        daemon.stop()


# A responder delays its answer by up to 1.3 s when it multicast the record less than a second
# ago (RFC 6762 §6 rate limits), as it has when browses follow one another: 2 s always hears it.
BROWSE_S = "2"


def browse() -> dict[str, dict[str, Any]]:
    """`oakd daemons --json` on loopback, by the socket each daemon serves."""
    result = oakd("daemons", "--json", "--timeout", BROWSE_S, "--interface", LOOPBACK)
    assert result.returncode == 0, result.stderr
    return {d["socket"]: d for d in json.loads(result.stdout)}


def browse_with(*daemons: DaemonProcess) -> dict[str, dict[str, Any]]:
    """A browse's records if it found all of `daemons`, else an empty dict."""
    found = browse()
    return found if all(str(d.socket) in found for d in daemons) else {}


def cameras_online(*daemons: DaemonProcess, count: int) -> Callable[[], bool]:
    """A check: every daemon's record says `count` cameras are online."""

    def check() -> bool:
        found = browse()
        return all(found.get(str(d.socket), {}).get("cameras_online") == count for d in daemons)

    return check


def test_daemons_find_each_other_and_their_records_follow_the_cameras(
    start_daemon: Callable[..., DaemonProcess], make_fleet: Callable[..., Fleet]
) -> None:
    a = start_daemon("a")
    # B after A is announced: two daemons that start within the same second can both take the
    # name (python-zeroconf only renames on a conflict it has heard).
    wait_for(lambda: str(a.socket) in browse(), 20, "A announced", interval=0.1)
    b = start_daemon("b")
    quiet = start_daemon("c", announce=False)
    # No browse while B starts: B must learn by itself that A holds the name (its answers to
    # someone else's question would tell B too).
    wait_for(lambda: "announced as" in b.log(), 20, "B announced", interval=0.1)
    found = wait_for(lambda: browse_with(a, b), 20, "A and B in a browse", interval=0.1)
    ra, rb = found[str(a.socket)], found[str(b.socket)]
    assert str(quiet.socket) not in found  # `announce = false`: nothing, though it had as long
    # Both on the same host: the same name from the host name, the second renamed on conflict.
    assert ra["name"].startswith("oakd on ") and rb["name"] == ra["name"] + "-2"
    for daemon, record in ((a, ra), (b, rb)):
        assert record["uuid"] == (daemon.state_dir / "uuid").read_text().strip()
        assert record["version"] == __version__
        assert record["addresses"] == [LOOPBACK]
        assert record["cameras_online"] == 0
        assert record["url"].startswith("ssh://") and record["url"].endswith(str(daemon.socket))
        assert f"@{LOOPBACK}/" in record["url"]
    assert ra["uuid"] != rb["uuid"]
    assert not (quiet.state_dir / "uuid").exists()

    fleet = make_fleet(2)
    wait_for(cameras_online(a, b, count=2), 30, "both records: 2 cameras online", interval=0.1)
    fleet.stop()
    wait_for(cameras_online(a, b, count=0), 30, "both records: 0 cameras online", interval=0.1)

    # The table for people shows the same.
    table = oakd("daemons", "--timeout", BROWSE_S, "--interface", LOOPBACK)
    assert table.returncode == 0, table.stderr
    assert "URL (--host)" in table.stdout and ra["url"] in table.stdout


async def names(browser: DaemonBrowser, count: int) -> None:
    """Wait until the live browse holds `count` names (it says when one comes or goes)."""
    while len(browser.names) != count:
        browser.changed.clear()
        await browser.changed.wait()


async def test_a_stopped_daemon_withdraws_its_record(
    start_daemon: Callable[..., DaemonProcess],
) -> None:
    keeper = start_daemon("a")
    leaver = start_daemon("b")
    async with DaemonBrowser([LOOPBACK]) as browser:
        await asyncio.wait_for(names(browser, 2), timeout=20)
        found = {d.record.socket for d in await browser.daemons()}
        assert found == {str(keeper.socket), str(leaver.socket)}
        started = time.monotonic()
        assert await asyncio.to_thread(leaver.stop, signal.SIGTERM) == 0
        # A browser that holds the record drops it on the goodbye; without one it would keep
        # it for its TTL (75 minutes for the PTR record).
        await asyncio.wait_for(names(browser, 1), timeout=10)
        print(f"record withdrawn {time.monotonic() - started:.2f} s after SIGTERM")
        assert [d.record.socket for d in await browser.daemons()] == [str(keeper.socket)]
    assert "cannot announce" not in leaver.log() + keeper.log()


def test_a_failure_to_announce_is_logged_once_and_the_daemon_serves_then_recovers(
    start_daemon: Callable[..., DaemonProcess],
) -> None:
    # Port 5353 held without SO_REUSEADDR: python-zeroconf cannot bind, as when another mDNS
    # stack refuses to share it.
    holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    holder.bind((LOOPBACK, 5353))
    try:
        daemon = start_daemon("a", True, "--log-level", "debug")
        wait_for(lambda: "cannot announce" in daemon.log(), 20, "the failure logged")
        status = daemon.cli("status", "--json")
        assert status.returncode == 0, status.stderr
        wait_for(lambda: "still not announced" in daemon.log(), 20, "a retry that failed too")
    finally:
        holder.close()
    wait_for(lambda: str(daemon.socket) in browse(), 30, "announced once 5353 is free")
    log = daemon.log()
    # Once for the first failure, whatever the retries: oakd's warning, python-zeroconf's error.
    assert log.count("WARNING oakd.announce: cannot announce") == 1
    assert log.count("Address in use when binding") == 1
    assert daemon.proc.poll() is None
