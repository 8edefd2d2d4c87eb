"""How much of a child's output reaches the daemon's log: a token bucket, and flood detection.

depthai's XLink reader thread can spin on a dead link, writing "Cannot find file descriptor by
key" as fast as it can (10 GB of log in 3 minutes, issue 10). The log keeps a bounded share of
a child's lines and counts the rest; a child that floods for seconds on end is broken.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

RATE = 20.0  # lines a second that reach the log, on average
BURST = 200  # lines that may reach it at once
FLOOD_RATE = 1000.0  # lines a second above which a child counts as flooding
FLOOD_S = 3.0  # seconds of flooding after which the child is stopped
REPORT_S = 10.0  # how often "N lines dropped" is logged while lines are dropped


class Verdict(str, Enum):
    """What to do with one line."""

    LOG = "log"
    DROP = "drop"
    STOP = "stop"  # the child floods: stop it


@dataclass
class OutputLimiter:
    """Decides, line by line, what reaches the log; `dropped` counts what did not."""

    tokens: float = BURST
    last: float | None = None
    dropped: int = 0
    reported_at: float = 0.0
    _window_start: float = 0.0
    _window_lines: int = 0
    _flood_since: float | None = None

    def take(self, now: float) -> Verdict:
        """The verdict for a line that arrived at `now` (monotonic seconds)."""
        if self.last is None:
            self.last = self.reported_at = self._window_start = now
        self.tokens = min(BURST, self.tokens + (now - self.last) * RATE)
        self.last = now
        if self._flooding(now):
            return Verdict.STOP
        if self.tokens >= 1:
            self.tokens -= 1
            return Verdict.LOG
        self.dropped += 1
        return Verdict.DROP

    def report(self, now: float) -> int:
        """Lines dropped since the last report, if a report is due (else 0)."""
        if not self.dropped or now - self.reported_at < REPORT_S:
            return 0
        dropped, self.dropped, self.reported_at = self.dropped, 0, now
        return dropped

    def _flooding(self, now: float) -> bool:
        self._window_lines += 1
        if now - self._window_start < 1.0:
            return False
        rate = self._window_lines / (now - self._window_start)
        self._window_start, self._window_lines = now, 0
        if rate < FLOOD_RATE:
            self._flood_since = None
            return False
        if self._flood_since is None:
            self._flood_since = now
        return now - self._flood_since >= FLOOD_S - 1.0
