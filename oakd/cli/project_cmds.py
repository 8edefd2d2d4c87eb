"""`oakd watch`, `oakd unwatch`, `oakd projects`: live reload of pipeline projects. --json
prints the answers as the daemon sent them (`projects` adds each one's `out_of_sync`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from oakd.cli.commands import Commands, add_command
from oakd.cli.common import EXIT_OK, add_client_options, print_json, print_table, run_client, when
from oakd.protocol import read_reply
from oakd.protocol.replies import OUT_OF_SYNC, BuildInfo, DeviceInfo, ProjectInfo
from oakd.protocol.requests import Builds, ListDevices, ListProjects, Rollback, Unwatch, Watch

if TYPE_CHECKING:  # the client (asyncio) loads when a command runs: run_client
    from oakd.client import Client


def register(sub: Commands[argparse.ArgumentParser]) -> None:
    """Add the project commands."""
    p = add_command(sub, "watch")
    p.add_argument("path", metavar="DIR")
    p.add_argument(
        "--device",
        "-d",
        action="append",
        required=True,
        metavar="DEVICE",
        help="a target camera (repeat for several)",
    )
    p.add_argument("--entry", default="pipeline.py", help="the entry file (default pipeline.py)")
    p.add_argument("--no-compress", action="store_true", help="make uncompressed packages")
    p.add_argument(
        "--follow",
        "-f",
        action="store_true",
        help="then stream its builds and flashes as they happen, until Ctrl-C",
    )
    add_client_options(p)
    p.set_defaults(func=watch)
    p = add_command(sub, "unwatch")
    p.add_argument("path", metavar="DIR")
    add_client_options(p)
    p.set_defaults(func=unwatch)
    p = add_command(sub, "projects")
    add_client_options(p)
    p.set_defaults(func=projects)
    p = add_command(sub, "builds")
    p.add_argument("path", metavar="DIR")
    add_client_options(p)
    p.set_defaults(func=builds)
    p = add_command(sub, "rollback")
    p.add_argument("device", metavar="DEVICE")
    p.add_argument(
        "--project", metavar="DIR", help="the project (default: the watched one that flashes it)"
    )
    p.add_argument("--wait", action="store_true", help="show progress; exit 1 if it fails")
    add_client_options(p)
    p.set_defaults(func=rollback)


def watch(args: argparse.Namespace) -> int:
    """Start watching."""

    async def work(client: Client) -> int:
        request = Watch(
            path=str(Path(args.path).resolve()),
            devices=args.device,
            entry=args.entry,
            compress=not args.no_compress,
        )
        if args.follow:  # subscribed before the request: its first build is seen
            from oakd.cli.events_cmd import for_project, stream

            await client.subscribe(["project", "job"])
        answer = await client.call(request)
        project: ProjectInfo = read_reply(request, answer)
        if args.follow:
            if not args.json:
                targets = ", ".join(project.devices)
                print(f"watching {project.path} -> {targets}; Ctrl-C stops")
                sys.stdout.flush()
            return await stream(client, args, for_project(project.path))
        if args.json:
            print_json(answer)
        else:
            print(f"watching {project.path} -> {', '.join(project.devices)}")
        return EXIT_OK

    return run_client(args, work, until_interrupted=args.follow)


def unwatch(args: argparse.Namespace) -> int:
    """Stop watching."""

    async def work(client: Client) -> int:
        request = Unwatch(path=str(Path(args.path).resolve()))
        answer = await client.call(request)
        if args.json:
            print_json(answer)
        else:
            project: ProjectInfo = read_reply(request, answer)
            print(f"no longer watching {project.path}")
        return EXIT_OK

    return run_client(args, work)


def projects(args: argparse.Namespace) -> int:
    """List the watched projects."""

    async def work(client: Client) -> int:
        request = ListProjects()
        answer = await client.call(request)
        found: list[ProjectInfo] = read_reply(request, answer)
        known: list[DeviceInfo] = await client.ask(ListDevices())
        devices = {d.id: d for d in known}
        # The cameras that do not run the last build, as the record says.
        stale = [p.out_of_sync(devices) for p in found]
        if args.json:
            print_json([{**p, "out_of_sync": s} for p, s in zip(answer, stale, strict=True)])
            return EXIT_OK
        rows = []
        for p, out in zip(found, stale, strict=True):
            build = p.last_build
            result = ""
            if build is not None:
                result = (build.error.message if build.error else "") or build.note
            state = p.state
            if out and state == "ok":
                state = OUT_OF_SYNC
                result = (
                    f"{', '.join(out)}: not the last build (reset, cleared or flashed since); "
                    f"`oakd flash {out[0]} --project {p.path}`"
                )
            built = when(build.finished if build else None)
            rows.append((p.path, ", ".join(p.devices), state, built, result))
        print_table(("PROJECT", "CAMERAS", "STATE", "BUILT", "RESULT"), rows, "no projects watched")
        return EXIT_OK

    return run_client(args, work)


def builds(args: argparse.Namespace) -> int:
    """List a project's recorded builds, newest first."""
    from oakd.build.limits import short_size

    async def work(client: Client) -> int:
        request = Builds(project=str(Path(args.path).resolve()))
        answer = await client.call(request)
        if args.json:
            print_json(answer)
            return EXIT_OK
        found: list[BuildInfo] = read_reply(request, answer)
        rows = [
            (
                when(b.finished),
                b.app_name,
                short_size(b.size),
                ", ".join(b.changed) or ("(first recorded)" if i == len(found) - 1 else "-"),
            )
            for i, b in enumerate(found)
        ]
        print_table(("BUILT", "APP", "SIZE", "CHANGED"), rows, "no builds recorded")
        return EXIT_OK

    return run_client(args, work)


def rollback(args: argparse.Namespace) -> int:
    """Queue the flash of the previous build."""
    from oakd.cli.device_cmds import submit

    project = str(Path(args.project).resolve()) if args.project else None
    request = Rollback(device=args.device, project=project)
    return run_client(args, lambda client: submit(client, request, args))
