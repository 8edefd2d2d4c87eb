"""What a build adds so that the app reports on itself: a telemetry Script, and a prelude.

- One Script node on LEON_CSS (a Script using `socket` on LEON_MSS crashes the firmware's VM)
  sends a `boot` datagram with the app's name when the app starts, a `beat` every
  `heartbeat_s`, and forwards what the other Scripts log (core/telemetry.py has the format).
  It sends to every IPv4 address of the daemon's host (services/telemetry.py says why), fixed
  at build time.
- Every user Script gets a prelude: its `node.trace/debug/info/warn/error/critical` also go to
  the telemetry Script (an output `__oakd_log` linked to one of its inputs, non-blocking with a
  small queue, so that logging never blocks the app), and an exception that ends the script
  sends its traceback first. The user's source is compiled under its own name as it is, so
  the line numbers in a traceback are the user's.

Where the real firmware is unknown, this picks what depends on the least: only `socket`,
`time`, `Buffer`, `compile`/`exec` and `node.io[...].tryGet()/send()` are used, and every send
is guarded, so that telemetry failing cannot stop the app. Whether the camera's Script VM has
`traceback` is unknown: without it the crash report is the exception's repr.

Everything added is a function of the settings and the fingerprint (which covers the user's
pipeline and these settings, build/fingerprint.py), so the package stays a function of its
fingerprint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from oakd.build.fingerprint import split_asset_storage
from oakd.core import telemetry as wire

VERSION = 1  # of what is added here: part of the fingerprint
LOG_OUTPUT = "__oakd_log"
LOG_QUEUE = 8  # messages per Script waiting for the telemetry node; more are dropped
TELEMETRY_NAME = "oakd-telemetry"


@dataclass(frozen=True)
class Telemetry:
    """Where a build's telemetry goes."""

    targets: tuple[tuple[str, int], ...]  # the daemon's (address, port), as cameras see it
    heartbeat_s: float = wire.HEARTBEAT_S

    def to_json(self) -> dict[str, Any]:
        """For the child's request and the fingerprint."""
        return {
            "version": VERSION,
            "targets": [list(t) for t in self.targets],
            "heartbeat_s": self.heartbeat_s,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Telemetry:
        """Read back to_json."""
        targets = tuple((str(host), int(port)) for host, port in data["targets"])
        return cls(targets, float(data["heartbeat_s"]))


def telemetry_script(app_name: str, telemetry: Telemetry, inputs: list[str]) -> str:
    """The telemetry Script's source."""
    return _TELEMETRY.format(
        magic=wire.MAGIC,
        app=app_name,
        targets=[list(t) for t in telemetry.targets],
        beat=telemetry.heartbeat_s,
        inputs=inputs,
        limit=wire.MAX_DATAGRAM,
        text=wire.MAX_TEXT,
    )


def with_prelude(source: str, name: str) -> str:
    """A user Script's source with the prelude: run unchanged, logging also sent on."""
    return _PRELUDE.format(source=repr(source), name=repr(name), output=repr(LOG_OUTPUT))


def script_sources(serialized: dict[str, Any]) -> dict[int, str]:
    """The text of each Script node as the user set it, by node id, from the serialized
    pipeline (depthai keeps a Script's text as the asset /node/<id>/__script)."""
    _, storage = split_asset_storage(serialized)
    sources = {}
    for key, where in serialized.get("assets", {}).get("map", {}).items():
        parts = key.split("/")  # "", "node", "<id>", "__script"
        if len(parts) == 4 and parts[1] == "node" and parts[3] == "__script":
            chunk = storage[where["offset"] : where["offset"] + where["size"]]
            sources[int(parts[2])] = chunk.decode("utf-8", "replace")
    return sources


def add(
    dai: Any, pipeline: Any, telemetry: Telemetry, app_name: str, sources: dict[int, str]
) -> dict[str, Any]:
    """Add the telemetry Script and the preludes (`sources`: script_sources of the user's
    pipeline); returns what was added (for `oakd build`)."""
    scripts = [n for n in pipeline.getAllNodes() if isinstance(n, dai.node.Script)]
    node = pipeline.create(dai.node.Script)
    node.setProcessor(dai.ProcessorType.LEON_CSS)
    inputs = []
    for script in scripts:
        name = script.getScriptName()
        script.setScript(with_prelude(sources.get(script.id, ""), name), name)
        name = f"log{script.id}"
        script.outputs[LOG_OUTPUT].link(node.inputs[name])
        node.inputs[name].setBlocking(False)
        node.inputs[name].setQueueSize(LOG_QUEUE)
        inputs.append(name)
    node.setScript(telemetry_script(app_name, telemetry, inputs), TELEMETRY_NAME)
    return {
        "node": node.id,
        "processor": "LEON_CSS",
        "targets": [f"{host}:{port}" for host, port in telemetry.targets],
        "heartbeat_s": telemetry.heartbeat_s,
        "wrapped": [{"node": s.id, "name": s.getScriptName()} for s in scripts],
    }


# Doubled braces are the script's own; single ones are filled in by telemetry_script.
_TELEMETRY = """\
# Added by oakd: tells the daemon that this app booted, that it lives, and what it logs.
import socket
import time

APP = {app!r}
TARGETS = [tuple(t) for t in {targets!r}]
BEAT_S = {beat!r}
INPUTS = {inputs!r}
seq = 0
out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)


def send(kind, body=""):
    global seq
    seq += 1
    data = ("{magic} %d %s %s\\n%s" % (seq, kind, APP, body)).encode()[:{limit}]
    for target in TARGETS:
        try:
            out.sendto(data, target)
        except Exception:
            pass


send("boot")
last = time.time()
while True:
    for name in INPUTS:
        message = node.io[name].tryGet()
        while message is not None:
            level, _, rest = bytes(message.getData()).decode("utf-8", "replace").partition("\\t")
            source, _, text = rest.partition("\\t")
            kind = "crash" if level == "crash" else "log"
            level = "critical" if kind == "crash" else level
            send(kind, "%s\\t%s\\t%s" % (level, source, text[:{text}]))
            message = node.io[name].tryGet()
    now = time.time()
    if now - last >= BEAT_S:
        send("beat")
        last = now
    time.sleep(0.05)
"""

_PRELUDE = """\
class _OakdNode:
    # Added by oakd: node's logging also goes to the daemon. Your script follows, unchanged.
    def __init__(self, node, name):
        self._node, self._name = node, name

    def __getattr__(self, attribute):
        return getattr(self._node, attribute)

    def _send(self, level, text):
        try:
            data = ("%s\\t%s\\t%s" % (level, self._name, text)).encode()[:1000]
            message = Buffer(len(data))
            message.setData(data)
            self._node.io[{output}].send(message)
        except Exception:
            pass

    def _log(level):
        def log(self, message):
            getattr(self._node, level)(message)
            self._send(level, str(message))
        return log

    trace, debug, info = _log("trace"), _log("debug"), _log("info")
    warn, error, critical = _log("warn"), _log("error"), _log("critical")


def _oakd_run(source, name):
    scope = dict(globals())
    scope["node"] = proxy = _OakdNode(node, name)
    try:
        exec(compile(source, name, "exec"), scope)
    except BaseException as exc:
        try:
            import traceback
            # From the user's own frames on: this function's is left out.
            report = "".join(
                traceback.format_exception(type(exc), exc, exc.__traceback__.tb_next)
            )
        except Exception:
            report = repr(exc)
        proxy._send("crash", report)
        raise


_oakd_run({source}, {name})
"""
