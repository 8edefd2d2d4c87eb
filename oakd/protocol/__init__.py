"""The daemon's wire protocol, shared by the daemon, the CLI and the TUI.

Newline-delimited JSON over a Unix socket. Every frame is one JSON object on one line, at most
MAX_FRAME bytes including the newline.

    client -> daemon  {"id": 1, "type": "hello", "params": {"protocol": 1, "client": "oakd-cli"}}
    daemon -> client  {"id": 1, "ok": true, "result": {...}}
                      {"id": 1, "ok": false, "error": {"code": "unknown_request", "message": "..."}}
    daemon -> client  {"event": "device.changed", "data": {...}}     (after "subscribe")

The first request must be `hello`; its `protocol` must equal PROTOCOL_VERSION. Each request
type is one frozen dataclass, registered in REQUESTS with the type of its answer (`REPLY`):
hello, status and subscribe with their answers in session.py, the others in requests.py and
their answers in replies.py; the server has one handler per type. Each event name below has
its data's type in replies.EVENTS. Clients read answers with `read_reply` and events with
`read_event`.

This module builds no request or reply class: a client loads the modules of what it sends, so
that `oakd status` does not pay for the whole vocabulary (see session.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from oakd.errors import ErrorCode, OakdError, ProtocolError, RemoteError
from oakd.protocol.typed import read_as, to_wire
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
    # Each request type registers itself when its module loads.
    from oakd.protocol import requests, session  # noqa: F401

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


def result_of(response: dict[str, Any]) -> Any:
    """What a response carries: its result, or, for an error response, a RemoteError with the
    code (one this client does not know, from a newer daemon, as internal) and a build
    failure's kind."""
    if response.get("ok"):
        return response.get("result")
    err = response.get("error") or {}
    code = err.get("code", "internal")
    known = code in ErrorCode._value2member_map_
    raise RemoteError(
        err.get("message", "the daemon answered with an error"),
        ErrorCode(code) if known else ErrorCode.INTERNAL,
        kind=err.get("kind"),
    )


def untied_error(response: dict[str, Any]) -> bool:
    """An error the daemon could not tie to a request (a refused connection: its id is null);
    it answers whichever request is waiting."""
    return response.get("id") is None and not response.get("ok", True)


def event(name: str, data: Any) -> dict[str, Any]:
    """A pushed event (its data a reply of replies.py, or plain data)."""
    return {"event": name, "data": to_wire(data)}


def read_reply(body: Request, result: Any) -> Any:
    """The answer to `body`, typed as its REPLY; ProtocolError when it does not fit."""
    return read_as(body.REPLY, result, f"the answer to {body.TYPE}")


def read_event(name: str, data: Any) -> Any:
    """An event's data, typed; None for an event this client does not know (a newer daemon's).
    ProtocolError when it does not fit."""
    from oakd.protocol.replies import EVENTS  # here: a client that reads no event never loads it

    tp = EVENTS.get(name)
    return None if tp is None else read_as(tp, data, name)


def topic_of(event_name: str) -> str:
    """'device.changed' -> 'device'."""
    return event_name.split(".", 1)[0]
