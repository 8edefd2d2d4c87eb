"""A reader of libnop's binary format, the one depthai serializes a package's `pipeline` and
`assets` sections in. Pure: bytes in, plain values out.

Each value starts with one encoding byte (libnop's base/encoding_byte.h): 0x00-0x7f a
positive integer (and false/true), 0xc0-0xff a negative one, 0x80-0x87 unsigned and signed
integers of 1-8 bytes, 0x88/0x89 floats, then structure (a count, then its fields), array (a
count, then its elements), map (a count, then key and value pairs), binary and string (a
length, then the bytes), nil (an empty optional) and variant (an index, then the value). Every
count and length is itself an integer value. Structures come out as lists (libnop writes no
field names: the reader of a structure knows its fields' order), maps as dicts, binary as
bytes. Tables, handles, errors and extensions are not used by depthai's schemas and are
refused.

Bounded: a value nests at most MAX_DEPTH deep, and a count or length larger than what is left
of the input is refused before anything is allocated for it.
"""

from __future__ import annotations

import struct
from typing import Any

MAX_DEPTH = 64

_INTS = {  # encoding byte -> struct format (little-endian)
    0x80: "<B",
    0x81: "<H",
    0x82: "<I",
    0x83: "<Q",
    0x84: "<b",
    0x85: "<h",
    0x86: "<i",
    0x87: "<q",
    0x88: "<f",
    0x89: "<d",
}
STRUCTURE, ARRAY, MAP, BINARY, STRING, NIL, VARIANT = 0xB9, 0xBA, 0xBB, 0xBC, 0xBD, 0xBE, 0xB8


class NopError(ValueError):
    """The bytes are not the libnop encoding of anything this reader knows."""


def decode(data: bytes) -> Any:
    """The one value `data` holds (trailing bytes are refused)."""
    reader = _Reader(data)
    value = reader.value(0)
    if reader.at != len(data):
        raise NopError(f"{len(data) - reader.at} bytes left over after the value")
    return value


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def byte(self) -> int:
        if self.at >= len(self.data):
            raise NopError("the data ends inside a value")
        value = self.data[self.at]
        self.at += 1
        return value

    def take(self, size: int) -> bytes:
        if size < 0 or self.at + size > len(self.data):
            raise NopError(f"a length of {size} runs past the end of the data")
        chunk = self.data[self.at : self.at + size]
        self.at += size
        return chunk

    def count(self, depth: int) -> int:
        value = self.value(depth + 1)
        if not isinstance(value, int) or value < 0 or value > len(self.data) - self.at:
            raise NopError(f"bad count {value!r} at byte {self.at}")
        return value

    def value(self, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise NopError(f"values nest more than {MAX_DEPTH} deep")
        code = self.byte()
        if code <= 0x7F:
            return code
        if code >= 0xC0:
            return code - 0x100
        fmt = _INTS.get(code)
        if fmt is not None:
            return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]
        if code == NIL:
            return None
        if code in (STRUCTURE, ARRAY):
            return [self.value(depth + 1) for _ in range(self.count(depth))]
        if code == MAP:
            pairs = [
                (self.value(depth + 1), self.value(depth + 1)) for _ in range(self.count(depth))
            ]
            return {_key(k): v for k, v in pairs}
        if code == BINARY:
            return self.take(self.count(depth))
        if code == STRING:
            return self.take(self.count(depth)).decode("utf-8", "replace")
        if code == VARIANT:
            self.value(depth + 1)  # which alternative: the value says enough for us
            return self.value(depth + 1)
        raise NopError(f"encoding byte 0x{code:02x} at byte {self.at - 1} is not read here")


def _key(key: Any) -> Any:
    # A map keyed by a pair (a Script's ioInfo: (group, name)) has list keys: made hashable.
    return tuple(key) if isinstance(key, list) else key
