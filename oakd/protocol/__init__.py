"""The daemon's wire protocol, shared by the daemon, the CLI and the TUI.

Newline-delimited JSON over a Unix socket. Every frame is one JSON object on one line, at most
MAX_FRAME bytes including the newline.

    client -> daemon  {"id": 1, "type": "hello", "params": {"protocol": 1, "client": "oakd-cli"}}
    daemon -> client  {"id": 1, "ok": true, "result": {...}}
                      {"id": 1, "ok": false, "error": {"code": "unknown_request", "message": "..."}}
    daemon -> client  {"event": "device.changed", "data": {...}}     (after "subscribe")

The first request must be `hello`; its `protocol` must equal PROTOCOL_VERSION. Each request
type is one dataclass below, registered in REQUESTS, with the type of its answer (`REPLY`, a
class of replies.py); the server has one handler per type. Each event name has its data's type
in EVENTS. Clients read answers with `read_reply` and events with `read_event`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from oakd.errors import ErrorCode, OakdError, ProtocolError
from oakd.protocol.replies import (
    AppLogLine,
    BuildInfo,
    DeviceInfo,
    Greeting,
    JobInfo,
    JobProgress,
    LogLine,
    ProjectBuilt,
    ProjectInfo,
    StatusInfo,
    Subscribed,
    read_as,
    to_wire,
)
from oakd.schema import SchemaError, build, check_scalar

PROTOCOL_VERSION = 1
MAX_FRAME = 1024 * 1024  # bytes, newline included

# Event names pushed to subscribers.
EVENT_DEVICE_ADDED = "device.added"
EVENT_DEVICE_CHANGED = "device.changed"
EVENT_DEVICE_OFFLINE = "device.offline"
EVENT_JOB_CHANGED = "job.changed"  # data: a job (created, state or phase changed)
EVENT_JOB_PROGRESS = "job.progress"  # data: {"id", "device", "progress", "phase"}; <= 10/s/job
EVENT_PROJECT_CHANGED = "project.changed"  # data: a project (watched, unwatched, build state)
EVENT_PROJECT_BUILD = "project.build"  # data: {"project", "result"}: one finished build
EVENT_LOG = "log"  # data: {"level", "source", "message"}
EVENT_APP_LOG = "app.log"  # data: what a camera's app reported (a boot, a log line, a crash)
EVENT_TOPICS = ("device", "job", "project", "log", "app")
EVENTS: dict[str, Any] = {  # each event's data, typed
    EVENT_DEVICE_ADDED: DeviceInfo,
    EVENT_DEVICE_CHANGED: DeviceInfo,
    EVENT_DEVICE_OFFLINE: DeviceInfo,
    EVENT_JOB_CHANGED: JobInfo,
    EVENT_JOB_PROGRESS: JobProgress,
    EVENT_PROJECT_CHANGED: ProjectInfo,
    EVENT_PROJECT_BUILD: ProjectBuilt,
    EVENT_LOG: LogLine,
    EVENT_APP_LOG: AppLogLine,
}

R = TypeVar("R", bound="Request")


@dataclass(frozen=True)
class Request:
    """Base of every request type; `TYPE` is the wire name, `REPLY` the answer's type."""

    TYPE: ClassVar[str] = ""
    REPLY: ClassVar[Any] = None


REQUESTS: dict[str, type[Request]] = {}


def request(cls: type[R]) -> type[R]:
    """Class decorator: register a request type under its TYPE."""
    if not cls.TYPE or cls.TYPE in REQUESTS:
        raise RuntimeError(f"request type {cls.TYPE!r} is empty or registered twice")
    REQUESTS[cls.TYPE] = cls
    return cls


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
class ListDevices(Request):
    """Every camera the daemon has seen."""

    TYPE: ClassVar[str] = "devices"
    REPLY: ClassVar[Any] = list[DeviceInfo]


@request
@dataclass(frozen=True)
class ListJobs(Request):
    """Jobs, newest first: queued and running ones, then history up to `limit`."""

    TYPE: ClassVar[str] = "jobs"
    REPLY: ClassVar[Any] = list[JobInfo]
    limit: int = 100


@request
@dataclass(frozen=True)
class Subscribe(Request):
    """Push events of these topics to this client from now on."""

    TYPE: ClassVar[str] = "subscribe"
    REPLY: ClassVar[Any] = Subscribed
    topics: list[str] = field(default_factory=lambda: list(EVENT_TOPICS))


def needs_confirmation(what: str, field_name: str = "confirm") -> str:
    """A confirmation_required error's message: what would be lost, then how an API client
    confirms. Clients that confirm their own way (the CLI's --yes or [y/N]) take `what` back
    with confirmation_subject."""
    return f"{what}. {_CONFIRM_HINT.format(field_name)}"


def confirmation_subject(message: str) -> str:
    """The `what` of a needs_confirmation message (the message itself if it is not one)."""
    head, hint, _ = message.rpartition(". " + _CONFIRM_HINT.split("{}")[0])
    return head if hint else message


_CONFIRM_HINT = "Confirm it explicitly: send it again with {}: true"


@dataclass(frozen=True)
class DestructiveRequest(Request):
    """An operation that loses something on the camera: refused unless `confirm` is true."""

    REPLY: ClassVar[Any] = JobInfo
    device: str
    confirm: bool = False


@request
@dataclass(frozen=True)
class Inspect(Request):
    """Read a camera's bootloader, memory, application and network config, and keep it.

    Connecting stops the app of a FLASH_BOOTED camera: such a camera needs `yes`."""

    TYPE: ClassVar[str] = "inspect"
    REPLY: ClassVar[Any] = DeviceInfo
    device: str
    yes: bool = False


@request
@dataclass(frozen=True)
class Flash(Request):
    """Queue a flash of one package file or one project to each of `devices`.

    Exactly one of `package` (a .dap path) and `project` (a directory) is given. `force`
    flashes a camera whose bootloader is older than flash.min_bootloader; `full` writes the
    whole package even where a delta would do. Returns the jobs."""

    TYPE: ClassVar[str] = "flash"
    REPLY: ClassVar[Any] = list[JobInfo]
    devices: list[str]
    package: str | None = None
    project: str | None = None
    force: bool = False
    full: bool = False


@request
@dataclass(frozen=True)
class Cancel(Request):
    """Cancel a queued job (a running write is never torn off: that is refused)."""

    TYPE: ClassVar[str] = "cancel"
    REPLY: ClassVar[Any] = JobInfo
    job: int


@request
@dataclass(frozen=True)
class FactoryReset(DestructiveRequest):
    """Rewrite the bootloader and erase config and app."""

    TYPE: ClassVar[str] = "factory_reset"


@request
@dataclass(frozen=True)
class ClearApp(DestructiveRequest):
    """Erase the flashed application."""

    TYPE: ClassVar[str] = "clear_app"


@request
@dataclass(frozen=True)
class ClearConfig(DestructiveRequest):
    """Erase the bootloader config (network settings)."""

    TYPE: ClassVar[str] = "clear_config"


@request
@dataclass(frozen=True)
class NetworkConfig(DestructiveRequest):
    """Write the network config: `dhcp`, or `static` "ADDR/PREFIX" with `gateway` (and
    `dns`). Validated before anything is written."""

    TYPE: ClassVar[str] = "network_config"
    dhcp: bool = False
    static: str | None = None
    gateway: str | None = None
    dns: str | None = None


@request
@dataclass(frozen=True)
class BootloaderUpdate(DestructiveRequest):
    """Flash the bootloader embedded in this depthai."""

    TYPE: ClassVar[str] = "bootloader_update"


@request
@dataclass(frozen=True)
class Watch(Request):
    """Watch a project directory and flash it to `devices` whenever it changes."""

    TYPE: ClassVar[str] = "watch"
    REPLY: ClassVar[Any] = ProjectInfo
    path: str
    devices: list[str]
    entry: str = "pipeline.py"
    compress: bool = True


@request
@dataclass(frozen=True)
class Unwatch(Request):
    """Stop watching a project directory."""

    TYPE: ClassVar[str] = "unwatch"
    REPLY: ClassVar[Any] = ProjectInfo
    path: str


@request
@dataclass(frozen=True)
class Builds(Request):
    """A project's last good builds, newest first: app name, hash, size, sections changed."""

    TYPE: ClassVar[str] = "builds"
    REPLY: ClassVar[Any] = list[BuildInfo]
    project: str


@request
@dataclass(frozen=True)
class Rollback(Request):
    """Flash a camera the build before the one it runs (of `project`, or of the watched
    project that flashes it); answers the job."""

    TYPE: ClassVar[str] = "rollback"
    REPLY: ClassVar[Any] = JobInfo
    device: str
    project: str | None = None


@request
@dataclass(frozen=True)
class Logs(Request):
    """What a camera's app reported (boots, log lines, crashes), oldest first: the last
    `limit`, after `since` (seconds since the epoch) if given."""

    TYPE: ClassVar[str] = "logs"
    REPLY: ClassVar[Any] = list[AppLogLine]
    device: str
    since: float | None = None
    limit: int = 200


@request
@dataclass(frozen=True)
class ListProjects(Request):
    """The watched projects with their targets and last build result."""

    TYPE: ClassVar[str] = "projects"
    REPLY: ClassVar[Any] = list[ProjectInfo]


@dataclass(frozen=True)
class Envelope:
    """A parsed request frame: its id and its typed body."""

    id: int | str
    body: Request


def encode(message: dict[str, Any]) -> bytes:
    """One frame: compact JSON and a newline."""
    # ensure_ascii: a lone surrogate that slipped into a message is escaped, never unsendable.
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    """Parse one frame into a JSON object, or raise ProtocolError(bad_frame)."""
    if len(line) > MAX_FRAME:
        raise ProtocolError(
            f"a frame is limited to {MAX_FRAME} bytes, newline included; this one has {len(line)}",
            ErrorCode.FRAME_TOO_LARGE,
        )
    try:
        message = json.loads(line)
    except RecursionError:
        raise ProtocolError(
            "the frame nests too deeply to read; send one flat JSON object per line"
        ) from None
    except ValueError as exc:  # not JSON, not UTF-8, or a number too long to read
        raise ProtocolError(
            f"the frame is not valid JSON ({exc}); send one JSON object per line"
        ) from None
    if not isinstance(message, dict):
        raise ProtocolError('a frame must be a JSON object, like {"id": 1, "type": ...}')
    return message


def parse_request(message: dict[str, Any]) -> Envelope:
    """Check a decoded frame is a known request with valid params."""
    req_id = message.get("id")
    if not isinstance(req_id, (int, str)) or isinstance(req_id, bool):
        raise ProtocolError('every request needs an "id" (a number or a string)')
    try:
        check_scalar(req_id, "id")
    except SchemaError as exc:
        raise ProtocolError(f"bad request id: {exc}") from None
    kind = message.get("type")
    if not isinstance(kind, str):
        raise ProtocolError('every request needs a "type" (a string)')
    cls = REQUESTS.get(kind)
    if cls is None:
        known = ", ".join(sorted(REQUESTS))
        raise ProtocolError(
            f"unknown request type {kind!r}; this daemon knows: {known}", ErrorCode.UNKNOWN_REQUEST
        )
    params = message.get("params", {})
    if not isinstance(params, dict):
        raise ProtocolError('"params" must be a JSON object', ErrorCode.BAD_PARAMS)
    try:
        body = build(cls, params, "params")
    except SchemaError as exc:
        raise ProtocolError(f"bad params for {kind!r}: {exc}", ErrorCode.BAD_PARAMS) from exc
    return Envelope(id=req_id, body=body)


def valid_id(req_id: Any) -> int | str | None:
    """A frame's id, if a response may carry it back; None otherwise."""
    if not isinstance(req_id, (int, str)) or isinstance(req_id, bool):
        return None
    try:
        check_scalar(req_id, "id")
    except SchemaError:
        return None
    return req_id


def make_request(req_id: int | str, body: Request) -> dict[str, Any]:
    """The frame a client sends for `body`."""
    params = {k: v for k, v in body.__dict__.items()}
    return {"id": req_id, "type": body.TYPE, "params": params}


def ok(req_id: int | str | None, result: Any) -> dict[str, Any]:
    """A success response (a reply of replies.py, or plain data)."""
    return {"id": req_id, "ok": True, "result": to_wire(result)}


def error(req_id: int | str | None, code: ErrorCode, message: str) -> dict[str, Any]:
    """An error response; `id` is null when the frame had none we could read."""
    return {"id": req_id, "ok": False, "error": {"code": code.value, "message": message}}


def failure(req_id: int | str | None, exc: OakdError) -> dict[str, Any]:
    """The error response for an exception: its code, message and any extra (a build's kind)."""
    return {"id": req_id, "ok": False, "error": exc.to_wire()}


def event(name: str, data: Any) -> dict[str, Any]:
    """A pushed event (its data a reply of replies.py, or plain data)."""
    return {"event": name, "data": to_wire(data)}


def read_reply(body: Request, result: Any) -> Any:
    """The answer to `body`, typed as its REPLY; ProtocolError when it does not fit."""
    return read_as(body.REPLY, result, f"the answer to {body.TYPE}")


def read_event(name: str, data: Any) -> Any:
    """An event's data, typed; None for an event this client does not know (a newer daemon's).
    ProtocolError when it does not fit."""
    tp = EVENTS.get(name)
    return None if tp is None else read_as(tp, data, name)


def topic_of(event_name: str) -> str:
    """'device.changed' -> 'device'."""
    return event_name.split(".", 1)[0]
