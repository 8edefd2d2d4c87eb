"""A real daemon over its real socket: each bad client gets a clear error, the daemon serves on."""

from __future__ import annotations

import concurrent.futures
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from oakd.protocol import MAX_FRAME, PROTOCOL_VERSION
from tests.helpers import DaemonProcess, RawClient, oakd, short_tempdir


@pytest.fixture(scope="module")
def daemon() -> Iterator[DaemonProcess]:
    """One daemon for this module's tests (per xdist worker): they only talk to it, and each
    leaves it serving as it found it (most end by checking so). The tests that stop it or
    need an empty state dir make their own."""
    with short_tempdir() as root:
        proc = DaemonProcess(root).wait_ready()
        yield proc
        proc.stop()


def still_serving(daemon: DaemonProcess) -> None:
    """A fresh client still gets a status answer."""
    client = RawClient(daemon.socket)
    try:
        assert client.hello()["ok"]
        answer = client.request(1, "status")
        assert answer["ok"], answer
    finally:
        client.close()


def test_status_json_has_version_and_uptime(daemon: DaemonProcess) -> None:
    result = daemon.cli("status", "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["version"] == "0.1.0"
    assert status["protocol"] == PROTOCOL_VERSION
    assert status["uptime_s"] >= 0
    assert status["socket"] == str(daemon.socket)


def test_devices_and_jobs_json_are_arrays(daemon: DaemonProcess) -> None:
    for command in ("devices", "jobs"):
        result = daemon.cli(command, "--json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == []


def test_tables_say_when_there_is_nothing(daemon: DaemonProcess) -> None:
    assert daemon.cli("devices").stdout.strip() == "no cameras seen yet"
    assert daemon.cli("jobs").stdout.strip() == "no jobs"


def test_protocol_version_mismatch_is_refused_clearly(daemon: DaemonProcess) -> None:
    client = RawClient(daemon.socket)
    answer = client.hello(protocol=PROTOCOL_VERSION + 1)
    assert answer["ok"] is False
    assert answer["error"]["code"] == "protocol_mismatch"
    assert "same oakd version" in answer["error"]["message"]
    assert client.recv() is None  # and the connection is closed
    still_serving(daemon)


def test_a_request_before_hello_is_refused(daemon: DaemonProcess) -> None:
    client = RawClient(daemon.socket)
    answer = client.request(1, "status")
    assert answer["error"]["code"] == "hello_required"
    assert client.hello()["ok"]  # the same connection can still greet and go on
    assert client.request(2, "status")["ok"]


def test_unknown_request_names_the_known_ones(daemon: DaemonProcess) -> None:
    client = RawClient(daemon.socket)
    client.hello()
    answer = client.request(1, "fly-to-the-moon")
    assert answer["error"]["code"] == "unknown_request"
    assert "status" in answer["error"]["message"]
    assert client.request(2, "status")["ok"]  # the connection is still usable


def test_bad_params_name_the_key(daemon: DaemonProcess) -> None:
    client = RawClient(daemon.socket)
    client.hello()
    answer = client.request(1, "jobs", limit="many")
    assert answer["error"]["code"] == "bad_params"
    assert "params.limit" in answer["error"]["message"]
    assert "whole number" in answer["error"]["message"]
    answer = client.request(2, "jobs", colour="red")
    assert "unknown key" in answer["error"]["message"]


def test_malformed_json_gets_bad_frame_and_the_connection_survives(daemon: DaemonProcess) -> None:
    client = RawClient(daemon.socket)
    client.hello()
    client.send_raw(b'{"id": 1, "type": "status"\n')
    answer = client.recv()
    assert answer is not None and answer["error"]["code"] == "bad_frame"
    assert "not valid JSON" in answer["error"]["message"]
    client.send_raw(b"[1, 2, 3]\n")
    answer = client.recv()
    assert answer is not None and answer["error"]["code"] == "bad_frame"
    assert client.request(2, "status")["ok"]


def test_oversized_frame_is_refused_and_the_daemon_serves_on(daemon: DaemonProcess) -> None:
    client = RawClient(daemon.socket)
    client.hello()
    client.send_raw(b'{"id": 1, "type": "status", "params": {"pad": "' + b"x" * MAX_FRAME)
    answer = client.recv()
    assert answer is not None and answer["error"]["code"] == "frame_too_large"
    assert str(MAX_FRAME) in answer["error"]["message"]
    still_serving(daemon)


def test_a_client_that_vanishes_mid_frame_does_no_harm(daemon: DaemonProcess) -> None:
    for _ in range(5):
        client = RawClient(daemon.socket)
        client.hello()
        client.request(1, "subscribe")
        client.send_raw(b'{"id": 2, "type": "sta')
        client.close()
    still_serving(daemon)
    assert "Traceback" not in daemon.log()


def test_fifty_clients_at_once(daemon: DaemonProcess) -> None:
    def one(i: int) -> bool:
        client = RawClient(daemon.socket)
        try:
            client.hello()
            return bool(client.request(i, "status")["ok"])
        finally:
            client.close()

    clients = [RawClient(daemon.socket) for _ in range(50)]  # all connected at the same time
    try:
        for c in clients:
            assert c.hello()["ok"]
        for i, c in enumerate(clients):
            assert c.request(i + 1, "devices")["ok"]
    finally:
        for c in clients:
            c.close()
    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        assert all(pool.map(one, range(50)))


def test_socket_is_private_to_the_user(daemon: DaemonProcess) -> None:
    assert stat.S_IMODE(os.stat(daemon.socket).st_mode) == 0o600


def test_sigterm_removes_the_socket_and_closes_the_database(short_tmp: Path) -> None:
    daemon = DaemonProcess(short_tmp).wait_ready()
    assert daemon.stop() == 0
    assert not daemon.socket.exists()
    # SQLite removes the WAL file when the last connection closes cleanly.
    assert not (daemon.state_dir / "oakd.sqlite3-wal").exists()
    assert "stopped" in daemon.log()


def test_a_stale_socket_file_is_replaced(short_tmp) -> None:
    import socket as socketlib

    path = short_tmp / "oakd.sock"
    dead = socketlib.socket(socketlib.AF_UNIX, socketlib.SOCK_STREAM)
    dead.bind(str(path))  # bound, never listening, then closed: what a killed daemon leaves
    dead.close()
    assert path.exists()
    proc = DaemonProcess(short_tmp).wait_ready()
    try:
        still_serving(proc)
    finally:
        proc.stop()


def test_a_second_daemon_on_the_same_socket_exits_and_the_first_serves_on(
    daemon: DaemonProcess, short_tmp
) -> None:
    other_state = short_tmp / "other-state"
    clash = oakd("daemon", "--socket", str(daemon.socket), "--state-dir", str(other_state))
    assert clash.returncode == 1
    assert "another oakd daemon is already serving" in clash.stderr
    assert not other_state.exists()  # refused before touching any state
    still_serving(daemon)


def test_a_second_daemon_on_the_same_state_dir_is_refused(daemon: DaemonProcess) -> None:
    clash = oakd(
        "daemon",
        "--socket",
        str(daemon.root / "second.sock"),
        "--state-dir",
        str(daemon.state_dir),
    )
    assert clash.returncode == 1
    assert "is in use by oakd daemon pid" in clash.stderr
    assert not (daemon.root / "second.sock").exists()
    still_serving(daemon)


def test_a_config_with_a_typo_names_file_key_and_expectation(short_tmp) -> None:
    config = short_tmp / "config.toml"
    config.write_text("[discovery]\nintervall_s = 5\n")
    result = oakd(
        "daemon",
        "--config",
        str(config),
        "--socket",
        str(short_tmp / "s"),
        "--state-dir",
        str(short_tmp / "state"),
    )
    assert result.returncode == 2
    assert str(config) in result.stderr
    assert "discovery.intervall_s" in result.stderr
    assert "did you mean 'interval_s'" in result.stderr

    config.write_text('[flash]\nparallel = "eight"\n')
    result = oakd("daemon", "--config", str(config), "--socket", str(short_tmp / "s"))
    assert result.returncode == 2
    assert "flash.parallel" in result.stderr and "expected a whole number" in result.stderr


def test_the_config_is_used_and_reported(short_tmp) -> None:
    config = short_tmp / "config.toml"
    config.write_text("[discovery]\ninterval_s = 5\n")
    proc = DaemonProcess(short_tmp, config=config).wait_ready()
    try:
        status = json.loads(proc.cli("status", "--json").stdout)
        assert status["config"] == str(config)
    finally:
        proc.stop()


def test_a_frame_one_byte_over_the_limit_is_refused(daemon: DaemonProcess) -> None:
    client = RawClient(daemon.socket)
    client.hello()
    head = b'{"id": 1, "type": "status", "params": {}, "pad": "'
    tail = b'"}\n'
    fits = head + b"x" * (MAX_FRAME - len(head) - len(tail)) + tail
    assert len(fits) == MAX_FRAME
    client.send_raw(fits)
    answer = client.recv()
    assert answer is not None and answer["id"] == 1  # answered (pad is no known field)
    over = head + b"x" * (MAX_FRAME + 1 - len(head) - len(tail)) + tail
    client.send_raw(over)
    answer = client.recv()
    assert answer is not None and answer["error"]["code"] == "frame_too_large", answer
    still_serving(daemon)


@pytest.mark.parametrize(
    ("frame", "code", "names"),
    [
        (b"[" * 100_000, "bad_frame", "nests too deeply"),
        (b'{"id": ' + b"9" * 5000 + b', "type": "status"}', "bad_frame", "not valid JSON"),
        (b'{"id": "\\ud800", "type": "status"}', "bad_frame", "id"),
        (
            b'{"id": 1, "type": "jobs", "params": {"limit": 9223372036854775808}}',
            "bad_params",
            "params.limit",
        ),
        (
            b'{"id": 1, "type": "cancel", "params": {"job": 99999999999999999999}}',
            "bad_params",
            "params.job",
        ),
        (
            b'{"id": 1, "type": "flash", "params": {"devices": ["x"], '
            b'"package": "/tmp/a\\u0000b"}}',
            "bad_params",
            "params.package",
        ),
        (
            b'{"id": 1, "type": "flash", "params": {"devices": ["x"], "package": "/'
            + b"a" * 10_000
            + b'"}}',
            "bad_params",
            "params.package",
        ),
    ],
)
def test_hostile_frames_get_an_error_that_names_the_field(
    daemon: DaemonProcess, frame: bytes, code: str, names: str
) -> None:
    client = RawClient(daemon.socket)
    client.hello()
    client.send_raw(frame + b"\n")
    answer = client.recv()
    assert answer is not None and answer["ok"] is False, answer
    assert answer["error"]["code"] == code, answer
    assert names in answer["error"]["message"], answer
    assert client.request(2, "status")["ok"]  # the same session goes on
    assert "crashed" not in daemon.log() and "internal" not in daemon.log()


def test_silent_connections_cannot_shut_out_a_status(daemon: DaemonProcess) -> None:
    # 300 connections that never say hello: more than the daemon serves at once (256).
    silent = [RawClient(daemon.socket, timeout=30) for _ in range(300)]
    assert daemon.cli("status", timeout=20).returncode == 0
    # The oldest silent ones made room for the newer ones...
    assert silent[0].recv() is None
    # ...and every silent one is closed once its time to say hello has passed.
    last = silent[-1].recv()
    assert last is not None and last["error"]["code"] == "hello_required", last
    assert "no hello within" in last["error"]["message"]
    assert silent[-1].recv() is None
    for client in silent:
        client.close()
    still_serving(daemon)
