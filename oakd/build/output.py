"""What the user's code printed: kept to a bounded tail, so megabytes of prints cost nothing."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_LIMIT = 64 * 1024


@dataclass(frozen=True)
class CapturedOutput:
    """The tail of the build's stdout and stderr (interleaved as printed)."""

    text: str = ""
    total_bytes: int = 0  # everything printed, kept or not
    dropped_bytes: int = 0  # printed before the kept tail

    @property
    def truncated(self) -> bool:
        """Some output was dropped to stay within the limit."""
        return self.dropped_bytes > 0


class TailBuffer:
    """Collects a byte stream and keeps only its last `limit` bytes."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self.total = 0
        self._data = bytearray()

    def feed(self, chunk: bytes) -> None:
        """Add what was read; trims in large steps so that the cost stays linear."""
        self.total += len(chunk)
        self._data += chunk
        if len(self._data) > 2 * self.limit:
            del self._data[: len(self._data) - self.limit]

    def captured(self) -> CapturedOutput:
        """The kept tail as text; when cut, it starts at a line boundary if one is near."""
        data = bytes(self._data[-self.limit :]) if self.limit else b""
        dropped = self.total - len(data)
        if dropped:
            newline = data.find(b"\n", 0, 1024)
            if newline >= 0:
                data = data[newline + 1 :]
                dropped += newline + 1
        return CapturedOutput(data.decode("utf-8", "replace"), self.total, dropped)
