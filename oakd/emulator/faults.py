"""Fault injection: what can go wrong with one camera, settable at start and while running.

Faults are plain attributes read by the camera's threads at the moment they matter, so setting
one from a test thread takes effect on the next discovery request, connection or flash. All
stay set until cleared (`faults.clear()` or setting the attribute back), except
`bootloader_version`, which a successful bootloader flash clears (the old bootloader is gone).

Textual form, shared by `oakd emulate --fault CAM:SPEC` and the control commands:

    drop-link=0.5              cut the TCP link (RST) when a flash write is half programmed
    silent | silent=off        stop / resume answering discovery
    bootloader-version=0.0.26  report this version for the flashed bootloader
    booted | booted=off        appear BOOTED (1): held by another host, no TCP
    fail-flash=MESSAGE         end flash writes with FLASH_COMPLETE(success=0, MESSAGE)
    drop-write=N[@F]           cut the link during the Nth flash write from now, when F
                               (default 0.5) of it is programmed; then the fault clears itself
    drop-read=N                cut the link during the Nth flash read from now; then clears
    kill-app                   kill the app the camera runs (its Script nodes) and leave it
                               dead until the next boot, as a hung app; then clears
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_OFF = {"off", "false", "no", "0"}
_ON = {"", "on", "true", "yes", "1"}


@dataclass
class Faults:
    """The faults injected into one camera; None / False means "behave"."""

    drop_link_at: float | None = None
    """Fraction (0..1) of a flash write's programming at which the link is cut and the camera
    reboots, as on a PoE power loss. What was programmed stays in flash."""

    silent: bool = False
    """Ignore discovery requests (the camera still runs and keeps any open connection)."""

    bootloader_version: str | None = None
    """Report this version ("0.0.26") while running the flashed bootloader."""

    booted_by_other_host: bool = False
    """Answer discovery with state BOOTED (1) and refuse TCP, as when another host uses it."""

    fail_flash: str | None = None
    """Answer every flash write with this error (max 63 bytes on the wire), writing nothing."""

    drop_write: tuple[int, float] | None = None
    """(N, fraction): the Nth flash write from now is cut at that fraction; one-shot. For
    tearing a write made of several requests (a delta) at a chosen point."""

    drop_read: int | None = None
    """The Nth flash read (READ_FLASH) from now drops the link; one-shot."""

    kill_app: bool = False
    """Kill the running app's scripts now; the camera stays up without them until it reboots.
    One-shot: the camera clears it once done."""

    def drop_for_write(self) -> float | None:
        """Where the write starting now is to be cut (a fraction), None to let it finish."""
        if self.drop_write is not None:
            left, fraction = self.drop_write
            if left <= 1:
                self.drop_write = None
                return fraction
            self.drop_write = (left - 1, fraction)
        return self.drop_link_at

    def drop_for_read(self) -> bool:
        """Whether the read starting now is to be cut."""
        if self.drop_read is None:
            return False
        if self.drop_read <= 1:
            self.drop_read = None
            return True
        self.drop_read -= 1
        return False

    def clear(self) -> None:
        """Remove every fault."""
        for field in fields(self):
            setattr(self, field.name, field.default)

    def describe(self) -> str:
        """The active faults in the textual form, space-separated ('' when none)."""
        parts = []
        if self.drop_link_at is not None:
            parts.append(f"drop-link={self.drop_link_at:g}")
        if self.silent:
            parts.append("silent")
        if self.bootloader_version is not None:
            parts.append(f"bootloader-version={self.bootloader_version}")
        if self.booted_by_other_host:
            parts.append("booted")
        if self.fail_flash is not None:
            parts.append(f"fail-flash={self.fail_flash}")
        if self.drop_write is not None:
            parts.append(f"drop-write={self.drop_write[0]}@{self.drop_write[1]:g}")
        if self.drop_read is not None:
            parts.append(f"drop-read={self.drop_read}")
        if self.kill_app:
            parts.append("kill-app")
        return " ".join(parts)


def apply_spec(faults: Faults, spec: str) -> None:
    """Set one fault from its textual form (see the module docstring); ValueError if bad."""
    name, _, value = spec.partition("=")
    name = name.strip().lower()
    if name == "drop-link":
        if value.strip().lower() in _OFF - {"0"}:
            faults.drop_link_at = None
            return
        fraction = float(value)
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("drop-link takes a fraction between 0 and 1")
        faults.drop_link_at = fraction
    elif name == "silent":
        faults.silent = _switch(value)
    elif name == "booted":
        faults.booted_by_other_host = _switch(value)
    elif name == "bootloader-version":
        if value.strip().lower() in _OFF - {"0"}:
            faults.bootloader_version = None
        elif _VERSION.match(value.strip()):
            faults.bootloader_version = value.strip()
        else:
            raise ValueError(f"not a version: {value!r} (expected e.g. 0.0.26)")
    elif name == "fail-flash":
        faults.fail_flash = value or "Flash failed (injected fault)"
    elif name == "drop-write":
        count, _, where = value.partition("@")
        at = float(where) if where else 0.5
        if not count.strip().isdigit() or int(count) < 1 or not 0.0 <= at <= 1.0:
            raise ValueError("drop-write takes N[@F]: N >= 1 writes from now, F in 0..1")
        faults.drop_write = (int(count), at)
    elif name == "drop-read":
        if not value.strip().isdigit() or int(value) < 1:
            raise ValueError("drop-read takes N >= 1: the Nth read from now")
        faults.drop_read = int(value)
    elif name == "kill-app":
        faults.kill_app = _switch(value)
    else:
        raise ValueError(
            f"unknown fault {name!r}: expected drop-link, silent, bootloader-version, "
            "booted, fail-flash, drop-write, drop-read or kill-app"
        )


def _switch(value: str) -> bool:
    value = value.strip().lower()
    if value in _ON:
        return True
    if value in _OFF:
        return False
    raise ValueError(f"expected on or off, got {value!r}")
