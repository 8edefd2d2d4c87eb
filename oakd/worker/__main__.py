"""`python -m oakd.worker`: serve device operations on stdin/stdout until stdin closes."""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import json
import os
import signal
import sys
import threading
import time
import traceback
from typing import IO, Any

PR_SET_PDEATHSIG = 1
PROGRESS_EVERY_S = 0.05  # the daemon throttles again, to ~10 a second per job


def die_with_parent() -> None:
    """If the daemon dies (even kill -9), die too: a write must not go on with nobody to
    record it; the daemon requeues the job when it restarts."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    parent = os.environ.get("OAKD_PARENT_PID")
    if parent and os.getppid() != int(parent):  # the parent died before prctl took effect
        os._exit(1)


class LineReporter:
    """Writes events as JSON lines; depthai calls `progress` from its own thread."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out
        self._lock = threading.Lock()
        self._last_progress = 0.0

    def send(self, message: dict[str, Any]) -> None:
        """One event line."""
        line = json.dumps(message)
        with self._lock:
            self._out.write(line + "\n")
            self._out.flush()

    def phase(self, name: str) -> None:
        """Report a phase."""
        self.send({"event": "phase", "phase": name})

    def size(self, total_bytes: int) -> None:
        """Report the bytes the write that follows writes."""
        self.send({"event": "size", "bytes": int(total_bytes)})

    def progress(self, value: float) -> None:
        """Report progress, at most every PROGRESS_EVERY_S (and always the end)."""
        now = time.monotonic()
        if value < 1.0 and now - self._last_progress < PROGRESS_EVERY_S:
            return
        self._last_progress = now
        self.send({"event": "progress", "value": float(value)})


def main() -> int:
    """Import depthai once, then serve operations until stdin closes."""
    die_with_parent()
    # SIGUSR1 writes every thread's stack to stderr (the daemon's log): what a stuck worker does.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    # The protocol gets a private copy of stdout; fd 1 itself goes to stderr, because depthai's
    # C++ logger writes there directly ("USB protocol not available", ...).
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    reporter = LineReporter(os.fdopen(protocol_fd, "w", buffering=1))
    import depthai as dai

    from oakd.worker.closing import retiring
    from oakd.worker.contract import DeviceError, Failure, Op
    from oakd.worker.ops import OPS  # imports depthai: the slow part, done once

    reporter.send({"event": "ready", "depthai": dai.__version__, "pid": os.getpid()})
    for line in sys.stdin:
        try:
            request = json.loads(line)
            op = OPS[Op(request["op"])]
            result = op(request.get("params", {}), reporter)
            reporter.send({"event": "done", "result": result, "retire": retiring()})
        except DeviceError as exc:
            reporter.send({**exc.to_event(), "retire": retiring()})
        except Exception as exc:
            traceback.print_exc()
            failed = DeviceError(Failure.FAILED, f"{type(exc).__name__}: {exc}")
            reporter.send({**failed.to_event(), "retire": retiring()})
        why = retiring()
        if why:
            # The answer is out; this process's depthai is broken (oakd/worker/closing.py).
            print(f"oakd worker: {why}; exiting for a fresh worker", file=sys.stderr, flush=True)
            os._exit(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
