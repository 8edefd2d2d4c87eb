"""`oakd devices`, `oakd jobs`: read-only views of the daemon (`oakd status`: status_cmd.py)."""

from __future__ import annotations

import argparse
import time
from typing import Any

from oakd.cli.commands import Commands, add_command
from oakd.cli.common import EXIT_OK, add_client_options, print_json, print_table, run_request, when
from oakd.core.jobs import JobState
from oakd.protocol import read_reply
from oakd.protocol.replies import DeviceInfo, JobInfo
from oakd.protocol.requests import ListDevices, ListJobs


def register(sub: Commands[argparse.ArgumentParser]) -> None:
    """Add the read-only commands."""
    p = add_command(sub, "devices")
    add_client_options(p)
    p.set_defaults(func=devices)
    p = add_command(sub, "jobs")
    add_client_options(p)
    p.add_argument("--limit", type=int, default=50, help="how many jobs at most (default 50)")
    p.set_defaults(func=jobs)


def devices(args: argparse.Namespace) -> int:
    """Print the cameras."""

    request = ListDevices()

    def show(answer: Any) -> int:
        if args.json:
            print_json(answer)
            return EXIT_OK
        found: list[DeviceInfo] = read_reply(request, answer)
        now = time.time()
        rows = [
            (
                d.alias or "",
                d.id,
                d.address,
                d.state.value,
                "yes" if d.online else "no",
                when(d.last_seen),
                d.flashed_app,
                d.health.describe(now) if d.health else "",
            )
            for d in found
        ]
        print_table(
            ("ALIAS", "MX ID", "ADDRESS", "STATE", "ONLINE", "LAST SEEN", "APP", "APP HEALTH"),
            rows,
            "no cameras seen yet",
        )
        return EXIT_OK

    return run_request(args, request, show)


def jobs(args: argparse.Namespace) -> int:
    """Print the jobs."""

    request = ListJobs(limit=args.limit)

    def show(answer: Any) -> int:
        if args.json:
            print_json(answer)
            return EXIT_OK
        found: list[JobInfo] = read_reply(request, answer)
        rows = [
            (
                j.id,
                j.device,
                j.kind.value,
                j.state.value + (f" ({_phase(j)})" if j.state is JobState.RUNNING else ""),
                f"{j.progress * 100:.0f}%",
                when(j.created),
                j.error or j.message or "",
            )
            for j in found
        ]
        print_table(
            ("ID", "DEVICE", "KIND", "STATE", "PROGRESS", "CREATED", "RESULT"), rows, "no jobs"
        )
        return EXIT_OK

    return run_request(args, request, show)


def _phase(job: JobInfo) -> str | None:
    return job.phase.value if job.phase else None  # a running job has one (connecting first)
