"""A stand-in for the daemon: the real socket server and event bus, with recording handlers.

Why a stand-in and not the daemon: a TUI test needs states a real fleet reaches only by luck or
slowly (a job at 40 %, a camera that drops mid-flash, a hundred cameras), and needs to see every
request the app sent. It serves the exact wire protocol (oakd.services.server.Server over a real
Unix socket, so the app's real oakd.client.Client is exercised) and lets a test publish any event
on the bus. The end-to-end tests (test_end_to_end.py, test_demo_tmux.py) run the TUI against the
real daemon and the emulator.

It runs its own event loop on a thread, so that both async Pilot tests and the synchronous
snapshot tests (whose app runs in an event loop of its own) can use it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from oakd.errors import ErrorCode, OakdError, ProtocolError
from oakd.protocol import REQUESTS, Request
from oakd.protocol.replies import AppLogLine, DeviceInfo, Inspection, JobInfo, ProjectInfo
from oakd.protocol.requests import (
    BootloaderUpdate,
    Cancel,
    ClearApp,
    ClearConfig,
    FactoryReset,
    Flash,
    Inspect,
    ListDevices,
    ListJobs,
    ListProjects,
    Logs,
    NetworkConfig,
    Rollback,
    Unwatch,
    Watch,
)
from oakd.protocol.session import Hello, Status, Subscribe
from oakd.protocol.typed import from_wire
from oakd.services.bus import EventBus
from oakd.services.listener import bind_socket
from oakd.services.server import Handler, Server
from tests.tui import data

R = TypeVar("R", bound=Request)

JOB_KINDS: dict[type[Request], str] = {
    FactoryReset: "factory_reset",
    ClearApp: "clear_app",
    ClearConfig: "clear_config",
    NetworkConfig: "network_config",
    BootloaderUpdate: "bootloader_update",
    Rollback: "flash_project",  # the project's previous build
}


class StandInDaemon:
    """Serves `path` until stopped; `requests` records what clients asked, in order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.requests: list[Request] = []
        self.devices: list[DeviceInfo] = []
        self.jobs: list[JobInfo] = []
        self.projects: list[ProjectInfo] | None = []  # None: answer `projects` as unknown
        self.app_lines: list[AppLogLine] = []  # what `logs` answers
        self.errors: dict[type[Request], OakdError] = {}  # answer this type with this error
        self.answers: dict[type[Request], Callable[[Any], Any]] = {}
        self.bus = EventBus()
        self._ids = itertools.count(100)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._server: Server | None = None

    # -- life ------------------------------------------------------------------------------------

    def start(self) -> StandInDaemon:
        """Bind the socket and serve on a thread; returns once the socket listens."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            try:
                asyncio.run(self._serve(ready))
            except BaseException as exc:  # surfaced by start() or in the test's failure
                failure.append(exc)
                ready.set()

        self._thread = threading.Thread(target=serve, name="standin-daemon", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the stand-in daemon did not start in 10 s")
        if failure:
            raise failure[0]
        return self

    async def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self.bus = EventBus()
        self._server = Server(bind_socket(self.path), self.path, self.bus, self.handlers())
        ready.set()
        await self._server.run(self._stop)

    def stop(self) -> None:
        """Drop every client, remove the socket, end the thread."""
        if self._loop is None or self._stop is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._shut_down)
        self._thread.join(10)
        if self._thread.is_alive():
            raise RuntimeError("the stand-in daemon did not stop in 10 s")
        self._loop = self._stop = self._thread = None

    def _shut_down(self) -> None:
        # Hang up on every client after what is queued, as a stopping daemon does. (Server.run
        # alone drops sessions whose writer tasks then wait out a 5 s timeout: see the report.)
        assert self._server is not None and self._stop is not None
        for session in list(self._server.sessions):
            session.finish()
        self._stop.set()

    def restart(self) -> None:
        """Stop, then serve the same path again (a daemon restart, as clients see it)."""
        self.stop()
        self.start()

    @property
    def subscribers(self) -> int:
        """Clients subscribed to events."""
        return len(self.bus)

    # -- driving and checking ----------------------------------------------------------------

    def publish(self, name: str, payload: Any) -> None:
        """Push an event to subscribers, as a daemon service would."""
        assert self._loop is not None, "the stand-in is not running"
        self._loop.call_soon_threadsafe(self.bus.publish, name, payload)

    def sent(self, kind: type[R]) -> list[R]:
        """The requests of one type the clients sent, in order."""
        return [r for r in list(self.requests) if isinstance(r, kind)]

    # -- handlers ------------------------------------------------------------------------------

    def handlers(self) -> dict[type[Request], Handler]:
        """One recording handler for every request type the server does not answer itself."""
        skip = {Hello, Subscribe}
        return {cls: self._handle for cls in REQUESTS.values() if cls not in skip}

    async def _handle(self, body: Request) -> Any:
        self.requests.append(body)
        error = self.errors.get(type(body))
        if error is not None:
            raise error
        answer = self.answers.get(type(body))
        if answer is not None:
            return answer(body)
        return self._default(body)

    def _default(self, body: Request) -> Any:
        # As the daemon answers: each request's REPLY type (oakd/protocol/replies.py).
        if isinstance(body, Status):
            return data.status(len(self.devices))
        if isinstance(body, ListDevices):
            return self.devices
        if isinstance(body, ListJobs):
            return self.jobs
        if isinstance(body, ListProjects):
            if self.projects is None:
                raise ProtocolError("'projects' is not served", ErrorCode.UNKNOWN_REQUEST)
            return self.projects
        if isinstance(body, Flash):
            kind = "flash_package" if body.package else "flash_project"
            params = {"project": body.project, "package": body.package}
            return [data.job(next(self._ids), d, kind=kind, params=params) for d in body.devices]
        if type(body) in JOB_KINDS:
            device = getattr(body, "device")  # noqa: B009 (every JOB_KINDS request has one)
            return data.job(next(self._ids), device, kind=JOB_KINDS[type(body)], project=None)
        if isinstance(body, Cancel):
            return data.job(body.job, "?", state="cancelled")
        if isinstance(body, Inspect):  # the camera, its inspection included
            known = next((d for d in self.devices if d.id == body.device), None)
            facts = {"bootloader": {"version": "0.0.28"}, "application": {"name": "app"}}
            inspection = from_wire(Inspection, facts)
            camera = known or data.device(0)
            return dataclasses.replace(camera, id=body.device, inspection=inspection)
        if isinstance(body, Logs):
            return [x for x in self.app_lines if x.device == body.device][-body.limit :]
        if isinstance(body, Watch):
            return data.project(body.path, body.devices)
        if isinstance(body, Unwatch):  # the project it stopped watching
            return data.project(body.path, state="unwatched")
        raise ProtocolError(f"the stand-in has no answer to {body.TYPE!r}", ErrorCode.INTERNAL)
