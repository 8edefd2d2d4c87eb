"""daemon.socket_group, as a member of the group uses it: another user, holding the group only as
a supplementary group, through a socket directory the daemon made itself."""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import DaemonProcess

# The client runs as `nobody`, who cannot read /root (where uv's Python may live): the
# system's Python then, with nothing but the standard library.
SYSTEM_PYTHON = "/usr/bin/python3"
HELLO = """
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(json.dumps({"id": 1, "type": "hello", "params": {"protocol": 1, "client": "t"}})
          .encode() + b"\\n")
print(s.makefile().readline(), end="")
"""


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A directory everyone may enter, for the daemon's socket directory to be made in."""
    path = Path(tempfile.mkdtemp(prefix="oakd-g-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def hello_as_nobody(socket_path: Path, extra_group: int | None) -> subprocess.CompletedProcess[str]:
    nobody = pwd.getpwnam("nobody")
    return subprocess.run(
        [SYSTEM_PYTHON, "-c", HELLO, str(socket_path)],
        user=nobody.pw_uid,
        group=nobody.pw_gid,
        extra_groups=[extra_group] if extra_group is not None else [],
        capture_output=True,
        text=True,
        timeout=30,
        cwd="/",
    )


def test_a_supplementary_member_of_the_socket_group_is_served(
    short_tmp: Path, open_dir: Path
) -> None:
    assert os.getuid() == 0 and Path(SYSTEM_PYTHON).exists(), "needs root and the system Python"
    group = grp.getgrnam("users")
    assert "nobody" not in group.gr_mem  # only through the supplementary group
    config = short_tmp / "config.toml"
    config.write_text('[daemon]\nsocket_group = "users"\n')
    socket_path = open_dir / "run" / "oakd.sock"  # the daemon makes "run"
    daemon = DaemonProcess(short_tmp, "--socket", str(socket_path), config=config)
    daemon.socket = socket_path
    daemon.wait_ready()
    try:
        made = (open_dir / "run").stat()
        assert (made.st_gid, made.st_mode & 0o777) == (group.gr_gid, 0o750)
        member = hello_as_nobody(socket_path, group.gr_gid)
        assert member.returncode == 0, member.stderr
        assert json.loads(member.stdout)["ok"] is True, member.stdout
        stranger = hello_as_nobody(socket_path, None)  # not in the group: the directory says no
        assert stranger.returncode != 0 and "Permission denied" in stranger.stderr
    finally:
        daemon.stop()
