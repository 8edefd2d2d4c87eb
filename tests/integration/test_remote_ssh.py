"""Client commands against a daemon on "another host", through a real OpenSSH server on
127.0.0.1 and `oakd dial-stdio` (issue 13 items 1 and 2): status, devices and flash work; a
wrong key, a host without oakd and a stopped daemon each fail with their own message.

The remote session runs this checkout's oakd by $OAKD_REMOTE_COMMAND (`<python> -m oakd`): the
sshd's sessions have the system's PATH, where no `oakd` is (which is the "host without oakd").
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import oakd.client
from oakd.client import Client
from oakd.emulator.process import Fleet
from oakd.errors import ErrorCode, RemoteError
from oakd.remote import parse_url
from oakd.ssh import SshTransport
from tests.helpers import FAST, DaemonProcess, job_states, wait_for, wait_online
from tests.sshd import SshServer

pytestmark = pytest.mark.timeout(300)

REMOTE_OAKD = f"{shlex.quote(sys.executable)} -m oakd"
CONFIG = "[discovery]\ninterval_s = 0.5\n[flash]\nretries = 1\n"


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    server = SshServer(tmp_path_factory.mktemp("sshd"))
    yield server
    server.stop()


class Site:
    """A daemon and one emulated camera: the "other host" (this module's tests only read, or
    flash and wait, so they cannot disturb each other)."""

    def __init__(self, root: Path) -> None:
        options: dict[str, Any] = {**FAST, "state_dir": root / "cameras"}
        self.fleet = Fleet(count=1, **options).start()
        config = root / "config.toml"
        config.write_text(CONFIG)
        self.daemon = DaemonProcess(root, config=config).wait_ready()
        wait_online(self.daemon, 1)
        self.mxid = self.fleet.cameras[0].mxid

    def stop(self) -> None:
        self.daemon.stop()
        self.fleet.stop()


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    root = Path(tempfile.mkdtemp(prefix="oakd-", dir="/tmp"))  # a short socket path
    made = Site(root)
    yield made
    made.stop()
    shutil.rmtree(root, ignore_errors=True)


def client_env(
    sshd: SshServer, key: Path | None = None, command: str | None = REMOTE_OAKD
) -> dict[str, str]:
    """The environment of a client that reaches `sshd` with `key`, starting oakd there by
    `command` (None: the default, `oakd`)."""
    env = {**os.environ, "OAKD_SSH": f"ssh -F {sshd.client_config(key)}"}
    for name in ("OAKD_HOST", "OAKD_REMOTE_COMMAND", "OAKD_SOCKET", "OAKD_CONFIG"):
        env.pop(name, None)
    if command:
        env["OAKD_REMOTE_COMMAND"] = command
    return env


def run(*args: str, env: dict[str, str], timeout: float = 90) -> subprocess.CompletedProcess[str]:
    """The real `oakd` command line, with no terminal (so ssh runs in batch mode)."""
    return subprocess.run(
        [sys.executable, "-m", "oakd", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def test_status_devices_and_flash_over_ssh(sshd: SshServer, site: Site, dap_file: Path) -> None:
    host = ["--host", sshd.url(site.daemon.socket)]
    env = client_env(sshd)

    status = run(*host, "status", "--json", env=env)  # before the command, as `docker -H`
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["socket"] == str(site.daemon.socket)

    devices = run("devices", "--json", *host, env=env)
    assert devices.returncode == 0, devices.stderr
    assert [d["id"] for d in json.loads(devices.stdout)] == [site.mxid]

    before = set(job_states(site.daemon))
    flash = run("flash", site.mxid, "--dap", str(dap_file), "--wait", *host, env=env)
    assert flash.returncode == 0, flash.stderr
    (job,) = [j for i, j in job_states(site.daemon).items() if i not in before]
    assert (job["kind"], job["state"]) == ("flash_package", "done"), job


def test_a_named_remote_from_the_config_by_oakd_host(
    sshd: SshServer, site: Site, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[remote]]\nname = "plant-2"\nurl = "{sshd.url(site.daemon.socket)}"\n'
        f"command = {json.dumps(REMOTE_OAKD)}\n"
    )
    env = {**client_env(sshd, command=None), "OAKD_CONFIG": str(config), "OAKD_HOST": "plant-2"}
    devices = run("devices", "--json", env=env)
    assert devices.returncode == 0, devices.stderr
    assert [d["id"] for d in json.loads(devices.stdout)] == [site.mxid]

    for command in ("devices", "tui"):  # the TUI checks it before it takes the terminal
        unknown = run(command, "--host", "plant-3", env=env)
        assert unknown.returncode == 2, (command, unknown.stderr)
        assert "unknown host 'plant-3'" in unknown.stderr and "plant-2" in unknown.stderr


def test_a_wrong_key_says_ssh_could_not_log_in(sshd: SshServer, site: Site) -> None:
    env = client_env(sshd, key=sshd.wrong_key)
    result = run("status", "--host", sshd.url(site.daemon.socket), env=env)
    assert result.returncode == 3, result.stderr
    assert "ssh could not log in to" in result.stderr
    assert "Permission denied" in result.stderr and "authorized_keys" in result.stderr


def test_a_host_without_oakd_says_so(sshd: SshServer, site: Site) -> None:
    env = client_env(sshd, command=None)  # `oakd`, which the sessions' PATH does not have
    result = run("status", "--host", sshd.url(site.daemon.socket), env=env)
    assert result.returncode == 3, result.stderr
    assert "`oakd` is not installed there" in result.stderr
    assert "$OAKD_REMOTE_COMMAND" in result.stderr


def test_a_stopped_daemon_says_no_daemon_there(
    sshd: SshServer, make_daemon: Callable[..., DaemonProcess]
) -> None:
    daemon = make_daemon()
    daemon.stop()
    result = run("devices", "--host", sshd.url(daemon.socket), env=client_env(sshd))
    assert result.returncode == 3, result.stderr
    assert "ssh reached" in result.stderr and "no daemon answered there" in result.stderr
    assert str(daemon.socket) in result.stderr


def test_a_bad_url_is_a_usage_error(sshd: SshServer) -> None:
    for url in ("ssh://", "ssh://-oProxyCommand=x", "ssh://h:99999", "ssh://u:pw@h"):
        result = run("status", "--host", url, env=client_env(sshd))
        assert result.returncode == 2, (url, result.stderr)
        assert f"bad host {url!r}" in result.stderr


def test_another_protocol_version_names_the_host(
    sshd: SshServer, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(oakd.client, "PROTOCOL_VERSION", 999)
    url = sshd.url(site.daemon.socket)
    transport = SshTransport(parse_url(url, REMOTE_OAKD), batch=True, env=client_env(sshd))
    with pytest.raises(RemoteError) as raised:
        asyncio.run(Client.connect(transport, name="test"))
    assert raised.value.code is ErrorCode.PROTOCOL_MISMATCH
    assert raised.value.message.startswith(f"{url}: this client speaks protocol 999")


def dial(socket_path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "oakd", "dial-stdio", "--socket", str(socket_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_dial_stdio_carries_both_ways_and_ends_with_stdin(site: Site) -> None:
    proc = dial(site.daemon.socket)
    assert proc.stdin and proc.stdout
    requests = [
        {"id": 1, "type": "hello", "params": {"protocol": 1, "client": "test"}},
        {"id": 2, "type": "devices", "params": {}},
    ]
    answers = []
    for request in requests:
        proc.stdin.write(json.dumps(request).encode() + b"\n")
        proc.stdin.flush()
        answers.append(json.loads(proc.stdout.readline()))
    assert [a["id"] for a in answers] == [1, 2] and all(a["ok"] for a in answers), answers
    assert [d["id"] for d in answers[1]["result"]] == [site.mxid]
    # The end of stdin reaches the daemon as a local client's end would; it hangs up.
    proc.stdin.close()
    assert proc.wait(20) == 0
    assert proc.stdout.read() == b""


def test_dial_stdio_ends_when_the_daemon_does(make_daemon: Callable[..., DaemonProcess]) -> None:
    daemon = make_daemon()
    proc = dial(daemon.socket)
    assert proc.stdin and proc.stdout
    proc.stdin.write(b'{"id": 1, "type": "hello", "params": {"protocol": 1, "client": "t"}}\n')
    proc.stdin.flush()
    assert json.loads(proc.stdout.readline())["ok"]
    daemon.stop()
    # stdin stays open: the daemon's end alone ends the bridge.
    wait_for(lambda: proc.poll() is not None, 20, "dial-stdio to exit")
    assert proc.returncode == 0
    proc.stdin.close()


def test_dial_stdio_without_a_daemon_exits_3(tmp_path: Path) -> None:
    proc = dial(tmp_path / "none.sock")
    _, err = proc.communicate(b"", 30)
    assert proc.returncode == 3
    assert err.decode().startswith(f"oakd: no oakd daemon reachable at {tmp_path}/none.sock")


def test_over_ssh_costs_a_login_and_a_python_start(sshd: SshServer, site: Site) -> None:
    """Not a benchmark: a record of the cost, and a bound that catches a hang or a retry."""
    started = time.monotonic()
    local = run("status", "--socket", str(site.daemon.socket), env=client_env(sshd))
    local_s = time.monotonic() - started
    started = time.monotonic()
    remote = run("status", "--host", sshd.url(site.daemon.socket), env=client_env(sshd))
    remote_s = time.monotonic() - started
    assert local.returncode == remote.returncode == 0, (local.stderr, remote.stderr)
    print(f"oakd status: local {local_s:.2f} s, over ssh {remote_s:.2f} s")
    assert remote_s < 30
