"""Which daemon a client command means: `--host` / `$OAKD_HOST` as an ssh:// URL, a unix://
socket path, or the name of a `[[remote]]` in the config, parsed here and nowhere else.

A remote daemon has no port of its own: it is reached as Docker's `DOCKER_HOST=ssh://...` is,
by running `oakd dial-stdio` on that host over the system's ssh (oakd/ssh.py), so the user's
keys, agent, ~/.ssh/config, jump hosts and known_hosts apply and oakd holds no secret.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from oakd.errors import ConfigError

SCHEME = "ssh://"
# Another daemon on this host, as Docker's DOCKER_HOST=unix://...: a second camera network on
# a second interface, or a test daemon beside the service. Spelled as a host so that it goes
# wherever a host goes (`oakd tui --host unix://a --host ssh://b`, a [[remote]]).
UNIX_SCHEME = "unix://"
URL_FORMS = "ssh://[user@]host[:port][/path/to/socket] or unix:///path/to/socket"
DEFAULT_COMMAND = "oakd"  # what runs on the other host; real users have it on the PATH


class NamedRemote(Protocol):
    """A `[[remote]]` of the config (oakd.config.RemoteEntry), as this module reads it."""

    @property
    def name(self) -> str: ...

    @property
    def url(self) -> str: ...

    @property
    def command(self) -> str | None: ...


@dataclass(frozen=True)
class SshTarget:
    """A daemon on another host: the ssh destination, and the socket there (None: its default)."""

    host: str
    user: str | None = None
    port: int | None = None
    socket: str | None = None
    # The shell words that start oakd there, e.g. "/opt/oakd/bin/oakd" when a non-interactive
    # ssh session's PATH lacks it; quoted by the user, as in their shell (`~` expands there).
    command: str = DEFAULT_COMMAND
    name: str | None = None  # the [[remote]] it came from, for messages

    @property
    def destination(self) -> str:
        """[user@]host, as ssh and people write it."""
        return f"{self.user}@{self.host}" if self.user else self.host

    @property
    def ssh_hint(self) -> str:
        """The plain ssh command a person tries first: `ssh [-p port] [user@]host`."""
        port = f"-p {self.port} " if self.port else ""
        return f"ssh {port}{self.destination}"

    @property
    def url(self) -> str:
        """The URL back, for messages and the TUI's status line."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        user = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port else ""
        return f"{SCHEME}{user}{host}{port}{self.socket or ''}"

    @property
    def label(self) -> str:
        """How messages name it: the [[remote]] name when it has one, else the URL."""
        return f"{self.name} ({self.url})" if self.name else self.url

    def remote_command(self) -> str:
        """The command line ssh runs there: one string, which the remote shell splits."""
        words = [self.command, "dial-stdio"]
        if self.socket:
            words += ["--socket", shlex.quote(self.socket)]
        return " ".join(words)


Target = SshTarget | Path  # a daemon elsewhere, or another socket on this host


def parse_url(url: str, command: str = DEFAULT_COMMAND, name: str | None = None) -> SshTarget:
    """ssh://[user@]host[:port][/path/to/socket] -> SshTarget; ConfigError saying what is wrong."""

    def bad(problem: str) -> ConfigError:
        return ConfigError(
            f"bad host {url!r}: {problem}; expected ssh://[user@]host[:port][/path/to/socket]"
        )

    if not url.startswith(SCHEME):
        raise bad("not an ssh:// URL")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port out of range or not a number
    except ValueError as exc:
        raise bad(str(exc)) from None
    if parts.query or parts.fragment:
        raise bad("a query or fragment means nothing here")
    if parts.password is not None:
        raise bad("no password in the URL: ssh asks for it, or better, use a key")
    host = parts.hostname
    if not host:
        raise bad("no host")
    user = unquote(parts.username) if parts.username else None
    # A host or user starting with '-' would reach ssh as an option (-oProxyCommand=...).
    for word in (host, user or ""):
        if word.startswith("-") or any(c.isspace() for c in word):
            raise bad(f"{word!r} is no host or user name")
    path = unquote(parts.path) or None
    if path == "/":
        path = None
    return SshTarget(host, user, port or None, path, command, name)


def is_url(text: str) -> bool:
    """A host given as a URL rather than as a [[remote]]'s name."""
    return text.startswith((SCHEME, UNIX_SCHEME))


def parse_socket_url(url: str) -> Path:
    """unix:///path/to/socket -> the path; ConfigError saying what is wrong."""
    path = url.removeprefix(UNIX_SCHEME)
    if not path.startswith("/") or "\0" in path:
        raise ConfigError(
            f"bad host {url!r}: expected unix:///path/to/socket, an absolute path after unix://"
        )
    return Path(path)


def parse_host(url: str, command: str = DEFAULT_COMMAND, name: str | None = None) -> Target:
    """A URL of either form as a target (ConfigError when it is neither)."""
    if url.startswith(UNIX_SCHEME):
        return parse_socket_url(url)
    if not url.startswith(SCHEME):
        raise ConfigError(f"bad host {url!r}: not a URL; expected {URL_FORMS}")
    return parse_url(url, command, name)


def resolve(
    host: str,
    remotes: Sequence[NamedRemote] = (),
    env: dict[str, str] | None = None,
    socket: str | None = None,
) -> Target:
    """--host's value, a URL or a [[remote]] name, as a target: an SshTarget, or a Path for a
    unix:// socket here. `socket` (--socket given with --host) names the socket on that host.
    The command that starts oakd there is the remote's `command`, else $OAKD_REMOTE_COMMAND,
    else `oakd`."""
    env = dict(os.environ) if env is None else env
    default_command = env.get("OAKD_REMOTE_COMMAND") or DEFAULT_COMMAND
    target: Target
    if is_url(host):
        target = parse_host(host, default_command)
    else:
        named = {r.name: r for r in remotes}
        if host not in named:
            known = ", ".join(sorted(named)) or "none"
            raise ConfigError(
                f"unknown host {host!r}: not an ssh:// or unix:// URL, and no [[remote]] of the "
                f"config has that name (known: {known}); use ssh://[user@]{host}, or add to the "
                "config:\n"
                f'[[remote]]\nname = "{host}"\nurl = "ssh://user@{host}"'
            )
        remote = named[host]
        target = parse_host(remote.url, remote.command or default_command, remote.name)
    if isinstance(target, Path):
        if socket:
            raise ConfigError(
                f"--socket {socket!r} with the host {host!r}, which names a socket already: "
                "give one of them"
            )
        return target
    return dataclasses.replace(target, socket=socket) if socket else target
