"""`oakd daemon`: run the daemon in the foreground (systemd runs it this way too)."""

from __future__ import annotations

import argparse

from oakd.cli.commands import Commands, add_command
from oakd.cli.common import EXIT_OK, exit_code, fail
from oakd.errors import ConfigError, OakdError
from oakd.logs import LOG_LEVELS, setup_logging
from oakd.paths import cache_dir, daemon_socket, state_dir


def register(sub: Commands[argparse.ArgumentParser]) -> None:
    """Add `oakd daemon`."""
    p: argparse.ArgumentParser = add_command(sub, "daemon")
    p.add_argument("--config", metavar="FILE", help="config file (default: $OAKD_CONFIG, ...)")
    p.add_argument("--socket", metavar="PATH", help="socket to serve (default: $OAKD_SOCKET, ...)")
    p.add_argument(
        "--state-dir", metavar="DIR", help="state directory (default: $STATE_DIRECTORY, ...)"
    )
    p.add_argument(
        "--cache-dir", metavar="DIR", help="built packages (default: $CACHE_DIRECTORY, ...)"
    )
    p.add_argument("--log-level", choices=LOG_LEVELS, help="overrides daemon.log_level")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run until SIGINT or SIGTERM."""
    # Not at the top: every command builds the parser.
    from oakd.config import load_config
    from oakd.daemon import Daemon, DaemonOptions

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        return fail(f"config error: {exc.message}", exit_code(exc))
    setup_logging(args.log_level or config.daemon.log_level)
    options = DaemonOptions(
        config=config,
        socket_path=daemon_socket(args.socket),
        state_dir=state_dir(args.state_dir),
        config_arg=args.config,
        cache_dir=cache_dir(args.cache_dir),
    )
    try:
        import asyncio

        asyncio.run(Daemon(options).run())
    except OakdError as exc:  # already running, a damaged state, a config the daemon refused
        return fail(exc.message, exit_code(exc))
    return EXIT_OK
