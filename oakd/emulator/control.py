"""Control commands for a running emulator: one line in, one line out.

`oakd emulate` reads them on stdin; `Fleet` (the subprocess form) speaks them to its child.
A camera (CAM) is named by index, MX ID or address. Every command gets exactly one line back:
`ok`, `ok <json>` or `error <message>`.

    fault CAM SPEC...          set faults, e.g. `fault 0 drop-link=0.5 silent`
    clear CAM [NAME...]        clear all faults, or the named ones (drop-link, silent, ...)
    status [CAM]               ok {"mxid": ..., "state": ..., ...}; a list without CAM
    power-cycle CAM            cut power and boot again from flash
    quit                       stop every camera and exit
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from oakd.emulator.camera import Camera
from oakd.emulator.faults import Faults, apply_spec

FAULT_FIELDS = {
    "drop-link": "drop_link_at",
    "silent": "silent",
    "bootloader-version": "bootloader_version",
    "booted": "booted_by_other_host",
    "fail-flash": "fail_flash",
    "drop-write": "drop_write",
    "drop-read": "drop_read",
}


class CommandError(Exception):
    """A command that cannot be carried out; its text goes back after `error`."""


def camera_status(camera: Camera) -> dict[str, Any]:
    """What `status` reports about one camera."""
    running = camera.running
    return {
        "index": camera.index,
        "mxid": camera.mxid,
        "address": camera.address,
        "state": running.state.value,
        "boots": camera.boots,
        "bootloader_version": running.version,
        "reported_version": camera.reported_version() if running.version else None,
        "user_bootloader": running.user_bootloader,
        "from_flash": running.from_flash,
        "connected": camera.connected,
        "flash_path": str(camera.flash_path),
        "faults": asdict(camera.faults),
        "app": camera.app.describe(),  # its Script nodes: running, and their last output
    }


def find_camera(cameras: Sequence[Camera], key: str) -> Camera:
    """The camera named `key` (index, MX ID or address)."""
    if key.isdigit() and int(key) < len(cameras):
        return cameras[int(key)]
    for camera in cameras:
        if key in (camera.mxid, camera.address):
            return camera
    raise CommandError(f"no camera {key!r}")


def apply_fault_arg(cameras: Sequence[Camera], arg: str) -> None:
    """Apply a `--fault CAM:SPEC` argument."""
    key, sep, spec = arg.partition(":")
    if not sep or not spec:
        raise CommandError(f"--fault takes CAM:SPEC, got {arg!r}")
    try:
        apply_spec(find_camera(cameras, key).faults, spec)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc


class Controller:
    """Executes control commands against the cameras of one emulator process."""

    def __init__(self, cameras: Sequence[Camera]) -> None:
        self.cameras = cameras
        self.quit_requested = False
        self._commands: dict[str, Callable[[list[str]], Any]] = {
            "fault": self._fault,
            "clear": self._clear,
            "status": self._status,
            "power-cycle": self._power_cycle,
            "quit": self._quit,
        }

    def execute(self, line: str) -> str:
        """Run one command line; the answer line (without newline)."""
        try:
            words = shlex.split(line)
        except ValueError as exc:
            return f"error {exc}"
        if not words:
            return "error empty command"
        command = self._commands.get(words[0])
        if command is None:
            return f"error unknown command {words[0]!r}: try {', '.join(self._commands)}"
        try:
            result = command(words[1:])
        except CommandError as exc:
            return f"error {exc}"
        return "ok" if result is None else f"ok {json.dumps(result)}"

    def _fault(self, args: list[str]) -> None:
        if len(args) < 2:
            raise CommandError("usage: fault CAM SPEC...")
        faults = find_camera(self.cameras, args[0]).faults
        trial = Faults(**asdict(faults))
        try:
            for spec in args[1:]:  # validate all before changing anything
                apply_spec(trial, spec)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for spec in args[1:]:
            apply_spec(faults, spec)

    def _clear(self, args: list[str]) -> None:
        if not args:
            raise CommandError("usage: clear CAM [FAULT...]")
        faults = find_camera(self.cameras, args[0]).faults
        names = args[1:]
        unknown = [name for name in names if name not in FAULT_FIELDS]
        if unknown:
            raise CommandError(f"unknown fault {unknown[0]!r}")
        if not names:
            faults.clear()
        for name in names:
            field = FAULT_FIELDS[name]
            setattr(faults, field, getattr(Faults(), field))

    def _status(self, args: list[str]) -> Any:
        if args:
            return camera_status(find_camera(self.cameras, args[0]))
        return [camera_status(camera) for camera in self.cameras]

    def _power_cycle(self, args: list[str]) -> None:
        if len(args) != 1:
            raise CommandError("usage: power-cycle CAM")
        find_camera(self.cameras, args[0]).power_cycle()

    def _quit(self, _args: list[str]) -> None:
        self.quit_requested = True
