"""`oakd tui`: the terminal UI, a client of the daemon like the other commands."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from oakd.cli.common import (
    EXIT_NO_DAEMON,
    EXIT_OK,
    add_client_options,
    daemon_target,
    fail,
    fail_with,
)
from oakd.errors import OakdError


def register(sub: Any) -> None:
    """Add `oakd tui`."""
    p = sub.add_parser(
        "tui",
        help="the keyboard-driven terminal UI: cameras, jobs, projects and log, live",
        description="Connects to the daemon (its socket here, or --host over ssh) and keeps "
        "reconnecting if it restarts.",
    )
    add_client_options(p, json_flag=False)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the TUI until the user quits; say so if no daemon ever answered."""
    from oakd.ssh import SshTransport
    from tui.app import make_app  # Textual loads only for this command
    from tui.connection import remote_client_factory

    try:
        target = daemon_target(args, batch=True)
    except OakdError as exc:  # a bad --host URL, an unknown name, a bad config
        return fail_with(exc)
    if isinstance(target, SshTransport):
        # --host: the status line names the remote, each (re)connection is a new ssh.
        remote = target.target
        app = make_app(socket_path=remote.label, client_factory=remote_client_factory(remote))
    else:
        assert isinstance(target, Path)
        app = make_app(socket_path=target)
    app.run()
    if not app.connection.ever_connected and app.status.reason:
        return fail(app.status.reason, EXIT_NO_DAEMON)
    return EXIT_OK
