"""The `?` screen: every key, by where it works, taken from the bindings themselves."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

KEY_NAMES = {
    "question_mark": "?",
    "slash": "/",
    "colon": ":",
    "space": "space",
    "delete": "del",
    "escape": "esc",
}

MOUSE = (
    "Click a panel to focus it, a row to highlight it, the highlighted row again to open it, "
    "the first column of a camera to mark it, a key in the footer to run it."
)


def key_name(key: str) -> str:
    """How a key is written on the help screen."""
    return ", ".join(KEY_NAMES.get(k, k) for k in key.split(","))


def bindings_text(sections: list[tuple[str, list[BindingType]]]) -> Text:
    """One block per section: key, then what it does."""
    body = Text()
    for title, bindings in sections:
        body.append(f"{title}\n", style="bold underline")
        seen: set[str] = set()
        for binding in bindings:
            if not isinstance(binding, Binding) or binding.description in seen:
                continue
            seen.add(binding.description)
            keys = [
                b.key for b in bindings if isinstance(b, Binding) and b.action == binding.action
            ]
            body.append(f"  {', '.join(key_name(k) for k in keys):<12}", style="bold cyan")
            body.append(f"{binding.tooltip or binding.description}\n")
        body.append("\n")
    body.append("mouse\n", style="bold underline")
    body.append(f"  {MOUSE}\n")
    return body


class HelpScreen(ModalScreen[None]):
    """Keys by panel; escape, q or ? closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("q", "close", "Close", show=False),
        Binding("question_mark", "close", "Close", show=False),
    ]

    def __init__(self, sections: list[tuple[str, list[BindingType]]]) -> None:
        super().__init__(classes="dialog-screen")
        self.sections = sections

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -wide"):
            yield Label("Keys", classes="dialog-title")
            with VerticalScroll(classes="detail-scroll"):
                yield Static(bindings_text(self.sections), id="help-body")
            yield Label(
                "escape closes · ctrl+p or : opens the command palette", classes="dialog-hint"
            )

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        """Back to the main screen."""
        self.dismiss(None)
