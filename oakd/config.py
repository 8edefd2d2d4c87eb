"""The TOML configuration: every setting has a default, so no file is needed to start.

Looked up at --config, $OAKD_CONFIG, $XDG_CONFIG_HOME/oakd/config.toml, /etc/oakd/config.toml;
the first that is given (or, for the last two, exists) wins. An unknown key or a wrong type is
an error naming the file, the key and what was expected.

    [daemon]
    socket_group = "oakd"        # serve members of this group too; the socket becomes 0660
    log_level = "info"           # debug, info, warning, error
    announce = true              # by mDNS as _oakd._tcp, for `oakd daemons`
    announce_interfaces = []     # IPv4 addresses of the interfaces to announce on; [] is all

    [discovery]
    interval_s = 2.0
    static_addresses = ["10.1.2.30"]   # cameras that broadcasts don't reach (other subnets, NAT)

    [flash]
    parallel = 8                 # cameras flashed at once
    retries = 3                  # for transient failures (link dropped, camera not found)
    min_bootloader = "0.0.28"    # older ones fail after a few reconnects (depthai-core #415)
    warm_workers = 1             # device workers kept started (forked: ~2 MB of their own)

    [build]
    timeout_s = 60
    memory_mb = 2048
    debounce_ms = 50
    keep_packages = 32           # built packages kept in the cache, newest first

    [telemetry]                  # what the apps oakd builds report: boot, heartbeat, logs
    enabled = true               # for every project (a project may say telemetry = false)
    port = 11497                 # UDP on this host; cameras send to it
    bind = "0.0.0.0"
    heartbeat_s = 2.0
    boot_timeout_s = 30          # a flash whose app has not said it booted by then warns
    log_lines = 1000             # kept per camera, across daemon restarts

    [[device]]
    id = "18443010C1D2E3F400"
    alias = "door"
    address = "10.1.2.31"        # optional: probed directly, as static_addresses are

    [[project]]
    path = "~/pipelines/counter"
    entry = "pipeline.py"
    devices = ["door"]
    compress = true
    ignore = ["data/*", "*.csv"]   # changes that make no build (logs, caches: never)
    telemetry = true             # false: flash exactly what the pipeline builds

    [[remote]]                   # a daemon on another host, for clients: `--host plant-2`
    name = "plant-2"
    url = "ssh://ops@10.2.0.5"   # ssh://[user@]host[:port][/path/to/socket], or unix:///path
    command = "oakd"             # optional: how to start oakd there, if not on ssh's PATH
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from oakd.core.telemetry import DEFAULT_PORT as DEFAULT_TELEMETRY_PORT
from oakd.core.telemetry import MAX_LOG_LINES
from oakd.core.versions import Version
from oakd.errors import ConfigError
from oakd.logs import LOG_LEVELS
from oakd.schema import SchemaError, build

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


@dataclass(frozen=True)
class DaemonSection:
    """How the daemon serves its socket and logs."""

    socket_group: str | None = None
    log_level: str = "info"
    # Announce the daemon by mDNS (_oakd._tcp.local.) so that `oakd daemons` finds it.
    announce: bool = True
    # The interfaces to announce on, by IPv4 address; empty: every interface.
    announce_interfaces: list[str] = field(default_factory=list)

    def check(self) -> None:
        """Reject values of the right type but outside their range."""
        if self.log_level not in LOG_LEVELS:
            raise SchemaError("daemon.log_level", f"expected one of {', '.join(LOG_LEVELS)}")
        for i, address in enumerate(self.announce_interfaces):
            try:
                ipaddress.IPv4Address(address)
            except ValueError:
                raise SchemaError(
                    f"daemon.announce_interfaces[{i}]",
                    f"expected an interface's IPv4 address, got {address!r}",
                ) from None


@dataclass(frozen=True)
class DiscoverySection:
    """How often and where to look for cameras."""

    interval_s: float = 2.0
    static_addresses: list[str] = field(default_factory=list)

    def check(self) -> None:
        """Reject values of the right type but outside their range."""
        if not 0.5 <= self.interval_s <= 3600:
            raise SchemaError("discovery.interval_s", "expected a number of seconds, 0.5 to 3600")
        for i, address in enumerate(self.static_addresses):
            try:
                ipaddress.IPv4Address(address)
            except ValueError:
                raise SchemaError(
                    f"discovery.static_addresses[{i}]", f"expected an IPv4 address, got {address!r}"
                ) from None


@dataclass(frozen=True)
class FlashSection:
    """Limits of the flash engine."""

    parallel: int = 8
    retries: int = 3
    min_bootloader: str = "0.0.28"
    # Device workers kept started. Forked from the zygote, one starts in ~6 ms and holds ~2 MB
    # of its own; a fresh one (no zygote) takes ~1 s of CPU and ~85 MB (bench_workers.py).
    warm_workers: int = 1
    # Write only the 64 KiB blocks that changed, where the camera is known to hold the last
    # package verbatim (see oakd.core.delta); false: always the whole package.
    delta: bool = True

    def check(self) -> None:
        """Reject values of the right type but outside their range."""
        if not 0 <= self.warm_workers <= 256:
            raise SchemaError("flash.warm_workers", "expected a whole number from 0 to 256")
        if not 1 <= self.parallel <= 256:
            raise SchemaError("flash.parallel", "expected a whole number from 1 to 256")
        if not 0 <= self.retries <= 20:
            raise SchemaError("flash.retries", "expected a whole number from 0 to 20")
        try:
            Version.parse(self.min_bootloader)
        except ValueError:
            raise SchemaError("flash.min_bootloader", 'expected a version like "0.0.28"') from None


BUILD_TIMEOUT_MAX_S = 3600  # the longest build.timeout_s allowed: a client's wait for one


@dataclass(frozen=True)
class BuildSection:
    """Limits on the child process that runs a user's pipeline code."""

    timeout_s: float = 60.0
    memory_mb: int = 2048
    debounce_ms: int = 50  # quiet time that ends a burst of writes (an editor's save)
    keep_packages: int = 32  # built packages kept in the cache (~10 MB each, compressed)

    def check(self) -> None:
        """Reject values of the right type but outside their range."""
        if not 1 <= self.timeout_s <= BUILD_TIMEOUT_MAX_S:
            raise SchemaError(
                "build.timeout_s", f"expected a number of seconds, 1 to {BUILD_TIMEOUT_MAX_S}"
            )
        # depthai alone needs about 300 MiB of address space to import and make a package.
        if not 384 <= self.memory_mb <= 65536:
            raise SchemaError("build.memory_mb", "expected a whole number of MiB, 384 to 65536")
        if not 2 <= self.keep_packages <= 10000:
            raise SchemaError("build.keep_packages", "expected a whole number from 2 to 10000")
        if not 0 <= self.debounce_ms <= 10000:
            raise SchemaError("build.debounce_ms", "expected a whole number of ms, 0 to 10000")


@dataclass(frozen=True)
class TelemetrySection:
    """What the apps oakd builds report, and where (oakd/core/telemetry.py)."""

    enabled: bool = True  # for every project, unless it says `telemetry = false`
    port: int = DEFAULT_TELEMETRY_PORT  # UDP, on this host
    bind: str = "0.0.0.0"
    heartbeat_s: float = 2.0
    boot_timeout_s: float = 30.0  # a flash whose app has not reported booting by then warns
    log_lines: int = 1000  # kept per camera, across restarts

    def check(self) -> None:
        """Reject values of the right type but outside their range."""
        if not 1 <= self.port <= 65535:
            raise SchemaError("telemetry.port", "expected a UDP port, 1 to 65535")
        try:
            ipaddress.IPv4Address(self.bind)
        except ValueError:
            raise SchemaError("telemetry.bind", "expected an IPv4 address, like 0.0.0.0") from None
        if not 0.5 <= self.heartbeat_s <= 60:
            raise SchemaError("telemetry.heartbeat_s", "expected seconds, 0.5 to 60")
        if not 1 <= self.boot_timeout_s <= 600:
            raise SchemaError("telemetry.boot_timeout_s", "expected seconds, 1 to 600")
        if not 10 <= self.log_lines <= MAX_LOG_LINES:
            raise SchemaError(
                "telemetry.log_lines", f"expected a whole number, 10 to {MAX_LOG_LINES}"
            )


@dataclass(frozen=True)
class DeviceEntry:
    """A camera the user names: an alias, and an address for unicast discovery if needed."""

    id: str
    alias: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class ProjectEntry:
    """A pipeline project to watch, and the cameras it goes to."""

    path: str
    entry: str = "pipeline.py"
    devices: list[str] = field(default_factory=list)
    compress: bool = True
    # Globs of files whose changes make no build (on top of logs, caches and built packages):
    # "*.csv" names a file or folder anywhere, "data/*" a path from the project root.
    ignore: list[str] = field(default_factory=list)
    telemetry: bool = True  # false: flash exactly what the pipeline builds


@dataclass(frozen=True)
class RemoteEntry:
    """A named daemon on another host, reached over ssh (oakd/remote.py reads it)."""

    name: str
    url: str
    command: str | None = None


@dataclass(frozen=True)
class Config:
    """The whole configuration; `Config()` is the default one."""

    daemon: DaemonSection = field(default_factory=DaemonSection)
    discovery: DiscoverySection = field(default_factory=DiscoverySection)
    flash: FlashSection = field(default_factory=FlashSection)
    build: BuildSection = field(default_factory=BuildSection)
    telemetry: TelemetrySection = field(default_factory=TelemetrySection)
    device: list[DeviceEntry] = field(default_factory=list)
    project: list[ProjectEntry] = field(default_factory=list)
    remote: list[RemoteEntry] = field(default_factory=list)
    # The file it came from, None for defaults; not a key of the file.
    source: Path | None = field(default=None, metadata={"internal": True})

    def check(self) -> None:
        """Check every section's ranges."""
        for section in (self.daemon, self.discovery, self.flash, self.build):
            section.check()
        for i, device in enumerate(self.device):
            if device.address is None:
                continue
            try:
                ipaddress.IPv4Address(device.address)
            except ValueError:
                raise SchemaError(
                    f"device[{i}].address", f"expected an IPv4 address, got {device.address!r}"
                ) from None
        self._check_remotes()

    def _check_remotes(self) -> None:
        from oakd.remote import is_url, parse_host

        seen: set[str] = set()
        for i, remote in enumerate(self.remote):
            if not remote.name or is_url(remote.name) or remote.name in seen:
                raise SchemaError(
                    f"remote[{i}].name",
                    f"expected a name used once and not a URL, got {remote.name!r}",
                )
            seen.add(remote.name)
            try:
                parse_host(remote.url)
            except ConfigError as exc:
                raise SchemaError(f"remote[{i}].url", exc.message) from None

    def unicast_addresses(self) -> list[str]:
        """Where discovery probes directly: static_addresses, then each [[device]] address."""
        named = [d.address for d in self.device if d.address]
        return list(dict.fromkeys([*self.discovery.static_addresses, *named]))


def find_config(explicit: str | None, env: dict[str, str] | None = None) -> Path | None:
    """The config file to read, or None to run on defaults."""
    env = dict(os.environ) if env is None else env
    if explicit:
        return Path(explicit)
    if env.get("OAKD_CONFIG"):
        return Path(env["OAKD_CONFIG"])
    xdg = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    for candidate in (Path(xdg) / "oakd" / "config.toml", Path("/etc/oakd/config.toml")):
        if candidate.is_file():
            return candidate
    return None


def parse_config(text: str, source: Path | None = None) -> Config:
    """Parse TOML text into a checked Config; errors name the source, the key and the problem."""
    where = str(source) if source else "<config>"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from exc
    try:
        config = build(Config, data)
        config.check()
    except SchemaError as exc:
        raise ConfigError(f"{where}: [{exc.path}] {exc.problem}") from exc
    return dataclasses.replace(config, source=source)


def load_config(explicit: str | None = None, env: dict[str, str] | None = None) -> Config:
    """Find and read the config; defaults when there is none."""
    path = find_config(explicit, env)
    if path is None:
        return Config()
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read the config file ({exc.strerror}); "
            "fix the path given by --config or $OAKD_CONFIG"
        ) from exc
    return parse_config(text, path)
