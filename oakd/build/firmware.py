"""Compressed packages without compressing the firmware on every build.

depthai's `compress=True` spends ~2.5 s of zlib on the 28 MB device firmware, which is the
same for every build with the same depthai, board config and custom firmware. So the build
child makes the uncompressed package (0.1-0.2 s warm) and this module turns it into the
compressed one: the `__firmware` section is replaced by its zlib form, taken from a cache keyed
by the sha256 of the uncompressed firmware (a key that covers depthai's version, the board
config and a custom firmware without naming them), and the later sections are moved to where
depthai puts them. The result is byte-identical to depthai's own compressed package (tested).

depthai's layout (DeviceBootloader.cpp, createDepthaiApplicationPackage, v2.24 to v2_develop):
`__firmware` at 512; `pipeline` at the firmware's end rounded up to 1 MiB; every later section
at the previous one's end rounded up to 64 KiB; gaps zero-filled; firmware flags 0x03
uncompressed, 0x07 zlib.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

from oakd.core.package import HEADER_SIZE, MAGIC, SECTION, PackageError, Section, djb2, sections
from oakd.paths import temporary_beside

FIRMWARE = "__firmware"
PIPELINE_ALIGN = 1024 * 1024
SECTION_ALIGN = 64 * 1024
ZLIB_FLAG = 1 << 2  # compression bits 2-4 = 1
ZLIB_LEVEL = 9  # what depthai uses: the same bytes come out
KEEP_FIRMWARES = 4  # compressed firmwares kept (one per depthai version / board config)


@dataclass(frozen=True)
class CompressedFirmware:
    """A firmware section in its zlib form, with the checksum its header record carries."""

    data: bytes
    checksum: int


class FirmwareCache:
    """Compressed firmware sections by the sha256 of the uncompressed firmware, in `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def get(self, firmware: bytes) -> CompressedFirmware:
        """The compressed form of `firmware`, made and stored on the first use."""
        key = hashlib.sha256(firmware).hexdigest()
        for path in self.root.glob(f"{key}-*.zlib"):
            try:
                checksum = int(path.stem.split("-", 1)[1], 16)
                data = path.read_bytes()
            except (OSError, ValueError):
                continue
            os.utime(path)
            return CompressedFirmware(data, checksum)
        compressed = zlib.compress(firmware, ZLIB_LEVEL)
        made = CompressedFirmware(compressed, djb2(compressed))
        self._store(key, made)
        return made

    def _store(self, key: str, firmware: CompressedFirmware) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.root / f"{key}-{firmware.checksum:08x}.zlib"
        temp = temporary_beside(final)
        try:
            temp.write_bytes(firmware.data)
            os.replace(temp, final)  # concurrent builds write the same bytes: either wins
        finally:
            temp.unlink(missing_ok=True)
        kept = sorted(self.root.glob("*.zlib"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[KEEP_FIRMWARES:]:
            old.unlink(missing_ok=True)


def compress_package(uncompressed: bytes, cache: FirmwareCache) -> bytes:
    """depthai's compressed package for the same pipeline, from its uncompressed one."""
    found = sections(uncompressed)
    if not found or found[0].name != FIRMWARE or found[0].offset != HEADER_SIZE:
        raise PackageError("the package does not start with a __firmware section")
    firmware = found[0]
    if firmware.compressed:
        return uncompressed
    payload = uncompressed[firmware.offset : firmware.offset + firmware.size]
    packed = cache.get(payload)
    header = bytearray(uncompressed[:HEADER_SIZE])
    body = bytearray(packed.data)
    end = HEADER_SIZE + len(body)
    _record(header, firmware, HEADER_SIZE, len(body), packed.checksum, firmware.flags | ZLIB_FLAG)
    for i, section in enumerate(found[1:]):
        offset = _align(end, PIPELINE_ALIGN if i == 0 else SECTION_ALIGN)
        body += bytes(offset - HEADER_SIZE - len(body))
        body += uncompressed[section.offset : section.offset + section.size]
        _record(header, section, offset, section.size, section.checksum, section.flags)
        end = offset + section.size
    return bytes(header) + bytes(body)


def _align(value: int, to: int) -> int:
    return -(-value // to) * to


def _record(
    header: bytearray, section: Section, offset: int, size: int, checksum: int, flags: int
) -> None:
    place = len(MAGIC) + section.index * SECTION.size
    name, _size, _offset, _checksum, kind, _flags = SECTION.unpack_from(header, place)
    SECTION.pack_into(header, place, name, size, offset, checksum, kind, flags)
