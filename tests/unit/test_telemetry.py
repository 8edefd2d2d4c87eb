"""The pure parts of telemetry: the datagram format, app health, and the libnop reader that
finds a package's Scripts."""

from __future__ import annotations

import pytest

from oakd.core import nop
from oakd.core import telemetry as wire
from oakd.core.telemetry import CRASH_AT_BOOT_S, Health, HealthState, TelemetryError

APP = "blink@0123456789ab"


def test_a_datagram_reads_back() -> None:
    data = wire.encode(7, "log", APP, "warn", "greeter", "tab\tand more")
    assert wire.parse(data) == wire.Datagram(7, "log", APP, "warn", "greeter", "tab\tand more")
    assert wire.parse(wire.encode(1, "boot", APP)) == wire.Datagram(1, "boot", APP)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"x" * (wire.MAX_DATAGRAM + 1), "oversized"),
        (b"\xff\xfe", "malformed"),
        (b"", "malformed"),
        (b"oakd2 1 boot " + APP.encode(), "malformed"),
        (b"oakd1 one boot " + APP.encode(), "malformed"),
        (b"oakd1 1 dance " + APP.encode(), "malformed"),
        (b"oakd1 1 boot a b", "malformed"),
        (b"oakd1 1 boot bad/name", "malformed"),
        (b"oakd1 1 log " + APP.encode() + b"\nshout\tsrc\ttext", "malformed"),
        (b"oakd1 99999999999999 beat " + APP.encode(), "malformed"),
    ],
)
def test_what_is_not_a_datagram_says_why(data: bytes, reason: str) -> None:
    with pytest.raises(TelemetryError) as caught:
        wire.parse(data)
    assert caught.value.reason == reason


def heard(health: Health, seq: int, kind: str, now: float, app: str = APP) -> bool:
    return health.heard(wire.Datagram(seq, kind, app, "critical" if kind == "crash" else ""), now)


def test_health_from_flash_to_alive_to_silent() -> None:
    health = Health()
    health.flashed(APP, 100.0)
    assert health.state is HealthState.FLASHED
    assert heard(health, 1, "boot", 101.0) and health.state is HealthState.BOOTED
    assert heard(health, 2, "beat", 103.0) and health.state is HealthState.ALIVE
    assert not health.tick(108.0, boot_timeout_s=30, heartbeat_s=2.0)  # 5 s: 2.5 beats
    assert health.tick(110.0, boot_timeout_s=30, heartbeat_s=2.0)
    assert health.state is HealthState.SILENT
    assert heard(health, 3, "beat", 111.0) and health.state is HealthState.ALIVE
    assert heard(health, 6, "beat", 113.0) is False and health.lost == 2  # 4 and 5 never came


def test_no_boot_report_in_time() -> None:
    health = Health()
    health.flashed(APP, 100.0)
    assert not health.tick(120.0, boot_timeout_s=30)
    assert health.tick(131.0, boot_timeout_s=30) and health.state is HealthState.NO_REPORT


def test_a_crash_at_boot_and_repeated_boots_are_a_crash_loop() -> None:
    health = Health()
    health.flashed(APP, 0.0)
    heard(health, 1, "boot", 1.0)
    assert heard(health, 2, "crash", 1.0 + CRASH_AT_BOOT_S - 1)
    assert health.state is HealthState.CRASH_LOOP
    other = Health()
    for boot in (1.0, 5.0, 9.0):  # three boots within a minute, no traceback (a watchdog)
        heard(other, 1, "boot", boot)
    assert other.state is HealthState.CRASH_LOOP
    heard(other, 2, "beat", 80.0)  # a minute without a boot, and it lives: over
    assert other.state is HealthState.ALIVE


def test_a_lost_boot_datagram_is_seen_in_the_numbering() -> None:
    health = Health()
    heard(health, 1, "boot", 1.0)
    heard(health, 5, "beat", 9.0)
    heard(health, 2, "beat", 20.0)  # a lower number: the camera rebooted, its boot lost
    assert health.last_boot == 20.0 and health.lost == 3


def test_nop_reads_what_depthai_writes_and_refuses_the_rest() -> None:
    # {"/node/0/__script": [0, 19, 64]} inside a one-field structure, as in `assets`.
    assets = b"\xb9\x01\xbb\x01\xbd\x10/node/0/__script\xb9\x03\x00\x13@"
    assert nop.decode(assets) == [{"/node/0/__script": [0, 19, 64]}]
    assert nop.decode(b"\x89" + b"\x00\x00\x00\x80\x93\xdc\xc4A") == 700_000_000.0
    assert nop.decode(b"\xff") == -1 and nop.decode(b"\x81\x00H") == 18432
    for bad in (b"", b"\xbd\x7f", b"\xba\x82\xff\xff\xff\x7f", b"\xb5", b"\x00\x00"):
        with pytest.raises(nop.NopError):
            nop.decode(bad)
    with pytest.raises(nop.NopError, match="nest"):
        nop.decode(b"\xba\x01" * (nop.MAX_DEPTH + 2) + b"\x00")


def test_what_came_between_the_boot_report_and_the_flashs_end_stands() -> None:
    health = Health()
    heard(health, 1, "boot", 10.0)  # the new app's boot, before the write's result came back
    heard(health, 2, "crash", 11.0)
    assert health.state is HealthState.CRASH_LOOP
    health.flashed(APP, 12.0, booted=True)
    assert health.state is HealthState.CRASH_LOOP and health.expected == APP
    assert health.last_crash is not None


def test_another_app_starts_with_a_clean_record() -> None:
    health = Health()
    heard(health, 1, "boot", 1.0)
    heard(health, 2, "crash", 2.0)
    assert health.state is HealthState.CRASH_LOOP
    heard(health, 1, "boot", 5.0, app="blink@ba9876543210")  # the fix, flashed
    assert health.state is HealthState.BOOTED and health.last_crash is None
