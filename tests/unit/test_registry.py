"""The device registry: scans in, added/changed/offline out, keyed by MX ID."""

from __future__ import annotations

import pytest

from oakd.core.devices import DeviceState
from oakd.core.registry import ChangeKind, DeviceRegistry, Sighting
from oakd.errors import ErrorCode, OakdError

A = "18443010C1D2E3F400"
B = "18443010C1D2E3F401"
BL, FB = DeviceState.BOOTLOADER, DeviceState.FLASH_BOOTED


def kinds(changes) -> list[tuple[str, str]]:
    return [(c.kind.value, c.device.id) for c in changes]


def test_new_cameras_are_added_then_only_changes_are_reported() -> None:
    reg = DeviceRegistry()
    assert kinds(reg.apply_scan([Sighting(A, "127.0.0.2", BL)], 1.0)) == [("added", A)]
    assert reg.apply_scan([Sighting(A, "127.0.0.2", BL)], 2.0) == []
    assert reg.devices[A].last_seen == 2.0
    (change,) = reg.apply_scan([Sighting(A, "127.0.0.2", FB)], 3.0)
    assert change.kind is ChangeKind.CHANGED and change.device.state is FB
    assert reg.devices[A].first_seen == 1.0


def test_offline_only_after_two_missed_scans() -> None:
    reg = DeviceRegistry()
    reg.apply_scan([Sighting(A, "127.0.0.2", BL)], 1.0)
    assert reg.apply_scan([], 2.0) == []
    assert reg.devices[A].online
    assert kinds(reg.apply_scan([], 3.0)) == [("offline", A)]
    assert not reg.devices[A].online
    assert reg.apply_scan([], 4.0) == []  # said once
    assert kinds(reg.apply_scan([Sighting(A, "127.0.0.2", BL)], 5.0)) == [("changed", A)]


def test_one_miss_is_forgiven_when_the_camera_answers_again() -> None:
    reg = DeviceRegistry()
    reg.apply_scan([Sighting(A, "127.0.0.2", BL)], 1.0)
    reg.apply_scan([], 2.0)
    reg.apply_scan([Sighting(A, "127.0.0.2", BL)], 3.0)
    assert reg.apply_scan([], 4.0) == []  # the count started again


def test_one_camera_seen_on_two_interfaces_is_one_camera() -> None:
    reg = DeviceRegistry()
    changes = reg.apply_scan([Sighting(A, "192.168.1.5", BL), Sighting(A, "10.0.0.5", BL)], 1.0)
    assert kinds(changes) == [("added", A)]
    assert reg.apply_scan([Sighting(A, "10.0.0.5", BL), Sighting(A, "192.168.1.5", BL)], 2.0) == []
    assert reg.devices[A].address == "192.168.1.5"  # the address it had stays: no flapping


def test_resolve_by_id_prefix_address_and_alias() -> None:
    reg = DeviceRegistry(aliases={A: "door"})
    reg.apply_scan([Sighting(A, "127.0.0.2", BL), Sighting(B, "127.0.0.3", BL)], 1.0)
    assert reg.resolve(A).id == A
    assert reg.resolve("door").id == A
    assert reg.resolve("127.0.0.3").id == B
    assert reg.resolve("18443010c1d2e3f401").id == B  # case does not matter for a prefix
    with pytest.raises(OakdError) as info:
        reg.resolve("1844")
    assert info.value.code is ErrorCode.AMBIGUOUS and A in info.value.message
    with pytest.raises(OakdError) as info:
        reg.resolve("garage")
    assert info.value.code is ErrorCode.NOT_FOUND and "oakd devices" in info.value.message


def test_a_camera_flashed_by_someone_else_is_no_longer_assumed_to_run_our_app() -> None:
    reg = DeviceRegistry()
    reg.apply_scan([Sighting(A, "127.0.0.2", FB)], 1.0)
    reg.devices[A].flashed_hash, reg.devices[A].flashed_app = "0123456789ab", "app@0123456789ab"
    # While oakd itself works on it, its bootloader state is oakd's doing.
    reg.apply_scan([Sighting(A, "127.0.0.2", BL)], 2.0, busy=lambda mxid: True)
    assert reg.devices[A].flashed_hash == "0123456789ab"
    # Otherwise somebody else connected to it (and may have flashed it).
    (change,) = reg.apply_scan([Sighting(A, "127.0.0.2", BL)], 3.0, busy=lambda mxid: False)
    assert change.device.flashed_hash is None and change.device.flashed_app is None
    # A power cycle (offline, then running its app again) does not forget it.
    reg.devices[A].flashed_hash = "0123456789ab"
    reg.apply_scan([Sighting(A, "127.0.0.2", FB)], 4.0)
    reg.apply_scan([], 5.0)
    reg.apply_scan([], 6.0)
    reg.apply_scan([Sighting(A, "127.0.0.2", FB)], 7.0)
    assert reg.devices[A].flashed_hash == "0123456789ab"
