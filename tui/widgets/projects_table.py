"""The watched projects: state, last build result, target cameras."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from tui import model
from tui.clock import Clock
from tui.model import Wire
from tui.widgets.keyed_table import KeyedTable

COLUMNS = (
    ("name", "project", None),
    ("state", "state", 9),
    ("build", "last build", None),
    ("cameras", "cameras", None),
)
# What a narrow panel keeps, most important first (KeyedTable drops from the end).
IMPORTANCE = ("name", "state", "build", "cameras")
STATE_STYLES = {"idle": "", "building": "bold cyan", "ok": "green", "failed": "bold red"}


class ProjectsTable(KeyedTable):
    """One row per watched project directory, keyed by its path."""

    COLUMNS = COLUMNS
    IMPORTANCE = IMPORTANCE
    CURSOR_WHEN_FOCUSED = True
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
        super().__init__(id=id)
        self.clock = clock
        self.names = names
        self.projects: dict[str, Wire] = {}
        self.served = True  # False when the daemon does not serve `projects`

    def highlighted(self) -> Wire | None:
        """The project under the cursor."""
        key = self.highlighted_key()
        return self.projects.get(key) if key is not None else None

    def replace_all(self, projects: list[Wire] | None) -> None:
        """A fresh list after (re)connecting; None when the daemon has no projects request."""
        self.served = projects is not None
        self.projects = {str(p["path"]): p for p in projects or []}
        current = self.highlighted_key()
        self.clear_rows()
        for path in sorted(self.projects):
            self.put_row(path, self._row(self.projects[path]))
        self.restore_cursor(current)

    def upsert(self, project: Wire) -> None:
        """A project.changed event: watched, unwatched or a new state."""
        path = str(project["path"])
        if project.get("watched") is False or project.get("state") == "unwatched":
            self.forget(path)
            return
        known = path in self.projects
        self.projects[path] = project
        if known:
            self.put_row(path, self._row(project))
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
            self.drop_row(path)

    def relabel(self) -> None:
        """Camera names changed: redraw the cameras column."""
        for path, project in self.projects.items():
            self.put_row(path, self._row(project))

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
