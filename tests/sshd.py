"""A real OpenSSH server on 127.0.0.1 for tests, with keys made for the test.

It runs inside the suite's private network namespace (tests/conftest.py), so it is reachable
from the test and from nothing else. Clients get an ssh config file (`ssh -F`, through
$OAKD_SSH) that trusts only this server's host key and offers only the test's key.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
from pathlib import Path

from tests.helpers import wait_for

SSHD = "/usr/sbin/sshd"  # sshd re-executes itself, so it must be started by its full path
# The sessions' PATH: the system's, with no oakd on it (a "host without oakd" is the default
# `oakd` not found there; the tests that need one name it by $OAKD_REMOTE_COMMAND).
SESSION_PATH = "/usr/bin:/bin"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def keygen(path: Path) -> Path:
    """A new ed25519 key pair without a passphrase; the private key's path."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "oakd-test", "-f", str(path)],
        check=True,
        timeout=30,
    )
    return path


class SshServer:
    """`sshd -D` on 127.0.0.1:port, letting this user in with `key`, and nobody else."""

    def __init__(self, root: Path) -> None:
        missing = [p for p in (SSHD, shutil.which("ssh"), shutil.which("ssh-keygen")) if not p]
        if missing or not Path(SSHD).exists():
            # A failure, not a skip: CI (.ci/run) installs openssh-server and openssh-client.
            raise AssertionError(
                "OpenSSH is not installed (need /usr/sbin/sshd, ssh, ssh-keygen): "
                "apt-get install openssh-server openssh-client"
            )
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.user = getpass.getuser()
        self.port = _free_port()
        host_key = keygen(root / "host_key")
        self.key = keygen(root / "id_client")
        self.wrong_key = keygen(root / "id_stranger")  # never authorized
        (root / "authorized_keys").write_text(Path(f"{self.key}.pub").read_text())
        host_pub = Path(f"{host_key}.pub").read_text().split()
        (root / "known_hosts").write_text(f"[127.0.0.1]:{self.port} {host_pub[0]} {host_pub[1]}\n")
        config = root / "sshd_config"
        config.write_text(
            f"ListenAddress 127.0.0.1\nPort {self.port}\nHostKey {host_key}\nPidFile none\n"
            f"AuthorizedKeysFile {root}/authorized_keys\n"
            # The temp dir's modes are the test's, not a home directory's.
            "StrictModes no\nUsePAM no\n"
            # The suite runs as root here; a key is still needed.
            "PermitRootLogin prohibit-password\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            "AllowTcpForwarding no\nX11Forwarding no\nPrintMotd no\nLogLevel VERBOSE\n"
            f"SetEnv PATH={SESSION_PATH}\n"
        )
        if os.getuid() == 0:
            # Its privilege-separation directory, which the package's service would make.
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        self.log_path = root / "sshd.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(config)], stdout=self._log, stderr=subprocess.STDOUT
        )
        wait_for(
            lambda: self.proc.poll() is not None or "Server listening" in self.log(),
            20,
            "sshd listening",
        )
        if self.proc.poll() is not None:
            raise AssertionError(f"sshd exited early:\n{self.log()}")

    def log(self) -> str:
        """What sshd logged so far."""
        return self.log_path.read_text()

    def client_config(self, key: Path | None = None) -> Path:
        """An ssh_config for `ssh -F` that reaches this server with `key` (the good one by
        default) and no agent, and trusts only its host key."""
        key = key or self.key
        path = self.root / f"ssh_config.{key.name}"
        path.write_text(
            "Host *\n"
            f"  IdentityFile {key}\n  IdentitiesOnly yes\n  IdentityAgent none\n"
            f"  UserKnownHostsFile {self.root}/known_hosts\n  GlobalKnownHostsFile /dev/null\n"
            "  StrictHostKeyChecking yes\n  LogLevel ERROR\n"
        )
        return path

    def url(self, socket_path: Path | str = "") -> str:
        """ssh://user@127.0.0.1:port[/socket]."""
        return f"ssh://{self.user}@127.0.0.1:{self.port}{socket_path}"

    def stop(self) -> None:
        """Stop sshd (sessions end with it)."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self._log.close()
