"""Which daemon a row belongs to: the one rule for keys when the TUI shows several daemons.

With one daemon (plain `oakd tui`) nothing changes: rows are keyed by the id the daemon gives
(MX ID, job number, project path) and wires carry no host. With several (`--host a --host b`),
two daemons may well have a job #7 or watch the same path, so the app tags every wire it gets
from a daemon with that daemon's label (HOST), and rows are keyed by (label, id). Tables, flows
and the app all go through `key` / `key_of` / `host_of`; none builds a key of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tui.model import Wire

# The field the app adds to a daemon's wires: a name no daemon sends (it starts with "_").
HOST = "_host"
SEPARATOR = "\x1f"  # in no label and no id: a key splits back without doubt


def key(host: str, ident: Any) -> str:
    """The row key of `ident` (MX ID, job id, project path) on daemon `host` ("" for the only
    daemon: the bare id, as before there were several)."""
    return f"{host}{SEPARATOR}{ident}" if host else str(ident)


def host_of(wire: Wire) -> str:
    """The label of the daemon a wire came from ("" with only one daemon)."""
    return str(wire.get(HOST) or "")


def key_of(wire: Wire, field: str = "id") -> str:
    """The row key of a device or job (`id`) or project (`path`)."""
    return key(host_of(wire), wire[field])


def device_key(wire: Wire, field: str = "device") -> str:
    """The row key of the camera a job (or an answer) names, on the wire's own daemon."""
    return key(host_of(wire), wire.get(field))


def tag(wires: Iterable[Wire], host: str) -> list[Wire]:
    """The wires marked as `host`'s; untouched with one daemon."""
    if not host:
        return list(wires)
    return [{**wire, HOST: host} for wire in wires]


def tag_one(wire: Wire, host: str) -> Wire:
    """One wire marked as `host`'s."""
    return {**wire, HOST: host} if host else wire


def by_host(wires: Iterable[Wire]) -> dict[str, list[Wire]]:
    """Wires grouped by daemon, in first-seen order: an action splits into one request per
    daemon that owns some of its targets."""
    groups: dict[str, list[Wire]] = {}
    for wire in wires:
        groups.setdefault(host_of(wire), []).append(wire)
    return groups
