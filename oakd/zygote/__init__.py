"""Warm processes that fork children with depthai already imported and unpacked.

A fresh Python process that imports depthai pays for the interpreter, the import, and ~0.8 s of
CPU in the two threads that unpack depthai's embedded firmware archives. A zygote pays that once
and then forks: a child starts in milliseconds, with nothing left to unpack. Two roles use one:
- "build": a confined build of the user's pipeline (oakd/build/forked.py);
- "device": a device worker, depthai's operations on cameras (oakd/worker/forked.py).

`python -m oakd.zygote ROLE FD` is the process (__main__.py); oakd.zygote.parent the daemon's
side. Forking is safe only with one thread: the zygote waits for depthai's unpacking threads to
end, counting the kernel's threads (/proc/self/task), not only Python's, and refuses to serve
if others remain (a libusb event thread, on a machine with USB): then the daemon starts fresh
processes, as it always can.
"""

from __future__ import annotations

# The module of each role: it has warm_up() and run_forked(request, fds) -> NoReturn, and FDS,
# how many file descriptors a fork request carries.
ROLES = {"build": "oakd.build.forked", "device": "oakd.worker.forked"}
