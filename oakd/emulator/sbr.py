"""The depthai application package (SBR) header, parsed the way the bootloader reads it.

A package starts with a 512-byte header: `B R`, then 17 section records of 30 bytes (name
char[16], size u32, offset u32, checksum u32, type u8, flags u8), all little-endian (protocol
notes §3.6). Application info is read from the sections `__fw_version` and `app_name` of
whatever is in flash, never remembered on the side.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

SBR_RAW_SIZE = 512
SBR_IDENTIFIER = b"BR"
SBR_MAX_SECTIONS = 17
SECTION = struct.Struct("<16sIIIBB")  # 30 bytes

FLAG_BOOTABLE = 0x1
FLAG_IGNORE_CHECKSUM = 0x2
COMPRESSION_SHIFT = 2

FW_VERSION_SECTION = "__fw_version"
APP_NAME_SECTION = "app_name"
FIRMWARE_SECTION = "__firmware"


@dataclass(frozen=True)
class Section:
    """One section record of an SBR header; `offset` is relative to the header's start."""

    name: str
    size: int
    offset: int
    checksum: int
    type: int
    flags: int

    @property
    def compression(self) -> int:
        """0 = none, 1 = zlib."""
        return (self.flags >> COMPRESSION_SHIFT) & 0x7


@dataclass(frozen=True)
class ApplicationInfo:
    """What GET_APPLICATION_DETAILS reports about the package in flash."""

    firmware_version: str | None
    application_name: str | None


def parse_header(header: bytes) -> list[Section] | None:
    """The valid sections of an SBR header, or None if `header` is not one (erased, torn)."""
    if len(header) < SBR_RAW_SIZE or header[:2] != SBR_IDENTIFIER:
        return None
    sections = []
    for i in range(SBR_MAX_SECTIONS):
        start = 2 + i * SECTION.size
        raw_name, size, offset, checksum, kind, flags = SECTION.unpack_from(header, start)
        # The bootloader's own rule: a section whose name starts with NUL or 0xFF is unused.
        if raw_name[0] in (0x00, 0xFF):
            continue
        name = raw_name.split(b"\0", 1)[0].decode("ascii", "replace")
        sections.append(Section(name, size, offset, checksum, kind, flags))
    return sections or None


def djb2(data: bytes | bytearray | memoryview, seed: int = 5381) -> int:
    """The SBR checksum (`h = h * 33 + byte`, 32 bits), as depthai computes it."""
    # Blocks of 4096 bytes: h' = h * 33^k + sum(c_i * 33^(k-1-i)) mod 2^32, which moves the
    # per-byte loop into C (`sum(map(...))`); ~25% faster than the naive loop.
    mask = 0xFFFFFFFF
    block = 4096
    weights = _weights(block)
    shift = pow(33, block, 1 << 32)
    view = memoryview(data).cast("B")
    h = seed
    whole = len(view) - len(view) % block
    for start in range(0, whole, block):
        h = (h * shift + sum(map(int.__mul__, view[start : start + block], weights))) & mask
    for byte in view[whole:]:
        h = (h * 33 + byte) & mask
    return h


_WEIGHTS: dict[int, list[int]] = {}


def _weights(block: int) -> list[int]:
    if block not in _WEIGHTS:
        _WEIGHTS[block] = [pow(33, block - 1 - i, 1 << 32) for i in range(block)]
    return _WEIGHTS[block]


def find_section(sections: list[Section], name: str) -> Section | None:
    """The section called `name`, if the header has one."""
    for section in sections:
        if section.name == name:
            return section
    return None


def decode_text(raw: bytes) -> str:
    """A section's bytes as text, up to the first NUL (strings are not NUL-terminated)."""
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")
