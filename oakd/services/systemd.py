"""systemd integration without a dependency: sd_notify, the watchdog, socket activation.

Everything here does nothing outside systemd (no $NOTIFY_SOCKET, no $LISTEN_FDS).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time

from oakd.tasks import wait_any

log = logging.getLogger(__name__)

SD_LISTEN_FDS_START = 3


def notify(*lines: str) -> bool:
    """Send state lines (READY=1, STOPPING=1, ...) to the service manager; False outside it."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # abstract namespace
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
        try:
            sock.connect(address)
            sock.sendall("\n".join(lines).encode())
        except OSError as exc:
            log.warning("cannot notify systemd at %s: %s", address, exc)
            return False
    return True


def monotonic_usec() -> str:
    """MONOTONIC_USEC=..., which systemd wants next to RELOADING=1."""
    return f"MONOTONIC_USEC={time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}"


def watchdog_interval() -> float | None:
    """WatchdogSec in seconds when systemd asked for pings from this process, else None."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        seconds = int(usec) / 1_000_000
    except ValueError:
        return None
    return seconds if seconds > 0 else None


class Watchdog:
    """Pings WATCHDOG=1 at half the interval, from the event loop itself: if the loop blocks,
    the pings stop and systemd restarts the daemon, which is the point."""

    def __init__(self, interval: float) -> None:
        self.interval = interval

    async def run(self, stop: asyncio.Event) -> None:
        """Ping until stopped."""
        while not stop.is_set():
            notify("WATCHDOG=1")
            await wait_any([stop], self.interval / 2)


def listen_fds() -> list[socket.socket]:
    """Sockets passed by systemd socket activation ($LISTEN_FDS for our pid), else []."""
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        return []
    try:
        count = int(os.environ.get("LISTEN_FDS", "0"))
    except ValueError:
        return []
    # Not inherited by children (builders): they must not hold the daemon's socket.
    for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        os.environ.pop(name, None)
    sockets = []
    for fd in range(SD_LISTEN_FDS_START, SD_LISTEN_FDS_START + count):
        os.set_inheritable(fd, False)
        sock = socket.socket(fileno=fd)
        sock.setblocking(False)
        sockets.append(sock)
    return sockets
