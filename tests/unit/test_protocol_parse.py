"""Reading a client's frame (oakd.protocol decode, parse_request, valid_id): what parses to which
request, and which error code and words a client gets for what it got wrong."""

from __future__ import annotations

import json
from typing import Any

import pytest

from oakd.errors import ErrorCode, OakdError, ProtocolError
from oakd.protocol import (
    EVENT_TOPICS,
    MAX_FRAME,
    REQUESTS,
    Request,
    decode,
    encode,
    failure,
    make_request,
    parse_request,
    valid_id,
)
from oakd.protocol.requests import (
    BootloaderUpdate,
    Builds,
    Cancel,
    ClearApp,
    ClearConfig,
    FactoryReset,
    Flash,
    Inspect,
    ListDevices,
    ListJobs,
    ListProjects,
    Logs,
    NetworkConfig,
    Rollback,
    Unwatch,
    Watch,
    confirmation_subject,
    needs_confirmation,
)
from oakd.protocol.session import Hello, Status, Subscribe
from oakd.schema import INT_LIMIT, TEXT_LIMIT

CAM = "18443010C1D2E3F400"

# The least each request type needs, and what it parses to (its defaults filled in).
GOOD: dict[str, tuple[dict[str, Any], Request]] = {
    "hello": ({"protocol": 1}, Hello(protocol=1, client="")),
    "status": ({}, Status()),
    "devices": ({}, ListDevices()),
    "jobs": ({}, ListJobs(limit=100)),
    "subscribe": ({}, Subscribe(topics=list(EVENT_TOPICS))),
    "inspect": ({"device": CAM}, Inspect(device=CAM, yes=False)),
    "flash": (
        {"devices": [CAM], "package": "/a.dap"},
        Flash(devices=[CAM], package="/a.dap", project=None, force=False, full=False),
    ),
    "cancel": ({"job": 3}, Cancel(job=3)),
    "factory_reset": ({"device": CAM}, FactoryReset(device=CAM, confirm=False)),
    "clear_app": ({"device": CAM}, ClearApp(device=CAM, confirm=False)),
    "clear_config": ({"device": CAM}, ClearConfig(device=CAM, confirm=False)),
    "network_config": (
        {"device": CAM},
        NetworkConfig(device=CAM, confirm=False, dhcp=False, static=None, gateway=None, dns=None),
    ),
    "bootloader_update": ({"device": CAM}, BootloaderUpdate(device=CAM, confirm=False)),
    "watch": (
        {"path": "/p", "devices": [CAM]},
        Watch(path="/p", devices=[CAM], entry="pipeline.py", compress=True),
    ),
    "unwatch": ({"path": "/p"}, Unwatch(path="/p")),
    "projects": ({}, ListProjects()),
    "builds": ({"project": "/p"}, Builds(project="/p")),
    "rollback": ({"device": "C"}, Rollback(device="C")),
    "logs": ({"device": "C", "since": 5, "limit": 9}, Logs(device="C", since=5.0, limit=9)),
}


def parse(params: Any = None, type_: Any = "hello", req_id: Any = 1, **extra: Any) -> Any:
    """parse_request on a frame built from its parts (params omitted when None)."""
    message: dict[str, Any] = {"id": req_id, "type": type_, **extra}
    if params is not None:
        message["params"] = params
    return parse_request(message)


def refused(message: dict[str, Any]) -> ProtocolError:
    """The error parse_request raises for `message`."""
    with pytest.raises(ProtocolError) as info:
        parse_request(message)
    return info.value


# -- good requests


def test_every_request_type_is_covered_here() -> None:
    assert set(REQUESTS) == set(GOOD), "a request type was added or removed: update GOOD"


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_a_good_request_parses_to_its_dataclass_with_defaults(kind: str) -> None:
    params, expected = GOOD[kind]
    envelope = parse(params, kind, req_id=7)
    assert envelope.id == 7
    assert type(envelope.body) is type(expected) and envelope.body == expected
    assert kind == envelope.body.TYPE


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_what_a_client_sends_is_what_the_daemon_reads(kind: str) -> None:
    body = GOOD[kind][1]
    frame = encode(make_request("c-1", body))
    assert frame.endswith(b"\n") and frame.count(b"\n") == 1
    envelope = parse_request(decode(frame))
    assert (envelope.id, envelope.body) == ("c-1", body)


def test_requests_without_params_take_their_defaults() -> None:
    assert parse(None, "jobs").body == ListJobs(limit=100)
    assert parse(None, "status").body == Status()


def test_given_values_replace_the_defaults() -> None:
    body = parse({"devices": [CAM, "door"], "project": "/p", "force": True, "full": True}, "flash")
    assert body.body == Flash(devices=[CAM, "door"], project="/p", force=True, full=True)
    assert parse({"topics": ["job"]}, "subscribe").body == Subscribe(topics=["job"])
    assert parse({"limit": 5}, "jobs").body == ListJobs(limit=5)
    static = {"device": CAM, "confirm": True, "static": "10.0.0.2/24", "gateway": "10.0.0.1"}
    assert parse(static, "network_config").body == NetworkConfig(
        device=CAM, confirm=True, static="10.0.0.2/24", gateway="10.0.0.1"
    )


def test_an_optional_text_may_be_null() -> None:
    body = parse({"devices": [CAM], "package": "/a.dap", "project": None}, "flash").body
    assert isinstance(body, Flash) and body.project is None


@pytest.mark.parametrize("req_id", [0, -1, INT_LIMIT - 1, -INT_LIMIT, "", "a-string id"])
def test_a_number_or_a_string_is_an_id(req_id: int | str) -> None:
    assert parse({}, "status", req_id=req_id).id == req_id
    assert valid_id(req_id) == req_id


# -- the request's type


def test_an_unknown_type_is_unknown_request_and_lists_the_known_ones() -> None:
    error = refused({"id": 1, "type": "reboot"})
    assert error.code is ErrorCode.UNKNOWN_REQUEST
    assert "'reboot'" in error.message
    assert "hello" in error.message and "factory_reset" in error.message


@pytest.mark.parametrize("type_", [None, 3, ["hello"], {"name": "hello"}])
def test_a_missing_or_non_text_type_is_a_bad_frame(type_: Any) -> None:
    message: dict[str, Any] = {"id": 1} if type_ is None else {"id": 1, "type": type_}
    error = refused(message)
    assert error.code is ErrorCode.BAD_FRAME and '"type"' in error.message


# -- the id


@pytest.mark.parametrize("req_id", [None, True, False, 1.5, 1.0, [1], {"n": 1}])
def test_an_id_of_the_wrong_kind_is_a_bad_frame_and_is_not_echoed(req_id: Any) -> None:
    message: dict[str, Any] = {"type": "status"}
    if req_id is not None:
        message["id"] = req_id
    error = refused(message)
    assert error.code is ErrorCode.BAD_FRAME and '"id"' in error.message
    assert valid_id(req_id) is None


@pytest.mark.parametrize(
    ("req_id", "words"),
    [
        (INT_LIMIT, "whole number"),
        (-INT_LIMIT - 1, "whole number"),
        (10**30, "whole number"),
        ("a\x00b", "NUL"),
        ("\ud800", "surrogate"),
        ("x" * (TEXT_LIMIT + 1), "characters"),
    ],
)
def test_an_id_no_response_could_carry_is_a_bad_frame(req_id: int | str, words: str) -> None:
    error = refused({"id": req_id, "type": "status"})
    assert error.code is ErrorCode.BAD_FRAME
    assert "id" in error.message and words in error.message
    assert valid_id(req_id) is None  # the error response goes out with a null id


# -- the params


@pytest.mark.parametrize("params", [[], "x", 3, True])
def test_params_that_are_not_an_object_are_bad_params(params: Any) -> None:
    error = refused({"id": 1, "type": "status", "params": params})
    assert error.code is ErrorCode.BAD_PARAMS and '"params"' in error.message


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        ("hello", {}, "params.protocol"),
        ("hello", {"client": "x"}, "params.protocol"),
        ("inspect", {}, "params.device"),
        ("flash", {"package": "/a.dap"}, "params.devices"),
        ("cancel", {}, "params.job"),
        ("factory_reset", {"confirm": True}, "params.device"),
        ("watch", {"devices": [CAM]}, "params.path"),
        ("unwatch", {}, "params.path"),
    ],
)
def test_a_missing_field_is_bad_params_naming_it(
    kind: str, params: dict[str, Any], field: str
) -> None:
    error = refused({"id": 1, "type": kind, "params": params})
    assert error.code is ErrorCode.BAD_PARAMS
    assert f"{field}: is required" in error.message
    assert repr(kind) in error.message


@pytest.mark.parametrize(
    ("kind", "params", "field", "expected"),
    [
        ("hello", {"protocol": "1"}, "params.protocol", "a whole number"),
        ("hello", {"protocol": 1.0}, "params.protocol", "a whole number"),
        ("hello", {"protocol": True}, "params.protocol", "a whole number"),
        ("hello", {"protocol": 1, "client": 2}, "params.client", "a string"),
        ("cancel", {"job": "3"}, "params.job", "a whole number"),
        ("cancel", {"job": None}, "params.job", "a whole number"),
        ("jobs", {"limit": [5]}, "params.limit", "a whole number"),
        ("inspect", {"device": CAM, "yes": "yes"}, "params.yes", "true or false"),
        ("inspect", {"device": None}, "params.device", "a string"),
        ("factory_reset", {"device": CAM, "confirm": 1}, "params.confirm", "true or false"),
        ("flash", {"devices": CAM}, "params.devices", "a list of strings"),
        ("flash", {"devices": [CAM, 7]}, "params.devices[1]", "a string"),
        ("flash", {"devices": [CAM], "package": 5}, "params.package", "a string"),
        ("subscribe", {"topics": "job"}, "params.topics", "a list of strings"),
        ("network_config", {"device": CAM, "dhcp": "on"}, "params.dhcp", "true or false"),
        ("watch", {"path": "/p", "devices": [CAM], "compress": 0}, "params.compress", "true"),
    ],
)
def test_a_wrongly_typed_field_is_bad_params_naming_it_and_its_type(
    kind: str, params: dict[str, Any], field: str, expected: str
) -> None:
    error = refused({"id": 1, "type": kind, "params": params})
    assert error.code is ErrorCode.BAD_PARAMS
    assert f"{field}: expected {expected}" in error.message


def test_an_unknown_field_is_bad_params_with_a_suggestion() -> None:
    error = refused({"id": 1, "type": "inspect", "params": {"device": CAM, "yess": True}})
    assert error.code is ErrorCode.BAD_PARAMS
    assert "params.yess: unknown key (did you mean 'yes'?)" in error.message
    assert "known keys: device, yes" in error.message


def test_the_wire_name_is_not_a_field() -> None:
    error = refused({"id": 1, "type": "status", "params": {"TYPE": "hello"}})
    assert error.code is ErrorCode.BAD_PARAMS and "params.TYPE: unknown key" in error.message


@pytest.mark.parametrize(
    ("kind", "params", "field", "words"),
    [
        ("jobs", {"limit": INT_LIMIT}, "params.limit", "2^63"),
        ("cancel", {"job": -INT_LIMIT - 1}, "params.job", "2^63"),
        ("cancel", {"job": 10**40}, "params.job", "2^63"),
        ("inspect", {"device": "18443\x00"}, "params.device", "NUL"),
        ("inspect", {"device": "\udcff"}, "params.device", "surrogate"),
        ("unwatch", {"path": "/" + "p" * TEXT_LIMIT}, "params.path", "characters"),
        ("flash", {"devices": ["ok", "b\x00d"]}, "params.devices[1]", "NUL"),
        ("flash", {"devices": [CAM], "package": "/a\x00.dap"}, "params.package", "NUL"),
        ("hello", {"protocol": 1, "client": "\ud83d"}, "params.client", "surrogate"),
    ],
)
def test_values_no_field_can_use_are_bad_params_naming_the_field(
    kind: str, params: dict[str, Any], field: str, words: str
) -> None:
    error = refused({"id": 1, "type": kind, "params": params})
    assert error.code is ErrorCode.BAD_PARAMS
    assert field in error.message and words in error.message


def test_the_largest_whole_numbers_still_parse() -> None:
    assert parse({"job": INT_LIMIT - 1}, "cancel").body == Cancel(job=INT_LIMIT - 1)
    assert parse({"job": -INT_LIMIT}, "cancel").body == Cancel(job=-INT_LIMIT)


# -- from bytes on the socket


def test_a_frame_decodes_to_its_object() -> None:
    assert decode(b'{"id": 1, "type": "status"}\n') == {"id": 1, "type": "status"}


@pytest.mark.parametrize(
    "line",
    [
        b"",
        b"\n",
        b"hello\n",
        b'{"id": 1, "type": "status"\n',
        b'{"id": 1}{"id": 2}\n',
        b'{"id": 1, "type": "\xff\xfe"}\n',  # not UTF-8
        b'{"id": ' + b"9" * 5000 + b', "type": "status"}\n',  # too many digits to read
        b"[" * 100_000 + b"]" * 100_000 + b"\n",  # nests too deeply
    ],
)
def test_bytes_that_are_not_one_json_value_are_a_bad_frame(line: bytes) -> None:
    with pytest.raises(ProtocolError) as info:
        decode(line)
    assert info.value.code is ErrorCode.BAD_FRAME
    assert "JSON" in info.value.message or "nests" in info.value.message


@pytest.mark.parametrize("line", [b"[]\n", b'"status"\n', b"1\n", b"null\n", b"true\n"])
def test_json_that_is_not_an_object_is_a_bad_frame(line: bytes) -> None:
    with pytest.raises(ProtocolError) as info:
        decode(line)
    assert info.value.code is ErrorCode.BAD_FRAME and "JSON object" in info.value.message


def test_a_frame_over_the_limit_is_too_large_and_says_the_limit() -> None:
    padding = b" " * (MAX_FRAME - len(b'{"id":1}\n'))
    assert decode(b'{"id":1}' + padding + b"\n") == {"id": 1}  # exactly at the limit
    with pytest.raises(ProtocolError) as info:
        decode(b'{"id":1} ' + padding + b"\n")
    assert info.value.code is ErrorCode.FRAME_TOO_LARGE
    assert str(MAX_FRAME) in info.value.message


@pytest.mark.parametrize(
    ("line", "field", "code"),
    [
        # An escaped lone surrogate is valid JSON, but no UTF-8 text.
        (b'{"id":1,"type":"inspect","params":{"device":"\\ud800"}}', "params.device", "params"),
        (b'{"id":"\\udfff","type":"status"}', "id", "frame"),
        (b'{"id":1,"type":"inspect","params":{"device":"a\\u0000b"}}', "params.device", "params"),
        (b'{"id":1,"type":"jobs","params":{"limit":NaN}}', "params.limit", "params"),
        (b'{"id":1,"type":"jobs","params":{"limit":Infinity}}', "params.limit", "params"),
        (b'{"id":1,"type":"jobs","params":{"limit":1e400}}', "params.limit", "params"),
        (
            b'{"id":1,"type":"jobs","params":{"limit":99999999999999999999}}',
            "params.limit",
            "params",
        ),
        (b'{"id":99999999999999999999,"type":"status"}', "id", "frame"),
    ],
)
def test_hostile_values_from_the_socket_are_refused_with_the_field_named(
    line: bytes, field: str, code: str
) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_request(decode(line))
    assert info.value.code is (ErrorCode.BAD_PARAMS if code == "params" else ErrorCode.BAD_FRAME)
    assert field in info.value.message


def test_a_refusal_reaches_the_client_with_its_code_and_message() -> None:
    error = refused({"id": 1, "type": "cancel", "params": {"job": "3"}})
    assert isinstance(error, OakdError)
    response = json.loads(encode(failure(1, error)))
    assert response["id"] == 1 and response["ok"] is False
    assert response["error"]["code"] == "bad_params"
    assert "params.job" in response["error"]["message"]


def test_a_message_holding_a_lone_surrogate_can_still_be_sent() -> None:
    # The error words may quote what the client sent; the frame must stay sendable.
    error = refused({"id": 1, "type": "inspect", "params": {"device": CAM, "\ud800": 1}})
    frame = encode(failure(None, error))
    assert frame.isascii() and json.loads(frame)["error"]["code"] == "bad_params"


def test_a_confirmation_message_gives_back_what_would_be_lost() -> None:
    message = needs_confirmation("this reset on camera C erases it all")
    assert message.endswith("send it again with confirm: true")
    assert confirmation_subject(message) == "this reset on camera C erases it all"
    assert confirmation_subject(needs_confirmation("x. y", "yes")) == "x. y"
    assert confirmation_subject("something else. entirely") == "something else. entirely"
