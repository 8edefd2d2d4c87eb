"""Asks which project directory to watch for the selected cameras."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

from tui.suggest import PathSuggester


@dataclass(frozen=True)
class WatchChoice:
    """What to send in a Watch request (path absolute)."""

    path: str
    entry: str = "pipeline.py"
    compress: bool = True


def choose(
    path_text: str, entry: str, compress: bool, cwd: Path | None = None
) -> WatchChoice | str:
    """The typed fields as a WatchChoice, or what is wrong with them."""
    if not path_text.strip():
        return "type the path of a project directory"
    path = Path(path_text.strip()).expanduser()
    if not path.is_absolute():
        path = (cwd or Path.cwd()) / path
    path = path.resolve()
    if not path.is_dir():
        return f"{path} is not a directory"
    entry = entry.strip() or "pipeline.py"
    if not (path / entry).is_file():
        return f"{path} has no {entry}: give the entry file the pipeline is built from"
    return WatchChoice(str(path), entry, compress)


class WatchScreen(ModalScreen[WatchChoice | None]):
    """Project directory, entry file, compression; enter watches, escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, targets: list[str], initial: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.targets = targets
        self.initial = initial

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Watch a project", classes="dialog-title")
            where = ", ".join(self.targets) if self.targets else "no camera (build only)"
            yield Static(Content(f"rebuild on change and flash to {where}"), classes="dialog-body")
            yield Input(
                self.initial,
                placeholder="project directory",
                suggester=PathSuggester(),
                id="watch-path",
            )
            yield Input("pipeline.py", placeholder="entry file", id="watch-entry")
            yield Checkbox("compress the package", True, id="watch-compress")
            yield Static("", id="watch-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Watch", id="watch", variant="primary", compact=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "watch":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        result = choose(
            self.query_one("#watch-path", Input).value,
            self.query_one("#watch-entry", Input).value,
            self.query_one("#watch-compress", Checkbox).value,
        )
        if isinstance(result, str):
            self.query_one("#watch-error", Static).update(Content(result))
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        """Watch nothing."""
        self.dismiss(None)
