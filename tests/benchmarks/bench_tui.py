"""Benchmark of `oakd tui` in a real (pseudo-)terminal: key-to-repaint latency and idle CPU.

Not a test: it prints figures. Run it in a private network namespace, like everything that
serves the protocol:

    /work/shared/tools/isolated .venv/bin/python -m tests.benchmarks.bench_tui [--size 120x40]

How it measures:
- A stand-in daemon (tests/tui/standin.py: the real socket server and event bus) serves 256
  cameras and 32 running jobs (plus 16 queued) on a Unix socket in this process.
- `python -m oakd tui --socket ...` runs as a child process on a pty of the given size, exactly
  as a user runs it; this process plays the terminal and reads everything the TUI writes.
- Progress events flow for the 32 running jobs, each at 10 per second (the daemon's limit,
  oakd/protocol), i.e. 320 events/s.
- Key to repaint: the cameras table is focused; each press of ↓ (then ↑) moves the cursor one
  row. The time is from writing the key to the pty until the TUI has written the newly
  highlighted row (its alias, which no other panel shows). Median and 95th percentile.
- Idle CPU: with the progress events stopped and nothing changing, the TUI's user+system time
  from /proc/PID/stat over a window, as a share of one core. The CPU while progress flows is
  printed too, for comparison.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

from oakd.protocol import EVENT_JOB_PROGRESS
from oakd.protocol.replies import JobPhase, JobProgress
from tests.tui import data
from tests.tui.standin import StandInDaemon

CAMERAS = 256
RUNNING = 32
QUEUED = 16
RATE_PER_JOB = 10.0  # progress events per second per running job
DOWN, UP = b"\x1b[B", b"\x1b[A"


def alias(n: int) -> str:
    """cam-000 ... cam-255: sorted like the table sorts them."""
    return f"cam-{n:03d}"


def populate(daemon: StandInDaemon) -> None:
    """Cameras, and jobs on the last ones (so no job names a camera the keys highlight)."""
    daemon.devices = [data.device(n, alias(n), bootloader="0.0.28") for n in range(CAMERAS)]
    first = CAMERAS - RUNNING
    daemon.jobs = [
        data.job(1000 + n, data.mxid(first + n), "running", phase="writing", progress=0.0)
        for n in range(RUNNING)
    ] + [data.job(2000 + n, data.mxid(first - QUEUED + n)) for n in range(QUEUED)]


class Progress(threading.Thread):
    """Publishes job.progress for every running job at RATE_PER_JOB, until stopped."""

    def __init__(self, daemon: StandInDaemon) -> None:
        super().__init__(name="progress", daemon=True)
        self.daemon_ = daemon
        self.stopped = threading.Event()
        self.sent = 0

    def run(self) -> None:
        tick = 1.0 / RATE_PER_JOB
        step = 0
        first = CAMERAS - RUNNING
        next_at = time.monotonic()
        while not self.stopped.is_set():
            step += 1
            for n in range(RUNNING):
                progress = ((step + n * 7) % 1000) / 1000
                payload = JobProgress(1000 + n, data.mxid(first + n), progress, JobPhase.WRITING)
                self.daemon_.publish(EVENT_JOB_PROGRESS, payload)
                self.sent += 1
            next_at += tick
            self.stopped.wait(max(0.0, next_at - time.monotonic()))


class Terminal:
    """The TUI on a pty; we are its terminal."""

    def __init__(self, socket_path: Path, cols: int, rows: int) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: size its terminal, then become the TUI
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
            argv = [sys.executable, "-m", "oakd", "tui", "--socket", str(socket_path)]
            os.execve(sys.executable, argv, env)
        self.pid, self.fd = pid, fd
        self.output = bytearray()

    def read(self, timeout: float) -> bytes:
        """Whatever the TUI wrote within `timeout` seconds (b"" if nothing)."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return b""
        try:
            chunk = os.read(self.fd, 1 << 16)
        except OSError:  # the child exited
            return b""
        self.output += chunk
        return chunk

    def drain(self, seconds: float) -> None:
        """Read (and drop) output for `seconds`, so the TUI never blocks on a full pty."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.read(min(left, 0.05))
        self.output.clear()

    def wait_for(self, pattern: bytes, timeout: float) -> float:
        """Seconds until `pattern` appears in the output written from now on."""
        start = time.monotonic()
        seen = bytearray()
        while pattern not in seen:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                raise TimeoutError(f"{pattern!r} not written in {timeout} s")
            seen += self.read(left)
            # Keep only what could still hold the start of a match.
            del seen[: max(0, len(seen) - 1_000_000)]
        return time.monotonic() - start

    def cpu_seconds(self) -> float:
        """User + system time of the TUI process so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def cpu_share(self, seconds: float) -> float:
        """Share of one core the TUI used over `seconds` (reading its output meanwhile)."""
        before, start = self.cpu_seconds(), time.monotonic()
        self.drain(seconds)
        return (self.cpu_seconds() - before) / (time.monotonic() - start)

    def quit(self) -> None:
        """q quits the TUI; if it does not, it is terminated."""
        os.write(self.fd, b"q")
        end = time.monotonic() + 5
        while time.monotonic() < end:
            self.read(0.05)
            done, _ = os.waitpid(self.pid, os.WNOHANG)
            if done:
                os.close(self.fd)
                return
        os.kill(self.pid, signal.SIGTERM)
        os.waitpid(self.pid, 0)
        os.close(self.fd)


def key_latencies(term: Terminal, presses: int) -> list[float]:
    """Move the cursor down `presses` rows and back up; the latency of each press."""
    times: list[float] = []
    row = 0
    for step in range(2 * presses):
        down = step < presses
        row += 1 if down else -1
        start = time.monotonic()
        os.write(term.fd, DOWN if down else UP)
        term.wait_for(alias(row).encode(), timeout=5)
        times.append(time.monotonic() - start)
        term.drain(0.02)  # let the repaint finish before the next press
    return times


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of `values` fall."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="120x40", help="terminal COLSxROWS (default 120x40)")
    parser.add_argument("--presses", type=int, default=40, help="↓ presses, then as many ↑")
    parser.add_argument("--idle", type=float, default=10.0, help="idle CPU window, seconds")
    args = parser.parse_args()
    match = re.fullmatch(r"(\d+)x(\d+)", args.size)
    if not match:
        parser.error("--size is COLSxROWS, like 120x40")
    cols, rows = int(match[1]), int(match[2])

    tmp = Path(tempfile.mkdtemp(prefix="oakd-bench-", dir="/tmp"))
    daemon = StandInDaemon(tmp / "s")
    populate(daemon)
    daemon.start()
    started = time.monotonic()
    term = Terminal(daemon.path, cols, rows)
    progress = Progress(daemon)
    try:
        term.wait_for(f"{CAMERAS} cameras".encode(), timeout=30)
        term.wait_for(alias(0).encode(), timeout=30)
        startup = time.monotonic() - started
        term.drain(1.0)
        progress.start()
        term.drain(2.0)  # progress flowing, the screen settled
        busy_cpu = term.cpu_share(5.0)
        latencies = key_latencies(term, args.presses)
        progress.stopped.set()
        progress.join()
        term.drain(2.0)  # the last events drawn
        idle_cpu = term.cpu_share(args.idle)
        quiet = key_latencies(term, args.presses)
    finally:
        progress.stopped.set()
        term.quit()
        daemon.stop()
    ms = [t * 1000 for t in latencies]
    quiet_ms = [t * 1000 for t in quiet]
    print(f"oakd tui in a {cols}x{rows} pty against a stand-in daemon")
    print(f"  {CAMERAS} cameras, {RUNNING} running jobs (+{QUEUED} queued)")
    print(f"  progress events: {RUNNING} x {RATE_PER_JOB:.0f}/s = {RUNNING * RATE_PER_JOB:.0f}/s")
    print(f"startup to first full screen      {startup:6.2f} s")
    print(
        f"key to repaint (↓/↑, {len(ms)} presses) median {statistics.median(ms):6.1f} ms   "
        f"p95 {percentile(ms, 0.95):6.1f} ms   max {max(ms):6.1f} ms   (target: median ≤ 50 ms)"
    )
    print(
        f"  the same with no events flowing      median {statistics.median(quiet_ms):6.1f} ms   "
        f"p95 {percentile(quiet_ms, 0.95):6.1f} ms   max {max(quiet_ms):6.1f} ms"
    )
    print(f"CPU while progress flows          {busy_cpu * 100:6.1f} % of one core")
    print(f"CPU while nothing changes         {idle_cpu * 100:6.1f} % of one core   (target ≤ 2 %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
