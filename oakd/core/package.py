"""Application packages (.dap, the SBR format): what is in one, and the name it carries.

A package starts with a 512-byte header: `B R`, then 17 section records of 30 bytes (name
char[16], size u32, offset u32, checksum u32 (djb2), type u8, flags u8), little-endian
(oak-poe-protocol.md §3.6). depthai writes `__firmware` (bootable), `pipeline`, `assets`,
`asset_storage`, `__fw_version` and, last, `app_name`.

oakd names every app it flashes `<name>@<hash>`, so that what a camera runs can be read back
from the camera itself (`readApplicationInfo`) and compared with what was sent.
"""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from oakd.errors import ErrorCode, OakdError

HEADER_SIZE = 512
# A NETWORK bootloader's flash: header, bootloader, user bootloader and config take the first
# 8 MiB; the application (the package) runs from 8 MiB to the end (protocol notes §3.5).
APP_OFFSET = 8 * 1024 * 1024
MAGIC = b"BR"
MAX_SECTIONS = 17
SECTION = struct.Struct("<16sIIIBB")
FLAG_BOOTABLE = 0x1
APP_NAME = "app_name"
REQUIRED = ("__firmware", "pipeline")  # without these nothing boots
# No file larger than this can be a package a camera holds: the application region of a 64 MiB
# flash (OAK PoE cameras are believed to have 32 MiB; the worker checks the real region).
MAX_PACKAGE_SIZE = 64 * 1024 * 1024 - APP_OFFSET

# The application name oakd writes into a package: `<base>@<hash12>`. depthai stores it on the
# camera (`app_name` section) and `readApplicationInfo` reads it back, so it is how oakd tells
# what is flashed without reading the package. For a build, <hash12> is the start of the
# build's fingerprint, not of the package bytes: the name is inside the package, so it cannot
# hold the hash of the package itself; the fingerprint determines the bytes (build/fingerprint)
# and so is the package's content hash for every practical purpose. A .dap from elsewhere gets
# the start of its sha256 (named_with_hash).
HASH_CHARS = 12
MAX_BASE = 48  # the camera keeps 4 KiB, but a name should fit a table column
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_NAME = re.compile(
    rf"^(?P<base>[A-Za-z0-9._-]{{1,{MAX_BASE}}})@(?P<hash>[0-9a-f]{{{HASH_CHARS}}})$"
)


def app_name_base(project_name: str) -> str:
    """A name made safe for an app name: `[A-Za-z0-9._-]`, at most MAX_BASE characters."""
    base = _UNSAFE.sub("-", project_name).strip("-.")[:MAX_BASE]
    return base or "pipeline"


def app_name(base: str, digest: str) -> str:
    """The application name of a package: base, '@', and HASH_CHARS hex digits of `digest`."""
    return f"{base}@{digest[:HASH_CHARS]}"


def parse_app_name(name: str) -> tuple[str, str] | None:
    """(base, hash12) of an app name oakd wrote; None for any other name (flashed by others)."""
    match = _NAME.match(name)
    if match is None:
        return None
    return match["base"], match["hash"]


class PackageError(OakdError, ValueError):
    """Not a package a camera can boot; the message says what is missing. (A ValueError too:
    it is what parsing bad bytes raises.)"""

    code = ErrorCode.REFUSED


@dataclass(frozen=True)
class Section:
    """One section record."""

    index: int
    name: str
    size: int
    offset: int
    checksum: int
    flags: int

    @property
    def compressed(self) -> bool:
        """The section is zlib-compressed (flags bits 2-4 = 1)."""
        return (self.flags >> 2) & 0b111 == 1


@dataclass(frozen=True)
class PackageInfo:
    """What a package holds, read from its header."""

    size: int
    sections: tuple[Section, ...]
    app_name: str | None

    @property
    def hash(self) -> str | None:
        """The hash oakd put in the app name, if it carries one."""
        parsed = parse_app_name(self.app_name or "")
        return parsed[1] if parsed else None


def djb2(data: bytes, seed: int = 5381) -> int:
    """The SBR section checksum (h = h * 33 + byte, 32 bits); used for small sections only."""
    h = seed
    for byte in data:
        h = (h * 33 + byte) & 0xFFFFFFFF
    return h


def content_hash(data: bytes) -> str:
    """A package's identity when it does not carry one: sha256 of its bytes, shortened."""
    return hashlib.sha256(data).hexdigest()[:HASH_CHARS]


def sections(data: bytes) -> tuple[Section, ...]:
    """The used section records of a package header."""
    if len(data) < HEADER_SIZE or data[:2] != MAGIC:
        raise PackageError(
            "not a depthai application package (no 'BR' header); build one with `oakd build` "
            "or depthai's createDepthaiApplicationPackage"
        )
    found = []
    for i in range(MAX_SECTIONS):
        raw, size, offset, checksum, _kind, flags = SECTION.unpack_from(data, 2 + i * SECTION.size)
        if raw[0] in (0x00, 0xFF):  # unused record, as the bootloader reads it
            continue
        name = raw.split(b"\0", 1)[0].decode("ascii", "replace")
        found.append(Section(i, name, size, offset, checksum, flags))
    return tuple(found)


def inspect_package(data: bytes) -> PackageInfo:
    """Check a package can boot and read its app name; PackageError says what is wrong."""
    found = sections(data)
    names = {s.name for s in found}
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        raise PackageError(
            f"the package has no {', '.join(missing)} section: it cannot boot. Rebuild it with "
            "`oakd build`"
        )
    if not any(s.flags & FLAG_BOOTABLE for s in found):
        raise PackageError("no section of the package is marked bootable; rebuild it")
    for s in found:
        if s.offset + s.size > len(data):
            raise PackageError(
                f"the package is cut short: section {s.name!r} ends at byte {s.offset + s.size} "
                f"but the file has {len(data)}; copy it again or rebuild it"
            )
    app = next((s for s in found if s.name == APP_NAME), None)
    name = None
    if app is not None:
        name = (
            data[app.offset : app.offset + app.size].split(b"\0", 1)[0].decode("utf-8", "replace")
        )
    return PackageInfo(len(data), found, name)


def with_app_name(data: bytes, name: str) -> bytes:
    """The same package with `name` as its app name (the app_name section, which depthai
    writes last, is rewritten in place with its size and checksum)."""
    info = inspect_package(data)
    app = next((s for s in info.sections if s.name == APP_NAME), None)
    if app is None or app.offset + app.size != len(data) or app.offset < HEADER_SIZE:
        raise PackageError("the package's app_name section is not its last: cannot rename it")
    encoded = name.encode()
    header = bytearray(data[:HEADER_SIZE])
    raw, _size, offset, _checksum, kind, flags = SECTION.unpack_from(header, 2 + app.index * 30)
    SECTION.pack_into(
        header, 2 + app.index * 30, raw, len(encoded), offset, djb2(encoded), kind, flags
    )
    return bytes(header) + data[HEADER_SIZE : app.offset] + encoded


def named_with_hash(data: bytes, base: str) -> tuple[bytes, str]:
    """A package whose app name carries its hash, and that hash.

    A package oakd built already does (`name@hash`); any other gets `base@sha256[:12]`."""
    info = inspect_package(data)
    if info.hash:
        return data, info.hash
    digest = content_hash(data)
    return with_app_name(data, app_name(app_name_base(base), digest)), digest


def package_sections(path: Path) -> tuple[Section, ...]:
    """The sections of the package file at `path`, checked to lie within the file."""
    size = path.stat().st_size
    with path.open("rb") as f:
        found = sections(f.read(HEADER_SIZE))
    for section in found:
        if section.offset + section.size > size:
            raise PackageError(
                f"section {section.name!r} ends at byte {section.offset + section.size}, "
                f"but the file has {size}: it was cut short"
            )
    return found


def read_section(path: Path, name: str) -> bytes:
    """The bytes of one (small) section of a package file: the app name, the fw version."""
    for section in package_sections(path):
        if section.name == name:
            with path.open("rb") as f:
                f.seek(section.offset)
                return f.read(section.size)
    raise PackageError(f"the package has no {name!r} section")
