"""Who may use the daemon's socket: its user, root, and the configured group."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from oakd.errors import OakdError
from oakd.services.listener import Peer, bind_socket, peer_allowed, peer_of, resolve_group


def test_own_user_and_root_are_served_others_are_not() -> None:
    me = os.getuid()
    assert peer_allowed(Peer(1, me, 1234), None)
    assert peer_allowed(Peer(1, 0, 0), None)
    stranger = 54321 if me != 54321 else 54322
    assert not peer_allowed(Peer(1, stranger, 54321), None)
    assert peer_allowed(Peer(1, stranger, 4242), 4242)  # primary group is the socket group
    assert not peer_allowed(Peer(1, stranger, 4243), 4242)


def test_members_of_the_group_are_served(monkeypatch: pytest.MonkeyPatch) -> None:
    # The group database is faked: adding a real user and group needs root and changes the
    # machine. What is tested is that supplementary membership (gr_mem) counts.
    import grp as grp_mod
    import pwd as pwd_mod
    from types import SimpleNamespace

    from oakd.services import listener

    monkeypatch.setattr(listener.pwd, "getpwuid", lambda uid: SimpleNamespace(pw_name=f"user{uid}"))
    monkeypatch.setattr(listener.grp, "getgrgid", lambda gid: SimpleNamespace(gr_mem=["user777"]))
    assert listener.pwd is pwd_mod and listener.grp is grp_mod
    assert peer_allowed(Peer(1, 777, 99999), 4242)
    assert not peer_allowed(Peer(1, 778, 99999), 4242)


def test_socket_mode_is_0600_or_0660_with_a_group(tmp_path: Path) -> None:
    private = bind_socket(tmp_path / "a.sock")
    shared = bind_socket(tmp_path / "b.sock", os.getgid())
    try:
        assert stat.S_IMODE(os.stat(tmp_path / "a.sock").st_mode) == 0o600
        info = os.stat(tmp_path / "b.sock")
        assert stat.S_IMODE(info.st_mode) == 0o660
        assert info.st_gid == os.getgid()
    finally:
        private.close()
        shared.close()


def test_an_unknown_group_is_a_clear_error() -> None:
    with pytest.raises(OakdError, match="does not exist; create it"):
        resolve_group("no-such-group-oakd")


def test_a_regular_file_in_the_way_is_never_deleted(tmp_path: Path) -> None:
    path = tmp_path / "oakd.sock"
    path.write_text("precious")
    with pytest.raises(OakdError, match="is not a socket"):
        bind_socket(path)
    assert path.read_text() == "precious"


def test_peer_credentials_come_from_the_kernel(tmp_path: Path) -> None:
    listener = bind_socket(tmp_path / "c.sock")
    listener.setblocking(True)
    connect = (
        "import socket, sys, time; s = socket.socket(socket.AF_UNIX); "
        "s.connect(sys.argv[1]); time.sleep(5)"
    )
    client = subprocess.Popen([sys.executable, "-c", connect, str(tmp_path / "c.sock")])
    try:
        conn, _ = listener.accept()
        peer = peer_of(conn)
        assert peer.pid == client.pid
        assert peer.uid == os.getuid()
        conn.close()
    finally:
        client.kill()
        client.wait()
        listener.close()
