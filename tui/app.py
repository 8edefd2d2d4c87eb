"""`oakd tui`: the cameras, jobs, projects and log of one daemon, or of several in one table
with a host column (`--host a --host b`), live, driven by keys.

The app holds one Connection per daemon, each labelled (tui/hosts.py: "" when there is only
one, and then nothing differs from a single-daemon TUI). What a connection brings is tagged with
its label and updates only that daemon's rows; flows send each request to the daemon owning its
target (connection_for); a daemon that drops has its rows dimmed and its status line entry say
why, and reconnects with its own backoff while the others go on."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from oakd.paths import client_socket
from oakd.protocol.replies import (
    AppLogLine,
    BuildSummary,
    DeviceInfo,
    JobInfo,
    JobProgress,
    JobState,
    LogLine,
    ProjectBuilt,
    ProjectInfo,
)
from tui import details, hosts, model
from tui.clock import Clock, LocalClock
from tui.commands import OakdCommands
from tui.connection import (
    Backoff,
    ClientFactory,
    Connection,
    Daemon,
    Dial,
    Where,
    connect_client,
    dial_found,
)
from tui.flows import Flows
from tui.messages import DeviceAnswered, JobsAnswered, ProjectUnwatched, ProjectWatched
from tui.screens.app_log import AppLogScreen
from tui.screens.daemons import BrowserFactory, DaemonsScreen, lan_browser
from tui.screens.detail import DetailScreen
from tui.screens.help import HelpScreen
from tui.widgets.cameras_table import CamerasTable
from tui.widgets.filter_input import FilterInput
from tui.widgets.jobs_table import JobsTable
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.log_panel import LogPanel
from tui.widgets.projects_table import ProjectsTable
from tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from oakd.mdns.record import FoundDaemon

NO_CAMERAS = (
    "No cameras yet. They appear here as the daemon's discovery finds them on its network; "
    "a camera on another subnet is found only if the daemon's config lists its address."
)
NO_MATCH = "No camera matches the filter (escape clears it)."
NO_DAEMON = (
    "No daemon reachable, so no cameras to show (the line at the top says what was tried). "
    "Start one with `oakd daemon` (or `oakd service install` for a service), or try oakd with "
    "emulated cameras: `uv run oakd demo`. This screen connects as soon as one answers."
)


class OakdApp(App[int]):
    """The main screen: status line, cameras, jobs | projects, log, footer."""

    CSS_PATH = "oakd.tcss"
    TITLE = "oakd"
    COMMANDS: ClassVar = App.COMMANDS | {OakdCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help"),
        Binding("slash", "filter", "Filter"),
        Binding("colon", "command_palette", "Commands", show=False, tooltip="Command palette"),
        Binding("1", "focus('cameras')", "Focus cameras", show=False),
        Binding("2", "focus('jobs')", "Focus jobs", show=False),
        Binding("3", "focus('projects')", "Focus projects", show=False),
        Binding("4", "focus('log')", "Focus log", show=False),
        Binding("z", "zoom", "Zoom panel", show=False),
        Binding("D", "daemons", "Daemons on the LAN", show=False),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        socket_path: Where,
        client_factory: ClientFactory = connect_client,
        clock: Clock | None = None,
        backoff: Backoff | None = None,
        daemons: list[Daemon] | None = None,
        browser: BrowserFactory = lan_browser,
        dial: Dial = dial_found,
    ) -> None:
        super().__init__()
        self.browser = browser  # the mDNS browse of the daemons screen (D)
        self.dial = dial  # how a daemon found there is reached
        self.socket_path = socket_path
        self.clock = clock or LocalClock()
        self.backoff = backoff
        # Several daemons (given, two or more): labelled rows and a host column. One: as ever.
        self.several = daemons is not None and len(daemons) > 1
        self.connections: dict[str, Connection] = {}
        self._mounted = False  # connections added after mounting run at once
        self.flows = Flows(self)
        self.last_path = ""  # the last project or package path typed, offered again
        self._served_note = ""  # in the projects' title: the daemons without `projects`
        self._filter_target: KeyedTable | None = None  # the table `/` filters now
        self._shown: tuple[str, str, bool] | None = None  # what refresh_counts last showed
        several = self.several
        self.status = StatusLine(str(socket_path), id="status", several=several)
        self.cameras = CamerasTable(self.clock, id="cameras", several=several)
        self.jobs = JobsTable(self.clock, self.cameras.label_of, id="jobs", several=several)
        self.projects = ProjectsTable(
            self.clock,
            self.cameras.label_of,
            id="projects",
            several=several,
            device=lambda key: self.cameras.devices.get(key),
        )
        if daemons is not None and several:
            for daemon in daemons:
                self.add_daemon(daemon)
        else:
            first = daemons[0] if daemons else Daemon("", socket_path, client_factory)
            self.connections[""] = Connection(self, first.where, first.factory, backoff)
        self.log_panel = LogPanel(self.clock, id="log")
        self.filter = FilterInput(id="filter")

    def compose(self) -> ComposeResult:
        yield self.status
        with Vertical(id="cameras-panel", classes="panel"):
            yield self.filter
            yield self.cameras
            yield Static(Content(NO_CAMERAS), id="cameras-empty")
        with Horizontal(id="middle"):
            yield self.jobs
            yield self.projects
        yield self.log_panel
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_counts()
        self.jobs.border_title = Content("[2] jobs")
        self.projects.border_title = Content("[3] projects")
        self.log_panel.border_title = Content("[4] log")
        self.cameras.focus()
        self._mounted = True
        for connection in self.connections.values():
            self._run(connection)

    def _run(self, connection: Connection) -> None:
        # A group per daemon: `exclusive` cancels only an earlier worker of the same daemon.
        group = f"connection {connection.label}"
        self.run_worker(connection.run(), name=group, group=group, exclusive=True)

    async def on_unmount(self) -> None:
        for connection in self.connections.values():
            await connection.close()

    @property
    def connection(self) -> Connection:
        """The first daemon's connection (the only one, without --host a --host b)."""
        return next(iter(self.connections.values()))

    def add_daemon(self, daemon: Daemon) -> bool:
        """Show one more daemon; False when its label is taken already. A TUI of one daemon
        becomes one of several first (_show_hosts)."""
        if daemon.label in self.connections or daemon.label == self._own_label():
            return False
        if not self.several:
            self._show_hosts()
        connection = Connection(self, daemon.where, daemon.factory, self.backoff, daemon.label)
        self.connections[daemon.label] = connection
        self.status.add(daemon.label, str(daemon.where))
        if self._mounted:
            self._run(connection)
        return True

    def _own_label(self) -> str:
        """The label the only daemon gets when a second one is added: its socket or URL."""
        only = self.connections.get("")
        return str(only.path) if only is not None else ""

    def _show_hosts(self) -> None:
        """From one daemon to several: tables get a host column and keys by daemon, the status
        line a line per daemon, and the first daemon is reconnected under its label (its rows
        come back from that snapshot, tagged: rows keyed the old way say no owner)."""
        only = self.connections.pop("")
        only.closed = True
        self.workers.cancel_group(self, f"connection {only.label}")  # its finally hangs up
        self.several = True
        for table in (self.cameras, self.jobs, self.projects):
            table.show_hosts()
        self.status.show_hosts()
        self.add_daemon(Daemon(str(only.path), only.path, only.factory))

    def _current(self, host: str) -> bool:
        # A message from a connection that is gone (the single daemon's, before _show_hosts)
        # has nothing left to update.
        return host in self.connections

    # -- the daemons --------------------------------------------------------------------------

    def _named(self, host: str, text: str) -> str:
        return f"{host}: {text}" if host else text

    def on_connection_connected(self, message: Connection.Connected) -> None:
        snapshot, host = message.snapshot, message.host
        if not self._current(host):
            return
        self.status.set_connected(snapshot.daemon.version, host)
        minimum = model.minimum_bootloader(snapshot.daemon)
        self.cameras.replace_all(hosts.tag(snapshot.devices, host), minimum, host)
        self.jobs.replace_all(hosts.tag(snapshot.jobs, host), host)
        projects = None if snapshot.projects is None else hosts.tag(snapshot.projects, host)
        self.projects.replace_all(projects, host)
        self._set_down(host, False)
        said = f"connected to the daemon (oakd {snapshot.daemon.version})"
        self.say("info", self._named(host, said))
        if snapshot.projects is None:
            self.say(
                "warning",
                self._named(host, "this daemon does not serve watched projects (no `projects`)"),
            )
        served = "" if self.projects.served else " · not served by this daemon"
        if self.several and not self.projects.served:
            served = f" · not served by {', '.join(sorted(self.projects.unserved))}"
        self._served_note = served
        self._panel_titles()
        self.refresh_counts()

    def _panel_titles(self) -> None:
        """The jobs' and projects' border titles: what is not served, what is filtered."""
        titles = ((self.jobs, "[2] jobs"), (self.projects, f"[3] projects{self._served_note}"))
        for table, title in titles:
            if table.filter_text:
                title += f" · filter: {table.filter_text}"
            table.border_title = Content(title)

    def on_connection_disconnected(self, message: Connection.Disconnected) -> None:
        host = message.host
        if not self._current(host):
            return
        self.status.set_disconnected(message.reason, message.attempt, message.ever_connected, host)
        if self.several:
            self._set_down(host, True)
        if message.attempt == 1:
            level = "warning" if message.ever_connected else "error"
            self.say(level, self._named(host, message.reason))
        self.refresh_counts()

    def _set_down(self, host: str, down: bool) -> None:
        """Dim a dropped daemon's rows (several only: alone, the status line says it all)."""
        if not self.several:
            return
        for table in (self.cameras, self.jobs, self.projects):
            table.set_down(host, down)

    def on_connection_events(self, message: Connection.Events) -> None:
        # Device and job updates are applied once per batch: one sort, one repaint. Every
        # reply is labelled with its daemon first (tui/hosts.py): it updates that daemon's rows.
        host = message.host
        if not self._current(host):
            return
        for problem in message.ignored:
            self.say("warning", self._named(host, problem))
        devices: list[DeviceInfo] = []
        jobs: list[JobInfo] = []
        progress: dict[str, JobProgress] = {}
        for _, data in message.events:
            if isinstance(data, DeviceInfo):
                devices.append(hosts.tag_one(data, host))
            elif isinstance(data, JobInfo):
                jobs.append(hosts.tag_one(data, host))
            elif isinstance(data, JobProgress):
                progress[hosts.key(host, data.id)] = data
            elif isinstance(data, ProjectInfo):
                self.projects.upsert(hosts.tag_one(data, host))
            elif isinstance(data, ProjectBuilt):
                self._build_finished(data.project, data.result, host)
            elif isinstance(data, LogLine):
                self.log_panel.add(data.level, data.source, data.message)
            elif isinstance(data, AppLogLine):
                self._app_line(data, host)
        if devices:
            if self.cameras.upsert_many(devices):
                self.jobs.relabel()
            # Names, and whether each runs its project's last build (out of sync), may change.
            self.projects.relabel()
        for before, after in self.jobs.upsert_many(jobs) if jobs else ():
            self._job_changed(before, after)
        for job_id, data in progress.items():
            self.jobs.progress(job_id, data)
        self.refresh_counts()

    def _app_line(self, line: AppLogLine, host: str) -> None:
        """What a camera's app reported: to its open log view; a crash to the log panel too."""
        camera = hosts.key(host, line.device)
        screen = self.screen
        if isinstance(screen, AppLogScreen) and screen.device == camera:
            screen.add_line(line)
        if line.kind == "crash":
            last = (line.text.strip().splitlines() or ["(no traceback)"])[-1]
            name = self.cameras.label_of(camera)
            self.log_panel.add(
                "error", name, f"its app crashed: {last} (l on the camera shows its app log)"
            )

    def _job_changed(self, before: JobInfo | None, job: JobInfo) -> None:
        state = job.state
        if before is not None and before.state is state:
            return
        camera = self.cameras.label_of(hosts.device_key(job))
        what = self._named(job.host, f"job #{job.id} ({model.job_what(job)} to {camera})")
        if state is JobState.FAILED:
            self.failed(what, job.error or "failed; the daemon gave no reason")
        elif state is JobState.INTERRUPTED:
            self.say("warning", f"{what}: interrupted when the daemon stopped; flash again")
        elif state in (JobState.DONE, JobState.SKIPPED, JobState.CANCELLED):
            said = f": {job.message}" if job.message else ""
            self.say("info", f"{what}: {state.value}{said}")

    def _build_finished(self, path: str, result: BuildSummary, host: str = "") -> None:
        self.projects.build(path, result, host)
        name = model.project_name(path)
        if result.failed:
            # The traceback's end (where the user's code failed), then what the build printed.
            detail = "\n".join(
                part for part in (model.traceback_tail(result), result.output) if part
            )
            self.log_panel.add("error", f"build {name}", model.build_error(result), detail)
            self.notify(
                f"build of {name} failed: {model.build_error(result)}\n"
                "enter on the project (3) shows the traceback",
                severity="error",
                timeout=10,
                markup=False,
            )
        elif not result.unchanged:
            self.say("info", f"built {name}: {model.human_size(result.size)}", f"build {name}")

    def refresh_counts(self) -> None:
        """The status line's counts and the cameras' title and empty note, when they change."""
        # Runs after every batch of events: touch only what changed, since a widget update
        # can cost a layout pass of the whole screen.
        for host in self.connections:
            running, queued = self.jobs.counts(host if self.several else None)
            self.status.set_counts(
                *self.cameras.counts(host if self.several else None), running, queued, host
            )
        title = "[1] cameras"
        if self.cameras.marked:
            title += f" · {len(self.cameras.marked)} marked"
        if self.cameras.filter_text:
            title += f" · filter: {self.cameras.filter_text}"
        if self.cameras.devices:
            empty = NO_MATCH
        elif any(c.connected for c in self.connections.values()):
            empty = NO_CAMERAS
        else:
            empty = NO_DAEMON
        shown = (title, empty, not self.cameras.row_count)
        if shown == self._shown:
            return
        self._shown = shown
        self.query_one("#cameras-panel").border_title = Content(title)
        note = self.query_one("#cameras-empty", Static)
        note.update(Content(empty))
        note.display = not self.cameras.row_count

    # -- messages from widgets ------------------------------------------------------------------

    def on_cameras_table_marks_changed(self, _: CamerasTable.MarksChanged) -> None:
        self.refresh_counts()

    def on_cameras_table_opened(self, message: CamerasTable.Opened) -> None:
        self.show_device(message.device)

    def on_jobs_table_opened(self, message: JobsTable.Opened) -> None:
        job = message.job
        camera = self.cameras.label_of(hosts.device_key(job))
        self.push_screen(DetailScreen(f"Job #{job.id}", details.job_page(job, camera, self.clock)))

    def on_projects_table_opened(self, message: ProjectsTable.Opened) -> None:
        self.show_project(message.project)

    @on(FilterInput.FilterChanged)
    def _filter_changed(self, message: FilterInput.FilterChanged) -> None:
        target = self._filter_target or self.cameras
        target.set_filter(message.text)
        self._panel_titles()
        self.refresh_counts()

    @on(FilterInput.FilterDone)
    def _filter_done(self, _: FilterInput.FilterDone) -> None:
        (self._filter_target or self.cameras).focus()

    # -- messages from flows: what the daemon answered -----------------------------------------

    def on_jobs_answered(self, message: JobsAnswered) -> None:
        self.jobs.upsert_many(message.jobs)
        self.refresh_counts()

    def on_device_answered(self, message: DeviceAnswered) -> None:
        if self.cameras.upsert_many([message.device]):
            self.jobs.relabel()
            self.projects.relabel()

    def on_project_watched(self, message: ProjectWatched) -> None:
        self.projects.upsert(message.project)

    def on_project_unwatched(self, message: ProjectUnwatched) -> None:
        self.projects.forget(message.key)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # A bug in a flow must not take the screen down: say so and carry on.
        if event.state is WorkerState.ERROR and event.worker.group == "flows":
            error = event.worker.error
            self.failed("internal error in the TUI", f"{type(error).__name__}: {error}")

    # -- what flows and commands use ------------------------------------------------------------

    def start(self, flow: Coroutine[Any, Any, None]) -> None:
        """Run a flow (dialogs and requests) in a worker."""
        self.run_worker(flow, group="flows", exit_on_error=False)

    def connection_for(self, host: str) -> Connection:
        """The daemon of host label `host`: where a request about its cameras goes."""
        return self.connections[host]

    @property
    def default_host(self) -> str:
        """The first daemon's label: where a request naming no camera goes."""
        return next(iter(self.connections))

    def project_for(self, device: DeviceInfo) -> str | None:
        return self.projects.watched_for(device)

    def label_of(self, device_id: str) -> str:
        """What a person calls the camera, by row key (its alias, else its MX ID)."""
        return self.cameras.label_of(device_id)

    def say(self, level: str, message: str, source: str = "tui") -> None:
        """A line in the log panel."""
        self.log_panel.add(level, source, message)

    def failed(self, what: str, message: str) -> None:
        """Something the user asked for failed: the log and a notification say what and why."""
        self.log_panel.add("error", "tui", f"{what} failed: {message}")
        self.notify(message, title=f"{what} failed", severity="error", timeout=10, markup=False)

    def no_camera(self) -> None:
        """An action with no target."""
        self.notify(
            "no camera selected: highlight one, or mark several with space", severity="warning"
        )

    def show_device(self, device: DeviceInfo) -> None:
        """The camera's detail page."""
        title = f"Camera {device.label}"
        self.push_screen(
            DetailScreen(
                title, details.device_page(device, self.clock, self.cameras.minimum_for(device))
            )
        )

    def show_project(self, project: ProjectInfo) -> None:
        """The project's detail page with its last build's output."""
        cameras = [self.cameras.label_of(hosts.key(project.host, d)) for d in project.devices]
        title = f"Project {model.project_name(project.path)}"
        self.push_screen(DetailScreen(title, details.project_page(project, cameras, self.clock)))

    # -- actions (keys, footer, palette) --------------------------------------------------------

    def action_flash(self) -> None:
        """Flash a project or package to the selected cameras."""
        self.start(self.flows.flash(self.cameras.targets()))

    def action_watch(self) -> None:
        """Watch a project for the selected cameras."""
        self.start(self.flows.watch(self.cameras.targets()))

    def action_unwatch(self) -> None:
        """Stop watching the highlighted project."""
        self.start(self.flows.unwatch(self.projects.highlighted()))

    def action_inspect(self) -> None:
        """Read the selected cameras' details."""
        self.start(self.flows.inspect(self.cameras.targets()))

    def action_app_log(self) -> None:
        """The highlighted camera's app log, live."""
        self.start(self.flows.app_log(self.cameras.targets()))

    def action_rollback(self) -> None:
        """Flash the selected cameras their project's previous build."""
        self.start(self.flows.rollback(self.cameras.targets()))

    def action_cancel_job(self) -> None:
        """Cancel the highlighted job."""
        self.start(self.flows.cancel(self.jobs.highlighted()))

    def action_network_config(self) -> None:
        """Write the network config of the selected cameras."""
        self.start(self.flows.network_config(self.cameras.targets()))

    def action_device_operation(self, action: str) -> None:
        """A destructive operation (tui/operations.py) on the selected cameras, confirmed."""
        self.start(self.flows.device_operation(action, self.cameras.targets()))

    def action_filter(self) -> None:
        """Filter the focused table (the cameras, unless the jobs or projects have the focus)."""
        focused = self.focused
        target = focused if focused in (self.jobs, self.projects) else self.cameras
        assert isinstance(target, KeyedTable)
        self._filter_target = target
        self.filter.open(str(target.id), target.filter_text)

    def action_help(self) -> None:
        """Show every key."""
        self.push_screen(HelpScreen(help_sections()))

    def action_daemons(self) -> None:
        """The daemons announced on the LAN; the one chosen is added."""
        shown = {*self.connections, *(str(c.path) for c in self.connections.values())}

        def chosen(found: FoundDaemon | None) -> None:
            if found is None:
                return
            daemon = self.dial(found)
            if self.add_daemon(daemon):
                self.say("info", f"added {daemon.label} ({daemon.where})")
            else:
                self.notify(f"{daemon.label} is shown already", severity="warning")

        self.push_screen(DaemonsScreen(shown, self.browser), chosen)

    def action_zoom(self) -> None:
        """Maximize the focused panel, or restore the layout."""
        if self.screen.maximized is not None:
            self.screen.minimize()
        else:
            self.screen.action_maximize()


def help_sections() -> list[tuple[str, list[BindingType]]]:
    """The keys, by where they work."""
    return [
        ("everywhere", OakdApp.BINDINGS),
        ("every table", KeyedTable.BINDINGS),
        ("cameras [1]", [*CamerasTable.BINDINGS, Binding("enter", "open", "Details")]),
        ("jobs [2]", [*JobsTable.BINDINGS, Binding("enter", "open", "Details, error included")]),
        (
            "projects [3]",
            [*ProjectsTable.BINDINGS, Binding("enter", "open", "Last build and traceback")],
        ),
        ("log [4]", LogPanel.BINDINGS),
        ("filter (/)", [Binding("enter", "keep", "Keep the filter"), *FilterInput.BINDINGS]),
        (
            "dialogs",
            [Binding("y", "yes", "Confirm"), Binding("n,escape", "no", "Cancel: nothing is sent")],
        ),
    ]


def make_app(
    socket_path: Where | None = None,
    client_factory: ClientFactory = connect_client,
    clock: Clock | None = None,
    backoff: Backoff | None = None,
    daemons: list[Daemon] | None = None,
    dial: Dial = dial_found,
) -> OakdApp:
    """The app, with what tests inject: socket, client factory, clock, reconnect delays, how
    a daemon found on the LAN is reached; or the daemons to show (`oakd tui --host a --host
    b`), each labelled."""
    if daemons:
        path: Where = daemons[0].where
    else:
        path = socket_path if socket_path is not None else client_socket(None)
    return OakdApp(
        path,
        client_factory=client_factory,
        clock=clock,
        backoff=backoff,
        daemons=daemons,
        dial=dial,
    )
