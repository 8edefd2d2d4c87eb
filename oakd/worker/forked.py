"""The device role of the warm zygote (oakd/zygote): a device worker forked with depthai warm.

A fresh `python -m oakd.worker` costs ~1 s of CPU before its first operation (the interpreter,
the import, and depthai unpacking its firmware archives); a forked one starts in milliseconds.
That is what a flash to eight cameras at once waits for, and what a worker that retired
(closing.py) or was killed costs to replace. The worker itself is the same: __main__.main.
"""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn

FDS = 3  # its stdin, stdout and stderr
# A worker uses XLink and libusb: where libusb keeps an event thread (a machine with USB), a
# forked worker would lack it, or find its locks held. Workers then start fresh.
FORKS_BESIDE_IDLE_THREADS = False


def warm_up() -> None:
    """Import depthai and everything an operation uses."""
    import depthai  # noqa: F401

    import oakd.worker.__main__
    import oakd.worker.ops  # noqa: F401


def run_forked(request: dict[str, Any], fds: list[int]) -> NoReturn:
    """In the forked child: take the pipes as stdin, stdout and stderr, then serve."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.environ["OAKD_PARENT_PID"] = str(os.getppid())  # the zygote: die with it (and it with us)
    from oakd.worker.__main__ import main

    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # not the zygote's exit path; and depthai's destructors can hang (closing.py)


class _Unreported:
    """A scan reports no phase or progress."""

    def phase(self, name: str) -> None:
        """Nothing to report."""

    def progress(self, value: float) -> None:
        """Nothing to report."""

    def size(self, total_bytes: int) -> None:
        """Nothing to report."""


def serve(request: dict[str, Any]) -> dict[str, Any]:
    """In the zygote itself, before it may fork: one discovery scan (all a daemon asks of a
    worker at its start). A scan needs none of depthai's firmware, starts no thread that stays,
    and never connects to a camera."""
    from oakd.worker.contract import Op
    from oakd.worker.ops import OPS

    if request.get("op") != Op.SCAN.value:
        raise ValueError(f"the zygote answers only {Op.SCAN.value}, not {request.get('op')!r}")
    return OPS[Op.SCAN](request.get("params", {}), _Unreported())
