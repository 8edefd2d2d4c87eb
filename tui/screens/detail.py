"""A read-only page of text: a camera's details, a job's outcome, a build's traceback."""

from __future__ import annotations

from typing import ClassVar

from rich.console import RenderableType
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class DetailScreen(ModalScreen[None]):
    """Scrollable text in a dialog; escape, q or enter closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("q", "close", "Close", show=False),
        Binding("enter", "close", "Close", show=False),
    ]

    def __init__(self, title: str, body: RenderableType) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -wide"):
            yield Label(Content(self.title_text), classes="dialog-title")
            with VerticalScroll(classes="detail-scroll"):
                yield Static(self.body, id="detail-body")
            yield Label("escape closes", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    @property
    def body_text(self) -> str:
        """The page, plain (for tests)."""
        body = self.body
        return body if isinstance(body, str) else getattr(body, "plain", str(body))

    def action_close(self) -> None:
        """Back to the main screen."""
        self.dismiss(None)
