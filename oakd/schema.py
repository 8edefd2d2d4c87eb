"""Build typed dataclasses from untrusted mappings (TOML config, JSON requests).

One checker for both, so that a config file and a protocol request report a wrong key or a
wrong type in the same words: which key, what was expected, what was found.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar, Union

T = TypeVar("T")


class SchemaError(ValueError):
    """A value does not fit its dataclass; `path` names the key, dotted."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem


def describe(tp: Any) -> str:
    """A type as a person reads it: 'a number', 'a list of strings'."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        parts = [describe(a) for a in typing.get_args(tp) if a is not type(None)]
        return " or ".join(parts)
    if origin is list:
        (inner,) = typing.get_args(tp)
        return f"a list of {_plural(describe(inner))}"
    if origin is dict:
        return "a table"
    if dataclasses.is_dataclass(tp):
        return "a table"
    return {
        bool: "true or false",
        int: "a whole number",
        float: "a number",
        str: "a string",
    }.get(tp, getattr(tp, "__name__", str(tp)))


def _plural(desc: str) -> str:
    for article in ("a ", "an "):
        if desc.startswith(article):
            return desc[len(article) :].replace("number", "numbers").replace("string", "strings")
    return desc


def _found(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value)


INT_LIMIT = 2**63  # whole numbers fit SQLite's and C's 64 bits
TEXT_LIMIT = 4096  # characters: a path's PATH_MAX


def check_scalar(value: Any, path: str) -> None:
    """Refuse what no field can use, whatever its type: a whole number outside 64 bits, and
    text with a NUL byte, a lone surrogate (not UTF-8) or more than TEXT_LIMIT characters."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not -INT_LIMIT <= value < INT_LIMIT:
            raise SchemaError(path, "expected a whole number from -2^63 to 2^63 - 1")
    elif isinstance(value, str):
        if len(value) > TEXT_LIMIT:
            raise SchemaError(path, f"expected at most {TEXT_LIMIT} characters, got {len(value)}")
        if "\x00" in value:
            raise SchemaError(path, "expected text without NUL bytes")
        try:
            value.encode()
        except UnicodeEncodeError:
            raise SchemaError(path, "expected UTF-8 text (it holds a lone surrogate)") from None


def convert(tp: Any, value: Any, path: str, lenient: bool = False) -> Any:
    """Check `value` against the annotation `tp`; return it (nested dataclasses are built,
    enums made from their values). `lenient` ignores unknown keys, at every depth."""
    check_scalar(value, path)
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        choices = [arg for arg in args if arg is not type(None)]
        if len(choices) == 1:  # `X | None`: what is wrong with it as an X, however deep
            return convert(choices[0], value, path, lenient)
        for arg in args:
            if arg is type(None):
                continue
            try:
                return convert(arg, value, path, lenient)
            except SchemaError:
                continue
        raise SchemaError(path, f"expected {describe(tp)}, got {_found(value)}")
    if origin is list:
        (inner,) = typing.get_args(tp)
        if not isinstance(value, list):
            raise SchemaError(path, f"expected {describe(tp)}, got {_found(value)}")
        return [convert(inner, v, f"{path}[{i}]", lenient) for i, v in enumerate(value)]
    if origin is dict:
        key_tp, val_tp = typing.get_args(tp)
        if not isinstance(value, dict):
            raise SchemaError(path, f"expected {describe(tp)}, got {_found(value)}")
        return {
            convert(key_tp, k, path, lenient): convert(val_tp, v, f"{path}.{k}", lenient)
            for k, v in value.items()
        }
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, Mapping):
            raise SchemaError(path, f"expected a table, got {_found(value)}")
        return build(tp, value, path, lenient)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            known = ", ".join(repr(m.value) for m in tp)
            raise SchemaError(path, f"expected one of {known}, got {_found(value)}") from None
    if tp is float:
        # TOML and JSON both write 2 for 2.0; a whole number is a fine float.
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is Any or isinstance(value, tp):
        return value
    raise SchemaError(path, f"expected {describe(tp)}, got {_found(value)}")


def build(cls: type[T], data: Mapping[str, Any], path: str = "", lenient: bool = False) -> T:
    """Make a `cls` dataclass from `data`, rejecting wrong types, and unknown keys unless
    `lenient` (a reply of a newer daemon may carry more). A class with a `finish(data)` method
    completes what the fields alone cannot say."""
    hints = typing.get_type_hints(cls)
    # Fields marked metadata={"internal": True} are set by code, never by the data.
    fields = {
        f.name: f
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if not f.metadata.get("internal")
    }
    known = set(fields)
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        where = f"{path}.{key}" if path else key
        if key not in fields:
            if lenient:
                continue
            hint = difflib.get_close_matches(key, sorted(known), n=1)
            suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise SchemaError(
                where, f"unknown key{suggestion}; known keys: {', '.join(sorted(known))}"
            )
        kwargs[key] = convert(hints[key], value, where, lenient)
    missing = [
        n
        for n, f in fields.items()
        if n not in kwargs
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        where = f"{path}.{missing[0]}" if path else missing[0]
        raise SchemaError(where, f"is required ({describe(hints[missing[0]])})")
    made = cls(**kwargs)
    finish = getattr(made, "finish", None)
    return finish(data) if finish is not None else made
