"""What happens after a key: dialogs, then requests, then what the answers mean to a person.

Each flow runs in a Textual worker (so it may wait for a dialog) and talks to daemons only through
`host.connection_for(label)`: each request goes to the daemon that owns its camera, job or
project (the wire's host, tui/hosts.py), and an action on cameras of several daemons is split
into one request per daemon. It never touches a widget: what an answer says goes to the app as a
message (tui/messages.py), tagged with the daemon that answered, and the daemon's events bring
the same a moment later.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from typing import Any, Protocol

from rich.text import Text
from textual.message import Message
from textual.screen import Screen

from oakd.errors import ErrorCode, OakdError
from oakd.protocol import Request
from oakd.protocol.replies import DeviceInfo, DeviceState, JobInfo, ProjectInfo
from oakd.protocol.requests import (
    Cancel,
    Flash,
    Inspect,
    Logs,
    NetworkConfig,
    Rollback,
    Unwatch,
    Watch,
)
from tui import hosts, model
from tui.messages import DeviceAnswered, JobsAnswered, ProjectUnwatched, ProjectWatched
from tui.operations import OPERATIONS, inspect_confirmation, network_confirmation
from tui.screens.app_log import AppLogScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.flash import FlashChoice, FlashScreen
from tui.screens.network import NetworkScreen
from tui.screens.watch import WatchScreen

APP_LOG_LINES = 1000  # of the past, when the app log opens
INSPECT_TIMEOUT = 120.0  # seconds: connecting to a camera can take a while (field notes)


@dataclass(frozen=True)
class Outcome:
    """A request's answer, or why there is none."""

    ok: bool
    value: Any = None
    error: OakdError | None = None

    @property
    def code(self) -> ErrorCode | None:
        """The error's code, when it failed."""
        return self.error.code if self.error else None

    @property
    def message(self) -> str:
        """The error's message, when it failed."""
        return self.error.message if self.error else ""


class Caller(Protocol):
    """Sends a request to the daemon (tui/connection.py Connection)."""

    async def call(self, body: Request, timeout: float | None = ...) -> Any:
        """The answer, typed as the request's REPLY (oakd/protocol/replies.py), or an
        OakdError."""


class FlowHost(Protocol):
    """What flows need of the app (OakdApp provides it): the daemon, dialogs, and words."""

    last_path: str  # the last project or package path typed, offered again

    def connection_for(self, host: str) -> Caller:
        """The daemon of host label `host` ("" with only one)."""

    @property
    def default_host(self) -> str:
        """The daemon of a request that names no camera (watch for builds only)."""

    async def push_screen_wait(self, screen: Screen[Any]) -> Any:
        """Show a dialog and wait for its answer."""

    def post_message(self, message: Message) -> bool:
        """Tell the app what an answer said."""

    def label_of(self, device_id: str) -> str:
        """What a person calls the camera (by row key, tui/hosts.py)."""

    def project_for(self, device: DeviceInfo) -> str | None:
        """The watched project that flashes this camera, if one does."""

    def say(self, level: str, message: str, source: str = ...) -> None:
        """A line in the log panel."""

    def failed(self, what: str, message: str) -> None:
        """Something the user asked for failed."""

    def no_camera(self) -> None:
        """An action with no target."""

    def notify(self, message: str, *, severity: Any = ...) -> None:
        """A toast."""


class Flows:
    """The app's multi-step actions."""

    def __init__(self, host: FlowHost) -> None:
        self.host = host

    async def send(self, body: Request, host: str = "", timeout: float = 30.0) -> Outcome:
        """One request to daemon `host`; errors become an Outcome, never an exception."""
        try:
            caller = self.host.connection_for(host)
            return Outcome(True, await caller.call(body, timeout=timeout))
        except OakdError as exc:
            return Outcome(False, error=exc)
        except asyncio.TimeoutError:
            return Outcome(False, error=OakdError(f"no answer to {body.TYPE!r} in {timeout:.0f} s"))

    def _queued(self, what: str, answer: JobInfo | list[JobInfo], host: str) -> None:
        jobs = hosts.tag(answer if isinstance(answer, list) else [answer], host)
        self.host.post_message(JobsAnswered(jobs))
        ids = ", ".join(f"#{j.id} ({self.host.label_of(hosts.device_key(j))})" for j in jobs)
        self.host.say("info", f"{what}: queued {ids}")

    async def flash(self, devices: list[DeviceInfo]) -> None:
        """Ask for a project or package, then queue a flash to each camera: one request per
        daemon that owns some of them."""
        if not devices:
            self.host.no_camera()
            return
        names = [d.label for d in devices]
        # The project that flashes these cameras is what a person re-flashes; else what they
        # typed last time.
        initial = self.host.project_for(devices[0]) or self.host.last_path
        choice = await self.host.push_screen_wait(FlashScreen(names, initial=initial))
        if choice is None:
            return
        self.host.last_path = choice.project or choice.package or ""
        for host, group in hosts.by_host(devices).items():
            await self._flash(host, group, choice)

    async def _flash(self, host: str, devices: list[DeviceInfo], choice: FlashChoice) -> None:
        names = [d.label for d in devices]
        source = choice.project or choice.package or ""
        what = f"flash {model.project_name(source)} to {', '.join(names)}"
        force = choice.force
        while True:
            body = Flash(
                devices=[d.id for d in devices],
                project=choice.project,
                package=choice.package,
                force=force,
                full=choice.full,
            )
            outcome = await self.send(body, host)
            if outcome.ok:
                self._queued(what, outcome.value, host)
                return
            if force or outcome.code is not ErrorCode.BOOTLOADER_TOO_OLD:
                self.host.failed(what, outcome.message)
                return
            # An old bootloader: the daemon refuses unless forced. Say why, let the user decide.
            body_text = Text(outcome.message + "\n\n")
            body_text.append(
                "Flashing anyway works, but such bootloaders fail after a few reconnects; "
                "the bootloader update (b) fixes that.",
                style="yellow",
            )
            if not await self.host.push_screen_wait(
                ConfirmScreen(f"Flash refused: {', '.join(names)}", body_text, "Flash anyway")
            ):
                self.host.say("info", f"{what}: not flashed")
                return
            force = True

    async def device_operation(self, action: str, devices: list[DeviceInfo]) -> None:
        """Confirm, then send one destructive request per camera with confirm=True."""
        op = OPERATIONS[action]
        if not devices:
            self.host.no_camera()
            return
        names = ", ".join(d.label for d in devices)
        confirmed = await self.host.push_screen_wait(
            ConfirmScreen(f"{op.title}: {names}?", op.confirmation(devices), op.title)
        )
        if not confirmed:
            self.host.say("info", f"{op.title.lower()} of {names}: cancelled, nothing sent")
            return
        for device in devices:
            what = f"{op.title.lower()} of {device.label}"
            host = device.host
            outcome = await self.send(op.make(device.id), host)
            if outcome.ok:
                self._queued(what, outcome.value, host)
            else:
                self.host.failed(what, outcome.message)

    async def network_config(self, devices: list[DeviceInfo]) -> None:
        """Ask for the settings, check them, confirm, then write them."""
        if not devices:
            self.host.no_camera()
            return
        names = [d.label for d in devices]
        current = [model.network_settings(d) for d in devices]
        choice = await self.host.push_screen_wait(NetworkScreen(names, current))
        if choice is None:
            return
        body = network_confirmation(devices, choice.describe())
        title = f"Network config: {', '.join(names)}?"
        if not await self.host.push_screen_wait(ConfirmScreen(title, body, "Write config")):
            self.host.say("info", f"network config of {', '.join(names)}: cancelled, nothing sent")
            return
        for device in devices:
            what = f"network config of {device.label} ({choice.describe()})"
            request = NetworkConfig(
                device=device.id,
                dhcp=choice.dhcp,
                static=choice.static,
                gateway=choice.gateway,
                dns=choice.dns,
                confirm=True,
            )
            host = device.host
            outcome = await self.send(request, host)
            if outcome.ok:
                self._queued(what, outcome.value, host)
            else:
                self.host.failed(what, outcome.message)

    async def inspect(self, devices: list[DeviceInfo]) -> None:
        """Read the cameras' details; warn first when that stops a running app."""
        if not devices:
            self.host.no_camera()
            return
        running = [d for d in devices if d.state is DeviceState.FLASH_BOOTED]
        if running and not await self._confirm_inspect(running):
            self.host.say("info", "inspect: cancelled, nothing sent")
            return
        for device in devices:
            yes = device in running
            host = device.host
            outcome = await self.send(Inspect(device.id, yes=yes), host, INSPECT_TIMEOUT)
            if outcome.code is ErrorCode.CONFIRMATION_REQUIRED and not yes:
                # It started its app since the table last showed it.
                booted = dataclasses.replace(device, state=DeviceState.FLASH_BOOTED)
                if not await self._confirm_inspect([booted]):
                    continue
                inspect = Inspect(device.id, yes=True)
                outcome = await self.send(inspect, host, INSPECT_TIMEOUT)
            if outcome.ok:
                self._inspected(device, outcome.value)
            else:
                self.host.failed(f"inspect {device.label}", outcome.message)

    async def rollback(self, devices: list[DeviceInfo]) -> None:
        """Flash each camera its project's build before the one it runs, once confirmed."""
        if not devices:
            self.host.no_camera()
            return
        names = ", ".join(d.label for d in devices)
        body = (
            f"{names}: each is flashed the build of its project before the one it runs now "
            "(`oakd builds DIR` lists them). A watched project flashes its newest build again "
            "on its next change."
        )
        screen = ConfirmScreen(f"Roll back {names}?", body, "Roll back")
        if not await self.host.push_screen_wait(screen):
            self.host.say("info", f"roll back {names}: cancelled, nothing sent")
            return
        for device in devices:
            what = f"roll back {device.label}"
            host = device.host
            outcome = await self.send(Rollback(device=device.id), host)
            if outcome.ok:
                self._queued(what, outcome.value, host)
            else:
                self.host.failed(what, outcome.message)

    async def _confirm_inspect(self, devices: list[DeviceInfo]) -> bool:
        names = ", ".join(d.label for d in devices)
        screen = ConfirmScreen(f"Inspect {names}?", inspect_confirmation(devices), "Inspect")
        confirmed = await self.host.push_screen_wait(screen)
        return bool(confirmed)

    def _inspected(self, device: DeviceInfo, answer: DeviceInfo) -> None:
        # The daemon answers with the camera, its inspection included.
        updated = hosts.tag_one(answer, device.host)
        self.host.post_message(DeviceAnswered(updated))
        version = updated.bootloader_version or "unknown"
        app_name = updated.flashed_app or "none"
        self.host.say("info", f"inspected {updated.label}: bootloader {version}, app {app_name}")

    async def app_log(self, devices: list[DeviceInfo]) -> None:
        """The first target's app log, live, until closed."""
        if not devices:
            self.host.no_camera()
            return
        device = devices[0]
        outcome = await self.send(Logs(device=device.id, limit=APP_LOG_LINES), device.host)
        if not outcome.ok:
            self.host.failed(f"app log of {device.label}", outcome.message)
            return
        screen = AppLogScreen(hosts.key_of(device), device.label, outcome.value)
        await self.host.push_screen_wait(screen)

    async def cancel(self, job: JobInfo | None) -> None:
        """Cancel a job; the daemon refuses a running write, and says why."""
        if job is None:
            self.host.notify("no job selected", severity="warning")
            return
        if job.final:
            self.host.notify(f"job #{job.id} has already finished ({job.state.value})")
            return
        host = job.host
        outcome = await self.send(Cancel(job=job.id), host)
        if not outcome.ok:
            self.host.failed(f"cancel job #{job.id}", outcome.message)
            return
        self.host.post_message(JobsAnswered([hosts.tag_one(outcome.value, host)]))
        self.host.say("info", f"job #{job.id}: cancel sent")

    async def watch(self, devices: list[DeviceInfo]) -> None:
        """Ask for a project directory and watch it for these cameras: each daemon that owns
        some of them watches the path on its own host, for its own cameras."""
        names = [d.label for d in devices]
        choice = await self.host.push_screen_wait(WatchScreen(names, initial=self.host.last_path))
        if choice is None:
            return
        self.host.last_path = choice.path
        groups = hosts.by_host(devices) or {self.host.default_host: []}
        for host, group in groups.items():
            request = Watch(
                path=choice.path,
                devices=[d.id for d in group],
                entry=choice.entry,
                compress=choice.compress,
            )
            outcome = await self.send(request, host)
            what = f"watch {model.project_name(choice.path)}"
            if not outcome.ok:
                self.host.failed(what, outcome.message)
                continue
            self.host.post_message(ProjectWatched(hosts.tag_one(outcome.value, host)))
            for_whom = ", ".join(d.label for d in group) or "builds only"
            self.host.say("info", f"{what}: watching for {for_whom}")

    async def unwatch(self, project: ProjectInfo | None) -> None:
        """Stop watching a project."""
        if project is None:
            self.host.notify("no project selected", severity="warning")
            return
        path = project.path
        outcome = await self.send(Unwatch(path=path), project.host)
        if not outcome.ok:
            self.host.failed(f"unwatch {model.project_name(path)}", outcome.message)
            return
        self.host.post_message(ProjectUnwatched(hosts.key_of(project)))
        self.host.say("info", f"unwatched {path}")
