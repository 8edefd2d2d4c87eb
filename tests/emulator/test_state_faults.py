"""The boot state machine, fault specs, MX IDs and addresses (no network)."""

from __future__ import annotations

import pytest

from oakd.emulator.faults import Faults, apply_spec
from oakd.emulator.fleet import addresses, mxid_for_index
from oakd.emulator.process import fault_specs
from oakd.emulator.state import BootMachine, BootSource, CameraState, FlashFacts, Running, boot

PLAIN = FlashFacts(bootloader_version="0.0.28", user_bootloader_version=None, has_application=False)
WITH_APP = FlashFacts("0.0.28", None, has_application=True)
WITH_USER = FlashFacts("0.0.28", "0.0.29", has_application=True)
BRICK = FlashFacts(None, None, has_application=True)


@pytest.mark.parametrize(
    ("source", "facts", "expected"),
    [
        (BootSource.FLASH, PLAIN, Running(CameraState.BOOTLOADER, "0.0.28")),
        (BootSource.FLASH, WITH_APP, Running(CameraState.FLASH_BOOTED, "0.0.28")),
        (BootSource.FLASH_BOOTLOADER, WITH_APP, Running(CameraState.BOOTLOADER, "0.0.28")),
        (
            BootSource.FLASH_BOOTLOADER,
            WITH_USER,
            Running(CameraState.BOOTLOADER, "0.0.29", user_bootloader=True),
        ),
        (BootSource.RAM, WITH_APP, Running(CameraState.BOOTLOADER, "0.0.29", from_flash=False)),
        (BootSource.FLASH, BRICK, Running(CameraState.BRICKED)),
    ],
)
def test_boot_outcomes(source: BootSource, facts: FlashFacts, expected: Running) -> None:
    assert boot(source, facts, ram_version="0.0.29") == expected


def test_a_reboot_stays_offline_for_reboot_s() -> None:
    machine = BootMachine(reboot_s=1.0)
    machine.reboot(100.0, BootSource.FLASH)
    assert machine.state is CameraState.OFFLINE
    assert not machine.due(100.9)
    assert machine.due(101.0)
    assert machine.finish(WITH_APP).state is CameraState.FLASH_BOOTED
    assert machine.boots == 1 and not machine.due(200.0)


def test_wire_states() -> None:
    assert CameraState.BOOTLOADER.wire == 3
    assert CameraState.FLASH_BOOTED.wire == 4
    assert CameraState.OFFLINE.wire is None and CameraState.BRICKED.wire is None


def test_fault_specs_set_and_clear() -> None:
    faults = Faults()
    for spec in ("drop-link=0.25", "silent", "bootloader-version=0.0.26", "booted"):
        apply_spec(faults, spec)
    apply_spec(faults, "fail-flash=no space, really")
    assert faults == Faults(0.25, True, "0.0.26", True, "no space, really")
    assert faults.describe().startswith("drop-link=0.25 silent bootloader-version=0.0.26")
    apply_spec(faults, "silent=off")
    apply_spec(faults, "drop-link=off")
    assert not faults.silent and faults.drop_link_at is None
    faults.clear()
    assert faults == Faults()


@pytest.mark.parametrize("spec", ["drop-link=2", "bootloader-version=new", "loud", "silent=maybe"])
def test_bad_fault_specs_are_refused(spec: str) -> None:
    with pytest.raises(ValueError):
        apply_spec(Faults(), spec)


def test_fault_specs_round_trip_through_text() -> None:
    faults = Faults(0.5, True, "0.0.26", True, "disk full")
    again = Faults()
    for spec in fault_specs(faults):
        apply_spec(again, spec)
    assert again == faults


def test_mxids_are_stable_and_look_real() -> None:
    assert mxid_for_index(0) == "18443010EA00000000"
    assert mxid_for_index(26) == "18443010EA00001A00"
    assert len({mxid_for_index(i) for i in range(100)}) == 100
    assert all(len(mxid_for_index(i)) == 18 for i in (0, 15, 4095))


def test_addresses_are_loopback_only() -> None:
    assert addresses("127.0.0.2", 3) == ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
    assert addresses("127.0.0.254", 3)[-1] == "127.0.1.0"
    for bad in ("192.168.1.2", "127.0.0.1", "0.0.0.0"):
        with pytest.raises(ValueError):
            addresses(bad, 1)
