"""oakd's commands in Textual's command palette (ctrl+p or :): every action, for the selection
or for one named camera, job or project."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any, Protocol, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from oakd.protocol.replies import DeviceInfo, ProjectInfo
from tui import hosts, model
from tui.flows import Flows
from tui.operations import OPERATIONS
from tui.widgets.cameras_table import CamerasTable
from tui.widgets.jobs_table import JobsTable
from tui.widgets.log_panel import LogPanel
from tui.widgets.projects_table import ProjectsTable


class PaletteHost(Protocol):
    """What the palette's commands need of the app (OakdApp provides it)."""

    flows: Flows
    cameras: CamerasTable
    jobs: JobsTable
    projects: ProjectsTable
    log_panel: LogPanel

    def start(self, flow: Coroutine[Any, Any, None]) -> None:
        """Run a flow in a worker."""

    def show_device(self, device: DeviceInfo) -> None:
        """A camera's page."""

    def show_project(self, project: ProjectInfo) -> None:
        """A project's page."""

    def action_flash(self) -> None:
        """Flash the selected cameras."""

    def action_watch(self) -> None:
        """Watch a project."""

    def action_inspect(self) -> None:
        """Inspect the selected cameras."""

    def action_network_config(self) -> None:
        """Network config of the selected cameras."""

    def action_rollback(self) -> None:
        """Roll the selected cameras back to their project's previous build."""

    def action_filter(self) -> None:
        """Filter the cameras."""

    def action_help(self) -> None:
        """Show the keys."""

    def action_daemons(self) -> None:
        """The daemons on the LAN, to add one."""

    def action_focus(self, widget_id: str) -> Any:
        """Focus a panel."""


Command = tuple[str, Callable[[], object], str]
FlowMaker = Callable[[], Coroutine[Any, Any, None]]


class OakdCommands(Provider):
    """Commands built from what the app shows right now."""

    @property
    def oakd(self) -> PaletteHost:
        """The app, as what the commands need of it."""
        return cast("PaletteHost", self.app)

    def _flow(self, make: FlowMaker) -> Callable[[], None]:
        """A command that starts a flow when chosen (not before: no stray coroutines)."""

        def run() -> None:
            self.oakd.start(make())

        return run

    def _on_selection(self, action: str) -> FlowMaker:
        app = self.oakd
        return lambda: app.flows.device_operation(action, app.cameras.targets())

    def general(self) -> list[Command]:
        """Actions on the selection, and the panels."""
        app = self.oakd
        commands: list[Command] = [
            ("Flash the selected cameras…", app.action_flash, "a project directory or a .dap"),
            ("Watch a project…", app.action_watch, "rebuild and flash on every change"),
            ("Inspect the selected cameras", app.action_inspect, "bootloader, memory, app"),
            ("Network config of the selected cameras…", app.action_network_config, "DHCP/static"),
            ("Roll back the selected cameras…", app.action_rollback, "r: the previous build"),
            ("Filter cameras", app.action_filter, "/"),
            ("Show keys", app.action_help, "?"),
            ("Daemons on the LAN…", app.action_daemons, "D: found by mDNS, enter adds one"),
            ("Clear the log", app.log_panel.action_clear_log, "ctrl+l in the log"),
        ]
        for action, op in OPERATIONS.items():
            text = f"{op.title} of the selected cameras…"
            commands.append((text, self._flow(self._on_selection(action)), op.does))
        for panel in ("cameras", "jobs", "projects", "log"):
            commands.append((f"Focus {panel}", partial(app.action_focus, panel), "1 2 3 4"))
        return commands

    def specific(self) -> list[Command]:
        """One command per camera and action, per cancellable job, per project."""
        app = self.oakd
        flows = app.flows
        commands: list[Command] = []
        for device in app.cameras.devices.values():
            name = device.label
            where = model.describe(device)
            commands += [
                (f"Flash {name}…", self._flow(partial(flows.flash, [device])), where),
                (f"Inspect {name}", self._flow(partial(flows.inspect, [device])), where),
                (f"Show {name}", partial(app.show_device, device), where),
                (
                    f"Network config of {name}…",
                    self._flow(partial(flows.network_config, [device])),
                    where,
                ),
            ]
            for action, op in OPERATIONS.items():
                run = self._flow(partial(flows.device_operation, action, [device]))
                commands.append((f"{op.title} {name}…", run, where))
        for job in app.jobs.jobs.values():
            if not job.final:
                camera = app.cameras.label_of(hosts.device_key(job))
                text = f"Cancel job #{job.id} ({model.job_what(job)} to {camera})"
                commands.append((text, self._flow(partial(flows.cancel, job)), job.state.value))
        for project in app.projects.projects.values():
            path = project.path
            name = model.project_name(path)
            commands += [
                (f"Unwatch {name}", self._flow(partial(flows.unwatch, project)), path),
                (f"Show the last build of {name}", partial(app.show_project, project), path),
            ]
        return commands

    async def discover(self) -> Hits:
        """What the palette lists before anything is typed."""
        for text, command, help_text in self.general():
            yield DiscoveryHit(text, command, help=help_text)

    async def search(self, query: str) -> Hits:
        """Fuzzy matches over every command."""
        matcher = self.matcher(query)
        for text, command, help_text in self.general() + self.specific():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, text=text, help=help_text)
