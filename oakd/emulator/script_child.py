"""The emulated camera's app: runs a package's Script nodes, in a child process of the emulator.

Started as `python -m oakd.emulator.script_child` with the app (JSON: the camera's address and
the Script nodes, from core/scripts.py) on stdin. It confines itself as a build does (a PID
namespace of its own where the kernel allows it, a memory limit, death with its parent), binds
every socket the scripts make to the camera's address (so that what they send comes from the
camera, as on a real network), and runs each Script in a thread of its own with the globals a
Script has on the camera:

- `node`: `trace/debug/info/warn/error/critical(msg)` (written to stderr, which the emulator
  logs), and `node.io[name]` with `send(msg)`, `get()` and `tryGet()`. A message sent on an
  output linked to another Script's input reaches it (queued as that input's blocking and
  queue size say). An input fed by anything else (a camera, a neural network) never yields a
  message: the emulator has no sensor and no accelerator, so `get()` on it waits forever and
  `tryGet()` gives None.
- `Buffer(size)` with `getData()` / `setData(bytes)`; the other message types are not there.

A script that raises ends this process (CRASH_GRACE_S later) with exit status 3 after printing
its traceback: the
emulator then reboots the camera into its app, as the firmware does after a crash (emulated
crash loops). A script that returns just ends, as on the camera. Guesses, since the firmware's
behaviour is not documented: whether a crash reboots the whole camera (assumed: it does), and
how long that takes (emulator/app.py's CRASH_REBOOT_S).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import socket
import sys
import threading
import time
import traceback
from typing import Any

CRASH_STATUS = 3
# After a script raised, the others run this long before the camera goes down (so that what
# they send, the crash report included, leaves): a guess at how long the firmware takes.
CRASH_GRACE_S = 0.5
MEMORY_MB = 256


class Buffer:
    """A Script's Buffer message."""

    def __init__(self, size: int = 0) -> None:
        self._data = bytearray(size)

    def getData(self) -> bytearray:
        return self._data

    def setData(self, data: Any) -> None:
        self._data = bytearray(data)


class _Port:
    """One of node.io: an input (its own queue) or an output (the queues it feeds)."""

    def __init__(self, name: str, size: int = 8, blocking: bool = True) -> None:
        self.name = name
        self.blocking = blocking
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=max(1, size))
        self.targets: list[_Port] = []

    def send(self, message: Any) -> None:
        for target in self.targets:
            target.put(message)

    def put(self, message: Any) -> None:
        while True:
            try:
                self.queue.put(message, block=self.blocking)
                return
            except queue.Full:  # a non-blocking input drops its oldest message
                with contextlib.suppress(queue.Empty):
                    self.queue.get_nowait()

    def get(self) -> Any:
        return self.queue.get()

    def tryGet(self) -> Any:
        try:
            return self.queue.get_nowait()
        except queue.Empty:
            return None


class _Io(dict[str, _Port]):
    def __missing__(self, name: str) -> _Port:  # an unlinked port: sends go nowhere
        port = self[name] = _Port(name)
        return port


class Node:
    """A Script's `node`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.io = _Io()

    def _log(self, level: str, message: Any) -> None:
        sys.stderr.write(f"[{self.name}] {level}: {message}\n")
        sys.stderr.flush()

    def trace(self, message: Any) -> None:
        self._log("trace", message)

    def debug(self, message: Any) -> None:
        self._log("debug", message)

    def info(self, message: Any) -> None:
        self._log("info", message)

    def warn(self, message: Any) -> None:
        self._log("warn", message)

    def error(self, message: Any) -> None:
        self._log("error", message)

    def critical(self, message: Any) -> None:
        self._log("critical", message)


def bind_sockets_to(address: str) -> None:
    """Every socket made from now on sends from `address`: the camera's, not the host's."""
    original = socket.socket

    class CameraSocket(original):  # type: ignore[misc,valid-type]
        def _from_camera(self) -> None:
            if self.family == socket.AF_INET and self.getsockname()[1] == 0:
                super().bind((address, 0))

        def bind(self, where: Any) -> None:
            # A server script binds its port: on the camera's address, whatever it asked.
            host, port = where
            super().bind((address if host in ("", "0.0.0.0") else host, port))

        def connect(self, where: Any) -> None:
            self._from_camera()
            super().connect(where)

        def sendto(self, data: Any, *rest: Any) -> int:
            self._from_camera()
            return int(super().sendto(data, *rest))

    socket.socket = CameraSocket  # type: ignore[misc]


def build_nodes(app: dict[str, Any]) -> dict[int, Node]:
    """The nodes of the app, their ports made and linked."""
    nodes: dict[int, Node] = {}
    for script in app["scripts"]:
        node = nodes[script["id"]] = Node(script["name"])
        for port in script["inputs"]:
            node.io[port["name"]] = _Port(port["name"], port["queue_size"], port["blocking"])
    for link in app["links"]:
        source, target = nodes.get(link["from_node"]), nodes.get(link["to_node"])
        if source is not None and target is not None:
            source.io[link["output"]].targets.append(target.io[link["input"]])
    return nodes


def run_script(node: Node, source: str, crashed: threading.Event) -> None:
    """One Script, as the firmware runs it: its own globals, `node` and `Buffer` given."""
    scope: dict[str, Any] = {"__name__": "__main__", "node": node, "Buffer": Buffer}
    try:
        exec(compile(source, node.name, "exec"), scope)
    except BaseException:
        sys.stderr.write(f"[{node.name}] crashed:\n{traceback.format_exc()}")
        sys.stderr.flush()
        crashed.set()


def main() -> None:
    """Read the app from stdin, confine, run every Script until one crashes."""
    app = json.loads(sys.stdin.read())
    from oakd.build.confine import die_with_parent, limit_memory, private_pid_namespace

    die_with_parent(app["parent_pid"])
    private_pid_namespace()  # where the kernel refuses, the scripts still run; the leash holds
    limit_memory(MEMORY_MB)
    bind_sockets_to(app["address"])
    nodes = build_nodes(app)
    crashed = threading.Event()
    for script in app["scripts"]:
        thread = threading.Thread(
            target=run_script,
            args=(nodes[script["id"]], script["source"], crashed),
            name=f"script-{script['id']}",
            daemon=True,
        )
        thread.start()
    crashed.wait()
    time.sleep(CRASH_GRACE_S)
    os._exit(CRASH_STATUS)


if __name__ == "__main__":
    main()
