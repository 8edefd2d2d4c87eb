"""The watched projects: state, last build result, target cameras."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

from tui import model
from tui.clock import Clock
from tui.model import Wire

COLUMNS = (
    ("name", "project", None),
    ("state", "state", 9),
    ("build", "last build", None),
    ("cameras", "cameras", None),
)
STATE_STYLES = {"idle": "", "building": "bold cyan", "ok": "green", "failed": "bold red"}


class ProjectsTable(DataTable[Text]):
    """One row per watched project directory, keyed by its path."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("w", "app.watch", "Watch"),
        Binding("u", "app.unwatch", "Unwatch"),
        Binding("delete", "app.unwatch", "Unwatch", show=False),
    ]

    @dataclass
    class Opened(Message):
        """Enter on a project: show its last build, traceback and output included."""

        project: Wire

    def __init__(self, clock: Clock, names: Callable[[str], str], id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", show_cursor=False)
        self.clock = clock
        self.names = names
        self.projects: dict[str, Wire] = {}
        self.served = True  # False when the daemon does not serve `projects`

    def on_mount(self) -> None:
        for key, title, width in COLUMNS:
            self.add_column(title, key=key, width=width)

    def highlighted(self) -> Wire | None:
        """The project under the cursor."""
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except RowDoesNotExist:
            return None
        return self.projects.get(str(key))

    def replace_all(self, projects: list[Wire] | None) -> None:
        """A fresh list after (re)connecting; None when the daemon has no projects request."""
        self.served = projects is not None
        self.projects = {str(p["path"]): p for p in projects or []}
        self.clear(columns=False)
        for path in sorted(self.projects):
            self.add_row(*self._row(self.projects[path]), key=path)

    def upsert(self, project: Wire) -> None:
        """A project.changed event: watched, unwatched or a new state."""
        path = str(project["path"])
        if project.get("watched") is False or project.get("state") == "unwatched":
            self.forget(path)
            return
        known = path in self.projects
        self.projects[path] = project
        if known:
            self._update_row(project)
        else:
            self.replace_all(list(self.projects.values()))

    def build(self, path: str, result: Wire) -> Wire:
        """A project.build event: the finished build becomes the project's last build."""
        project = self.projects.get(path) or {"path": path, "entry": "", "devices": []}
        state = "ok" if result.get("ok") else "failed"
        project = {**project, "last_build": result, "state": state}
        self.upsert(project)
        return project

    def forget(self, path: str) -> None:
        """Forget a project (unwatched)."""
        if self.projects.pop(path, None) is not None:
            self.remove_row(path)

    def relabel(self) -> None:
        """Camera names changed: redraw the cameras column."""
        for project in self.projects.values():
            self._update_row(project)

    def on_focus(self) -> None:
        self.show_cursor = True

    def on_blur(self) -> None:
        self.show_cursor = False

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        project = self.projects.get(str(event.row_key.value))
        if project is not None:
            self.post_message(self.Opened(project))

    def _row(self, project: Wire) -> tuple[Text, ...]:
        state = str(project.get("state") or "idle")
        return (
            Text(model.project_name(str(project["path"]))),
            Text(state, style=STATE_STYLES.get(state, "")),
            self._last_build(project.get("last_build")),
            Text(", ".join(self.names(str(d)) for d in project.get("devices") or []) or "-"),
        )

    def _last_build(self, result: Wire | None) -> Text:
        if not result:
            return Text("-", style="dim")
        when = self.clock.format(result.get("finished"))
        if not result.get("ok"):
            kind = (result.get("error") or {}).get("kind") or "error"
            return Text(f"✗ {kind} {when}", style="red")
        if result.get("unchanged"):
            return Text(f"= unchanged {when}", style="dim")
        return Text(f"✓ {model.human_size(result.get('size'))} {when}", style="green")

    def _update_row(self, project: Wire) -> None:
        path = str(project["path"])
        for (key, _, width), cell in zip(COLUMNS, self._row(project), strict=True):
            self.update_cell(path, key, cell, update_width=width is None)
