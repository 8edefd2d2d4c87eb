"""Where the socket and the state live, for the daemon and for its clients."""

from __future__ import annotations

import os
from pathlib import Path

SYSTEM_SOCKET = Path("/run/oakd/oakd.sock")


def daemon_socket(explicit: str | None, env: dict[str, str] | None = None) -> Path:
    """The socket the daemon binds: --socket, $OAKD_SOCKET, $XDG_RUNTIME_DIR, else /run/oakd."""
    env = dict(os.environ) if env is None else env
    if explicit:
        return Path(explicit)
    if env.get("OAKD_SOCKET"):
        return Path(env["OAKD_SOCKET"])
    if env.get("XDG_RUNTIME_DIR"):
        return Path(env["XDG_RUNTIME_DIR"]) / "oakd" / "oakd.sock"
    return SYSTEM_SOCKET


def client_socket(explicit: str | None, env: dict[str, str] | None = None) -> Path:
    """The socket a client connects to: as the daemon's, but a user with no daemon of their own
    reaches the system daemon's socket."""
    env = dict(os.environ) if env is None else env
    path = daemon_socket(explicit, env)
    if explicit or env.get("OAKD_SOCKET") or path.exists():
        return path
    return SYSTEM_SOCKET if SYSTEM_SOCKET.exists() else path


def state_dir(explicit: str | None, env: dict[str, str] | None = None) -> Path:
    """--state-dir, $STATE_DIRECTORY (set by systemd), else $XDG_STATE_HOME/oakd."""
    env = dict(os.environ) if env is None else env
    if explicit:
        return Path(explicit)
    if env.get("STATE_DIRECTORY"):
        # systemd may pass several, colon-separated; the first is ours.
        return Path(env["STATE_DIRECTORY"].split(":")[0])
    base = env.get("XDG_STATE_HOME") or str(
        Path(env.get("HOME", "~")).expanduser() / ".local/state"
    )
    return Path(base) / "oakd"


def cache_dir(explicit: str | None, env: dict[str, str] | None = None) -> Path:
    """Built packages: --cache-dir, $CACHE_DIRECTORY (systemd), else $XDG_CACHE_HOME/oakd."""
    env = dict(os.environ) if env is None else env
    if explicit:
        return Path(explicit)
    if env.get("CACHE_DIRECTORY"):
        return Path(env["CACHE_DIRECTORY"].split(":")[0])
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".cache")
    return Path(base) / "oakd"


TEMP_GLOB = ".*.tmp"  # what temporary_beside names: pruning finds a dead writer's leftovers


def temporary_beside(final: Path) -> Path:
    """A fresh name in `final`'s directory to write into before an atomic rename onto `final`.

    Unique per writer, not per process id: builds run in PID namespaces of their own, where
    every build is process 2, and two concurrent builds that shared a temporary name renamed
    each other's file away (ENOENT in a CI run).
    """
    return final.with_name(f".{final.stem}.{os.urandom(8).hex()}.tmp")
