"""`oakd daemons`: the oakd daemons that announce themselves on the LAN (mDNS), and the
`--host` URL that reaches each."""

from __future__ import annotations

import argparse
import ipaddress

from oakd.cli.commands import Commands, add_command
from oakd.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    fail,
    print_json,
    print_table,
    quiet_when_stdout_closes,
)

# A daemon answers within 1.5 s: up to 120 ms before the question goes out, up to 620 ms of
# delay and aggregation, a second more for a record multicast less than a second ago (RFC 6762
# §6 rate limits: another browse just asked). The rest is for a second question.
DEFAULT_TIMEOUT_S = 3.0


def register(sub: Commands[argparse.ArgumentParser]) -> None:
    """Add `oakd daemons`."""
    p: argparse.ArgumentParser = add_command(
        sub,
        "daemons",
        description="Browses for _oakd._tcp.local. for a few seconds and lists what answers.",
    )
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        metavar="S",
        help=f"how long to listen, in seconds (default {DEFAULT_TIMEOUT_S:g})",
    )
    p.add_argument(
        "--interface",
        action="append",
        default=[],
        metavar="ADDR",
        help="browse on the interface with this IPv4 address (repeatable; default: all)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Browse, then print what was found."""
    if not 0 < args.timeout <= 600:
        return fail(
            "--timeout: expected a number of seconds, more than 0 and at most 600", EXIT_USAGE
        )
    for address in args.interface:
        try:
            ipaddress.IPv4Address(address)
        except ValueError:
            return fail(f"--interface: expected an IPv4 address, got {address!r}", EXIT_USAGE)
    from oakd.mdns.browse import browse  # zeroconf loads only for this command

    def command() -> int:
        try:
            import asyncio

            found = asyncio.run(browse(args.timeout, args.interface))
        except OSError as exc:  # no interface to browse on, no multicast
            return fail(f"cannot browse by mDNS: {exc}", EXIT_FAILED)
        except KeyboardInterrupt:
            return fail("interrupted", EXIT_FAILED)
        if args.json:
            print_json([d.to_wire() for d in found])
            return EXIT_OK
        rows = [
            (
                d.name,
                d.host,
                ", ".join(d.addresses),
                d.record.version,
                d.record.cameras,
                d.url(),
            )
            for d in found
        ]
        print_table(
            ("NAME", "HOST", "ADDRESSES", "VERSION", "CAMERAS", "URL (--host)"),
            rows,
            f"no oakd daemon answered within {args.timeout:g} s",
        )
        return EXIT_OK

    return quiet_when_stdout_closes(command)
