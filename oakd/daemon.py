"""`oakd daemon`: assemble the services, serve until SIGINT/SIGTERM, then stop cleanly.

Start-up order matters: signals first (a client may signal as soon as the socket exists), then
the socket (a second daemon is refused before it touches any state), then the state, then the
services. READY=1 goes to systemd only once the socket listens and the first discovery pass is
done, so that `systemctl start` returning means `oakd devices` already shows the cameras.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from dataclasses import dataclass
from pathlib import Path

from oakd import __version__
from oakd.build.cache import PackageCache, packages_dir
from oakd.build.confine import Shield
from oakd.build.runner import zygote_env
from oakd.config import Config, load_config
from oakd.core.registry import DeviceRegistry
from oakd.errors import ConfigError
from oakd.services.announce import Announcer
from oakd.services.api import Api, Services
from oakd.services.bus import EventBus
from oakd.services.discovery import Discovery, Scanner, WorkerScanner
from oakd.services.engine import FlashEngine
from oakd.services.listener import bind_socket, resolve_group
from oakd.services.projects import ProjectService
from oakd.services.server import Server
from oakd.services.store import Store
from oakd.services.systemd import Watchdog, listen_fds, monotonic_usec, notify, watchdog_interval
from oakd.services.telemetry import TelemetryService
from oakd.services.workers import WorkerPool
from oakd.tasks import TaskSet, wait_any
from oakd.zygote.parent import Zygote

log = logging.getLogger("oakd.daemon")


@dataclass(frozen=True)
class DaemonOptions:
    """Where the daemon keeps its socket and state, and its configuration."""

    config: Config
    socket_path: Path
    state_dir: Path
    config_arg: str | None = None  # --config as given, to find the file again on SIGHUP
    cache_dir: Path | None = None  # built packages; None: <state_dir>/cache
    scanner: Scanner | None = None  # tests inject one; None scans in a device worker


def aliases(config: Config) -> dict[str, str]:
    """MX ID -> alias, from the config's [[device]] entries."""
    return {d.id: d.alias for d in config.device if d.alias}


class Daemon:
    """The running daemon: its services, its config, and the stop and reload signals."""

    def __init__(self, options: DaemonOptions) -> None:
        self.options = options
        self.config = options.config
        self.stop = asyncio.Event()
        self.reload = asyncio.Event()
        self.registry = DeviceRegistry()
        self.discovery: Discovery | None = None
        self.engine: FlashEngine | None = None
        self.projects: ProjectService | None = None

    async def run(self) -> None:
        """Bind, open the state, run the services until stopped; always clean up."""
        self._install_signals()
        sock, path, group = self._listening_socket()
        try:
            store = Store.open(self.options.state_dir)
        except BaseException:
            sock.close()
            if path:
                path.unlink(missing_ok=True)
            raise
        try:
            await self._serve(sock, path, group, store)
        finally:
            store.close()
        log.info("stopped")

    def _listening_socket(self) -> tuple[socket.socket, Path | None, int | None]:
        """The socket to serve, the file to remove at exit (None: not ours), the group served."""
        group = resolve_group(self.config.daemon.socket_group)
        passed = listen_fds()
        if passed:
            # systemd owns the socket file (oakd.socket): use it, never remove it. Its
            # SocketGroup is served when the file grants that group read and write.
            sock = passed[0]
            log.info("serving the socket passed by systemd: %s", sock.getsockname())
            if group is None:
                info = os.stat(sock.getsockname())
                group = info.st_gid if info.st_mode & 0o060 == 0o060 else None
            return sock, None, group
        return bind_socket(self.options.socket_path, group), self.options.socket_path, group

    async def _serve(
        self, sock: socket.socket, path: Path | None, group: int | None, store: Store
    ) -> None:
        bus = EventBus()
        self.registry = DeviceRegistry(store.devices(), aliases(self.config))
        # Device workers and builds fork from one warm process, depthai imported (oakd/zygote).
        zygote = Zygote(("device", "build"), zygote_env())
        workers = zygote.role("device")
        scanner = self.options.scanner or WorkerScanner(workers)
        self.discovery = Discovery(self.registry, store, bus, lambda: self.config, scanner)
        pool = WorkerPool(warm=self.config.flash.warm_workers, zygote=workers)
        cache = self.options.cache_dir or self.options.state_dir / "cache"
        # One cache for built and sent packages; pruning keeps what the engine still needs and
        # the builds a rollback may go back to (core/history.py).
        packages = PackageCache(
            packages_dir(cache),
            in_use=lambda: engine.packages_in_use() | {Path(b.package) for b in store.builds()},
        )
        telemetry = TelemetryService(self.registry, store, bus, lambda: self.config)
        engine = self.engine = FlashEngine(
            store,
            bus,
            self.registry,
            lambda: self.config,
            pool,
            packages,
            after_job=self.discovery.rescan,
            telemetry=telemetry,
        )
        self.discovery.busy = self.engine.busy
        self.projects = ProjectService(
            store,
            bus,
            self.registry,
            self.engine,
            lambda: self.config,
            packages,
            Shield(
                read_only=(str(self.options.state_dir),),
                writable=(str(cache),),
                hidden=(str(path or Path(sock.getsockname())),),
            ),
            telemetry,
            zygote=zygote.role("build"),
        )
        api = Api(
            Services(
                store=store,
                registry=self.registry,
                discovery=self.discovery,
                engine=self.engine,
                projects=self.projects,
                telemetry=telemetry,
                config=lambda: self.config,
                socket_path=path or Path(sock.getsockname()),
                state_dir=self.options.state_dir,
            )
        )
        await telemetry.open()  # before the first build asks where its telemetry goes
        server = Server(sock, path, bus, api.table(), group)
        services = TaskSet()
        services.start(server.run(self.stop), name="server")
        services.start(self.discovery.run(self.stop), name="discovery")
        services.start(pool.run(self.stop), name="workers")
        services.start(self.engine.run(self.stop), name="engine")
        services.start(self.projects.run(self.stop), name="projects")
        services.start(telemetry.run(self.stop), name="telemetry")
        # mDNS, for `oakd daemons`; it follows `[daemon] announce` across reloads.
        announcer = Announcer(
            self.registry,
            bus,
            lambda: self.config,
            self.options.state_dir,
            path or Path(sock.getsockname()),
            shared=group is not None,
        )
        services.start(announcer.run(self.stop), name="announce")
        interval = watchdog_interval()
        if interval:
            services.start(Watchdog(interval).run(self.stop), name="watchdog")
        log.info(
            "oakd %s serving %s (state in %s, config %s)",
            __version__,
            path or sock.getsockname(),
            self.options.state_dir,
            self.config.source or "defaults",
        )
        await wait_any([self.discovery.first_pass, self.stop])
        notify("READY=1", f"STATUS=serving, {len(self.registry.devices)} cameras known")
        while not self.stop.is_set():
            await wait_any([self.stop, self.reload])
            if self.reload.is_set() and not self.stop.is_set():
                self.reload.clear()
                self._reload()
        notify("STOPPING=1")
        await services.join(timeout=75)  # the engine lets a running write end (up to 60 s)
        if isinstance(scanner, WorkerScanner):
            await scanner.close()
        await zygote.close()

    def _reload(self) -> None:
        """Re-read the config; a bad file is logged and the running config stays."""
        notify("RELOADING=1", monotonic_usec())
        try:
            config = load_config(self.options.config_arg)
        except ConfigError as exc:
            log.error("config not reloaded, keeping the running one: %s", exc.message)
        else:
            self.config = config
            self.registry.set_aliases(aliases(config))
            if self.discovery:
                self.discovery.rescan()
            if self.projects:
                self.projects.sync_config()
            log.info("config reloaded from %s", config.source or "defaults")
        notify("READY=1")

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._on_stop_signal, sig)
        loop.add_signal_handler(signal.SIGHUP, self._on_reload_signal)

    def _on_stop_signal(self, sig: signal.Signals) -> None:
        log.info("%s received, stopping", sig.name)
        self.stop.set()

    def _on_reload_signal(self) -> None:
        log.info("SIGHUP received, reloading the config")
        self.reload.set()
