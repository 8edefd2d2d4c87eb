"""The app an emulated camera runs from its flash: its Script nodes, in a child process.

When a camera boots FLASH_BOOTED it reads the Script sources out of the application in its
flash (core/scripts.py) and, if there are any, starts `oakd.emulator.script_child` with them
(that module says what a Script gets there and what it does not). Leaving FLASH_BOOTED (a
reboot, a host connecting, power off) stops the child. A crash of the child makes the camera
reboot into its app after CRASH_REBOOT_S, as the firmware does: a script that raises at boot
is an emulated crash loop.

Guesses, the harsher plausible ones: a crashed app reboots the camera (not just the script),
and the crash and the reboot take CRASH_REBOOT_S before the camera answers again.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import subprocess
import sys
import threading
from dataclasses import asdict
from typing import Any

from oakd.core.scripts import ASSET_STORAGE, ASSETS, PIPELINE, PackageScripts, ScriptsError
from oakd.core.scripts import read_scripts as parse_scripts
from oakd.emulator import flash as fl
from oakd.emulator import sbr
from oakd.emulator.script_child import CRASH_STATUS

log = logging.getLogger(__name__)

CRASH_REBOOT_S = 2.0
OUTPUT_LINES = 200  # of the app's output, kept for tests and `status`
LINE_LIMIT = 2000  # characters of one output line
MAX_SCRIPT_SECTION = 4 * 1024 * 1024  # the pipeline, assets and asset storage sections, each


def read_app(flash: fl.FlashFile) -> PackageScripts | None:
    """The Script nodes of the app in flash; None when there is no app, no Script, or an app
    the emulator cannot read (logged)."""
    sections = flash.application_sections()
    if sections is None:
        return None
    wanted: dict[str, bytes] = {}
    for name in (PIPELINE, ASSETS, ASSET_STORAGE):
        section = sbr.find_section(sections, name)
        if section is None or section.size > MAX_SCRIPT_SECTION:
            continue
        wanted[name] = flash.read(fl.APPLICATION_OFFSET + section.offset, section.size)
    try:
        found = parse_scripts(wanted)
    except ScriptsError as exc:
        log.warning("the app in flash runs no scripts here: %s", exc)
        return None
    return found if found.scripts else None


class AppRunner:
    """The child that runs one boot's app; `output` keeps its last lines."""

    def __init__(self, name: str) -> None:
        self.name = name  # the camera's MX ID, in log lines
        self.output: collections.deque[str] = collections.deque(maxlen=OUTPUT_LINES)
        self._child: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """The child lives."""
        return self._child is not None and self._child.poll() is None

    def start(self, app: PackageScripts, address: str) -> None:
        """Run `app` as the camera at `address`."""
        self.stop()
        document = {
            "address": address,
            "parent_pid": os.getpid(),
            "scripts": [asdict(s) for s in app.scripts],
            "links": [asdict(link) for link in app.links],
        }
        child = subprocess.Popen(
            [sys.executable, "-m", "oakd.emulator.script_child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        assert child.stdin is not None
        child.stdin.write(json.dumps(document).encode())
        child.stdin.close()
        self._child = child
        self._reader = threading.Thread(
            target=self._read, args=(child,), name=f"app-{self.name}", daemon=True
        )
        self._reader.start()
        names = ", ".join(f"{s.name} ({s.processor_name})" for s in app.scripts)
        log.info("%s: app started: %s", self.name, names)

    def crashed(self) -> bool:
        """The child ended because a script raised (once: the next call says False)."""
        child = self._child
        if child is None or child.poll() is None:
            return False
        self._child = None
        return child.returncode == CRASH_STATUS

    def stop(self) -> None:
        """Kill the child (its PID namespace takes whatever the scripts started along)."""
        child, self._child = self._child, None
        if child is None:
            return
        if child.poll() is None:
            child.kill()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            log.warning("%s: the app's process did not end in 5 s", self.name)

    def _read(self, child: subprocess.Popen[bytes]) -> None:
        assert child.stderr is not None
        for raw in child.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")[:LINE_LIMIT]
            self.output.append(line)
            log.debug("%s: app: %s", self.name, line)

    def describe(self) -> dict[str, Any]:
        """What `status` shows of the app."""
        return {"running": self.running, "output": list(self.output)[-20:]}
