"""`oakd demo`: the whole product on emulated cameras, in one command.

It moves into a private loopback-only network namespace (so nothing it does reaches a real
network or a real camera), starts three emulated cameras and a daemon on a private socket and
state directory, copies a sample standalone project into a directory it names, watches it with
the three cameras as targets, and opens the TUI. Editing the sample re-flashes the cameras.
Quitting the TUI, closing its terminal, a signal or a kill stop everything the demo started.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from oakd.client import Client
from oakd.demo.stale import PREFIX, hold_lock, remove_stale
from oakd.emulator.flash import DEFAULT_WRITE_SPEED
from oakd.emulator.process import Fleet
from oakd.errors import DaemonUnreachable
from oakd.protocol.requests import ListDevices, Watch

SAMPLE = Path(__file__).parent / "sample"
LEASH = Path(__file__).parent / "leash.py"
CAMERAS_TIMEOUT_S = 60.0
# Then SIGKILL. A daemon asked to stop lets a running write end, which a camera that is gone
# may take long to report; the demo throws its state away, so nothing is lost.
DAEMON_STOP_S = 3.0


@dataclass(frozen=True)
class DemoOptions:
    """What the demo runs, and where."""

    project: Path
    cameras: int = 3
    # bytes/s: what a real NOR flash does. Only the first flash writes the whole package; every
    # reload after it is a delta of a few blocks.
    write_speed: float = DEFAULT_WRITE_SPEED


def copy_sample(project: Path) -> bool:
    """Put the sample project at `project`; an existing one (with your edits) is kept."""
    if (project / "pipeline.py").exists():
        return False
    project.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLE / "pipeline.py", project / "pipeline.py")
    return True


class Demo:
    """The emulator, the daemon and the watched project; `stop()` ends them all.

    Every process it starts dies with it, however it ends: `stop()` stops them in order, and
    a demo killed outright takes them along (leash.py). Its temporary directory goes in
    `stop()`, or, after a SIGKILL, when the next demo starts (stale.py).
    """

    def __init__(self, options: DemoOptions) -> None:
        self.options = options
        # Under $TMPDIR (default /tmp): a Unix socket's path must stay short.
        tmp = Path(tempfile.gettempdir())
        self.removed_stale = remove_stale(tmp)
        self.root = Path(tempfile.mkdtemp(prefix=PREFIX, dir=tmp))
        self._lock_fd: int | None = hold_lock(self.root)
        self.socket = self.root / "oakd.sock"
        self.fleet: Fleet | None = None
        self.daemon: subprocess.Popen[bytes] | None = None
        self._stop_lock = threading.Lock()
        # Every process of the demo, its daemon's workers and builds too, inherits these. The
        # marker finds them all (`grep -l OAKD_DEMO_DIR=... /proc/*/environ`; tests do). TMPDIR
        # puts what they leave in the temporary directory (a worker killed in a flash leaves its
        # scratch directory) inside the demo's, which goes with the demo.
        os.environ["OAKD_DEMO_DIR"] = str(self.root)
        (self.root / "tmp").mkdir()
        os.environ["TMPDIR"] = str(self.root / "tmp")

    def start(self) -> None:
        """Cameras, daemon, and the watch; returns once the cameras are seen and watched."""
        fleet = Fleet(
            count=self.options.cameras,
            state_dir=self.root / "cameras",
            write_speed=self.options.write_speed,
            reboot_s=1.0,
        )
        fleet.argv = leashed(fleet.argv)
        self.fleet = fleet  # before it starts: a signal during start() must still stop it
        fleet.start()
        config = self.root / "config.toml"
        config.write_text("[discovery]\ninterval_s = 1.0\n")
        assert self._lock_fd is not None
        with open(self.root / "daemon.log", "wb") as log:
            self.daemon = subprocess.Popen(
                leashed(
                    [
                        sys.executable,
                        "-m",
                        "oakd",
                        "daemon",
                        "--socket",
                        str(self.socket),
                        "--state-dir",
                        str(self.root / "state"),
                        "--cache-dir",
                        str(self.root / "cache"),
                        "--config",
                        str(config),
                    ]
                ),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(self._lock_fd,),  # the directory stays in use while the daemon lives
            )
        ids = [c.mxid for c in fleet.cameras]
        asyncio.run(self._watch(ids))

    async def _watch(self, ids: list[str]) -> None:
        deadline = time.monotonic() + CAMERAS_TIMEOUT_S
        client: Client | None = None
        while client is None:
            try:
                client = await Client.connect(self.socket, "oakd-demo")
            except DaemonUnreachable:
                if time.monotonic() > deadline or (self.daemon and self.daemon.poll() is not None):
                    log = (self.root / "daemon.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"the demo's daemon did not start:\n{log}") from None
                await asyncio.sleep(0.1)
        try:
            while {d["id"] for d in await client.call(ListDevices())} < set(ids):
                if time.monotonic() > deadline:
                    raise RuntimeError("the emulated cameras did not show up in time")
                await asyncio.sleep(0.2)
            await client.call(Watch(path=str(self.options.project), devices=ids))
        finally:
            await client.close()

    def stop(self) -> None:
        """Stop the daemon and the cameras, and remove their temporary state. Safe to call
        twice and from two threads (the demo's watchdog): the second waits for the first."""
        with self._stop_lock:
            daemon, self.daemon = self.daemon, None
            fleet, self.fleet = self.fleet, None
            if daemon is not None and daemon.poll() is None:
                daemon.send_signal(signal.SIGTERM)
            # The cameras go at once, so that a write in progress fails now: a daemon asked to
            # stop lets a running write end, and the demo keeps nothing of it.
            if fleet is not None:
                fleet.stop()
            if daemon is not None:
                try:
                    daemon.wait(DAEMON_STOP_S)
                except subprocess.TimeoutExpired:
                    daemon.kill()  # its workers and builds die with it (they set PDEATHSIG)
                    daemon.wait()
            if self._lock_fd is not None:
                shutil.rmtree(self.root, ignore_errors=True)
                os.close(self._lock_fd)
                self._lock_fd = None


def leashed(argv: list[str]) -> list[str]:
    """`argv` run in a session of its own and killed if this process dies (leash.py)."""
    return [sys.executable, "-I", str(LEASH), str(os.getpid()), *argv]
