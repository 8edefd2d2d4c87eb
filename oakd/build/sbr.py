"""A minimal reader of the application package (SBR) format, to check what depthai wrote.

Layout (protocol doc §3.6, depthai-bootloader-shared SBR.h): the magic `BR`, then 17 section
records of 30 bytes (name char[16], size u32, offset u32, checksum u32, type u8, flags u8), all
little-endian, in a 512-byte header. A section with an empty name is unused.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"BR"
HEADER_SIZE = 512
SECTION_COUNT = 17
_SECTION = struct.Struct("<16sIIIBB")


class NotAPackage(ValueError):
    """The bytes are not an application package, or one cut short."""


@dataclass(frozen=True)
class Section:
    """One section of a package."""

    name: str
    size: int
    offset: int
    checksum: int
    type: int
    flags: int

    @property
    def compressed(self) -> bool:
        """The section is zlib-compressed (flags bits 2-4 = 1)."""
        return (self.flags >> 2) & 0b111 == 1


def read_sections(header: bytes) -> list[Section]:
    """The used sections described by a package's first 512 bytes."""
    if len(header) < HEADER_SIZE or header[:2] != MAGIC:
        raise NotAPackage("no 'BR' package header")
    sections = []
    for i in range(SECTION_COUNT):
        raw = _SECTION.unpack_from(header, len(MAGIC) + i * _SECTION.size)
        name = raw[0].split(b"\0", 1)[0].decode("ascii", "replace")
        if name:
            sections.append(Section(name, *raw[1:]))
    return sections


def package_sections(path: Path) -> list[Section]:
    """The sections of the package file at `path`, checked to lie within the file."""
    size = path.stat().st_size
    with path.open("rb") as f:
        sections = read_sections(f.read(HEADER_SIZE))
    for section in sections:
        if section.offset + section.size > size:
            raise NotAPackage(
                f"section {section.name!r} ends at byte {section.offset + section.size}, "
                f"but the file has {size}: it was cut short"
            )
    return sections


def read_section(path: Path, name: str) -> bytes:
    """The bytes of one section (small ones: the app name, the firmware version)."""
    for section in package_sections(path):
        if section.name == name:
            with path.open("rb") as f:
                f.seek(section.offset)
                return f.read(section.size)
    raise NotAPackage(f"the package has no {name!r} section")
