"""What a daemon's mDNS record says, written by the announcer and read by the browser.

One owner for the format, so that both sides agree on the TXT keys. The SRV record's port is
SSH's: a daemon has no TCP port of its own, it is reached by `ssh host oakd dial-stdio`.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

SERVICE_TYPE = "_oakd._tcp.local."
TXT_VERSION = "1"  # bumped when a key changes meaning; readers ignore keys they do not know
SSH_PORT = 22


def host_label(hostname: str | None = None) -> str:
    """The host's short name as one DNS label: 'plant-2.example.com' -> 'plant-2'."""
    short = (hostname or socket.gethostname()).split(".", 1)[0]
    return re.sub(r"[^A-Za-z0-9-]", "-", short).strip("-")[:63] or "oakd"


def instance_name(hostname: str | None = None) -> str:
    """The daemon's stable instance name, from the host name (python-zeroconf appends '-2'
    when another daemon holds it already)."""
    return f"oakd on {host_label(hostname)}"


@dataclass(frozen=True)
class DaemonRecord:
    """The TXT record: who the daemon is and how to reach it."""

    uuid: str  # stable per state directory: the same daemon after a rename or a new address
    version: str  # oakd's
    protocol: int  # the socket protocol's version (oakd.protocol.PROTOCOL_VERSION)
    cameras: int  # cameras online
    ssh: str  # ssh://[user@]host: the login that reaches the daemon's socket
    socket: str  # the daemon's socket path on its host

    def properties(self) -> dict[str, str]:
        """As python-zeroconf takes TXT properties."""
        return {
            "txtvers": TXT_VERSION,
            "uuid": self.uuid,
            "version": self.version,
            "protocol": str(self.protocol),
            "cameras": str(self.cameras),
            "ssh": self.ssh,
            "socket": self.socket,
        }

    @classmethod
    def parse(cls, properties: Mapping[bytes, bytes | None]) -> DaemonRecord:
        """Read a TXT record leniently: another oakd version may add or lack keys."""
        text = {
            k.decode(errors="replace"): (v or b"").decode(errors="replace")
            for k, v in properties.items()
        }
        return cls(
            uuid=text.get("uuid", ""),
            version=text.get("version", ""),
            protocol=_number(text.get("protocol")),
            cameras=_number(text.get("cameras")),
            ssh=text.get("ssh", ""),
            socket=text.get("socket", ""),
        )


def _number(value: str | None) -> int:
    """A whole number from a TXT value; -1 when it is missing or not one."""
    try:
        return int(value or "")
    except ValueError:
        return -1


@dataclass(frozen=True)
class FoundDaemon:
    """A daemon a browse found: its record and where its host answers."""

    name: str  # instance name, e.g. 'oakd on plant-2'
    host: str  # the SRV target without '.local.'
    port: int
    addresses: list[str]  # those on a network of the browsing host first
    record: DaemonRecord

    def url(self) -> str:
        """The `--host` URL to reach it: ssh://[user@]address[:port]/socket.

        An address rather than the host name: a name under .local needs mDNS in the resolver,
        which many systems lack; the socket path always, since the default on the other host
        may be another user's daemon."""
        hint = urlsplit(self.record.ssh)
        where = self.addresses[0] if self.addresses else hint.hostname or self.host
        user = f"{hint.username}@" if hint.username else ""
        port = f":{self.port}" if self.port and self.port != SSH_PORT else ""
        return f"ssh://{user}{where}{port}{self.record.socket}"

    def to_wire(self) -> dict[str, Any]:
        """As `oakd daemons --json` prints it."""
        return {
            "name": self.name,
            "host": self.host,
            "addresses": self.addresses,
            "uuid": self.record.uuid,
            "version": self.record.version,
            "protocol": self.record.protocol,
            "cameras_online": self.record.cameras,
            "ssh": self.record.ssh,
            "socket": self.record.socket,
            "url": self.url(),
        }
