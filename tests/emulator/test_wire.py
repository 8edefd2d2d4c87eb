"""Wire formats against the protocol notes: XLink header, discovery, bootloader structs."""

from __future__ import annotations

import struct

import pytest

from oakd.emulator import bootloader as bl
from oakd.emulator import discovery, xlink
from oakd.emulator.sbr import ApplicationInfo

# A PING_REQ captured from depthai 2.33 (protocol notes §2.2).
CAPTURED_PING = bytes.fromhex(
    "0b000000" + "05000000" + "00" * 52 + "a87b372f" + "95010000" + "00000000"
    "00000000" + "00000000" + "01000000"
)


def test_captured_ping_parses() -> None:
    event = xlink.unpack_event(CAPTURED_PING)
    assert (event.id, event.type, event.stream_name) == (11, xlink.EventType.PING_REQ, "")
    assert (event.stream_id, event.size, event.flags) == (0, 0, xlink.FLAG_ACK)


def test_header_is_84_bytes_and_round_trips() -> None:
    event = xlink.Event(12, xlink.EventType.CREATE_STREAM_REQ, "__bootloader", 0, 5 << 20, 1)
    raw = xlink.pack_event(event, now_ns=1_500_000_000)
    assert len(raw) == 84
    assert raw[8:20] == b"__bootloader" and raw[20:60] == bytes(40)
    assert struct.unpack_from("<III", raw, 60) == (500_000_000, 1, 0)
    assert xlink.unpack_event(raw) == event


def test_response_is_request_plus_8_with_ack() -> None:
    request = xlink.Event(42, xlink.EventType.WRITE_REQ, "", 3, 16, 1)
    response = xlink.response_to(request)
    assert response == xlink.Event(42, xlink.EventType.WRITE_RESP, "", 3, 16, xlink.FLAG_ACK)


def test_discovery_reply_matches_the_captured_example() -> None:
    expected = bytes.fromhex(
        "01000000" + "313834343330313043314432453346343030000000000000000000000000000003000000"
    )
    assert discovery.pack_reply("18443010C1D2E3F400", 3) == expected
    assert discovery.parse_reply(expected) == ("18443010C1D2E3F400", 3)
    assert discovery.parse_command(b"\x01\x00\x00\x00") == discovery.CMD_DISCOVER
    assert discovery.parse_command(b"\x03\x00") is None


@pytest.mark.parametrize(
    ("layout", "size"),
    [
        (bl.FLASH_COMPLETE, 72),
        (bl.FLASH_STATUS_UPDATE, 8),
        (bl.BOOTLOADER_VERSION, 16),
        (bl.BOOTLOADER_TYPE, 8),
        (bl.GET_CONFIG_RESP, 80),
        (bl.BOOTLOADER_MEMORY, 8),
        (bl.BOOT_APPLICATION, 72),
        (bl.BOOTLOADER_COMMIT, 68),
        (bl.READ_FLASH_RESP, 80),
        (bl.APPLICATION_DETAILS, 4436),
        (bl.MEMORY_DETAILS, 536),
        (bl.IS_USER_BOOTLOADER, 8),
        (bl.NO_OP, 8),
        (bl.UPDATE_FLASH, 16),
        (bl.BOOT_MEMORY, 12),
        (bl.UPDATE_FLASH_EX, 20),
        (bl.UPDATE_FLASH_EX_2, 20),
        (bl.SET_CONFIG, 32),
        (bl.GET_CONFIG, 24),
        (bl.READ_FLASH_REQ, 16),
        (bl.MEMORY_REQ, 8),
    ],
)
def test_struct_sizes_match_the_host_layout(layout: struct.Struct, size: int) -> None:
    assert layout.size == size


def test_set_config_request_fields_sit_at_host_offsets() -> None:
    # memory -1 at 4, offset -1 (i64) at 8, clear at 16, totalSize at 20, numPackets at 24.
    raw = struct.pack("<Ii", 9, -1) + struct.pack("<q", -1) + struct.pack("<III", 0, 77, 1)
    raw += b"\xaa" * 4  # padding with garbage, as observed
    assert bl.SET_CONFIG.unpack(raw) == (9, -1, -1, 0, 77, 1)


def test_flash_complete_truncates_its_message_to_63_bytes() -> None:
    raw = bl.flash_complete(False, "x" * 100)
    command, success, message = bl.FLASH_COMPLETE.unpack(raw)
    assert (command, success) == (bl.Response.FLASH_COMPLETE, 0)
    assert message == b"x" * 63 + b"\0"


def test_memory_details_layout() -> None:
    raw = bl.memory_details(True, 0, 32 * 1024 * 1024, "NOR")
    assert struct.unpack_from("<IIi", raw) == (bl.Response.MEMORY_DETAILS, 1, 0)
    assert struct.unpack_from("<q", raw, 16) == (32 * 1024 * 1024,)
    assert raw[24:28] == b"NOR\0"


def test_application_details_layout() -> None:
    raw = bl.application_details(ApplicationInfo("6632d3a2", "my-app"))
    assert struct.unpack_from("<II", raw) == (bl.Response.APPLICATION_DETAILS, 1)
    assert struct.unpack_from("<III", raw, 72) == (1, 1, 1)
    assert raw[84:93] == b"6632d3a2\0"
    assert raw[340:347] == b"my-app\0"
    none = bl.application_details(None)
    assert struct.unpack_from("<IIII", none, 68) == (0, 0, 0, 0)


def test_version_packing() -> None:
    assert bl.BOOTLOADER_VERSION.unpack(bl.bootloader_version("0.0.28")) == (2, 0, 0, 28)
    assert bl.parse_version("1.2.3") == (1, 2, 3)
