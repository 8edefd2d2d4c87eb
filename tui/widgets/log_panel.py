"""The log panel: build output, errors and the daemon's messages, newest at the bottom."""

from __future__ import annotations

from collections import deque
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.timer import Timer
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
REWRAP_DELAY = 0.2  # seconds without a resize before the lines are wrapped at the new width


class LogPanel(RichLog):
    """Lines as `HH:MM:SS level source: message`; multi-line messages (tracebacks) indented."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+l", "clear_log", "Clear log"),
    ]

    def __init__(self, clock: Clock, id: str | None = None) -> None:
        super().__init__(id=id, max_lines=KEEP, wrap=True, markup=False, highlight=False)
        self.clock = clock
        # RichLog wraps a line once, when it is written, at a width it guesses (the console's,
        # at least 78): lines are kept here, and written again at the panel's width when that
        # changes, so that a wide terminal is used whole and a narrow one cuts nothing.
        self._kept: deque[Text] = deque(maxlen=KEEP)
        self._width = 0  # the width the lines are wrapped at; 0 until the panel has a size
        self._rewrap: Timer | None = None

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
        self._kept.append(line)
        if self._width:
            self.write(line, width=self._width)

    def on_resize(self, _: events.Resize) -> None:
        if self._rewrap is not None:
            self._rewrap.stop()
        if not self._width:
            self._wrap()  # the first size: the lines written so far wait for it
        else:
            # Wrapping a full log again takes about half a second, and dragging a terminal's
            # edge resizes many times: wrap once the size has settled.
            self._rewrap = self.set_timer(REWRAP_DELAY, self._wrap)

    def _wrap(self) -> None:
        self._rewrap = None
        # The vertical scrollbar's cell is kept free, so that the first line past the panel's
        # height does not make every line one cell too wide (and a sideways scrollbar).
        width = max(self.size.width - self.styles.scrollbar_size_vertical, 1)
        if width == self._width:
            return
        self._width = width
        super().clear()
        if self._kept:
            # One write for all: a write per line costs twice as much.
            self.write(Text("\n").join(self._kept), width=width)

    def text(self) -> str:
        """Everything kept, as plain text."""
        return "\n".join(line.plain for line in self._kept)

    def action_clear_log(self) -> None:
        """Empty the panel."""
        self._kept.clear()
        self.clear()
