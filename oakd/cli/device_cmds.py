"""Commands that change cameras: inspect, flash, cancel, reset, clear, netconfig,
bootloader-update. Each is one request; --wait follows the jobs' events to their end. --json
prints the answers (and the jobs' last states) as the daemon sent them."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oakd.cli.commands import Commands, add_command
from oakd.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    add_client_options,
    fail,
    print_json,
    run_client,
)
from oakd.cli.confirm import call_confirmed
from oakd.core.jobs import JobState
from oakd.protocol import EVENT_JOB_CHANGED, EVENT_JOB_PROGRESS, Request, read_event, read_reply
from oakd.protocol.replies import (
    ApplicationFacts,
    BootloaderFacts,
    DeviceInfo,
    Inspection,
    JobInfo,
    JobProgress,
    MemoryFacts,
)
from oakd.protocol.requests import (
    BootloaderUpdate,
    Cancel,
    ClearApp,
    ClearConfig,
    FactoryReset,
    Flash,
    Inspect,
    ListJobs,
    NetworkConfig,
)

CANCELLED = "cancelled: nothing was sent"  # the person said no at the [y/N]

if TYPE_CHECKING:  # the client (asyncio) loads when a command runs: run_client
    from oakd.client import Client


def register(sub: Commands[argparse.ArgumentParser]) -> None:
    """Add the commands that change cameras."""
    p = add_command(sub, "inspect")
    p.add_argument("device", help="MX ID, unique prefix, address or alias")
    p.add_argument("--yes", action="store_true", help="inspect even if it stops a running app")
    add_client_options(p)
    p.set_defaults(func=inspect)

    p = add_command(sub, "flash")
    p.add_argument("devices", nargs="+", metavar="DEVICE")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--dap", metavar="FILE", help="an application package")
    what.add_argument("--project", metavar="DIR", help="a project: built once, then flashed")
    p.add_argument("--force", action="store_true", help="flash even an old bootloader")
    p.add_argument("--full", action="store_true", help="write the whole package, never a delta")
    p.add_argument("--wait", action="store_true", help="show progress; exit 1 if a job fails")
    add_client_options(p)
    p.set_defaults(func=flash)

    p = add_command(sub, "cancel")
    p.add_argument("job", type=int)
    add_client_options(p)
    p.set_defaults(func=cancel)

    for name in ("reset", "clear", "bootloader-update"):
        p = add_command(sub, name)
        p.add_argument("device")
        if name == "clear":
            p.add_argument("--config", action="store_true", help="erase the bootloader config")
        _destructive_options(p)
        p.set_defaults(func=destructive)

    p = add_command(sub, "netconfig")
    p.add_argument("device")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dhcp", action="store_true", help="get an address by DHCP")
    mode.add_argument("--static", metavar="ADDR/PREFIX", help="e.g. 192.168.1.50/24")
    p.add_argument("--gateway", metavar="GW")
    p.add_argument("--dns", metavar="ADDR")
    _destructive_options(p)
    p.set_defaults(func=destructive)


def _destructive_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--yes",
        action="store_true",
        help="confirm without being asked (scripts: without a terminal nothing asks); "
        "this cannot be undone",
    )
    p.add_argument("--wait", action="store_true", help="show progress; exit 1 if it fails")
    add_client_options(p)


def inspect(args: argparse.Namespace) -> int:
    """Inspect one camera and print what was read."""

    async def work(client: Client) -> int:
        request = Inspect(device=args.device, yes=args.yes)
        sent, answer = await call_confirmed(client, request, args, timeout=180)
        if not sent:
            return fail(CANCELLED, EXIT_FAILED)
        if args.json:
            print_json(answer)
            return EXIT_OK
        device: DeviceInfo = read_reply(request, answer)
        facts = device.inspection or Inspection()
        bootloader = facts.bootloader or BootloaderFacts()
        app = facts.application or ApplicationFacts()
        memory = facts.memory or MemoryFacts()
        net = facts.network
        print(f"camera      {device.id} at {device.address} ({device.state.value})")
        print(
            f"bootloader  {bootloader.version} {bootloader.type or ''}"
            f"{' (user bootloader)' if bootloader.user_bootloader else ''}"
        )
        print(f"flash       {memory.size // (1024 * 1024)} MiB")
        print(f"deltas      {device.delta_in_words()}")
        print(f"application {app.name or ('none' if not app.present else '?')}")
        if net:
            kind = "static" if net.static else "DHCP"
            print(f"network     {kind} {net.address}/{net.mask} gw {net.gateway}")
        else:
            print("network     no config (DHCP, the factory default)")
        return EXIT_OK

    return run_client(args, work)


def flash(args: argparse.Namespace) -> int:
    """Queue a package flash to each camera."""
    # The daemon runs elsewhere: give it full paths.
    package = str(Path(args.dap).resolve()) if args.dap else None
    project = str(Path(args.project).resolve()) if args.project else None
    request = Flash(
        devices=args.devices, package=package, project=project, force=args.force, full=args.full
    )
    return run_client(args, lambda client: submit(client, request, args))


def cancel(args: argparse.Namespace) -> int:
    """Cancel one queued job."""

    async def work(client: Client) -> int:
        request = Cancel(job=args.job)
        answer = await client.call(request)
        if args.json:
            print_json(answer)
        else:
            job: JobInfo = read_reply(request, answer)
            print(f"job {job.id} cancelled")
        return EXIT_OK

    return run_client(args, work)


def destructive(args: argparse.Namespace) -> int:
    """reset, clear, netconfig, bootloader-update: the daemon itself insists on a confirmation
    (--yes, or a yes at the prompt: oakd/cli/confirm.py)."""
    request: Request
    if args.command == "reset":
        request = FactoryReset(device=args.device, confirm=args.yes)
    elif args.command == "clear" and args.config:
        request = ClearConfig(device=args.device, confirm=args.yes)
    elif args.command == "clear":
        request = ClearApp(device=args.device, confirm=args.yes)
    elif args.command == "bootloader-update":
        request = BootloaderUpdate(device=args.device, confirm=args.yes)
    else:
        request = NetworkConfig(
            device=args.device,
            dhcp=args.dhcp,
            static=args.static,
            gateway=args.gateway,
            dns=args.dns,
            confirm=args.yes,
        )
    return run_client(args, lambda client: submit(client, request, args))


async def submit(client: Client, request: Request, args: argparse.Namespace) -> int:
    """Send a job-making request; print the jobs, or follow them with --wait."""
    if args.wait:
        await client.subscribe(["job"])  # before the request: no event can be missed
    timeout = 30.0
    if isinstance(request, Flash) and request.project:
        # The daemon builds before it answers, within its build.timeout_s: wait as long as
        # the longest that may be, and say why nothing shows meanwhile.
        from oakd.config import BUILD_TIMEOUT_MAX_S

        timeout = BUILD_TIMEOUT_MAX_S + 30.0
        if not args.json:
            print(f"building {request.project} on the daemon…", file=sys.stderr, flush=True)
    sent, answer = await call_confirmed(client, request, args, timeout=timeout)
    if not sent:
        return fail(CANCELLED, EXIT_FAILED)
    # One job (reset, rollback, ...) or a list of them (flash): a list either way.
    typed = read_reply(request, answer)
    as_sent: list[Any] = answer if isinstance(answer, list) else [answer]
    jobs: list[JobInfo] = typed if isinstance(typed, list) else [typed]
    if not args.wait:
        if args.json:
            print_json(as_sent)
        else:
            for job in jobs:
                print(f"job {job.id}: {job.kind.value} on {job.device} {job.state.value}")
        return EXIT_OK
    followed = Followed()
    for job, wire in zip(jobs, as_sent, strict=True):
        followed.heard(job, wire)
    await follow(client, followed, show=not args.json)
    if args.json:
        print_json(list(followed.sent.values()))
    ended_well = (JobState.DONE, JobState.SKIPPED)
    return EXIT_OK if all(j.state in ended_well for j in followed.jobs.values()) else EXIT_FAILED


@dataclasses.dataclass
class Followed:
    """The jobs --wait follows, by ID: as last heard (`jobs`), and as the daemon sent them
    last (`sent`: an answer or a job.changed event's data, what --json prints)."""

    jobs: dict[int, JobInfo] = dataclasses.field(default_factory=dict)
    sent: dict[int, Any] = dataclasses.field(default_factory=dict)

    def heard(self, job: JobInfo, wire: Any) -> None:
        """A job's state, typed and as the daemon sent it."""
        self.jobs[job.id], self.sent[job.id] = job, wire


async def follow(client: Client, followed: Followed, show: bool) -> None:
    """Follow jobs to their final states, showing their progress on stderr (cli/progress.py)."""
    from oakd.cli.progress import JobProgressView  # rich loads only for --wait

    jobs = followed.jobs
    # A job may have ended between the request and the subscription taking effect.
    request = ListJobs(limit=len(jobs) + 200)
    answer = await client.call(request)
    for job, wire in zip(read_reply(request, answer), answer, strict=True):
        if job.id in jobs:
            followed.heard(job, wire)
    with JobProgressView(show) as shown:
        for job in jobs.values():
            (shown.finished if job.final else shown.update)(job)
        while not all(j.final for j in jobs.values()):
            message = await client.events.get()
            if message is None:
                raise client.transport.lost("the daemon went away while waiting")
            name, data = message["event"], message["data"]
            if name not in (EVENT_JOB_CHANGED, EVENT_JOB_PROGRESS):
                continue
            event = read_event(name, data)
            if event.id not in jobs:
                continue
            if isinstance(event, JobInfo):
                followed.heard(event, data)
                (shown.finished if event.final else shown.update)(event)
            elif isinstance(event, JobProgress):
                jobs[event.id] = dataclasses.replace(
                    jobs[event.id], progress=event.progress, phase=event.phase
                )
                shown.update(jobs[event.id], event)
