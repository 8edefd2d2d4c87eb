"""The confirmation dialog in front of every destructive request."""

from __future__ import annotations

from typing import ClassVar

from rich.console import RenderableType
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class ConfirmScreen(ModalScreen[bool]):
    """Says what will happen to which camera and what will be lost; nothing is sent unless
    the user confirms (y, or the confirm button). Escape, n, or Cancel dismiss with False."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Yes"),
        Binding("n", "cancel", "No"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, title: str, body: RenderableType, confirm_label: str) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.body = body
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -danger"):
            yield Label(Content(self.title_text), classes="dialog-title")
            yield Static(self.body, id="confirm-body", classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(Content("Cancel [n]"), id="cancel", compact=True)
                yield Button(
                    Content(f"{self.confirm_label} [y]"),
                    id="confirm",
                    variant="error",
                    compact=True,
                )

    def on_mount(self) -> None:
        # The safe choice has the focus: a stray enter cancels.
        self.query_one("#cancel", Button).focus()

    @property
    def body_text(self) -> str:
        """The dialog's text, plain (for tests)."""
        body = self.body
        return body if isinstance(body, str) else getattr(body, "plain", str(body))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm")

    def action_confirm(self) -> None:
        """Go ahead."""
        self.dismiss(True)

    def action_cancel(self) -> None:
        """Send nothing."""
        self.dismiss(False)
