"""SBR parsing, the flash file and the write-time model (no network)."""

from __future__ import annotations

import struct
import threading
import time
from pathlib import Path

import pytest

from oakd.emulator import bson, sbr
from oakd.emulator import flash as fl

SMALL = 9 * fl.MiB  # room for everything up to a small application


def make_package(name: str = "app", fw_version: str = "6632d3a2") -> bytes:
    """A minimal SBR package shaped like depthai's: header, firmware, version, name."""
    firmware = b"\x78\xda" + bytes(range(256)) * 8
    sections = [
        ("__firmware", 512, firmware, 0x7),
        ("__fw_version", 64 * 1024, fw_version.encode(), 0),
        ("app_name", 128 * 1024, name.encode(), 0),
    ]
    size = max(offset + len(data) for _, offset, data, _ in sections)
    package = bytearray(size)
    header = bytearray(b"BR" + bytes(510))
    for i, (section, offset, data, flags) in enumerate(sections):
        record = sbr.SECTION.pack(section.encode(), len(data), offset, sbr.djb2(data), 0, flags)
        header[2 + i * 30 : 32 + i * 30] = record
        package[offset : offset + len(data)] = data
    package[:512] = header
    return bytes(package)


def test_djb2_matches_the_naive_definition() -> None:
    data = bytes(range(256)) * 40 + b"tail"
    h = 5381
    for byte in data:
        h = (h * 33 + byte) & 0xFFFFFFFF
    assert sbr.djb2(data) == h
    assert sbr.djb2(b"") == 5381


def test_sbr_header_parses_and_skips_unused_sections() -> None:
    sections = sbr.parse_header(make_package()[:512])
    assert sections is not None
    assert [s.name for s in sections] == ["__firmware", "__fw_version", "app_name"]
    assert sections[0].offset == 512 and sections[0].flags & sbr.FLAG_BOOTABLE
    assert sbr.parse_header(b"\xff" * 512) is None
    assert sbr.parse_header(b"BR" + b"\xff" * 510) is None


def test_new_flash_file_is_erased_but_for_the_boot_header(tmp_path: Path) -> None:
    flash = fl.FlashFile(tmp_path / "cam.flash", SMALL, "0.0.28")
    assert (tmp_path / "cam.flash").stat().st_size == SMALL
    assert flash.bootloader_version() == "0.0.28"
    assert flash.read(fl.BOOTLOADER_OFFSET, 4096) == b"\xff" * 4096
    assert flash.application_info() is None and flash.config() is None
    flash.close()


def test_existing_flash_keeps_its_contents_and_checks_its_size(tmp_path: Path) -> None:
    path = tmp_path / "cam.flash"
    flash = fl.FlashFile(path, SMALL, "0.0.26")
    flash.write(fl.APPLICATION_OFFSET, make_package("kept"))
    flash.close()
    again = fl.FlashFile(path, SMALL, "0.0.28")
    assert again.bootloader_version() == "0.0.26"
    info = again.application_info()
    assert info == sbr.ApplicationInfo(firmware_version="6632d3a2", application_name="kept")
    again.close()
    with pytest.raises(fl.FlashError, match="flash size"):
        fl.FlashFile(path, 2 * SMALL, "0.0.28")


def test_config_is_read_as_bson(tmp_path: Path) -> None:
    flash = fl.FlashFile(tmp_path / "cam.flash", SMALL, "0.0.28")
    doc = b"\x10appMem\x00\x00\x00\x00\x00" + b"\x08staticIpv4\x00\x01"
    raw = struct.pack("<i", len(doc) + 5) + doc + b"\x00"
    flash.write(fl.CONFIG_OFFSET, raw)
    assert flash.config_bytes() == raw
    assert flash.config() == {"appMem": 0, "staticIpv4": True}
    assert bson.decode(raw) == {"appMem": 0, "staticIpv4": True}
    flash.close()


def test_sizes_parse() -> None:
    assert fl.parse_size("32MiB") == 32 * fl.MiB
    assert fl.parse_size("16M") == 16 * fl.MiB
    assert fl.parse_size("4096") == 4096
    with pytest.raises(ValueError):
        fl.parse_size("lots")


def test_version_is_found_in_a_bootloader_image() -> None:
    image = b"MA2x" + b"\x00" * 10 + b"\x001.2.11\x00zlib\x000.0.29\x00\x00inet"
    assert fl.version_in_image(image) == "0.0.29"
    assert fl.version_in_image(b"\xff" * 100) is None


def test_slices_cover_the_write_in_about_100_steps() -> None:
    ends = fl.slices(10_682_373)
    assert ends[-1] == 10_682_373 and ends == sorted(ends)
    assert 95 <= len(ends) <= 101
    assert fl.slices(512) == [512]
    assert fl.slices(0) == []


def test_application_header_is_programmed_last(tmp_path: Path) -> None:
    flash = fl.FlashFile(tmp_path / "cam.flash", SMALL, "0.0.28")
    package = make_package()
    seen_headers: list[bytes] = []

    def progress(_fraction: float) -> None:
        seen_headers.append(flash.read(fl.APPLICATION_OFFSET, 2))

    fl.WriteModel(0).program(flash, fl.APPLICATION_OFFSET, package, progress)
    assert set(seen_headers) == {b"\xff\xff"}  # never visible before the end
    assert flash.read(fl.APPLICATION_OFFSET, len(package)) == package
    flash.close()


def test_an_interrupted_write_keeps_its_prefix_and_no_application(tmp_path: Path) -> None:
    flash = fl.FlashFile(tmp_path / "cam.flash", SMALL, "0.0.28")
    package = make_package()
    with pytest.raises(fl.Interrupted) as caught:
        fl.WriteModel(0).program(flash, fl.APPLICATION_OFFSET, package, stop_at=0.5)
    cut = caught.value.programmed
    assert cut == len(package) // 2
    start = fl.APPLICATION_OFFSET
    assert flash.read(start + 512, cut - 512) == package[512:cut]
    assert flash.read(start + cut, len(package) - cut) == b"\xff" * (len(package) - cut)
    assert flash.application_info() is None
    flash.close()


def test_writes_take_the_modelled_time_and_can_be_cancelled(tmp_path: Path) -> None:
    flash = fl.FlashFile(tmp_path / "cam.flash", SMALL, "0.0.28")
    model = fl.WriteModel(1_000_000)
    started = time.monotonic()
    model.program(flash, fl.APPLICATION_OFFSET, b"\x00" * 200_000)
    assert 0.18 <= time.monotonic() - started < 1.0
    # A long sector-aligned write runs at the write speed, erase and program together.
    assert model.duration(8 * 64 * 1024) == pytest.approx(8 * 64 * 1024 / 1_000_000)

    cancelled = threading.Event()
    threading.Timer(0.1, cancelled.set).start()
    with pytest.raises(fl.Interrupted):
        model.program(flash, fl.USER_BOOTLOADER_OFFSET, b"\x00" * 2_000_000, cancelled=cancelled)
    flash.close()


def test_protected_ranges_and_bootloader_overlap() -> None:
    assert fl.protected_ranges(fl.APPLICATION_OFFSET, 10_000) == [(0, 512)]
    # The factory-reset image (8 MiB + 512 at 512) covers the application header too.
    assert fl.protected_ranges(512, 8 * fl.MiB + 512) == [(8 * fl.MiB - 512, 8 * fl.MiB)]
    assert fl.protected_ranges(0, 1024) == []
    assert fl.touches_bootloader(512, 100)
    assert not fl.touches_bootloader(fl.USER_BOOTLOADER_OFFSET, 100)


def test_boot_header_round_trip() -> None:
    raw = fl.pack_boot_header("0.0.29", 3_825_968)
    assert len(raw) == 512
    assert fl.parse_boot_header(raw) == "0.0.29"
    assert fl.parse_boot_header(b"\xff" * 512) is None


@pytest.mark.parametrize("sector", [64 * 1024, 4 * 1024])
def test_a_write_erases_the_whole_sectors_it_touches(tmp_path: Path, sector: int) -> None:
    flash = fl.FlashFile(tmp_path / "cam.flash", SMALL, "0.0.28")
    model = fl.WriteModel(0, erase_sector=sector)
    start = fl.APPLICATION_OFFSET
    model.program(flash, start, b"\x11" * (3 * sector))
    # A misaligned write into the middle sector: its neighbours in that sector are lost.
    model.program(flash, start + sector + 100, b"\x22" * 10)
    assert flash.read(start, sector) == b"\x11" * sector
    middle = flash.read(start + sector, sector)
    assert middle[:100] == b"\xff" * 100
    assert middle[100:110] == b"\x22" * 10
    assert middle[110:] == b"\xff" * (sector - 110)
    assert flash.read(start + 2 * sector, sector) == b"\x11" * sector
    flash.close()


def test_the_config_write_erases_only_the_config(tmp_path: Path) -> None:
    flash = fl.FlashFile(tmp_path / "cam.flash", SMALL, "0.0.28")
    model = fl.WriteModel(0)
    below = fl.CONFIG_OFFSET - 1024
    model.program(flash, below, b"\x33" * 1024, exact=True)
    model.program(flash, fl.CONFIG_OFFSET, b"\x44" * fl.CONFIG_SIZE, exact=True)
    assert flash.read(below, 1024) == b"\x33" * 1024  # the user bootloader's tail survives
    flash.close()
