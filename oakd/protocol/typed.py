"""Typed data on the wire: a reply class (a frozen dataclass of replies.py or session.py)
to JSON-ready data and back.

Reading is forgiving in one way only: keys this client does not know are ignored, so that a
newer daemon may add fields. A missing required key or a wrong type is a ProtocolError that
names the field.
"""

from __future__ import annotations

import dataclasses
import enum
import typing
from typing import Any, TypeVar

from oakd.errors import ErrorCode, ProtocolError
from oakd.schema import SchemaError, convert

T = TypeVar("T")
CLIENT_SIDE = {"internal": True}  # a field a client sets (never read from, nor sent on, the wire)


def to_wire(value: Any) -> Any:
    """A reply (or a list of them) as JSON-ready data: enums as their values, client-side
    fields left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        omitted = value.omitted() if hasattr(value, "omitted") else set()
        return {
            f.name: to_wire(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not f.metadata.get("internal") and f.name not in omitted
        }
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    return value


def from_wire(cls: type[T], data: Any, what: str = "reply") -> T:
    """Read `data` as a `cls` reply; ProtocolError names the field that does not fit."""
    return typing.cast(T, read_as(cls, data, what))


def read_as(tp: Any, data: Any, what: str = "reply") -> Any:
    """Read `data` as the annotation `tp` (a reply class, list[...] of one, ...)."""
    try:
        return convert(tp, data, what, lenient=True)
    except SchemaError as exc:
        raise ProtocolError(
            f"{exc} (is the daemon an older or newer oakd? `oakd status` gives its version)",
            ErrorCode.BAD_FRAME,
        ) from None
