"""`oakd tui`: the terminal UI, a client of the daemon like the other commands."""

from __future__ import annotations

import argparse
from typing import Any

from oakd.cli.common import EXIT_NO_DAEMON, EXIT_OK, add_client_options, fail
from oakd.paths import client_socket


def register(sub: Any) -> None:
    """Add `oakd tui`."""
    p = sub.add_parser(
        "tui",
        help="the keyboard-driven terminal UI: cameras, jobs, projects and log, live",
        description="Connects to the daemon's socket and keeps reconnecting if it restarts.",
    )
    add_client_options(p, json_flag=False)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the TUI until the user quits; say so if no daemon ever answered."""
    from tui.app import make_app  # Textual loads only for this command

    app = make_app(socket_path=client_socket(args.socket))
    app.run()
    if not app.connection.ever_connected and app.status.reason:
        return fail(app.status.reason, EXIT_NO_DAEMON)
    return EXIT_OK
