"""The log panel: build output, errors and the daemon's messages, newest at the bottom."""

from __future__ import annotations

from collections import deque
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import RichLog

from tui.clock import Clock

LEVEL_STYLES = {
    "debug": "dim",
    "info": "",
    "warning": "yellow",
    "error": "bold red",
    "critical": "bold red reverse",
}
KEEP = 2000  # lines


class LogPanel(RichLog):
    """Lines as `HH:MM:SS level source: message`; multi-line messages (tracebacks) indented."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+l", "clear_log", "Clear log"),
    ]

    def __init__(self, clock: Clock, id: str | None = None) -> None:
        super().__init__(id=id, max_lines=KEEP, wrap=True, markup=False, highlight=False)
        self.clock = clock
        self.entries: deque[str] = deque(maxlen=KEEP)  # plain text, for tests and search

    def add(self, level: str, source: str, message: str, detail: str = "") -> None:
        """One entry; `detail` (build output, a traceback) follows on indented lines."""
        level = (level or "info").lower()
        style = LEVEL_STYLES.get(level, "")
        first, *rest = (message or "").splitlines() or [""]
        line = Text(f"{self.clock.format(self.clock.now())} ", style="dim")
        line.append(f"{level:<7} ", style=style)
        line.append(f"{source}: " if source else "", style="bold")
        line.append(first, style=style)
        self._emit(line)
        for extra in [*rest, *detail.splitlines()]:
            self._emit(Text(f"    {extra}", style="dim" if level != "error" else ""))

    def _emit(self, line: Text) -> None:
        self.entries.append(line.plain)
        self.write(line)

    def text(self) -> str:
        """Everything kept, as plain text."""
        return "\n".join(self.entries)

    def action_clear_log(self) -> None:
        """Empty the panel."""
        self.entries.clear()
        self.clear()
