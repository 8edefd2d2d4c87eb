"""Delta flashing, the pure part: which 64 KiB blocks of a package to write, or why not.

A camera's application region holds the package verbatim (proven once per camera and
bootloader version by reading a full flash back). A new package then differs from the one
there in a few blocks: for a one-line Script change, the header, `assets`, `asset_storage` and
`app_name` (4 blocks of 164). Writing only those takes a fraction of a second instead of the
~22 s of a full write at NOR speed.

Blocks are 64 KiB and aligned to the start of the application region: the real bootloader's
erase size is not public, and depthai aligns sections to 64 KiB "for flash alignment", so a
whole aligned block is the smallest unit that a write cannot tear into its neighbours.

Order on the camera (done by the worker): invalidate the header (512 bytes of 0xFF, as
`flashClear` does), write the changed blocks, write block 0 (with the new header) last, read
back what was written. A write torn anywhere leaves a camera with no valid header, which boots
no app: never a mix of two.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from oakd.core.package import HEADER_SIZE, MAGIC, PackageError, sections

BLOCK = 64 * 1024
FIRMWARE = "__firmware"
# Past this share of the package, a delta saves too little to be worth its extra steps.
MAX_DELTA_SHARE = 0.5


class FullReason(str, Enum):
    """Why a flash writes the whole package instead of a delta; the value is for people."""

    DISABLED = "delta flashing is off (flash.delta = false, or --full)"
    OLD_BOOTLOADER = "the bootloader is older than flash.min_bootloader or than 0.0.19 (READ_FLASH)"
    UNPROVEN = "first flash with this bootloader: proving that the camera stores packages verbatim"
    NOT_VERBATIM = "this camera did not store a package verbatim, so deltas are not used on it"
    NO_BASE = "oakd does not know which package this camera holds"
    NO_APP = "the camera has no valid application header"
    FOREIGN = "the camera's application is not the package oakd last wrote (another tool?)"
    FIRMWARE = "the firmware section differs (another depthai version or board config)"
    TOO_LARGE = "more than half of the package differs"
    MISMATCH = "the camera's flash did not hold what oakd expected in a block it compared"
    READ_BACK = "reading the delta back did not give the new package"
    ERROR = "the delta failed"


@dataclass(frozen=True)
class Delta:
    """The blocks to write, by index from the start of the application region."""

    blocks: tuple[int, ...]  # ascending; includes 0 (the header is written last), or is empty
    total: int  # the new package's size

    @property
    def size(self) -> int:
        """Bytes the delta writes (whole blocks, the last one cut at the package's end)."""
        spans = (block_span(b, self.total) for b in self.blocks)
        return sum(hi - lo for lo, hi in spans)

    def runs(self) -> list[tuple[int, int]]:
        """Consecutive blocks other than 0 merged: (first, last) pairs, in order."""
        merged: list[tuple[int, int]] = []
        for block in self.blocks:
            if block == 0:
                continue
            if merged and merged[-1][1] == block - 1:
                merged[-1] = (merged[-1][0], block)
            else:
                merged.append((block, block))
        return merged


def repair(camera: bytes, new: bytes) -> Delta | FullReason:
    """After a write that did not finish: the blocks where the camera's flash (`camera`, the
    package's whole extent read back) differs from `new`. No blocks: it holds `new` already."""
    changed = []
    for block in range(block_count(len(new))):
        lo, hi = block_span(block, len(new))
        if camera[lo:hi] != new[lo:hi]:
            changed.append(block)
    if changed and changed[0] != 0:
        changed.insert(0, 0)  # the header is invalidated while blocks change, and written last
    delta = Delta(tuple(changed), len(new))
    if delta.size > MAX_DELTA_SHARE * len(new):
        return FullReason.TOO_LARGE
    return delta


def block_span(block: int, total: int) -> tuple[int, int]:
    """Byte range [lo, hi) of `block` within a package of `total` bytes."""
    return block * BLOCK, min((block + 1) * BLOCK, total)


def block_count(total: int) -> int:
    """How many blocks a package of `total` bytes spans."""
    return -(-total // BLOCK)


def valid_header(header: bytes) -> bool:
    """The bytes start with an SBR header the bootloader would accept."""
    if len(header) < HEADER_SIZE or header[: len(MAGIC)] != MAGIC:
        return False
    try:
        return bool(sections(header[:HEADER_SIZE]))
    except PackageError:
        return False


def same_firmware(old: bytes, new: bytes) -> bool:
    """Both headers describe the same firmware section (place, size, checksum, flags)."""

    def firmware(header: bytes) -> tuple[int, int, int, int] | None:
        for section in sections(header[:HEADER_SIZE]):
            if section.name == FIRMWARE:
                return section.offset, section.size, section.checksum, section.flags
        return None

    return firmware(old) is not None and firmware(old) == firmware(new)


def plan(camera_header: bytes, base: bytes, new: bytes) -> Delta | FullReason:
    """The delta from `base` (the package the camera is believed to hold) to `new`, given the
    header read from the camera; or why the whole package must be written."""
    if not valid_header(camera_header):
        return FullReason.NO_APP
    if camera_header[:HEADER_SIZE] != base[:HEADER_SIZE]:
        return FullReason.FOREIGN
    if not same_firmware(base, new):
        return FullReason.FIRMWARE
    changed = [0]
    for block in range(1, block_count(len(new))):
        lo, hi = block_span(block, len(new))
        if new[lo:hi] != base[lo:hi]:
            changed.append(block)
    delta = Delta(tuple(changed), len(new))
    if delta.size > MAX_DELTA_SHARE * len(new):
        return FullReason.TOO_LARGE
    return delta
