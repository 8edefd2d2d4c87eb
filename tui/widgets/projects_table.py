"""The watched projects: state, last build result, target cameras."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from oakd.protocol.replies import OUT_OF_SYNC, BuildSummary, DeviceInfo, ProjectInfo
from tui import hosts, model
from tui.clock import Clock
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

        project: ProjectInfo

    def __init__(
        self,
        clock: Clock,
        names: Callable[[str], str],
        id: str | None = None,
        several: bool = False,
        device: Callable[[str], DeviceInfo | None] = lambda key: None,
    ) -> None:
        super().__init__(id=id, several=several)
        self.clock = clock
        self.names = names  # a camera's row key -> what a person calls it
        self.device = device  # a camera's row key -> the camera, if the TUI has it
        self.projects: dict[str, ProjectInfo] = {}  # by row key
        self.unserved: set[str] = set()  # the daemons without a `projects` request

    @property
    def served(self) -> bool:
        """Every daemon serves `projects`."""
        return not self.unserved

    def highlighted(self) -> ProjectInfo | None:
        """The project under the cursor."""
        key = self.highlighted_key()
        return self.projects.get(key) if key is not None else None

    def forget_rows(self) -> None:
        self.projects.clear()
        self.unserved.clear()

    def replace_all(self, projects: list[ProjectInfo] | None, host: str = "") -> None:
        """A fresh list from daemon `host` after (re)connecting (None when it has no projects
        request); other daemons' projects stay."""
        if projects is None:
            self.unserved.add(host)
        else:
            self.unserved.discard(host)
        others = {k: p for k, p in self.projects.items() if p.host != host}
        self._redraw({**others, **{hosts.key_of(p): p for p in projects or []}})

    def _redraw(self, projects: dict[str, ProjectInfo]) -> None:
        self.projects = projects
        current = self.highlighted_key()
        self.clear_rows()
        for key in sorted(self.projects):
            project = self.projects[key]
            self.put_row(key, self._row(project), project.host)
        self.restore_cursor(current)
        self.user_sorted()

    def default_order(self) -> None:
        self._redraw(self.projects)

    def upsert(self, project: ProjectInfo) -> None:
        """A project.changed event: watched, unwatched or a new state."""
        key = hosts.key_of(project)
        if project.state == "unwatched":
            self.forget(key)
            return
        known = key in self.projects
        self.projects[key] = project
        if known:
            self.put_row(key, self._row(project), project.host)
        else:
            self._redraw(self.projects)

    def build(self, path: str, result: BuildSummary, host: str = "") -> None:
        """A project.build event of daemon `host`: the finished build becomes the project's
        last build (a project not listed yet is shown with it)."""
        project = self.projects.get(hosts.key(host, path)) or ProjectInfo(path, host=host)
        state = "ok" if result.ok else "failed"
        self.upsert(dataclasses.replace(project, last_build=result, state=state))

    def watched_for(self, device: DeviceInfo) -> str | None:
        """The path of the project that flashes `device`, if one does."""
        camera = hosts.key_of(device)
        for key in sorted(self.projects):
            project = self.projects[key]
            if any(self._camera(project, d) == camera for d in project.devices):
                return project.path
        return None

    def forget(self, key: str) -> None:
        """Forget a project (unwatched), by row key."""
        if self.projects.pop(key, None) is not None:
            self.drop_row(key)

    def relabel(self) -> None:
        """Camera names changed: redraw the cameras column."""
        for key, project in self.projects.items():
            self.put_row(key, self._row(project), project.host)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        project = self.projects.get(str(event.row_key.value))
        if project is not None:
            self.post_message(self.Opened(project))

    def stale(self, project: ProjectInfo) -> list[str]:
        """The project's cameras (row keys) that do not run its last good build
        (ProjectInfo.runs_last_build)."""
        keys = [self._camera(project, d) for d in project.devices]
        return [k for k in keys if project.runs_last_build(self.device(k)) is False]

    def _row(self, project: ProjectInfo) -> tuple[Text, ...]:
        state = project.state
        stale = self.stale(project)
        if state == "ok" and stale:
            state = OUT_OF_SYNC
        cameras = Text()
        for i, device_id in enumerate(project.devices):
            key = self._camera(project, device_id)
            cameras.append(", " if i else "")
            if key in stale:  # reset, cleared or flashed by hand since: f flashes it again
                cameras.append(f"{self.names(key)} ≠", style="yellow")
            else:
                cameras.append(self.names(key))
        return (
            Text(model.project_name(project.path)),
            Text(state, style=STATE_STYLES.get(state, "")),
            self._last_build(project.last_build),
            cameras if cameras.plain else Text("-"),
        )

    @staticmethod
    def _camera(project: ProjectInfo, device_id: str) -> str:
        return hosts.key(project.host, device_id)

    def _last_build(self, result: BuildSummary | None) -> Text:
        if result is None:
            return Text("-", style="dim")
        when = self.clock.format(result.finished)
        if not result.ok:
            kind = result.error.kind if result.error else "error"
            return Text(f"✗ {kind} {when}", style="red")
        if result.unchanged:
            return Text(f"= unchanged {when}", style="dim")
        return Text(f"✓ {model.human_size(result.size)} {when}", style="green")
