"""Helpers shared by the suite: waiting with a deadline, real daemons, raw socket clients."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from oakd.build.cache import PackageCache, packages_dir
from tests import firmware

T = TypeVar("T")

# Emulated cameras that write and read at 100 MB/s and reboot in 0.2 s: the protocol and the
# whole-sector erases are the same, the waiting is shorter.
FAST = {"write_speed": 100e6, "read_speed": 100e6, "reboot_s": 0.2}

EXIT_POISONED = 70  # EX_SOFTWARE: a test process whose depthai state is broken exits with it
LINK_THREAD = "EventRead"  # the name depthai's XLink gives a link's reader threads


def _link_cpu() -> dict[str, int]:
    """CPU ticks of each of this process's link reader threads, by thread id."""
    ticks = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            if not (task / "comm").read_text().startswith(LINK_THREAD):
                continue
            fields = (task / "stat").read_text().rpartition(")")[2].split()
            ticks[task.name] = int(fields[11]) + int(fields[12])  # utime + stime
        except (OSError, ValueError, IndexError):
            continue
    return ticks


def spinning_link_threads(sample_s: float = 0.3) -> list[str]:
    """The link reader threads of this process that used a quarter of a core or more over
    `sample_s` (a spinning one took 46 % of one beside two CPU hogs). With none left, the usual
    case after a test, it costs no wait."""
    before = _link_cpu()
    if not before:
        return []
    time.sleep(sample_s)
    ticks = os.sysconf("SC_CLK_TCK") * sample_s / 4
    return [t for t, n in _link_cpu().items() if n - before.get(t, n) >= ticks]


@contextlib.contextmanager
def short_tempdir() -> Iterator[Path]:
    """A temp dir with a short path (Unix socket paths are limited to 107 bytes), removed after."""
    path = Path(tempfile.mkdtemp(prefix="oakd-", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def wait_for(check: Callable[[], T], timeout: float, what: str, interval: float = 0.1) -> T:
    """Poll `check` until it returns something truthy; fail with `what` after `timeout` s.
    Every 0.1 s by default: a poll of a daemon (a connection, hello, one request) costs ~1.7 ms
    of CPU here, daemon and poller together (measured: 500 `ask`s of `jobs` to an idle daemon),
    so four test workers polling at 50 Hz took a third of a core."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def oakd(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the real `oakd` command line in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "oakd", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def connectable(path: Path) -> bool:
    """Something accepts connections on the Unix socket `path`."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect(str(path))
        except OSError:
            return False
    return True


def no_warm_workers(config: str) -> str:
    """A test daemon's config, with flash.warm_workers = 0 unless it says otherwise. A daemon
    keeps a device worker warm for the next flash, and starts another as soon as that one is
    taken: a depthai process (~1.2 s of CPU here) that a test daemon, stopped after a flash or
    two, never uses, on each of the suite's ~80 daemons. Its first flash starts the worker it
    needs instead; what is given back is reused as before."""
    if "warm_workers" in config:
        return config
    if "[flash]\n" in config:
        return config.replace("[flash]\n", "[flash]\nwarm_workers = 0\n", 1)
    return config + "\n[flash]\nwarm_workers = 0\n"


def ask(socket_path: Path, kind: str, timeout: float = 30, **params: Any) -> Any:
    """One request to the daemon at `socket_path`, as the CLI sends it; the result, or an
    AssertionError with the daemon's error. What tests poll with: a CLI process per poll would
    cost a Python start-up each time."""
    client = RawClient(socket_path, timeout=timeout)
    try:
        client.hello()
        answer = client.request(1, kind, **params)
    finally:
        client.close()
    assert answer.get("ok"), f"{kind}: {answer.get('error')}"
    return answer["result"]


class DaemonProcess:
    """A real `oakd daemon` in a child process, on its own socket and state directory."""

    def __init__(self, root: Path, *extra: str, config: Path | None = None) -> None:
        self.root = root
        self.socket = root / "oakd.sock"
        self.state_dir = root / "state"
        self.log_path = root / "daemon.log"
        args = [
            "daemon",
            "--socket",
            str(self.socket),
            "--state-dir",
            str(self.state_dir),
            "--cache-dir",
            str(root / "cache"),
        ]
        if config:
            config.write_text(no_warm_workers(config.read_text()))
            args += ["--config", str(config)]
        # As a user's cache holds it after the first build (tests/firmware.py).
        firmware.seed(PackageCache(packages_dir(root / "cache")).firmware.root)
        self._log = open(self.log_path, "a")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "oakd", *args, *extra],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def wait_ready(self, timeout: float = 20) -> DaemonProcess:
        """Wait until the daemon accepts connections."""
        wait_for(
            lambda: self.proc.poll() is not None or connectable(self.socket),
            timeout,
            "the daemon's socket",
        )
        if self.proc.poll() is not None:
            raise AssertionError(f"the daemon exited early:\n{self.log()}")
        return self

    def log(self) -> str:
        """What the daemon wrote to stderr so far."""
        return self.log_path.read_text()

    def request(self, kind: str, timeout: float = 30, **params: Any) -> Any:
        """One request over the socket, as the CLI sends it: see `ask`."""
        return ask(self.socket, kind, timeout, **params)

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run an `oakd` client command against this daemon."""
        return oakd(*args, "--socket", str(self.socket), timeout=timeout)

    def cli_background(self, *args: str) -> subprocess.Popen[str]:
        """Start an `oakd` client command against this daemon without waiting for it."""
        return subprocess.Popen(
            [sys.executable, "-m", "oakd", *args, "--socket", str(self.socket)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # As a shell starts it: Ctrl-C (SIGINT) works. xdist's workers ignore SIGINT, and
            # an ignored signal stays ignored in a child, where Python then sets no handler.
            preexec_fn=_default_sigint,
        )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        """Signal the daemon and wait for it to exit; returns its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self._log.close()
        return code


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class RawClient:
    """A line-level client for protocol tests: sends exactly the bytes it is given."""

    def __init__(self, path: Path, timeout: float = 10) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(str(path))
        self._buffer = b""

    def send_raw(self, data: bytes) -> None:
        """Send bytes as they are."""
        self.sock.sendall(data)

    def send(self, message: dict[str, Any]) -> None:
        """Send one JSON frame."""
        self.send_raw(json.dumps(message).encode() + b"\n")

    def recv(self) -> dict[str, Any] | None:
        """The next frame, or None when the daemon closed the connection."""
        while b"\n" not in self._buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        frame: dict[str, Any] = json.loads(line)
        return frame

    def request(self, req_id: int, kind: str, **params: Any) -> dict[str, Any]:
        """Send a request and return the next frame that answers it."""
        self.send({"id": req_id, "type": kind, "params": params})
        while True:
            frame = self.recv()
            assert frame is not None, f"connection closed before answering {kind!r}"
            if frame.get("id") == req_id:
                return frame

    def hello(self, protocol: int = 1) -> dict[str, Any]:
        """The opening exchange."""
        return self.request(0, "hello", protocol=protocol, client="test")

    def close(self) -> None:
        """Close the connection."""
        self.sock.close()


def devices(daemon: DaemonProcess) -> list[dict[str, Any]]:
    """What `oakd devices --json` prints, asked over the socket (tests poll this: a CLI
    process per poll would cost a Python start-up each time)."""
    found: list[dict[str, Any]] = daemon.request("devices")
    return found


def wait_online(daemon: DaemonProcess, count: int, timeout: float = 20) -> list[dict[str, Any]]:
    """Wait until `count` cameras are online."""
    return wait_for(
        lambda: (found := devices(daemon)) and sum(d["online"] for d in found) == count and found,
        timeout,
        f"{count} cameras online",
        interval=0.1,
    )


def job_states(daemon: DaemonProcess) -> dict[int, dict[str, Any]]:
    """What `oakd jobs --json` prints, by id, asked over the socket."""
    return {j["id"]: j for j in daemon.request("jobs")}
