"""A camera's app log: what its standalone app reported (boots, Script logs, crashes), live.

k9s' log view conventions: it follows new lines (f pauses and resumes: paused, the view stays
where it is while lines keep coming), w wraps long lines or not, t shows or hides timestamps,
/ filters (escape clears), escape closes. The lines come from the daemon's `logs` and then its
app.log events (the app hands them in: add_line).
"""

from __future__ import annotations

import time
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, RichLog

from oakd.protocol.replies import AppLogLine

KEEP = 5000  # lines in the view
LEVEL_STYLES = {"warn": "yellow", "error": "bold red", "critical": "bold red", "debug": "dim"}


class AppLogScreen(Screen[None]):
    """One camera's app lines; `lines` holds them all, `shown` what the filter lets through."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("f", "toggle_follow", "Follow/pause"),
        Binding("w", "toggle_wrap", "Wrap"),
        Binding("t", "toggle_times", "Timestamps"),
        Binding("slash", "filter", "Filter"),
    ]

    def __init__(self, device: str, label: str, lines: list[AppLogLine]) -> None:
        super().__init__()
        self.device = device  # MX ID: the lines of this camera are added
        self.label = label
        self.lines: list[AppLogLine] = list(lines)[-KEEP:]
        self.follow = True
        self.wrap = True
        self.times = True
        self.needle = ""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Content(self._title()), id="app-log-title")
            yield RichLog(id="app-log", max_lines=KEEP, wrap=True, markup=False, highlight=False)
            yield Input(placeholder="filter lines", id="app-log-filter")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#app-log-filter", Input).display = False
        self._redraw()
        self.query_one(RichLog).focus()

    @property
    def shown(self) -> list[AppLogLine]:
        """The lines the filter lets through."""
        return [x for x in self.lines if self._matches(x)]

    def add_line(self, line: AppLogLine) -> None:
        """A new line of this camera's app (an app.log event)."""
        self.lines = [*self.lines, line][-KEEP:]
        if self._matches(line):
            view = self.query_one(RichLog)
            view.write(self._text(line), scroll_end=self.follow)

    def _matches(self, line: AppLogLine) -> bool:
        if not self.needle:
            return True
        return self.needle.lower() in f"{line.kind} {line.level} {line.source} {line.text}".lower()

    def _text(self, line: AppLogLine) -> Text:
        text = Text()
        if self.times:
            text.append(time.strftime("%H:%M:%S ", time.localtime(line.at)), style="dim")
        if line.kind == "boot":
            text.append(f"boot {line.app}", style="bold cyan")
        elif line.kind == "crash":
            text.append(f"crash {line.source}:\n", style="bold red")
            text.append(line.text.rstrip("\n"), style="red")
        else:
            text.append(f"{line.source} ", style="bold")
            text.append(f"{line.level}: ", style=LEVEL_STYLES.get(line.level, ""))
            text.append(line.text)
        return text

    def _title(self) -> str:
        state = "following" if self.follow else "paused (f follows)"
        shown = f" · filter: {self.needle}" if self.needle else ""
        return f"app log of {self.label} · {state}{shown}"

    def _redraw(self) -> None:
        view = self.query_one(RichLog)
        view.wrap = self.wrap
        view.clear()
        for line in self.shown:
            view.write(self._text(line), scroll_end=self.follow)
        if not self.lines:
            view.write(
                Text(
                    "Nothing reported yet. An app reports only if oakd added its telemetry "
                    "(watched projects have it unless they say telemetry = false).",
                    style="dim",
                )
            )
        self.query_one("#app-log-title", Label).update(Content(self._title()))

    def action_toggle_follow(self) -> None:
        """Follow new lines, or stay where the view is."""
        self.follow = not self.follow
        self.query_one(RichLog).auto_scroll = self.follow
        if self.follow:
            self.query_one(RichLog).scroll_end(animate=False)
        self.query_one("#app-log-title", Label).update(Content(self._title()))

    def action_toggle_wrap(self) -> None:
        """Wrap long lines, or let them run off to the right."""
        self.wrap = not self.wrap
        self._redraw()

    def action_toggle_times(self) -> None:
        """Show or hide when each line came."""
        self.times = not self.times
        self._redraw()

    def action_filter(self) -> None:
        """Type a filter: only lines containing it are shown."""
        field = self.query_one("#app-log-filter", Input)
        field.display = True
        field.focus()

    @on(Input.Changed, "#app-log-filter")
    def _filtered(self, event: Input.Changed) -> None:
        self.needle = event.value.strip()
        self._redraw()

    @on(Input.Submitted, "#app-log-filter")
    def _filter_kept(self, _: Input.Submitted) -> None:
        self.query_one(RichLog).focus()

    def action_close(self) -> None:
        """Back to the main screen; escape in the filter clears it first."""
        field = self.query_one("#app-log-filter", Input)
        if field.has_focus and self.needle:
            field.value = ""
            return
        self.dismiss(None)
