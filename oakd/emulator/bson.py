"""Just enough BSON to read the bootloader configuration that depthai writes.

depthai serializes the config with nlohmann's `to_bson` (protocol notes §3.4). The emulator
stores those bytes verbatim; it decodes them only to find the user-bootloader fields and to let
tests look at what was written.
"""

from __future__ import annotations

import struct
from typing import Any


class BsonError(ValueError):
    """The bytes are not a BSON document this decoder understands."""


def document_size(data: bytes) -> int | None:
    """The length a BSON document at the start of `data` claims, or None if implausible."""
    if len(data) < 5:
        return None
    (size,) = struct.unpack_from("<i", data, 0)
    if size < 5 or size > len(data):
        return None
    return size


def decode(data: bytes) -> dict[str, Any]:
    """Decode one BSON document (the whole of `data`)."""
    value, end = _document(data, 0)
    if end != len(data):
        raise BsonError("trailing bytes after the document")
    return value


def _document(data: bytes, pos: int) -> tuple[dict[str, Any], int]:
    if pos + 5 > len(data):
        raise BsonError("truncated document")
    (size,) = struct.unpack_from("<i", data, pos)
    end = pos + size
    if size < 5 or end > len(data) or data[end - 1] != 0:
        raise BsonError("bad document length")
    pos += 4
    out: dict[str, Any] = {}
    while pos < end - 1:
        kind = data[pos]
        name_end = data.index(b"\0", pos + 1, end)
        name = data[pos + 1 : name_end].decode("utf-8")
        out[name], pos = _element(data, kind, name_end + 1)
    return out, end


def _element(data: bytes, kind: int, pos: int) -> tuple[Any, int]:
    if kind == 0x01:
        return struct.unpack_from("<d", data, pos)[0], pos + 8
    if kind == 0x02:
        (length,) = struct.unpack_from("<i", data, pos)
        return data[pos + 4 : pos + 4 + length - 1].decode("utf-8"), pos + 4 + length
    if kind == 0x03:
        return _document(data, pos)
    if kind == 0x04:
        doc, end = _document(data, pos)
        return list(doc.values()), end
    if kind == 0x05:
        (length,) = struct.unpack_from("<i", data, pos)
        return bytes(data[pos + 5 : pos + 5 + length]), pos + 5 + length
    if kind == 0x08:
        return data[pos] != 0, pos + 1
    if kind == 0x0A:
        return None, pos
    if kind == 0x10:
        return struct.unpack_from("<i", data, pos)[0], pos + 4
    if kind in (0x11, 0x12):
        # nlohmann writes unsigned values above INT64_MAX as 0x11 (uint64).
        fmt = "<Q" if kind == 0x11 else "<q"
        return struct.unpack_from(fmt, data, pos)[0], pos + 8
    raise BsonError(f"unsupported BSON element type 0x{kind:02x}")
