"""`oakd daemon`: assemble the services, serve until SIGINT/SIGTERM, then stop cleanly."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass
from pathlib import Path

from oakd import __version__
from oakd.config import Config
from oakd.services.api import Api
from oakd.services.bus import EventBus
from oakd.services.listener import bind_socket, resolve_group
from oakd.services.server import Server
from oakd.services.store import Store

log = logging.getLogger("oakd.daemon")


@dataclass(frozen=True)
class DaemonOptions:
    """Where the daemon keeps its socket and state, and its configuration."""

    config: Config
    socket_path: Path
    state_dir: Path


class Daemon:
    """The running daemon: its store, bus and server, and the stop signal."""

    def __init__(self, options: DaemonOptions) -> None:
        self.options = options
        self.stop = asyncio.Event()

    async def run(self) -> None:
        """Open the state, bind the socket, serve until stopped; always clean up."""
        opts = self.options
        # Before the socket exists: a client that sees the socket may signal us at once.
        self._install_signals()
        group = resolve_group(opts.config.daemon.socket_group)
        # The socket first: a second daemon is refused before it touches any state.
        sock = bind_socket(opts.socket_path, group)
        try:
            store = Store.open(opts.state_dir)
        except BaseException:
            sock.close()
            opts.socket_path.unlink(missing_ok=True)
            raise
        try:
            bus = EventBus()
            api = Api(opts.config, store, opts.socket_path, opts.state_dir)
            server = Server(sock, opts.socket_path, bus, api.table(), group)
            log.info(
                "oakd %s serving %s (state in %s, config %s)",
                __version__,
                opts.socket_path,
                opts.state_dir,
                opts.config.source or "defaults",
            )
            await server.run(self.stop)
        finally:
            store.close()
        log.info("stopped")

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._on_signal, sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        log.info("%s received, stopping", sig.name)
        self.stop.set()
