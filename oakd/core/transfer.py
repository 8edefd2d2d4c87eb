"""How far a write is, in bytes, how fast it goes and when it ends: computed once, in the daemon,
and sent with every job.progress event, so that the CLI's --wait and the TUI say the same.

The worker says how many bytes its write phase writes (a delta's blocks, or the whole package),
then reports fractions of it. Speed is the average since the first bytes were reported (not
since the size was: an erase may come first, and would make the early figures far too slow); a
flash goes at the NOR's erase-and-program pace, steady enough that a moving window would only
add noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MIN_ELAPSED_S = 0.5  # before this, a speed is a guess from too few bytes: none is given


@dataclass
class Transfer:
    """One write phase: `total` bytes, begun at `started` (monotonic seconds)."""

    total: int
    started: float
    first: tuple[float, int] | None = None  # (when, bytes) of the first progress with bytes

    def snapshot(self, fraction: float, now: float) -> dict[str, Any]:
        """The fields job.progress carries: bytes_done, bytes_total, bytes_per_s, eta_s
        (the last two None until there is enough to go on)."""
        done = int(max(0.0, min(1.0, fraction)) * self.total)
        if self.first is None and done:
            self.first = (now, done)
        speed = None
        if self.first is not None and now - self.first[0] >= MIN_ELAPSED_S:
            speed = (done - self.first[1]) / (now - self.first[0]) or None
        eta = (self.total - done) / speed if speed else None
        return {
            "bytes_done": done,
            "bytes_total": self.total,
            "bytes_per_s": round(speed) if speed else None,
            "eta_s": round(eta, 1) if eta is not None else None,
        }


def describe(progress: dict[str, Any], size: Any) -> str:
    """'4.20 MiB of 10.25 MiB · 480 KiB/s · 13 s left' from a job.progress event's fields
    ("" when it has no bytes); `size` formats a byte count (oakd.build.limits.short_size)."""
    total = progress.get("bytes_total")
    if not total:
        return ""
    parts = [f"{size(progress.get('bytes_done') or 0)} of {size(total)}"]
    if progress.get("bytes_per_s"):
        parts.append(f"{size(progress['bytes_per_s'])}/s")
    if progress.get("eta_s") is not None:
        parts.append(f"{eta_text(progress['eta_s'])} left")
    return " · ".join(parts)


def eta_text(seconds: float) -> str:
    """'13 s', '2 min 5 s'."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    return f"{whole // 60} min {whole % 60} s"
