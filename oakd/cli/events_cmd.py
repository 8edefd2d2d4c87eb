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

from oakd.cli.commands import Commands, add_command
from oakd.cli.common import EXIT_OK, add_client_options, run_client
from oakd.core.jobs import JobKind, JobState
from oakd.protocol import (
    EVENT_DEVICE_ADDED,
    EVENT_DEVICE_OFFLINE,
    EVENT_JOB_PROGRESS,
    EVENT_TOPICS,
    read_event,
)
from oakd.protocol.replies import (
    AppLogLine,
    DeviceInfo,
    JobInfo,
    JobProgress,
    LogLine,
    ProjectBuilt,
    ProjectInfo,
)

if TYPE_CHECKING:
    from oakd.client import Client

# Is an event (its name, and its data typed, None for one this version does not know) shown?
Keep = Callable[[str, Any], bool]


def register(sub: Commands[argparse.ArgumentParser]) -> None:
    """Add `oakd events`."""
    p = add_command(sub, "events")
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
        name = str(message.get("event"))
        if name == EVENT_JOB_PROGRESS and not progress:
            continue
        data = read_event(name, message.get("data"))
        if not keep(name, data):
            continue
        if args.json:  # as the daemon sent it
            sys.stdout.write(json.dumps(message, sort_keys=True) + "\n")
        else:
            line = describe(name, data)
            if line is None:
                continue
            sys.stdout.write(f"{time.strftime('%H:%M:%S')} {line}\n")
        sys.stdout.flush()
    return EXIT_OK


def describe(name: str, data: Any) -> str | None:
    """One event (its data typed by read_event) in words; None: an event this version does
    not know."""
    if isinstance(data, JobInfo):
        why = data.error or data.message or ""
        state = data.state.value
        if data.state is JobState.RUNNING and data.phase:
            state = f"running ({data.phase.value})"
        return f"job #{data.id} {data.kind.value} on {data.device}: {state}" + (
            f": {why}" if why else ""
        )
    if isinstance(data, JobProgress):
        phase = data.phase.value if data.phase else "running"
        return f"job #{data.id} {phase} {data.progress * 100:.0f}%"
    if isinstance(data, ProjectBuilt):
        result = data.result
        if not result.ok:
            error = result.error  # a failed build has one: a daemon's summary always says why
            why = f"{error.kind}: {error.message}" if error else "(the daemon did not say why)"
            return f"build {data.project}: failed: {why}"
        how = "unchanged" if result.unchanged else f"new package, {result.size} B"
        return f"build {data.project}: {result.app_name} ({how})"
    if isinstance(data, ProjectInfo):
        return f"project {data.path}: {data.state}"
    if isinstance(data, DeviceInfo):
        if name == EVENT_DEVICE_OFFLINE:
            return f"camera {data.id} offline"
        found = " found" if name == EVENT_DEVICE_ADDED else ""
        app = f", runs {data.flashed_app}" if data.flashed_app else ""
        return f"camera {data.id}{found}: {data.state.value}{app}"
    if isinstance(data, AppLogLine):
        said = f"{data.source} {data.level}: {data.text}" if data.kind == "log" else data.kind
        return f"camera {data.device} app {data.app}: {said.splitlines()[0] if said else ''}"
    if isinstance(data, LogLine):
        return f"log {data.level} {data.source}: {data.message}"
    return None


def for_project(path: str) -> Keep:
    """`watch --follow`'s filter: the project's own events and the flashes of its builds."""
    jobs: set[int] = set()

    def keep(name: str, data: Any) -> bool:
        if isinstance(data, ProjectBuilt):
            return data.project == path
        if isinstance(data, ProjectInfo):
            return data.path == path
        if isinstance(data, JobInfo):
            mine = data.kind is JobKind.FLASH_PROJECT and data.params.get("source") == path
            if mine:
                jobs.add(data.id)
            return mine
        if isinstance(data, JobProgress):
            return data.id in jobs
        return False

    return keep
