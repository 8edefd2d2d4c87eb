"""The real CLI against a real daemon and two emulated cameras: each error code's exit code
(2 usage, 1 failed, 3 no daemon; issue 14 item 9), and a stdout whose reader left early
(issue 14 item 8)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oakd.emulator.process import Fleet
from tests.helpers import FAST, DaemonProcess, job_states, oakd, wait_online

# Two cameras, a daemon and its depthai workers: a minute on a loaded machine.
pytestmark = pytest.mark.timeout(300)

CONFIG = "[discovery]\ninterval_s = 0.5\n[flash]\nretries = 1\n"


class Setup:
    """One daemon and two emulated cameras, shared by this module's tests: every command
    here is refused before anything is queued, so the tests cannot disturb each other."""

    def __init__(self, root: Path, **fleet: Any) -> None:
        self.root = root
        options: dict[str, Any] = {**FAST, "state_dir": root / "cameras", **fleet}
        self.fleet = Fleet(count=2, **options).start()
        config = root / "config.toml"
        config.write_text(CONFIG)
        self.daemon = DaemonProcess(root, config=config).wait_ready()
        wait_online(self.daemon, 2)
        self.ids = [c.mxid for c in self.fleet.cameras]

    def stop(self) -> None:
        self.daemon.stop()
        self.fleet.stop()


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    root = Path(tempfile.mkdtemp(prefix="oakd-", dir="/tmp"))  # a short socket path
    made = Setup(root)
    yield made
    made.stop()
    shutil.rmtree(root, ignore_errors=True)


def test_a_missing_yes_exits_2(setup: Setup) -> None:
    camera = setup.ids[0]
    for command in (["reset"], ["clear"], ["clear", "--config"], ["bootloader-update"]):
        result = setup.daemon.cli(*command[:1], camera, *command[1:])
        assert result.returncode == 2, (command, result.stderr)
        assert "add --yes to confirm" in result.stderr, result.stderr
        assert "[confirmation_required]" in result.stderr and "confirm: true" not in result.stderr
    result = setup.daemon.cli("netconfig", camera, "--dhcp")
    assert result.returncode == 2, result.stderr
    assert job_states(setup.daemon) == {}  # nothing was queued


def test_an_ambiguous_or_unknown_reference_exits_2(setup: Setup) -> None:
    # As in the issue: the emulated MX IDs share the prefix of real OAK PoE cameras.
    assert all(i.startswith("1844") for i in setup.ids)
    ambiguous = setup.daemon.cli("inspect", "1844")
    assert ambiguous.returncode == 2, ambiguous.stderr
    assert "matches several cameras" in ambiguous.stderr
    for command in (("inspect", "NO-SUCH-CAMERA"), ("cancel", "999")):
        unknown = setup.daemon.cli(*command)
        assert unknown.returncode == 2, (command, unknown.stderr)
        assert "[not_found]" in unknown.stderr


def test_bad_params_exit_2(setup: Setup) -> None:
    bad = setup.daemon.cli(
        "netconfig", setup.ids[0], "--static", "192.168.1.0/24", "--gateway", "192.168.1.1", "--yes"
    )
    assert bad.returncode == 2, bad.stderr
    assert "[bad_params]" in bad.stderr and "network address" in bad.stderr
    nowhere = setup.daemon.cli("watch", str(setup.root / "no-such-dir"), "-d", setup.ids[0])
    assert nowhere.returncode == 2, nowhere.stderr
    assert "[bad_params]" in nowhere.stderr
    assert job_states(setup.daemon) == {}


def test_a_failed_operation_exits_1(setup: Setup) -> None:
    garbage = setup.root / "notes.dap"
    garbage.write_bytes(b"this is not a package" * 100)
    refused = setup.daemon.cli("flash", setup.ids[0], "--dap", str(garbage))
    assert refused.returncode == 1, refused.stderr
    assert "[refused]" in refused.stderr and "not a depthai application package" in refused.stderr


def test_no_daemon_exits_3(setup: Setup) -> None:
    gone = ["--socket", str(setup.root / "none.sock")]
    for command in (["devices"], ["reset", setup.ids[0], "--yes"], ["cancel", "1"]):
        result = subprocess.run(
            [sys.executable, "-m", "oakd", *command, *gone], capture_output=True, text=True
        )
        assert result.returncode == 3, (command, result.stderr)
        assert "no oakd daemon reachable" in result.stderr


def closed_stdout(daemon: DaemonProcess, *args: str, buffered: bool) -> tuple[int, str]:
    """Run an `oakd` client command whose stdout's reader has left before the first byte
    (deterministic: every write to stdout fails with EPIPE); its exit code and stderr."""
    env = dict(os.environ)
    env.pop("PYTHONUNBUFFERED", None)
    if not buffered:  # every print is a write that fails at once, inside the command
        env["PYTHONUNBUFFERED"] = "1"
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "oakd", *args, "--socket", str(daemon.socket)],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
    finally:
        os.close(write)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err


@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
def test_a_reader_that_left_early_gets_a_quiet_exit(setup: Setup, buffered: bool) -> None:
    # Buffered, the output is written at the end (Python's exit flush, where a BrokenPipeError
    # is an "Exception ignored" and exit 120); unbuffered, by the first print (a traceback).
    for command in (("devices", "--json"), ("devices",), ("status",), ("jobs", "--json")):
        code, err = closed_stdout(setup.daemon, *command, buffered=buffered)
        assert (code, err) == (141, ""), (command, code, err)  # 128 + SIGPIPE, as cat or git


def test_a_unix_host_reaches_another_socket_here(setup: Setup) -> None:
    # `--host unix://PATH` goes where a host goes: the option, $OAKD_HOST, a [[remote]].
    url = f"unix://{setup.daemon.socket}"
    by_option = oakd("devices", "--json", "--host", url, env={"OAKD_SOCKET": "/nonexistent"})
    assert by_option.returncode == 0, by_option.stderr
    assert {d["id"] for d in json.loads(by_option.stdout)} == set(setup.ids)
    by_env = oakd("status", env={"OAKD_HOST": url, "OAKD_SOCKET": "/nonexistent"})
    assert by_env.returncode == 0, by_env.stderr
    gone = oakd("status", "--host", f"unix://{setup.root}/none.sock")
    assert gone.returncode == 3 and "none.sock" in gone.stderr
    bad = oakd("status", "--host", "unix://relative.sock")
    assert bad.returncode == 2 and "an absolute path after unix://" in bad.stderr
