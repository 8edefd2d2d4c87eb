"""The watched projects: state, last build result, target cameras."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from oakd.core.sync import OUT_OF_SYNC, runs_last_build
from tui import hosts, model
from tui.clock import Clock
from tui.model import Wire
from tui.widgets.keyed_table import KeyedTable

COLUMNS = (
    ("name", "project", None),
    ("state", "state", 11),
    ("build", "last build", None),
    ("cameras", "cameras", None),
)
# What a narrow panel keeps, most important first (KeyedTable drops from the end).
IMPORTANCE = ("name", "state", "build", "cameras")
STATE_STYLES = {
    "idle": "",
    "building": "bold cyan",
    "ok": "green",
    "failed": "bold red",
    OUT_OF_SYNC: "yellow",
}


class ProjectsTable(KeyedTable):
    """One row per watched project directory, keyed by its path (with several daemons, by
    daemon and path: tui/hosts.py; a path is one on its daemon's host)."""

    COLUMNS = COLUMNS
    IMPORTANCE = IMPORTANCE
    HOST_AFTER = "name"
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

    def __init__(
        self,
        clock: Clock,
        names: Callable[[str], str],
        id: str | None = None,
        several: bool = False,
        device: Callable[[str], Wire | None] = lambda key: None,
    ) -> None:
        super().__init__(id=id, several=several)
        self.clock = clock
        self.names = names  # a camera's row key -> what a person calls it
        self.device = device  # a camera's row key -> its wire, if the TUI has it
        self.projects: dict[str, Wire] = {}  # by row key
        self.unserved: set[str] = set()  # the daemons without a `projects` request

    @property
    def served(self) -> bool:
        """Every daemon serves `projects`."""
        return not self.unserved

    def highlighted(self) -> Wire | None:
        """The project under the cursor."""
        key = self.highlighted_key()
        return self.projects.get(key) if key is not None else None

    def forget_rows(self) -> None:
        self.projects.clear()
        self.unserved.clear()

    def replace_all(self, projects: list[Wire] | None, host: str = "") -> None:
        """A fresh list from daemon `host` after (re)connecting (None when it has no projects
        request); other daemons' projects stay."""
        if projects is None:
            self.unserved.add(host)
        else:
            self.unserved.discard(host)
        others = {k: p for k, p in self.projects.items() if hosts.host_of(p) != host}
        self._redraw({**others, **{hosts.key_of(p, "path"): p for p in projects or []}})

    def _redraw(self, projects: dict[str, Wire]) -> None:
        self.projects = projects
        current = self.highlighted_key()
        self.clear_rows()
        for key in sorted(self.projects):
            project = self.projects[key]
            self.put_row(key, self._row(project), hosts.host_of(project))
        self.restore_cursor(current)
        self.user_sorted()

    def default_order(self) -> None:
        self._redraw(self.projects)

    def upsert(self, project: Wire) -> None:
        """A project.changed event: watched, unwatched or a new state."""
        key = hosts.key_of(project, "path")
        if project.get("watched") is False or project.get("state") == "unwatched":
            self.forget(key)
            return
        known = key in self.projects
        self.projects[key] = project
        if known:
            self.put_row(key, self._row(project), hosts.host_of(project))
        else:
            self._redraw(self.projects)

    def build(self, path: str, result: Wire, host: str = "") -> Wire:
        """A project.build event of daemon `host`: the finished build becomes the project's
        last build."""
        fallback = hosts.tag_one({"path": path, "entry": "", "devices": []}, host)
        project = self.projects.get(hosts.key(host, path)) or fallback
        state = "ok" if result.get("ok") else "failed"
        project = {**project, "last_build": result, "state": state}
        self.upsert(project)
        return project

    def watched_for(self, device: Wire) -> str | None:
        """The path of the project that flashes `device` (a camera's wire), if one does."""
        camera = hosts.key_of(device)
        for key in sorted(self.projects):
            project = self.projects[key]
            if any(self._camera(project, d) == camera for d in project.get("devices") or []):
                return str(project["path"])
        return None

    def forget(self, key: str) -> None:
        """Forget a project (unwatched), by row key."""
        if self.projects.pop(key, None) is not None:
            self.drop_row(key)

    def relabel(self) -> None:
        """Camera names changed: redraw the cameras column."""
        for key, project in self.projects.items():
            self.put_row(key, self._row(project), hosts.host_of(project))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        project = self.projects.get(str(event.row_key.value))
        if project is not None:
            self.post_message(self.Opened(project))

    def stale(self, project: Wire) -> list[str]:
        """The project's cameras (row keys) that do not run its last good build (core/sync.py)."""
        keys = [self._camera(project, d) for d in project.get("devices") or []]
        return [k for k in keys if runs_last_build(project, self.device(k)) is False]

    def _row(self, project: Wire) -> tuple[Text, ...]:
        state = str(project.get("state") or "idle")
        stale = self.stale(project)
        if state == "ok" and stale:
            state = OUT_OF_SYNC
        cameras = Text()
        for i, device_id in enumerate(project.get("devices") or []):
            key = self._camera(project, device_id)
            cameras.append(", " if i else "")
            if key in stale:  # reset, cleared or flashed by hand since: f flashes it again
                cameras.append(f"{self.names(key)} ≠", style="yellow")
            else:
                cameras.append(self.names(key))
        return (
            Text(model.project_name(str(project["path"]))),
            Text(state, style=STATE_STYLES.get(state, "")),
            self._last_build(project.get("last_build")),
            cameras if cameras.plain else Text("-"),
        )

    @staticmethod
    def _camera(project: Wire, device_id: object) -> str:
        return hosts.key(hosts.host_of(project), device_id)

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
