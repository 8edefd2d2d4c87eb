"""`oakd events`: what the daemon does, as it happens (builds, flashes, cameras, its log), one
line each, like `docker events`; `--json`: one JSON object per line. `oakd watch DIR --follow`
streams the same, kept to that project and its flashes, as `balena push` does.

Runs until interrupted (Ctrl-C ends it with exit 0) or the daemon goes away (exit 3).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from oakd.cli.common import EXIT_OK, add_client_options, run_client
from oakd.protocol import (
    EVENT_DEVICE_ADDED,
    EVENT_DEVICE_CHANGED,
    EVENT_DEVICE_OFFLINE,
    EVENT_JOB_CHANGED,
    EVENT_JOB_PROGRESS,
    EVENT_LOG,
    EVENT_PROJECT_BUILD,
    EVENT_PROJECT_CHANGED,
    EVENT_TOPICS,
)

if TYPE_CHECKING:
    from oakd.client import Client

Event = dict[str, Any]  # {"event": name, "data": ...}
Keep = Callable[[str, Any], bool]


def register(sub: Any) -> None:
    """Add `oakd events`."""
    p = sub.add_parser(
        "events",
        help="stream what the daemon does as it happens: builds, flashes, cameras, its log",
    )
    p.add_argument(
        "--topic",
        action="append",
        choices=EVENT_TOPICS,
        help="only these (repeatable; default: all but the log)",
    )
    p.add_argument("--progress", action="store_true", help="also each job's progress events")
    add_client_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print events until interrupted."""
    topics = args.topic or [t for t in EVENT_TOPICS if t != "log"]

    async def work(client: Client) -> int:
        await client.subscribe(topics)
        return await stream(client, args, lambda *_: True)

    return run_client(args, work, until_interrupted=True)


async def stream(client: Client, args: argparse.Namespace, keep: Keep) -> int:
    """Print the events (subscribed to already) that pass `keep`, until the daemon goes
    away."""
    progress = getattr(args, "progress", False)
    while True:
        message = await client.events.get()
        if message is None:
            raise client.transport.lost("the daemon went away")
        name, data = str(message.get("event")), message.get("data")
        if name == EVENT_JOB_PROGRESS and not progress:
            continue
        if not keep(name, data):
            continue
        if args.json:
            sys.stdout.write(json.dumps(message, sort_keys=True) + "\n")
        else:
            line = describe(name, data)
            if line is None:
                continue
            sys.stdout.write(f"{time.strftime('%H:%M:%S')} {line}\n")
        sys.stdout.flush()
    return EXIT_OK


def describe(name: str, data: Any) -> str | None:
    """One event in words (None: an event this version does not know)."""
    if not isinstance(data, dict):
        return None
    if name == EVENT_JOB_CHANGED:
        why = data.get("error") or data.get("message") or ""
        state = str(data.get("state"))
        if state == "running" and data.get("phase"):
            state = f"running ({data['phase']})"
        return f"job #{data.get('id')} {data.get('kind')} on {data.get('device')}: {state}" + (
            f": {why}" if why else ""
        )
    if name == EVENT_JOB_PROGRESS:
        percent = float(data.get("progress") or 0) * 100
        return f"job #{data.get('id')} {data.get('phase') or 'running'} {percent:.0f}%"
    if name == EVENT_PROJECT_BUILD:
        result = data.get("result") or {}
        project = data.get("project")
        if not result.get("ok"):
            error = result.get("error") or {}
            return f"build {project}: failed: {error.get('kind')}: {error.get('message')}"
        how = "unchanged" if result.get("unchanged") else f"new package, {result.get('size')} B"
        return f"build {project}: {result.get('app_name')} ({how})"
    if name == EVENT_PROJECT_CHANGED:
        return f"project {data.get('path')}: {data.get('state')}"
    if name in (EVENT_DEVICE_ADDED, EVENT_DEVICE_CHANGED, EVENT_DEVICE_OFFLINE):
        if name == EVENT_DEVICE_OFFLINE:
            return f"camera {data.get('id')} offline"
        found = " found" if name == EVENT_DEVICE_ADDED else ""
        app = f", runs {data['flashed_app']}" if data.get("flashed_app") else ""
        return f"camera {data.get('id')}{found}: {data.get('state')}{app}"
    if name == EVENT_LOG:
        return f"log {data.get('level')} {data.get('source')}: {data.get('message')}"
    return None


def for_project(path: str) -> Keep:
    """`watch --follow`'s filter: the project's own events and the flashes of its builds."""
    jobs: set[Any] = set()

    def keep(name: str, data: Any) -> bool:
        if not isinstance(data, dict):
            return False
        if name == EVENT_PROJECT_BUILD:
            return bool(data.get("project") == path)
        if name == EVENT_PROJECT_CHANGED:
            return bool(data.get("path") == path)
        if name == EVENT_JOB_CHANGED:
            params = data.get("params") or {}
            mine = data.get("kind") == "flash_project" and params.get("source") == path
            if mine:
                jobs.add(data.get("id"))
            return mine
        if name == EVENT_JOB_PROGRESS:
            return data.get("id") in jobs
        return False

    return keep
