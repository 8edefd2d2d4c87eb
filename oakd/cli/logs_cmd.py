"""`oakd logs DEVICE`: what a camera's standalone app reported (its boots, what its Scripts
logged, its crashes with their tracebacks), like `esphome logs` or `docker logs`. `-f` follows
new lines until Ctrl-C; `--json` prints a JSON list (with -f: one JSON object per line).

The app reports only if it was built with oakd's telemetry ([telemetry] in the config, on by
default for watched projects): `oakd build` and the daemon's log say what was added.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from typing import TYPE_CHECKING, Any

from oakd.cli.commands import Commands, add_command
from oakd.cli.common import EXIT_OK, EXIT_USAGE, add_client_options, print_json, run_client
from oakd.protocol import EVENT_APP_LOG, read_event, read_reply
from oakd.protocol.replies import AppLogLine
from oakd.protocol.requests import Logs

if TYPE_CHECKING:
    from oakd.client import Client

_AGO = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def register(sub: Commands[argparse.ArgumentParser]) -> None:
    """Add `oakd logs`."""
    p = add_command(sub, "logs")
    p.add_argument("device", metavar="DEVICE", help="MX ID or alias")
    p.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    p.add_argument(
        "--since", metavar="WHEN", help="only newer lines: 30s, 10m, 2h, 1d ago, or a Unix time"
    )
    p.add_argument("-n", "--lines", type=int, default=200, help="how many at most (default 200)")
    add_client_options(p)
    p.set_defaults(func=run)


def since_of(text: str | None, now: float) -> float | None:
    """--since as seconds since the epoch; ValueError names what is accepted."""
    if text is None:
        return None
    match = _AGO.match(text.strip())
    if match:
        return now - float(match.group(1)) * _UNITS[match.group(2)]
    try:
        return float(text)
    except ValueError:
        raise ValueError(
            f"--since {text!r}: expected a time ago (30s, 10m, 2h, 1d) or a Unix time"
        ) from None


def line_of(entry: AppLogLine) -> str:
    """One line (a crash: its traceback indented below) as a person reads it."""
    at = time.strftime("%H:%M:%S", time.localtime(entry.at))
    if entry.kind == "boot":
        return f"{at} boot {entry.app}"
    if entry.kind == "crash":
        body = "\n".join(f"    {x}" for x in entry.text.rstrip("\n").splitlines())
        return f"{at} crash {entry.source}:\n{body}"
    return f"{at} {entry.source} {entry.level}: {entry.text}"


def run(args: argparse.Namespace) -> int:
    """Print the app's lines; with -f, then new ones until interrupted."""
    try:
        since = since_of(args.since, time.time())
    except ValueError as exc:
        print(f"oakd logs: {exc}", file=sys.stderr)
        return EXIT_USAGE

    async def work(client: Client) -> int:
        if args.follow:  # before listing: a line between the two is seen twice, never missed
            await client.subscribe(["app"])
        request = Logs(device=args.device, since=since, limit=args.lines)
        answer = await client.call(request)  # --json prints it as the daemon sent it
        lines: list[AppLogLine] = read_reply(request, answer)
        device = lines[-1].device if lines else None
        shown = {(x.at, x.seq) for x in lines}
        if args.json and not args.follow:  # one document; following, one object a line
            print_json(answer)
            return EXIT_OK
        for entry, raw in zip(lines, answer, strict=True):
            show(entry, raw if args.json else None)
        if not args.follow:
            return EXIT_OK
        if device is None:  # the MX ID, for matching events: the daemon resolves aliases
            device = await _mxid(client, args.device)
        while True:
            message = await client.events.get()
            if message is None:
                raise client.transport.lost("the daemon went away")
            if message.get("event") != EVENT_APP_LOG:
                continue
            entry = read_event(EVENT_APP_LOG, message.get("data"))
            if entry.device == device and (entry.at, entry.seq) not in shown:
                show(entry, message.get("data") if args.json else None)

    return run_client(args, work, until_interrupted=args.follow)


def show(entry: AppLogLine, raw: Any = None) -> None:
    """Print one line: for people, or `raw` (as the daemon sent it) as JSON."""
    text = json.dumps(raw, sort_keys=True) if raw is not None else line_of(entry)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


async def _mxid(client: Client, ref: str) -> str:
    from oakd.protocol.requests import ListDevices

    for device in await client.ask(ListDevices()):
        if ref in (device.id, device.alias):
            return str(device.id)
    return ref
