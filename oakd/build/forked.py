"""The build role of the warm zygote (oakd/zygote): a build child forked with depthai warm.

A forked child builds in ~0.2 s instead of the ~0.9 s of a fresh `python -m oakd.build.child`,
and under the same limits (child.run_build: its own session, so that a kill of its process
group reaches what it started; RLIMIT_AS; death with its parent; the time limit in the daemon).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, NoReturn

FDS = 2  # the channel (its stdout) and the output pipe (its stderr)
# A build child never uses XLink or USB: an idle thread of depthai's USB layer (libusb's event
# thread) cannot hold anything it needs. So builds fork warm on a machine with USB too.
FORKS_BESIDE_IDLE_THREADS = True


def warm_up() -> None:
    """Import depthai (at once: the zygote scans meanwhile)."""
    import depthai  # noqa: F401


def settle() -> None:
    """Before the first build: import the build child and make one package, so that every
    forked child starts warm (depthai's one-time work for a package is done)."""
    import depthai as dai

    import oakd.build.child  # noqa: F401

    with tempfile.TemporaryDirectory(prefix="oakd-zygote-") as tmp:
        dai.DeviceBootloader.saveDepthaiApplicationPackage(
            Path(tmp) / "warm.dap", dai.Pipeline(), compress=False
        )


def run_forked(request: dict[str, Any], fds: list[int]) -> NoReturn:
    """In the forked child: become a fresh build child, then build (never returns)."""
    os.setsid()  # its own session and process group, as a fresh child has
    channel, output = fds
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(channel, 1)
    os.dup2(output, 2)
    for fd in (devnull, channel, output):
        os.close(fd)
    os.chdir("/")
    from oakd.build.child import run_build
    from oakd.build.wire import ChildRequest

    run_build(ChildRequest.from_json({**request, "parent_pid": os.getppid()}))
