"""The `/` filter line above the cameras table: it filters the cameras, or the jobs or the
projects when one of those panels has the focus."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input

PLACEHOLDERS = {
    "cameras": "filter cameras: alias, MX ID, address, state, app",
    "jobs": "filter jobs: number, camera, what, state",
    "projects": "filter projects: name, state, last build, cameras",
}


class FilterInput(Input):
    """Filters as you type; enter keeps the filter, escape clears it. Hidden when unused."""

    # Compact: one row, no border. Input's own `:focus` rule draws a tall border, which in one
    # row covers the text; the compact style is the one that wins over it.
    DEFAULT_CSS = """
    FilterInput {
        display: none;
    }
    FilterInput.-active {
        display: block;
        padding: 0 1;  /* the text starts where the table's cells do */
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear", "Clear filter"),
    ]

    @dataclass
    class FilterChanged(Message):
        """The filter text changed."""

        text: str

    @dataclass
    class FilterDone(Message):
        """The user is done typing; `text` is the filter that stays (may be empty)."""

        text: str

    def __init__(self, id: str | None = None) -> None:
        super().__init__(placeholder=PLACEHOLDERS["cameras"], id=id, compact=True)

    def open(self, panel: str = "cameras", text: str = "") -> None:
        """Show and focus, to filter `panel` (which holds `text` as its filter now)."""
        self.placeholder = PLACEHOLDERS.get(panel, f"filter {panel}")
        with self.prevent(Input.Changed):  # the panel's own filter: nothing changes
            self.value = text
        self.add_class("-active")
        self.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.FilterChanged(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.set_class(bool(event.value), "-active")
        self.post_message(self.FilterDone(event.value))

    def action_clear(self) -> None:
        """Drop the filter and hide."""
        self.value = ""
        self.remove_class("-active")
        self.post_message(self.FilterChanged(""))
        self.post_message(self.FilterDone(""))
