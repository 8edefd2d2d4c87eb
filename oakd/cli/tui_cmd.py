"""`oakd tui`: the terminal UI, a client of the daemon like the other commands."""

from __future__ import annotations

import argparse
from pathlib import Path

from oakd.cli.commands import Commands, add_command
from oakd.cli.common import (
    EXIT_NO_DAEMON,
    EXIT_OK,
    daemon_target,
    fail,
    fail_with,
)
from oakd.errors import OakdError


def register(sub: Commands[argparse.ArgumentParser]) -> None:
    """Add `oakd tui`."""
    p = add_command(
        sub,
        "tui",
        description="Connects to the daemon (its socket here, or --host over ssh) and keeps "
        "reconnecting if it restarts. --host again for each further daemon: all their cameras "
        "and jobs in one table, with a host column.",
    )
    # As add_client_options, but --host repeats: one TUI for many daemons.
    p.add_argument(
        "--host",
        metavar="URL|NAME",
        action="append",
        help="another daemon: ssh://[user@]host[:port][/path/to/socket], unix:///path/to/socket "
        "(another socket here) or the name "
        "of a [[remote]] in the config; again for more daemons (default: $OAKD_HOST; none: "
        "this host)",
    )
    p.add_argument(
        "--socket",
        metavar="PATH",
        help="daemon socket (default: $OAKD_SOCKET, then the usual); with --host, on that host",
    )
    p.set_defaults(client_command=True)  # `oakd --host URL tui` is allowed
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the TUI until the user quits; say so if no daemon ever answered."""
    from oakd.ssh import SshTransport
    from tui.app import OakdApp, make_app  # Textual loads only for this command
    from tui.connection import Daemon, remote_client_factory

    given = list(args.host or []) + ([args.global_host] if args.global_host else [])
    app: OakdApp
    try:
        targets = [
            daemon_target(argparse.Namespace(host=host, socket=args.socket), batch=True)
            for host in given or [None]
        ]
    except OakdError as exc:  # a bad --host URL, an unknown name, a bad config
        return fail_with(exc)
    daemons: list[Daemon] = []
    for target in targets:
        if isinstance(target, SshTransport):
            # --host: the status line names the remote, each (re)connection is a new ssh.
            remote = target.target
            label = remote.name or remote.destination
            if any(d.label == label for d in daemons):
                label = remote.url  # two users or ports of one host: the URL tells them apart
            daemons.append(Daemon(label, remote.label, remote_client_factory(remote)))
        else:
            assert isinstance(target, Path)
            daemons.append(Daemon(str(target), target))
    if len(daemons) == 1:
        app = make_app(socket_path=daemons[0].where, client_factory=daemons[0].factory)
    else:
        app = make_app(daemons=daemons)
    app.run()
    if not any(c.ever_connected for c in app.connections.values()) and app.status.reason:
        return fail(app.status.reason, EXIT_NO_DAEMON)
    return EXIT_OK
