"""The daemon's listening Unix socket: stale files, permissions, and who may connect."""

from __future__ import annotations

import errno
import grp
import os
import pwd
import socket
import stat
import struct
from dataclasses import dataclass
from pathlib import Path

from oakd.errors import AlreadyRunning, OakdError


@dataclass(frozen=True)
class Peer:
    """The process at the other end of a connection (SO_PEERCRED)."""

    pid: int
    uid: int
    gid: int


def peer_of(sock: socket.socket) -> Peer:
    """Read the connecting process's credentials from the kernel."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, gid = struct.unpack("3i", raw)
    return Peer(pid, uid, gid)


def resolve_group(name: str | None) -> int | None:
    """The gid of a configured group, or None; an unknown group is an error that says so."""
    if name is None:
        return None
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        raise OakdError(
            f"the socket group {name!r} (daemon.socket_group) does not exist; create it "
            "(groupadd) or remove the setting"
        ) from None


def peer_allowed(peer: Peer, group_gid: int | None) -> bool:
    """Only the daemon's own uid, root, or members of the configured group are served."""
    if peer.uid in (0, os.getuid()):
        return True
    if group_gid is None:
        return False
    if peer.gid == group_gid:
        return True
    try:
        user = pwd.getpwuid(peer.uid).pw_name
        return user in grp.getgrgid(group_gid).gr_mem
    except KeyError:
        return False


def _socket_is_live(path: Path) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(str(path))
    except OSError as exc:
        if exc.errno in (errno.ECONNREFUSED, errno.ENOENT):
            return False
        raise
    finally:
        probe.close()
    return True


def bind_socket(path: Path, group_gid: int | None = None) -> socket.socket:
    """Bind and listen on `path` with mode 0600 (0660 and the group when one is configured).

    A socket file left by a dead daemon is removed; a live daemon is never clobbered.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o750 if group_gid is not None else 0o700)
    if path.exists() or path.is_symlink():
        if not stat.S_ISSOCK(path.lstat().st_mode):
            raise OakdError(
                f"{path} exists and is not a socket; remove it or choose another --socket"
            )
        if _socket_is_live(path):
            raise AlreadyRunning(
                f"another oakd daemon is already serving {path}; stop it first "
                "(oakd status shows it), or give this daemon its own --socket"
            )
        path.unlink()  # stale: its daemon died without cleaning up
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(path))
        # Between bind and listen nobody can connect yet, so the mode is right before anyone can.
        os.chmod(path, 0o660 if group_gid is not None else 0o600)
        if group_gid is not None:
            os.chown(path, -1, group_gid)
        sock.listen(socket.SOMAXCONN)  # a burst of clients waits; the server caps what it serves
    except BaseException:
        sock.close()
        raise
    sock.setblocking(False)
    return sock
