"""`oakd demo`: the whole product on emulated cameras, in one command.

It moves into a private loopback-only network namespace (so nothing it does reaches a real
network or a real camera), starts three emulated cameras and a daemon on a private socket and
state directory, copies a sample standalone project into a directory it names, watches it with
the three cameras as targets, and opens the TUI. Editing the sample re-flashes the cameras.
Quitting the TUI stops everything the demo started.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from oakd.client import Client
from oakd.emulator.flash import DEFAULT_WRITE_SPEED
from oakd.emulator.process import Fleet
from oakd.errors import DaemonUnreachable
from oakd.protocol import ListDevices, Watch

SAMPLE = Path(__file__).parent / "sample"
CAMERAS_TIMEOUT_S = 60.0


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
    """The emulator, the daemon and the watched project; `stop()` ends them all."""

    def __init__(self, options: DemoOptions) -> None:
        self.options = options
        # Under $TMPDIR (default /tmp): a Unix socket's path must stay short.
        self.root = Path(tempfile.mkdtemp(prefix="oakd-demo-"))
        self.socket = self.root / "oakd.sock"
        self.fleet: Fleet | None = None
        self.daemon: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Cameras, daemon, and the watch; returns once the cameras are seen and watched."""
        fleet = Fleet(
            count=self.options.cameras,
            state_dir=self.root / "cameras",
            write_speed=self.options.write_speed,
            reboot_s=1.0,
        )
        self.fleet = fleet.start()
        config = self.root / "config.toml"
        config.write_text("[discovery]\ninterval_s = 1.0\n")
        with open(self.root / "daemon.log", "wb") as log:
            self.daemon = subprocess.Popen(
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
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
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
        """Stop the daemon and the cameras, and remove their temporary state."""
        if self.daemon and self.daemon.poll() is None:
            self.daemon.send_signal(signal.SIGTERM)
            try:
                self.daemon.wait(30)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait()
        if self.fleet is not None:
            self.fleet.stop()
        shutil.rmtree(self.root, ignore_errors=True)
