"""How the demo ends on a signal: SIGHUP (its terminal closed), SIGTERM, SIGINT.

Without this, SIGHUP killed the demo outright (Textual does not handle it) and its `finally`
never ran: the daemon, which takes SIGHUP as "reload", lived on under PID 1.

One handler for the demo's whole life, because swapping handlers leaves moments with the
default action (asyncio's `remove_signal_handler` sets SIG_DFL). What it does depends on
the phase, because what is safe to do differs:
- starting (cameras, daemon, watch) and after the TUI: it raises `Ended` in the main thread,
  which unwinds to the caller's `finally` and its teardown;
- the TUI: it asks the app to exit, through the app's event loop, so that the app gives the
  terminal back (alternate screen off, modes restored). A TUI whose terminal is gone may never
  get there (Textual's writer thread dies on EIO and the next writes block), so a watchdog
  tears the demo down by itself after GRACE_S and exits;
- stopping: signals are only noted; an exception in the middle of the teardown would leave
  half of it undone.

Linux delivers a signal sent to the process to its main thread when it can, and that
interrupts the loop's select(): the handler runs at once, not at the loop's next wakeup.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

from textual.app import App

SIGNALS = (signal.SIGHUP, signal.SIGTERM, signal.SIGINT)
GRACE_S = 5.0  # for the TUI to exit by itself; the teardown after it has its own deadlines


class Ended(BaseException):
    """A signal ended the demo (a BaseException: no `except Exception` may swallow it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Ending:
    """The demo's signal handler; `teardown` is what the watchdog runs if the TUI hangs."""

    def __init__(self, teardown: Callable[[], None], grace_s: float = GRACE_S) -> None:
        self.teardown = teardown
        self.grace_s = grace_s
        self.signum: int | None = None  # the first signal received
        self._app: App[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self._tui_left = threading.Event()

    def install(self) -> None:
        """Take the signals over (from the main thread, before anything is started)."""
        for sig in SIGNALS:
            signal.signal(sig, self._on_signal)

    @contextlib.contextmanager
    def tui(self, app: App[Any]) -> Iterator[asyncio.AbstractEventLoop]:
        """Run `app` on the loop this yields (`app.run(loop=...)`): a signal asks it to exit.
        Raises `Ended` when a signal ended it."""
        if self.signum is not None:
            raise Ended(self.signum)
        loop = asyncio.new_event_loop()
        self._app, self._loop = app, loop
        try:
            yield loop
        finally:
            self._app = self._loop = None
            self._tui_left.set()
            loop.close()
        if self.signum is not None:
            raise Ended(self.signum)

    def stopping(self) -> None:
        """The teardown begins: from now on signals are only noted."""
        self._stopping = True

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        first = self.signum is None
        if first:
            self.signum = signum
        if self._stopping:
            return
        app, loop = self._app, self._loop
        if app is None or loop is None:
            raise Ended(signum)
        if first:
            # This runs in the main thread in the middle of the loop's work: hand the exit to
            # the loop rather than touch the app from here.
            loop.call_soon_threadsafe(app.exit, None, 128 + signum)
            threading.Thread(target=self._watchdog, name="demo watchdog", daemon=True).start()

    def _watchdog(self) -> None:
        if self._tui_left.wait(self.grace_s):
            return  # the main thread tears down, with its own deadlines
        # The TUI did not come back (a terminal that is gone): stop everything from here.
        self.teardown()
        os._exit(128 + (self.signum or signal.SIGTERM))
