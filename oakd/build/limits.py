"""Sizes: the application region a package must fit, and sizes written for people."""

from __future__ import annotations

import re

MIB = 1024 * 1024
# A NETWORK bootloader's flash: header, bootloader, user bootloader and config take the first
# 8 MiB; the application (the package) runs from 8 MiB to the end (field notes, protocol §3.5).
NETWORK_APP_OFFSET = 8 * MIB

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "m": MIB, "g": 1024 * MIB}


def app_region_size(flash_size: int) -> int:
    """The largest package a NETWORK-bootloader camera with `flash_size` bytes of flash holds.

    For a 32 MiB flash that is 24 MiB. Pass it as BuildOptions.max_size before flashing.
    """
    if flash_size <= NETWORK_APP_OFFSET:
        raise ValueError(f"a flash of {flash_size} bytes has no room for an application")
    return flash_size - NETWORK_APP_OFFSET


def parse_size(text: str) -> int:
    """Bytes from '25165824', '24MiB', '24M', '512k' (units are powers of 1024)."""
    match = _SIZE.match(text)
    if match is None:
        raise ValueError(f"not a size: {text!r} (try 24MiB or a number of bytes)")
    unit = (match[2] or "").lower()[:1]
    return int(float(match[1]) * _UNITS[unit])


def format_size(size: int) -> str:
    """'10.25 MiB (10 747 909 bytes)': readable, and exact for whoever compares."""
    exact = f"{size:,}".replace(",", " ")
    if size < MIB:
        return f"{exact} bytes"
    return f"{size / MIB:.2f} MiB ({exact} bytes)"
