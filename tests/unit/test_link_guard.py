"""The suite's guard against a spinning depthai link thread (tests/conftest.py): it must see
one, by its native name and its CPU use, and leave an idle one alone."""

from __future__ import annotations

import ctypes
import threading
import time

from tests.helpers import LINK_THREAD, spinning_link_threads

PR_SET_NAME = 15


def named(name: str, body: object) -> threading.Thread:
    """A thread whose native name (what /proc shows) is `name`, running `body`."""
    stop = threading.Event()

    def run() -> None:
        ctypes.CDLL(None).prctl(PR_SET_NAME, name.encode(), 0, 0, 0)
        while not stop.is_set():
            if body == "spin":
                sum(range(1000))  # busy, as the link thread is
            else:
                time.sleep(0.01)

    thread = threading.Thread(target=run, daemon=True)
    thread.stop = stop  # type: ignore[attr-defined]
    thread.start()
    return thread


def test_a_spinning_link_thread_is_seen_and_an_idle_one_is_not() -> None:
    assert spinning_link_threads() == []
    idle = named(f"{LINK_THREAD}00Thr", "idle")
    try:
        time.sleep(0.05)
        assert spinning_link_threads() == []
        spinning = named(f"{LINK_THREAD}01Thr", "spin")
        try:
            time.sleep(0.05)
            assert len(spinning_link_threads(0.5)) == 1
        finally:
            spinning.stop.set()  # type: ignore[attr-defined]
    finally:
        idle.stop.set()  # type: ignore[attr-defined]
