"""`python leash.py PARENT_PID ARGV...`: exec ARGV in a session of its own, killed with its parent.

The demo starts its daemon and its emulator through this script, for two reasons:

- its own session: a closed terminal sends SIGHUP to the terminal's processes, and the daemon
  takes SIGHUP as "reload the config" (the emulator as "die at once"). Out of the terminal's
  session, they hear only the demo, which stops them in order.
- PR_SET_PDEATHSIG: if the demo itself is killed (SIGKILL: no handler runs), the kernel kills
  them too. The setting survives the exec below; the daemon's own workers and build processes
  set it for themselves, so they follow the daemon.

Run by path, not as `-m oakd.demo.leash`: importing the oakd package would cost a child start
for nothing. Standard library only.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def main(argv: list[str]) -> int:
    """Set the leash, then become ARGV (returns only on a usage error)."""
    if len(argv) < 3:
        print("usage: leash.py PARENT_PID ARGV...", file=sys.stderr)
        return 2
    parent, command = int(argv[1]), argv[2:]
    os.setsid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        print(f"leash: prctl: {os.strerror(ctypes.get_errno())}", file=sys.stderr)
        return 1
    if os.getppid() != parent:  # the demo died before the leash was on: follow it now
        return 1
    os.execv(command[0], command)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
