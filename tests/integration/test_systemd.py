"""Running under systemd: notify messages, socket activation, reload on SIGHUP."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from oakd.client import Client
from oakd.protocol.session import Status
from tests.helpers import DaemonProcess, RawClient, wait_for


class NotifySocket:
    """A real AF_UNIX datagram socket standing in for systemd's $NOTIFY_SOCKET."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.05)
        self.messages: list[str] = []

    def drain(self) -> list[str]:
        """Every message received so far."""
        while True:
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except TimeoutError:
                return self.messages

    def saw(self, line: str) -> bool:
        return any(line in m.split("\n") for m in self.drain())


@pytest.fixture
def notify_socket(short_tmp: Path):
    ns = NotifySocket(short_tmp / "notify")
    yield ns
    ns.sock.close()


def test_ready_watchdog_and_stopping_reach_systemd(short_tmp: Path, notify_socket, monkeypatch):
    monkeypatch.setenv("NOTIFY_SOCKET", str(notify_socket.path))
    monkeypatch.setenv("WATCHDOG_USEC", "200000")  # pings every 100 ms
    daemon = DaemonProcess(short_tmp)
    try:
        wait_for(lambda: notify_socket.saw("READY=1"), 30, "READY=1")
        # READY only once the socket listens.
        assert RawClient(daemon.socket).hello()["ok"]
        count = sum(m.count("WATCHDOG=1") for m in notify_socket.drain())
        wait_for(
            lambda: sum(m.count("WATCHDOG=1") for m in notify_socket.drain()) >= count + 3,
            10,
            "three more watchdog pings",
        )
    finally:
        assert daemon.stop() == 0
    assert notify_socket.saw("STOPPING=1")
    ready_at = next(i for i, m in enumerate(notify_socket.messages) if "READY=1" in m)
    stopping_at = next(i for i, m in enumerate(notify_socket.messages) if "STOPPING=1" in m)
    assert ready_at < stopping_at


def test_no_notify_socket_means_no_notifications(short_tmp: Path, monkeypatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    from oakd.services.systemd import notify

    assert notify("READY=1") is False


def test_serves_a_socket_handed_over_by_systemd(short_tmp: Path) -> None:
    path = short_tmp / "activated.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    os.chmod(path, 0o660)
    listener.listen(16)
    fd = listener.fileno()
    # As systemd does: the socket is fd 3, LISTEN_FDS=1, LISTEN_PID is the daemon's own pid
    # (the shell's $$, kept by exec).
    proc = subprocess.Popen(
        [
            "sh",
            "-c",
            'export LISTEN_PID=$$ LISTEN_FDS=1; exec "$@"',
            "sh",
            sys.executable,
            "-m",
            "oakd",
            "daemon",
            "--socket",
            str(short_tmp / "unused.sock"),
            "--state-dir",
            str(short_tmp / "state"),
        ],
        pass_fds=(3,) if fd == 3 else (3, fd),
        preexec_fn=lambda: os.dup2(fd, 3) if fd != 3 else None,
        stderr=subprocess.PIPE,
        text=True,
    )
    listener.close()  # the daemon holds it now
    try:
        client = RawClient(path, timeout=30)
        assert client.hello()["ok"]
        status = client.request(1, "status")["result"]
        assert status["socket"] == str(path)
        assert not (short_tmp / "unused.sock").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "serving the socket passed by systemd" in err
    assert path.exists()  # systemd's socket file is systemd's: the daemon leaves it


async def test_sighup_reloads_the_config_without_dropping_clients(short_tmp: Path) -> None:
    config = short_tmp / "config.toml"
    config.write_text("[discovery]\ninterval_s = 60\n")
    daemon = DaemonProcess(short_tmp, config=config)
    await asyncio.to_thread(daemon.wait_ready)
    client = await Client.connect(daemon.socket)
    try:
        await client.subscribe()
        before = await client.call(Status())
        assert before["discovery_interval_s"] == 60
        config.write_text("[discovery]\ninterval_s = 0.5\n")
        daemon.proc.send_signal(signal.SIGHUP)
        deadline = asyncio.get_running_loop().time() + 10
        while (await client.call(Status()))["discovery_interval_s"] != 0.5:
            assert asyncio.get_running_loop().time() < deadline, "config not reloaded"
            await asyncio.sleep(0.05)
        # It takes effect: scans now come every half second, not every minute.
        scans = (await client.call(Status()))["discovery_scans"]
        deadline = asyncio.get_running_loop().time() + 20
        while (await client.call(Status()))["discovery_scans"] < scans + 3:
            assert asyncio.get_running_loop().time() < deadline, "scans did not speed up"
            await asyncio.sleep(0.05)

        # A broken config on reload is logged; the running one stays, and so do the clients.
        config.write_text("[discovery]\ninterval_s = 'soon'\n")
        daemon.proc.send_signal(signal.SIGHUP)
        await asyncio.to_thread(
            wait_for, lambda: "config not reloaded" in daemon.log(), 10, "the reload error"
        )
        assert "discovery.interval_s" in daemon.log()
        assert (await client.call(Status()))["discovery_interval_s"] == 0.5
    finally:
        await client.close()
        assert daemon.stop() == 0


def test_status_reports_the_interval(daemon: DaemonProcess) -> None:
    status = json.loads(daemon.cli("status", "--json").stdout)
    assert status["discovery_interval_s"] == 2.0


def test_logs_carry_journal_priorities_under_systemd(short_tmp: Path, monkeypatch) -> None:
    monkeypatch.setenv("JOURNAL_STREAM", "8:12345")
    daemon = DaemonProcess(short_tmp).wait_ready()
    assert daemon.stop() == 0
    lines = daemon.log().splitlines()
    assert "<6>oakd.daemon: SIGTERM received, stopping" in lines
    assert all(line.startswith("<") for line in lines if "oakd." in line)


def test_ready_means_the_first_discovery_pass_is_done(
    short_tmp: Path, notify_socket, monkeypatch, make_fleet
) -> None:
    fleet = make_fleet(2)
    monkeypatch.setenv("NOTIFY_SOCKET", str(notify_socket.path))
    daemon = DaemonProcess(short_tmp)
    try:
        wait_for(lambda: notify_socket.saw("READY=1"), 60, "READY=1")
        listed = json.loads(daemon.cli("devices", "--json").stdout)
        assert {d["id"] for d in listed} == {c.mxid for c in fleet.cameras}
    finally:
        assert daemon.stop() == 0
