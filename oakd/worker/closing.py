"""Closing a DeviceBootloader with a deadline.

depthai 2.33's `close()` can deadlock: seen under heavy CPU load, `XLinkConnection::close` waits
on a mutex forever while the link's `EventRead00Thr` spins at full CPU (the spin issue 10 saw
flood a log with `tcpipPlatformRead ... Cannot find file descriptor by key`). It releases the
GIL while it waits, so a thread can run it with a deadline. By then the operation's work is
done and its result stands; but this process's depthai state is broken (a thread spinning for
good), so the worker retires: it answers, then exits, and the pool starts a fresh one.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

CLOSE_DEADLINE_S = 15.0  # a close takes milliseconds; a reboot request is sent and forgotten

_retire = threading.Event()


def close_within(bootloader: Any, seconds: float = CLOSE_DEADLINE_S) -> bool:
    """Close `bootloader`; False (and this worker retires) when it did not return in time."""

    def close() -> None:
        with contextlib.suppress(Exception):
            bootloader.close()

    thread = threading.Thread(target=close, name="depthai close", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        _retire.set()
        return False
    return True


def retiring() -> str | None:
    """Why this worker must exit after its answer, or None."""
    if _retire.is_set():
        return f"depthai's close() did not return within {CLOSE_DEADLINE_S:.0f} s"
    return None
