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

SO_PEERGROUPS = getattr(socket, "SO_PEERGROUPS", 59)  # Linux 4.13+; Python lacks the name


@dataclass(frozen=True)
class Peer:
    """The process at the other end of a connection (SO_PEERCRED, SO_PEERGROUPS)."""

    pid: int
    uid: int
    gid: int
    groups: frozenset[int] = frozenset()  # its supplementary groups


def peer_of(sock: socket.socket) -> Peer:
    """Read the connecting process's credentials from the kernel."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, gid = struct.unpack("3i", raw)
    return Peer(pid, uid, gid, _peer_groups(sock, pid))


def _peer_groups(sock: socket.socket, pid: int) -> frozenset[int]:
    """The peer's supplementary groups: a member by `usermod -aG` holds the group only there."""
    try:  # CPython reads at most 1024 bytes of an option: 256 groups
        raw = sock.getsockopt(socket.SOL_SOCKET, SO_PEERGROUPS, 1024)
        return frozenset(struct.unpack(f"{len(raw) // 4}I", raw[: len(raw) // 4 * 4]))
    except OSError:  # more groups, or an older kernel: what /proc says of the process
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return frozenset()
        line = next((x for x in status.splitlines() if x.startswith("Groups:")), "Groups:")
        return frozenset(int(g) for g in line.split()[1:])


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
    if peer.gid == group_gid or group_gid in peer.groups:
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


def _make_socket_dir(directory: Path, group_gid: int | None) -> None:
    """Make the socket's directory if it is missing: 0700, or 0750 and the socket group's, so
    that the group can reach the 0660 socket in it. An existing directory is left as it is."""
    if directory.is_dir():
        return
    directory.mkdir(parents=True, exist_ok=True)
    if group_gid is not None:
        os.chown(directory, -1, group_gid)
    os.chmod(directory, 0o750 if group_gid is not None else 0o700)  # whatever the umask


def bind_socket(path: Path, group_gid: int | None = None) -> socket.socket:
    """Bind and listen on `path` with mode 0600 (0660 and the group when one is configured).

    A socket file left by a dead daemon is removed; a live daemon is never clobbered.
    """
    _make_socket_dir(path.parent, group_gid)
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
