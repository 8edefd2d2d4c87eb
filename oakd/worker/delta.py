"""Delta flashing on a connected camera: the I/O around oakd.core.delta.

Reads and writes go through depthai's `readCustom` / `flashCustom` with their *filename*
overloads: the sequence overloads convert every byte to a Python int and back (0.4 s for a
package), and passing `bytes` to `flashCustom` picks the filename overload by accident and
hangs both sides (field notes).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import depthai as dai

from oakd.core import delta as rules
from oakd.core.delta import BLOCK, Delta, FullReason
from oakd.core.package import APP_OFFSET, HEADER_SIZE
from oakd.worker.contract import DeviceError, Failure
from oakd.worker.failures import checked

FLASH = dai.DeviceBootloader.Memory.FLASH


class DeltaFailed(Exception):
    """The delta could not be completed; the caller writes the whole package instead."""

    def __init__(self, reason: FullReason, detail: str = "") -> None:
        super().__init__(f"{reason.value}{': ' + detail if detail else ''}")
        self.reason = reason
        self.detail = detail


@dataclass
class FlashIO:
    """Reads and writes of one camera's application region, through files in `scratch`."""

    bl: Any  # a connected dai.DeviceBootloader
    address: str  # the camera's, for messages
    scratch: Path

    def read(self, offset: int, size: int) -> bytes:
        """`size` bytes of the application region at `offset`."""
        path = self.scratch / "read.bin"
        at = APP_OFFSET + offset
        checked(
            self.bl.readCustom(FLASH, at, size, str(path)), self.address, f"read its flash at {at}"
        )
        data = path.read_bytes()
        path.unlink()
        if len(data) != size:
            raise DeviceError(
                Failure.FAILED, f"the camera sent {len(data)} bytes of flash, not {size}"
            )
        return data

    def write(self, offset: int, data: bytes, progress: Any = None) -> None:
        """Write `data` at `offset` of the application region."""
        path = self.scratch / "write.bin"
        path.write_bytes(data)
        at = APP_OFFSET + offset
        result = self.bl.flashCustom(FLASH, at, str(path), progress or (lambda _p: None))
        path.unlink()
        checked(result, self.address, f"write {len(data)} bytes at {at}")


def choose(io: FlashIO, base: bytes | None, new: bytes) -> Delta | FullReason:
    """Read the camera's header and decide: a delta from `base`, or why not."""
    if base is None:
        return FullReason.NO_BASE
    header = io.read(0, HEADER_SIZE)
    return rules.plan(header, base, new)


def apply(
    io: FlashIO, delta: Delta, base: bytes, new: bytes, progress: Any, sized: Any = None
) -> int:
    """Write the delta in the safe order and read it back; returns the bytes written.

    First the camera's copy of every block to change is read: it must still hold the base.
    DeltaFailed when the camera's flash is not what was expected."""
    total = len(new)
    spans = [_span(run, total) for run in delta.runs()]
    for lo, hi in spans:
        # Past the base's end the flash holds whatever the last erase left: not compared.
        known = base[lo:hi]
        if known and io.read(lo, len(known)) != known:
            raise DeltaFailed(FullReason.MISMATCH, f"bytes {lo}-{hi} of the application")
    spans.append((0, min(BLOCK, total)))  # the header block goes last
    size = sum(hi - lo for lo, hi in spans)
    if sized is not None:
        sized(size)  # the bytes `progress` is a fraction of
    written = 0
    # No valid header while blocks change: a torn delta boots no app, never a mix.
    io.write(0, b"\xff" * HEADER_SIZE)
    for lo, hi in spans:
        done = written
        io.write(lo, new[lo:hi], lambda p, done=done, n=hi - lo: progress((done + p * n) / size))
        written += hi - lo
    for lo, hi in spans:
        if io.read(lo, hi - lo) != new[lo:hi]:
            raise DeltaFailed(FullReason.READ_BACK, f"bytes {lo}-{hi} of the application")
    return written + HEADER_SIZE


def _span(run: tuple[int, int], total: int) -> tuple[int, int]:
    return rules.block_span(run[0], total)[0], rules.block_span(run[1], total)[1]


def holds_verbatim(io: FlashIO, package: bytes) -> bool:
    """Whether the camera's application region holds `package` byte for byte."""
    return io.read(0, len(package)) == package
