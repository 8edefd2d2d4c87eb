"""Warm processes that fork children with depthai already imported and unpacked.

A fresh Python process that imports depthai pays for the interpreter, the import, and ~0.8 s of
CPU in the two threads that unpack depthai's embedded firmware archives. A zygote pays that once
and then forks: a child starts in milliseconds, with nothing left to unpack. A daemon keeps one
zygote for both roles (one import, one unpacking, one ~110 MB process):
- "build": a confined build of the user's pipeline (oakd/build/forked.py);
- "device": a device worker, depthai's operations on cameras (oakd/worker/forked.py).

`python -m oakd.zygote ROLES FD` is the process (__main__.py); oakd.zygote.parent the daemon's
side. A child forked while another thread runs inherits whatever that thread held at the fork.
So the zygote waits for depthai's unpacking threads to end, counting the kernel's threads
(/proc/self/task), not only Python's. A thread that stays (libusb's event thread, on a machine
where depthai can use USB) makes the device role refuse to serve: a device worker uses XLink
and libusb. The daemon then starts fresh workers, as it always can. The build role forks beside
such an idle thread: a build child never touches XLink or USB.
"""

from __future__ import annotations

# The module of each role: it has warm_up() and run_forked(request, fds) -> NoReturn; FDS, how
# many file descriptors a fork request carries; FORKS_BESIDE_IDLE_THREADS (see above); maybe
# settle(), the rest of its warm-up, run before its first fork (not paid by a daemon that never
# asks for one); and maybe serve(request) -> dict, what the zygote answers itself while it
# cannot fork yet.
ROLES = {"build": "oakd.build.forked", "device": "oakd.worker.forked"}
