"""The daemon's own part of the protocol: hello, status and subscribe, with their answers.

Apart from the other requests (requests.py) and replies (replies.py), so that a client that
only says hello and asks the status (`oakd status`, the first frame of every connection)
does not build every class of the vocabulary (a frozen dataclass costs about a millisecond to
create on a small machine).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from oakd.protocol import EVENT_TOPICS, Request, request

# -- replies -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Greeting:
    """The answer to hello."""

    protocol: int
    version: str
    pid: int


@dataclass(frozen=True)
class Subscribed:
    """The answer to subscribe."""

    topics: list[str]


@dataclass(frozen=True)
class StatusInfo:
    """The daemon's version, uptime, where things are, its settings clients need, and counts."""

    version: str
    protocol: int
    pid: int
    uptime_s: float
    socket: str
    state_dir: str
    config: str | None
    discovery_interval_s: float
    min_bootloader: str  # flash.min_bootloader: clients flag older bootloaders by it
    discovery_scans: int
    devices: int
    online: int
    jobs: dict[str, int]  # queued and running
    # Where apps' telemetry is heard ("" when not: `telemetry_problem` says why), and what
    # came: accepted, and dropped by reason (unknown_source, malformed, oversized, flood).
    telemetry: str = ""
    telemetry_problem: str = ""
    telemetry_counts: dict[str, int] = field(default_factory=dict)


# -- requests ----------------------------------------------------------------------------------


@request
@dataclass(frozen=True)
class Hello(Request):
    """First exchange: the client's protocol version; the answer carries the daemon's."""

    TYPE: ClassVar[str] = "hello"
    REPLY: ClassVar[Any] = Greeting
    protocol: int
    client: str = ""


@request
@dataclass(frozen=True)
class Status(Request):
    """The daemon's version, uptime and counts."""

    TYPE: ClassVar[str] = "status"
    REPLY: ClassVar[Any] = StatusInfo


@request
@dataclass(frozen=True)
class Subscribe(Request):
    """Push events of these topics to this client from now on."""

    TYPE: ClassVar[str] = "subscribe"
    REPLY: ClassVar[Any] = Subscribed
    topics: list[str] = field(default_factory=lambda: list(EVENT_TOPICS))
