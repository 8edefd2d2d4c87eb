"""Time for the TUI: what "now" is and how a timestamp is shown, injectable for snapshots."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol


class Clock(Protocol):
    """Where the TUI gets the time and how it prints one."""

    def now(self) -> float:
        """Seconds since the epoch."""
        ...

    def format(self, ts: float | None) -> str:
        """A timestamp for a table cell: the time today, else the date and time; "-" if none."""
        ...


def _format(moment: time.struct_time, today: time.struct_time) -> str:
    if moment[:3] == today[:3]:
        return time.strftime("%H:%M:%S", moment)
    return time.strftime("%Y-%m-%d %H:%M", moment)


class LocalClock:
    """The wall clock, in the local time zone."""

    def now(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    def format(self, ts: float | None) -> str:
        """As the CLI prints times: HH:MM:SS today, YYYY-MM-DD HH:MM before."""
        if ts is None:
            return "-"
        return _format(time.localtime(ts), time.localtime())


@dataclass(frozen=True)
class FixedClock:
    """A clock stopped at `at`, printing in UTC: the same picture on every machine."""

    at: float

    def now(self) -> float:
        """Always `at`."""
        return self.at

    def format(self, ts: float | None) -> str:
        """As LocalClock, in UTC, with `at` as today."""
        if ts is None:
            return "-"
        return _format(time.gmtime(ts), time.gmtime(self.at))
