"""`oakd status`: the daemon's version, uptime, places and counts.

A module of its own, importing only the session's part of the protocol, and asking the local
daemon without an event loop (oakd/oneshot.py): the command that scripts and health checks run
most often starts with the least (tests/benchmarks/bench_startup.py).
"""

from __future__ import annotations

import argparse
from typing import Any

from oakd.cli.commands import Commands, add_command
from oakd.cli.common import EXIT_OK, add_client_options, print_json, run_request
from oakd.protocol import read_reply
from oakd.protocol.session import Status, StatusInfo


def register(sub: Commands[argparse.ArgumentParser]) -> None:
    """Add `oakd status`."""
    p = add_command(sub, "status")
    add_client_options(p)
    p.set_defaults(func=status)


def status(args: argparse.Namespace) -> int:
    """Print the daemon's status."""
    request = Status()

    def show(answer: Any) -> int:
        if args.json:
            print_json(answer)
            return EXIT_OK
        info: StatusInfo = read_reply(request, answer)
        jobs = info.jobs
        print(f"oakd {info.version} (pid {info.pid}), up {info.uptime_s:.0f} s")
        print(f"socket   {info.socket}")
        print(f"state    {info.state_dir}")
        print(f"config   {info.config or 'defaults (no config file)'}")
        print(f"cameras  {info.devices} known, {info.online} online")
        print(f"jobs     {jobs['queued']} queued, {jobs['running']} running")
        counts = info.telemetry_counts
        dropped = sum(n for reason, n in counts.items() if reason != "accepted")
        heard = f"{info.telemetry} ({counts.get('accepted', 0)} heard, {dropped} dropped)"
        print(f"apps     {heard if info.telemetry else info.telemetry_problem or 'not heard'}")
        return EXIT_OK

    return run_request(args, request, show)
