"""`oakd watch`, `oakd unwatch`, `oakd projects`: live reload of pipeline projects."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oakd.cli.common import EXIT_OK, add_client_options, print_json, print_table, run_client, when
from oakd.protocol import Builds, ListDevices, ListProjects, Rollback, Unwatch, Watch

if TYPE_CHECKING:  # the client (asyncio) loads when a command runs: run_client
    from oakd.client import Client


def register(sub: Any) -> None:
    """Add the project commands."""
    p = sub.add_parser("watch", help="flash a project to cameras whenever its code changes")
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
    p = sub.add_parser("unwatch", help="stop watching a project")
    p.add_argument("path", metavar="DIR")
    add_client_options(p)
    p.set_defaults(func=unwatch)
    p = sub.add_parser("projects", help="the watched projects and their last build")
    add_client_options(p)
    p.set_defaults(func=projects)
    p = sub.add_parser("builds", help="a project's last good builds: when, app, size, what changed")
    p.add_argument("path", metavar="DIR")
    add_client_options(p)
    p.set_defaults(func=builds)
    p = sub.add_parser(
        "rollback", help="flash a camera the build before the one it runs (of its project)"
    )
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
        project = await client.call(request)
        if args.follow:
            if not args.json:
                targets = ", ".join(project["devices"])
                print(f"watching {project['path']} -> {targets}; Ctrl-C stops")
                sys.stdout.flush()
            return await stream(client, args, for_project(project["path"]))
        if args.json:
            print_json(project)
        else:
            print(f"watching {project['path']} -> {', '.join(project['devices'])}")
        return EXIT_OK

    return run_client(args, work, until_interrupted=args.follow)


def unwatch(args: argparse.Namespace) -> int:
    """Stop watching."""

    async def work(client: Client) -> int:
        project = await client.call(Unwatch(path=str(Path(args.path).resolve())))
        if args.json:
            print_json(project)
        else:
            print(f"no longer watching {project['path']}")
        return EXIT_OK

    return run_client(args, work)


def projects(args: argparse.Namespace) -> int:
    """List the watched projects."""

    from oakd.core.sync import OUT_OF_SYNC, out_of_sync

    async def work(client: Client) -> int:
        found = await client.call(ListProjects())
        devices = {d["id"]: d for d in await client.call(ListDevices())}
        for p in found:  # the cameras that do not run the last build, as the record says
            p["out_of_sync"] = out_of_sync(p, devices)
        if args.json:
            print_json(found)
            return EXIT_OK
        rows = []
        for p in found:
            build = p["last_build"] or {}
            error = (build.get("error") or {}).get("message")
            result = error or build.get("note") or ""
            state = p["state"]
            if p["out_of_sync"] and state == "ok":
                state = OUT_OF_SYNC
                stale = ", ".join(p["out_of_sync"])
                result = (
                    f"{stale}: not the last build (reset, cleared or flashed since); "
                    f"`oakd flash {p['out_of_sync'][0]} --project {p['path']}`"
                )
            rows.append(
                (p["path"], ", ".join(p["devices"]), state, when(build.get("finished")), result)
            )
        print_table(("PROJECT", "CAMERAS", "STATE", "BUILT", "RESULT"), rows, "no projects watched")
        return EXIT_OK

    return run_client(args, work)


def builds(args: argparse.Namespace) -> int:
    """List a project's recorded builds, newest first."""
    from oakd.build.limits import short_size

    async def work(client: Client) -> int:
        found = await client.call(Builds(project=str(Path(args.path).resolve())))
        if args.json:
            print_json(found)
            return EXIT_OK
        rows = [
            (
                when(b["finished"]),
                b["app_name"],
                short_size(b["size"]),
                ", ".join(b["changed"]) or ("(first recorded)" if i == len(found) - 1 else "-"),
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
