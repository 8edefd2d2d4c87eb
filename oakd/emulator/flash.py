"""A camera's NOR flash: a plain file laid out as the NETWORK bootloader expects, and the time
it takes to write it.

Layout (protocol notes §3.5, depthai's constants):

    0            512           4 MiB            8 MiB - 16 KiB   8 MiB            end
    | boot header | bootloader | user bootloader | config (16 KiB) | application (SBR) ... |

The boot header is the emulator's own record of which bootloader is flashed (magic, version,
image size): the real one is a Myriad boot-ROM header that the emulator cannot interpret. It is
rewritten after every bootloader write and erased when one starts, so a bootloader write that
never finishes leaves a camera that does not boot, as on real hardware.

Write-time model, as NOR flash works: a write first erases every whole sector it touches (64 KiB
by default, 4 KiB as an option), then programs its bytes. Bytes of those sectors outside the
write are left erased (0xFF), so a write that is not sector-aligned destroys its neighbours, as
on real NOR. Time is charged per sector erased and per byte programmed; the defaults make a long
sequential write run at `write_speed` (0.5 MB/s, Luxonis' sample log: a 3.8 MB bootloader in
7.6 s), a quarter of it erasing. Reads are charged at `read_speed` (10 MB/s). The first 512
bytes of an application (its SBR header) are programmed last, so an interrupted application
write leaves no bootable application rather than a torn one.

Guesses (the real bootloader's erase size and timings are not public): 64 KiB erase sectors,
erase = 25 % of a sequential write's time, reads at 10 MB/s (the slow end of serial NOR reads).
The config write (SET_BOOTLOADER_CONFIG) erases exactly its 16 KiB, as a bootloader that keeps
the user bootloader beside it intact must.
"""

from __future__ import annotations

import os
import re
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oakd.emulator import bson, sbr

KiB = 1024
MiB = 1024 * KiB

BOOT_HEADER_OFFSET = 0
BOOT_HEADER_SIZE = 512
BOOTLOADER_OFFSET = 512
BOOTLOADER_SIZE = 4 * MiB - 512
USER_BOOTLOADER_OFFSET = 4 * MiB
USER_BOOTLOADER_SIZE = 4 * MiB - 16 * KiB
CONFIG_OFFSET = 8 * MiB - 16 * KiB
CONFIG_SIZE = 16 * KiB
APPLICATION_OFFSET = 8 * MiB

# Section enum of UPDATE_FLASH_EX (bootloader-shared Section.hpp) -> (offset, size).
SECTIONS: dict[int, tuple[int, int]] = {
    0: (BOOT_HEADER_OFFSET, BOOT_HEADER_SIZE),
    1: (BOOTLOADER_OFFSET, BOOTLOADER_SIZE),
    2: (CONFIG_OFFSET, CONFIG_SIZE),
    3: (APPLICATION_OFFSET, -1),
    4: (USER_BOOTLOADER_OFFSET, USER_BOOTLOADER_SIZE),
}

DEFAULT_FLASH_SIZE = 32 * MiB
DEFAULT_WRITE_SPEED = 500_000.0  # bytes/s, erase and program of a long sequential write
DEFAULT_READ_SPEED = 10_000_000.0  # bytes/s
DEFAULT_ERASE_SECTOR = 64 * KiB
ERASE_SHARE = 0.25  # of a sequential write's time, spent erasing
PROGRESS_STEPS = 100

BOOT_HEADER_MAGIC = b"OAKD-EMULATED-BL"
BOOT_HEADER = struct.Struct("<16s16sI")

ERASED = 0xFF
_CHUNK = 1 * MiB

# Release bootloaders carry their version as a NUL-delimited string ("\x000.0.29\x00" in the
# 2.33 images, among "1.2.11" and the like). All released versions are 0.0.x.
_VERSION_IN_IMAGE = re.compile(rb"\x00(0\.0\.\d{1,3})\x00")
_SIZE = re.compile(r"^\s*(\d+)\s*(B|KiB|MiB|GiB|K|M|G)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": KiB, "kib": KiB, "m": MiB, "mib": MiB, "g": 1024 * MiB}
_UNITS["gib"] = 1024 * MiB


class FlashError(ValueError):
    """A flash file that cannot be used as asked (wrong size, out-of-range access)."""


class Interrupted(Exception):
    """A write stopped before its end; `programmed` bytes of it landed."""

    def __init__(self, programmed: int, reason: str) -> None:
        super().__init__(reason)
        self.programmed = programmed


def parse_size(text: str) -> int:
    """'32MiB', '16M', '33554432' -> bytes (binary units)."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"not a size: {text!r}")
    return int(match.group(1)) * _UNITS[(match.group(2) or "").lower()]


def version_in_image(image: bytes | bytearray) -> str | None:
    """The bootloader version a bootloader image carries, if it can be found in it."""
    match = _VERSION_IN_IMAGE.search(image)
    return match.group(1).decode() if match else None


def pack_boot_header(version: str, image_size: int) -> bytes:
    """The emulator's boot header for a flashed bootloader of `version`."""
    raw = BOOT_HEADER.pack(BOOT_HEADER_MAGIC, version.encode("ascii"), image_size)
    return raw + bytes([ERASED]) * (BOOT_HEADER_SIZE - len(raw))


def parse_boot_header(raw: bytes) -> str | None:
    """The flashed bootloader's version, or None if the header is erased or foreign."""
    if len(raw) < BOOT_HEADER.size:
        return None
    magic, version, _size = BOOT_HEADER.unpack_from(raw)
    if magic != BOOT_HEADER_MAGIC:
        return None
    return version.split(b"\0", 1)[0].decode("ascii", "replace") or None


def slices(total: int, steps: int = PROGRESS_STEPS, granule: int = 4 * KiB) -> list[int]:
    """End offsets of the steps a write of `total` bytes is programmed in (one progress each)."""
    if total <= 0:
        return []
    step = max(granule, -(-total // steps))
    step = -(-step // granule) * granule
    return [*range(step, total, step), total]


def protected_ranges(offset: int, size: int) -> list[tuple[int, int]]:
    """Ranges, relative to a write at `offset`, that are programmed last: SBR headers."""
    start, end = APPLICATION_OFFSET, APPLICATION_OFFSET + sbr.SBR_RAW_SIZE
    lo, hi = max(start, offset), min(end, offset + size)
    return [(lo - offset, hi - offset)] if lo < hi else []


def touches_bootloader(offset: int, size: int) -> bool:
    """Whether a write at `offset` of `size` bytes overwrites any of the bootloader region."""
    return _overlaps(offset, size, BOOTLOADER_OFFSET, BOOTLOADER_SIZE)


def _overlaps(offset: int, size: int, start: int, length: int) -> bool:
    return offset < start + length and offset + size > start


class FlashFile:
    """The flash of one camera, backed by `<state-dir>/<MXID>.flash` (created erased)."""

    def __init__(self, path: Path, size: int, bootloader_version: str) -> None:
        self.path = path
        self.size = size
        self._lock = threading.Lock()
        self._user_writes = 0  # bumps on every write to the user-bootloader region
        self._user_checks: dict[tuple[int, int, int], bool] = {}
        fresh = not path.exists()
        if not fresh and path.stat().st_size != size:
            raise FlashError(
                f"{path} holds {path.stat().st_size} bytes but the flash size is {size}; "
                "use the same --flash-size or delete the file"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if fresh:
            self.erase(0, size)
            # A camera from the factory: a bootloader and nothing else.
            self.write(BOOT_HEADER_OFFSET, pack_boot_header(bootloader_version, 0))

    @classmethod
    def open_readonly(cls, path: Path) -> FlashFile:
        """An existing flash file, for looking at (another process may be writing it)."""
        self = cls.__new__(cls)
        self.path = path
        self.size = path.stat().st_size
        self._lock = threading.Lock()
        self._user_writes = 0
        self._user_checks = {}
        self._fd = os.open(path, os.O_RDONLY)
        return self

    def close(self) -> None:
        """Release the file."""
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1

    # -- raw access -------------------------------------------------------------------------

    def read(self, offset: int, size: int) -> bytes:
        """`size` bytes at `offset`."""
        self._check(offset, size)
        with self._lock:
            return os.pread(self._fd, size, offset)

    def write(self, offset: int, data: bytes | bytearray | memoryview) -> None:
        """Store `data` at `offset` at once (no time model; see `program`)."""
        self._check(offset, len(data))
        view = memoryview(data)
        with self._lock:
            if _overlaps(offset, len(data), USER_BOOTLOADER_OFFSET, USER_BOOTLOADER_SIZE):
                self._user_writes += 1
            done = 0
            while done < len(view):
                done += os.pwrite(self._fd, view[done:], offset + done)

    def erase(self, offset: int, size: int) -> None:
        """Set `size` bytes at `offset` to 0xFF."""
        self._check(offset, size)
        chunk = bytes([ERASED]) * min(size, _CHUNK)
        for start in range(offset, offset + size, _CHUNK):
            self.write(start, chunk[: min(_CHUNK, offset + size - start)])

    def _check(self, offset: int, size: int) -> None:
        if offset < 0 or size < 0 or offset + size > self.size:
            raise FlashError(f"{size} bytes at {offset} is outside a flash of {self.size}")

    # -- what the bootloader reads ----------------------------------------------------------

    def bootloader_version(self) -> str | None:
        """The version in the boot header, None when no bootloader would boot."""
        return parse_boot_header(self.read(BOOT_HEADER_OFFSET, BOOT_HEADER_SIZE))

    def application_sections(self) -> list[sbr.Section] | None:
        """The SBR header of the application in flash, None if there is none."""
        if self.size < APPLICATION_OFFSET + sbr.SBR_RAW_SIZE:
            return None
        return sbr.parse_header(self.read(APPLICATION_OFFSET, sbr.SBR_RAW_SIZE))

    def application_info(self) -> sbr.ApplicationInfo | None:
        """Firmware version and name of the application in flash, None if there is none."""
        sections = self.application_sections()
        if sections is None:
            return None
        return sbr.ApplicationInfo(
            firmware_version=self._section_text(sections, sbr.FW_VERSION_SECTION),
            application_name=self._section_text(sections, sbr.APP_NAME_SECTION),
        )

    def _section_text(self, sections: list[sbr.Section], name: str) -> str | None:
        section = sbr.find_section(sections, name)
        if section is None:
            return None
        start = APPLICATION_OFFSET + section.offset
        size = min(section.size, max(0, self.size - start), 4095)
        return sbr.decode_text(self.read(start, size)) if size else ""

    def config_bytes(self, offset: int = CONFIG_OFFSET) -> bytes | None:
        """The stored configuration (BSON), None when the config area is erased."""
        if offset < 0 or offset + CONFIG_SIZE > self.size:
            return None
        raw = self.read(offset, CONFIG_SIZE)
        size = bson.document_size(raw)
        return raw[:size] if size is not None else None

    def config(self) -> dict[str, Any] | None:
        """The stored configuration decoded, None when absent or unreadable."""
        raw = self.config_bytes()
        if raw is None:
            return None
        try:
            return bson.decode(raw)
        except (bson.BsonError, ValueError, struct.error):
            return None

    def user_bootloader_version(self, fallback: str) -> str | None:
        """Version of the user bootloader the factory one would start, None if none would.

        A user bootloader runs when the config names its size and checksum and the image in
        the user-bootloader region matches them (what depthai writes after flashing one).
        """
        config = self.config() or {}
        size, checksum = config.get("userBlSize"), config.get("userBlChecksum")
        if not isinstance(size, int) or not isinstance(checksum, int):
            return None
        if size <= 0 or size > USER_BOOTLOADER_SIZE:
            return None
        image = self.read(USER_BOOTLOADER_OFFSET, size)
        # The checksum takes ~0.5 s in Python: check an unchanged image once.
        key = (size, checksum & 0xFFFFFFFF, self._user_writes)
        if key not in self._user_checks:
            self._user_checks = {key: sbr.djb2(image) == key[1]}
        if not self._user_checks[key]:
            return None
        return version_in_image(image) or fallback


class WriteModel:
    """How long erase, program and read take, which sectors a write erases, and in which
    steps progress is reported."""

    def __init__(
        self,
        write_speed: float = DEFAULT_WRITE_SPEED,
        erase_sector: int = DEFAULT_ERASE_SECTOR,
        read_speed: float = DEFAULT_READ_SPEED,
    ) -> None:
        # 0 or infinity: instant (tests).
        self.write_speed = write_speed if write_speed > 0 else float("inf")
        self.read_speed = read_speed if read_speed > 0 else float("inf")
        if erase_sector < 0 or (erase_sector and erase_sector & (erase_sector - 1)):
            raise FlashError(f"an erase sector of {erase_sector} bytes is not a power of two")
        self.erase_sector = erase_sector  # 0: erase exactly what is written
        sector = erase_sector or 4 * KiB
        self.erase_s = ERASE_SHARE * sector / self.write_speed
        self.program_speed = self.write_speed / (1 - ERASE_SHARE)

    def erase_span(self, offset: int, size: int, flash_size: int) -> tuple[int, int]:
        """The range a write of `size` bytes at `offset` erases: whole sectors."""
        if not self.erase_sector:
            return offset, offset + size
        lo = offset - offset % self.erase_sector
        hi = -(-(offset + size) // self.erase_sector) * self.erase_sector
        return lo, min(hi, flash_size)

    def sectors(self, size: int) -> int:
        """How many erase sectors `size` bytes span (4 KiB units when erasing exactly)."""
        return -(-size // (self.erase_sector or 4 * KiB))

    def duration(self, size: int) -> float:
        """Seconds to erase and program `size` sector-aligned bytes."""
        return self.sectors(size) * self.erase_s + size / self.program_speed

    def read_duration(self, size: int) -> float:
        """Seconds to read `size` bytes."""
        return size / self.read_speed

    def program(
        self,
        flash: FlashFile,
        offset: int,
        data: bytes | bytearray,
        on_progress: Callable[[float], None] | None = None,
        cancelled: threading.Event | None = None,
        stop_at: float | None = None,
        exact: bool = False,
    ) -> None:
        """Erase the sectors the write touches (`exact`: only its own bytes), then program
        `data` at `offset` step by step, in real time.

        `on_progress(fraction)` runs after each step. `cancelled` ends the write early; so
        does `stop_at` (a fraction of the write, for fault injection). Either way
        `Interrupted` is raised and what was programmed so far stays in flash.
        """
        total = len(data)
        view = memoryview(data)
        last = protected_ranges(offset, total)
        if exact:
            lo, hi = offset, offset + total
        else:
            lo, hi = self.erase_span(offset, total, flash.size)
        flash.erase(lo, hi - lo)
        erase_time = self.sectors(hi - lo) * self.erase_s
        stop_byte = None if stop_at is None else max(0, min(total, int(total * stop_at)))
        start_time = time.monotonic() + erase_time
        self._wait_until(start_time, cancelled, 0)
        done = 0
        for end in slices(total):
            cut = stop_byte is not None and end > stop_byte
            target = stop_byte if cut and stop_byte is not None else end
            self._wait_until(start_time + target / self.program_speed, cancelled, done)
            self._program_range(flash, offset, view, done, target, last)
            done = target
            if cut:
                raise Interrupted(done, f"write stopped at {done} of {total} bytes")
            if on_progress is not None:
                on_progress(done / total)
        for lo_, hi_ in last:
            flash.write(offset + lo_, view[lo_:hi_])

    def _wait_until(self, when: float, cancelled: threading.Event | None, done: int) -> None:
        delay = when - time.monotonic()
        if cancelled is not None:
            if cancelled.wait(max(0.0, delay)) or cancelled.is_set():
                raise Interrupted(done, "write cancelled")
        elif delay > 0:
            time.sleep(delay)

    @staticmethod
    def _program_range(
        flash: FlashFile,
        offset: int,
        view: memoryview,
        lo: int,
        hi: int,
        skip: list[tuple[int, int]],
    ) -> None:
        pos = lo
        for s_lo, s_hi in skip:
            if s_hi <= pos or s_lo >= hi:
                continue
            if s_lo > pos:
                flash.write(offset + pos, view[pos:s_lo])
            pos = max(pos, s_hi)
        if pos < hi:
            flash.write(offset + pos, view[pos:hi])
