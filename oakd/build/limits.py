"""Sizes: the application region a package must fit, and sizes written for people."""

from __future__ import annotations

import re

from oakd.core.package import APP_OFFSET

MIB = 1024 * 1024

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "m": MIB, "g": 1024 * MIB}


def app_region_size(flash_size: int) -> int:
    """The largest package a NETWORK-bootloader camera with `flash_size` bytes of flash holds.

    For a 32 MiB flash that is 24 MiB. Pass it as BuildOptions.max_size before flashing.
    """
    if flash_size <= APP_OFFSET:
        raise ValueError(f"a flash of {flash_size} bytes has no room for an application")
    return flash_size - APP_OFFSET


def parse_size(text: str) -> int:
    """Bytes from '25165824', '24MiB', '24M', '512k' (units are powers of 1024)."""
    match = _SIZE.match(text)
    if match is None:
        raise ValueError(f"not a size: {text!r} (try 24MiB or a number of bytes)")
    unit = (match[2] or "").lower()[:1]
    return int(float(match[1]) * _UNITS[unit])


def short_size(size: int) -> str:
    """'10.25 MiB', '256 KiB', '512 bytes': for one line of a log or a table."""
    if size < 1024:
        return f"{size} bytes"
    if size < MIB:
        return f"{size / 1024:.0f} KiB"
    return f"{size / MIB:.2f} MiB"


def format_size(size: int) -> str:
    """'10.25 MiB (10 747 909 bytes)': readable, and exact for whoever compares."""
    exact = f"{size:,}".replace(",", " ")
    if size < MIB:
        return f"{exact} bytes"
    return f"{size / MIB:.2f} MiB ({exact} bytes)"
