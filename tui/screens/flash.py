"""Asks what to flash to the selected cameras: a project directory or a .dap package."""

from __future__ import annotations

from dataclasses import dataclass, replace
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
class FlashChoice:
    """Exactly one of `project` and `package`, as absolute paths (the daemon has another cwd);
    `full`: write the whole package, never a delta; `force`: even on a bootloader older than
    the daemon's minimum (as `oakd flash --force`)."""

    project: str | None = None
    package: str | None = None
    full: bool = False
    force: bool = False


def choose(text: str, cwd: Path | None = None) -> FlashChoice | str:
    """A typed path as a FlashChoice, or what is wrong with it."""
    if not text.strip():
        return "type the path of a project directory or of a .dap package"
    path = Path(text.strip()).expanduser()
    if not path.is_absolute():
        path = (cwd or Path.cwd()) / path
    path = path.resolve()
    if path.is_dir():
        return FlashChoice(project=str(path))
    if path.is_file() and path.suffix == ".dap":
        return FlashChoice(package=str(path))
    if path.exists():
        return f"{path} is neither a project directory nor a .dap package"
    return f"{path} does not exist"


class FlashScreen(ModalScreen[FlashChoice | None]):
    """One path input; enter flashes, escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, targets: list[str], initial: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.targets = targets
        self.initial = initial

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Flash", classes="dialog-title")
            yield Static(Content(f"to {', '.join(self.targets)}"), classes="dialog-body")
            yield Input(
                self.initial,
                placeholder="project directory or package.dap",
                suggester=PathSuggester(),
                id="flash-path",
            )
            yield Checkbox("write the whole package (no delta)", id="flash-full", compact=True)
            yield Checkbox("flash even an old bootloader (force)", id="flash-force", compact=True)
            yield Static("", id="flash-error", classes="dialog-error")
            yield Label(
                "→ completes the path · tab, space: the boxes · enter flashes · escape cancels",
                classes="dialog-hint",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Flash", id="flash", variant="primary", compact=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "flash":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        result = choose(self.query_one("#flash-path", Input).value)
        if isinstance(result, str):
            self.query_one("#flash-error", Static).update(Content(result))
            return
        self.dismiss(
            replace(
                result,
                full=self.query_one("#flash-full", Checkbox).value,
                force=self.query_one("#flash-force", Checkbox).value,
            )
        )

    def action_cancel(self) -> None:
        """Flash nothing."""
        self.dismiss(None)
