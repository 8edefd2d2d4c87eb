"""Helpers for the TUI tests: the app as tests build it, and waiting with deadlines."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from textual.pilot import Pilot
from textual.screen import Screen

from oakd.client import Client
from oakd.protocol import Request
from tests.tui import data
from tests.tui.standin import StandInDaemon
from tui.app import OakdApp, make_app
from tui.clock import FixedClock
from tui.connection import Backoff, Daemon, DaemonClient

R = TypeVar("R", bound=Request)

FAST = Backoff(first=0.02, limit=0.2)  # reconnect quickly: tests wait on it


async def pinned_client(path: Path, name: str) -> DaemonClient:
    """The real client (the version screenshots show is the stand-in's status: pinned in
    tests/tui/data.status)."""
    return await Client.connect(path, name=name)


def build_app(socket_path: Path, **kwargs: Any) -> OakdApp:
    """The app as tests run it: a fixed clock, fast reconnects, a pinned daemon version."""
    kwargs.setdefault("clock", FixedClock(data.T0))
    kwargs.setdefault("backoff", FAST)
    kwargs.setdefault("client_factory", pinned_client)
    return make_app(socket_path=socket_path, **kwargs)


def build_fleet_app(sockets: dict[str, Path], **kwargs: Any) -> OakdApp:
    """The app of several daemons, as `oakd tui --host a --host b` builds it: each socket
    under its label (the host column), with build_app's clock, reconnects and version."""
    kwargs.setdefault("clock", FixedClock(data.T0))
    kwargs.setdefault("backoff", FAST)
    factory = kwargs.pop("client_factory", pinned_client)
    daemons = [Daemon(label, path, factory) for label, path in sockets.items()]
    return make_app(daemons=daemons, **kwargs)


# A deadline, not a pause: a check that holds returns at once. Generous, since a loaded 2-core
# machine running the suite on 4 workers can take seconds to deliver one event.
UNTIL_S = 20.0


async def until(
    pilot: Pilot[Any], check: Callable[[], object], what: str, timeout: float = UNTIL_S
) -> None:
    """Let the app run until `check()` is true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await pilot.pause(0.01)


async def until_sent(
    pilot: Pilot[Any], daemon: StandInDaemon, kind: type[R], count: int = 1
) -> list[R]:
    """Wait until the app has sent `count` requests of `kind`; return them all."""
    await until(
        pilot, lambda: len(daemon.sent(kind)) >= count, f"{count} {kind.__name__} request(s)"
    )
    return daemon.sent(kind)


async def connected(pilot: Pilot[Any]) -> OakdApp:
    """Wait until the app is connected and has listed what the daemon has; return it."""
    app = pilot.app
    assert isinstance(app, OakdApp)
    await until(pilot, lambda: app.status.state == "connected", "the app to connect")
    await pilot.pause()
    return app


S = TypeVar("S", bound=Screen[Any])


async def screen_of(pilot: Pilot[Any], kind: type[S]) -> S:
    """Wait until the app shows a screen of `kind`; return it."""
    await until(pilot, lambda: isinstance(pilot.app.screen, kind), f"a {kind.__name__}")
    screen = pilot.app.screen
    assert isinstance(screen, kind)
    return screen


async def back_to_main(pilot: Pilot[Any]) -> None:
    """Wait until every dialog is closed."""
    await until(pilot, lambda: len(pilot.app.screen_stack) == 1, "the main screen")
