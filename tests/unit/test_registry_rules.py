"""The device registry's finer rules (oakd.core.registry), beyond tests/unit/test_registry.py:
which way of naming a camera wins, aliases after a reload, cameras known from the store, and
that what a scan reports is a snapshot."""

from __future__ import annotations

import pytest

from oakd.core.devices import Device, DeviceState
from oakd.core.registry import MISSED_SCANS_OFFLINE, Change, ChangeKind, DeviceRegistry, Sighting
from oakd.errors import ErrorCode, OakdError

A = "18443010C1D2E3F400"
B = "18443010C1D2E3F401"
C = "14442C10D1AB2CD300"
BL, FB, BOOTED, OFF = (
    DeviceState.BOOTLOADER,
    DeviceState.FLASH_BOOTED,
    DeviceState.BOOTED,
    DeviceState.OFFLINE,
)


def kinds(changes: list[Change]) -> list[tuple[str, str]]:
    return [(c.kind.value, c.device.id) for c in changes]


def registry(aliases: dict[str, str] | None = None) -> DeviceRegistry:
    """Cameras A and B (one prefix apart) and C, all in their bootloader."""
    reg = DeviceRegistry(aliases=aliases)
    reg.apply_scan(
        [Sighting(A, "10.0.0.2", BL), Sighting(B, "10.0.0.3", BL), Sighting(C, "10.0.0.4", FB)],
        1.0,
    )
    return reg


def refusal(reg: DeviceRegistry, ref: str) -> OakdError:
    with pytest.raises(OakdError) as info:
        reg.resolve(ref)
    return info.value


# -- naming a camera


def test_a_unique_prefix_names_one_camera_in_any_case() -> None:
    reg = registry()
    assert reg.resolve("1444").id == C
    assert reg.resolve("14442c").id == C
    assert reg.resolve("18443010C1D2E3F401").id == B


def test_an_ambiguous_prefix_names_every_match_and_no_other() -> None:
    error = refusal(registry(), "18443010")
    assert error.code is ErrorCode.AMBIGUOUS
    assert A in error.message and B in error.message and C not in error.message
    assert "give more of the MX ID" in error.message


def test_an_unknown_camera_is_not_found_and_the_known_ones_are_listed() -> None:
    error = refusal(registry(), "garage")
    assert error.code is ErrorCode.NOT_FOUND
    assert "'garage'" in error.message and all(m in error.message for m in (A, B, C))
    empty = refusal(DeviceRegistry(), A)
    assert empty.code is ErrorCode.NOT_FOUND and "none yet" in empty.message


def test_a_full_mx_id_wins_over_an_alias_that_spells_it() -> None:
    reg = registry(aliases={A: B})  # a confusing alias: B's MX ID given to A
    assert reg.resolve(B).id == B
    assert reg.resolve(A).id == A


def test_an_alias_wins_over_a_prefix() -> None:
    reg = registry(aliases={C: "1844"})  # "1844" is also A's and B's prefix
    assert reg.resolve("1844").id == C


def test_an_alias_is_matched_exactly() -> None:
    reg = registry(aliases={A: "Door"})
    assert reg.resolve("Door").id == A
    assert refusal(reg, "door").code is ErrorCode.NOT_FOUND
    assert refusal(reg, "Doo").code is ErrorCode.NOT_FOUND  # no prefix of an alias


def test_one_alias_on_two_cameras_is_ambiguous() -> None:
    error = refusal(registry(aliases={A: "lab", C: "lab"}), "lab")
    assert error.code is ErrorCode.AMBIGUOUS and A in error.message and C in error.message


def test_an_address_names_its_camera() -> None:
    reg = registry()
    assert reg.resolve("10.0.0.4").id == C
    assert refusal(reg, "10.0.0.9").code is ErrorCode.NOT_FOUND
    assert refusal(reg, "10.0.0").code is ErrorCode.NOT_FOUND  # no prefix of an address


def test_an_empty_name_names_no_camera() -> None:
    # It is a prefix of every MX ID: `oakd factory-reset "$CAM" --yes` with CAM unset must not
    # reset the only camera there is.
    reg = DeviceRegistry()
    reg.apply_scan([Sighting(A, "10.0.0.2", BL)], 1.0)
    assert refusal(reg, "").code is ErrorCode.NOT_FOUND


# -- aliases


def test_aliases_apply_to_cameras_known_and_seen_later() -> None:
    stored = Device(A, "10.0.0.2", OFF, 1.0, 1.0)
    reg = DeviceRegistry([stored], aliases={A: "door", B: "yard"})
    assert reg.devices[A].alias == "door"
    (added,) = reg.apply_scan([Sighting(B, "10.0.0.3", BL)], 2.0)
    assert added.device.alias == "yard" and reg.resolve("yard").id == B


def test_a_reload_replaces_the_aliases() -> None:
    reg = registry(aliases={A: "door"})
    reg.set_aliases({B: "door", C: "yard"})
    assert reg.resolve("door").id == B and reg.resolve("yard").id == C
    assert reg.devices[A].alias is None
    reg.set_aliases({})
    assert refusal(reg, "door").code is ErrorCode.NOT_FOUND
    assert {d.alias for d in reg.devices.values()} == {None}


# -- scans


def test_cameras_from_the_store_go_offline_when_they_never_answer() -> None:
    reg = DeviceRegistry([Device(A, "10.0.0.2", FB, 1.0, 1.0), Device(B, "10.0.0.3", OFF, 1, 1)])
    for _ in range(MISSED_SCANS_OFFLINE - 1):
        assert reg.apply_scan([], 2.0) == []
    assert kinds(reg.apply_scan([], 3.0)) == [("offline", A)]  # B was offline already: silent
    assert reg.devices[A].address == "10.0.0.2"  # an offline camera keeps its last address
    assert reg.resolve("10.0.0.2").id == A


def test_a_camera_that_moves_is_changed_and_found_at_its_new_address() -> None:
    reg = registry()
    (change,) = reg.apply_scan(
        [Sighting(A, "10.0.0.20", BL), Sighting(B, "10.0.0.3", BL), Sighting(C, "10.0.0.4", FB)],
        2.0,
    )
    assert change.kind is ChangeKind.CHANGED and change.device.address == "10.0.0.20"
    assert reg.resolve("10.0.0.20").id == A
    assert refusal(reg, "10.0.0.2").code is ErrorCode.NOT_FOUND


def test_one_scan_reports_arrivals_changes_and_departures_together() -> None:
    reg = DeviceRegistry()
    reg.apply_scan([Sighting(A, "10.0.0.2", BL), Sighting(B, "10.0.0.3", BL)], 1.0)
    reg.apply_scan([Sighting(A, "10.0.0.2", BL)], 2.0)
    changes = reg.apply_scan([Sighting(A, "10.0.0.2", FB), Sighting(C, "10.0.0.4", BL)], 3.0)
    assert sorted(kinds(changes)) == [("added", C), ("changed", A), ("offline", B)]
    assert reg.devices[B].last_seen == 1.0  # offline is not a sighting


def test_the_known_address_wins_whichever_interface_answers_first() -> None:
    reg = DeviceRegistry()
    reg.apply_scan([Sighting(A, "192.168.1.5", BL)], 1.0)
    assert reg.apply_scan([Sighting(A, "10.0.0.5", BL), Sighting(A, "192.168.1.5", BL)], 2.0) == []
    assert reg.devices[A].address == "192.168.1.5"


def test_a_camera_held_by_another_host_is_no_longer_assumed_to_run_our_app() -> None:
    reg = registry()
    reg.devices[C].flashed_hash, reg.devices[C].flashed_app = "0123456789ab", "app@0123456789ab"
    reg.devices[C].flashed_package = "/cache/0123456789ab.dap"
    sightings = [Sighting(A, "10.0.0.2", BL), Sighting(B, "10.0.0.3", BL)]
    (change,) = reg.apply_scan([*sightings, Sighting(C, "10.0.0.4", BOOTED)], 2.0)
    assert change.kind is ChangeKind.CHANGED and change.device.state is BOOTED
    assert change.device.flashed_hash is None and change.device.flashed_app is None
    # The delta's base is a hint checked against the camera's header: it is kept.
    assert change.device.flashed_package == "/cache/0123456789ab.dap"


def test_a_forgotten_app_is_reported_even_when_nothing_else_changed() -> None:
    reg = registry()
    reg.devices[A].flashed_hash = "0123456789ab"  # A answers from its bootloader, as before
    scan = [Sighting(A, "10.0.0.2", BL), Sighting(B, "10.0.0.3", BL), Sighting(C, "10.0.0.4", FB)]
    assert kinds(reg.apply_scan(scan, 2.0)) == [("changed", A)]
    assert reg.apply_scan(scan, 3.0) == []  # said once


def test_what_a_scan_reports_is_a_snapshot() -> None:
    reg = DeviceRegistry()
    (added,) = reg.apply_scan([Sighting(A, "10.0.0.2", BL)], 1.0)
    (changed,) = reg.apply_scan([Sighting(A, "10.0.0.2", FB)], 2.0)
    reg.apply_scan([], 3.0)
    reg.apply_scan([], 4.0)
    # Events already published keep the state they announced.
    assert (added.device.state, added.device.last_seen) == (BL, 1.0)
    assert (changed.device.state, changed.device.last_seen) == (FB, 2.0)
    assert reg.devices[A].state is OFF
