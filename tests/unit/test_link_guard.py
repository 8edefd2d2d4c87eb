"""The suite's guard against a spinning depthai link thread (tests/conftest.py): it must see
one, by its native name and its CPU use, and leave an idle one alone."""

from __future__ import annotations

import ctypes
import threading
import time

from tests.helpers import LINK_THREAD, spinning_link_threads, wait_for

PR_SET_NAME = 15


class Named(threading.Thread):
    """A thread whose native name (what /proc shows) is `name`: busy, or asleep."""

    def __init__(self, name: str, busy: bool) -> None:
        super().__init__(daemon=True)
        self.native = name
        self.busy = busy
        self.stop = threading.Event()
        self.up = threading.Event()

    def run(self) -> None:
        ctypes.CDLL(None).prctl(PR_SET_NAME, self.native.encode(), 0, 0, 0)
        self.up.set()
        while not self.stop.is_set():
            if self.busy:
                sum(range(1000))  # busy, as the link thread is
            else:
                time.sleep(0.01)


def test_a_spinning_link_thread_is_seen_and_an_idle_one_is_not() -> None:
    assert spinning_link_threads() == []
    idle, spinning = Named(f"{LINK_THREAD}00Thr", False), Named(f"{LINK_THREAD}01Thr", True)
    for thread in (idle, spinning):
        thread.start()
        thread.up.wait(10)
    seen: list[str] = []

    def sampled() -> list[str]:
        seen.extend(spinning_link_threads())
        return seen

    try:
        # A busy Python thread shares the GIL and, on a loaded machine, the cores: it is seen
        # when a sample gives it a quarter of a core, which may take a few samples.
        wait_for(sampled, 30, "the busy thread")
    finally:
        for thread in (idle, spinning):
            thread.stop.set()
    assert set(seen) == {str(spinning.native_id)}  # never the idle one
