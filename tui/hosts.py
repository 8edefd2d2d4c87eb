"""Which daemon a row belongs to: the one rule for keys when the TUI shows several daemons.

With one daemon (plain `oakd tui`) nothing changes: rows are keyed by the id the daemon gives
(MX ID, job number, project path) and replies carry no host. With several (`--host a --host b`),
two daemons may well have a job #7 or watch the same path, so the app labels every reply it
gets from a daemon with that daemon's label (the replies' client-side `host` field), and rows
are keyed by (label, id). Tables, flows and the app all go through `key` / `key_of`; none
builds a key of its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, TypeVar

from oakd.protocol.replies import DeviceInfo, JobInfo, ProjectInfo

SEPARATOR = "\x1f"  # in no label and no id: a key splits back without doubt

Reply = TypeVar("Reply", DeviceInfo, JobInfo, ProjectInfo)


def key(host: str, ident: Any) -> str:
    """The row key of `ident` (MX ID, job id, project path) on daemon `host` ("" for the only
    daemon: the bare id, as before there were several)."""
    return f"{host}{SEPARATOR}{ident}" if host else str(ident)


def key_of(reply: DeviceInfo | JobInfo | ProjectInfo) -> str:
    """The row key of a camera or job (by id) or project (by path)."""
    ident = reply.path if isinstance(reply, ProjectInfo) else reply.id
    return key(reply.host, ident)


def device_key(job: JobInfo) -> str:
    """The row key of the camera a job is for, on the job's own daemon."""
    return key(job.host, job.device)


def tag(replies: Iterable[Reply], host: str) -> list[Reply]:
    """The replies labelled as `host`'s; untouched with one daemon."""
    return [tag_one(reply, host) for reply in replies]


def tag_one(reply: Reply, host: str) -> Reply:
    """One reply labelled as `host`'s."""
    return dataclasses.replace(reply, host=host) if host else reply


def by_host(replies: Iterable[Reply]) -> dict[str, list[Reply]]:
    """Replies grouped by daemon, in first-seen order: an action splits into one request per
    daemon that owns some of its targets."""
    groups: dict[str, list[Reply]] = {}
    for reply in replies:
        groups.setdefault(reply.host, []).append(reply)
    return groups
