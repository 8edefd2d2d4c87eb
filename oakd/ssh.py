"""The transport to a daemon on another host: `ssh -T host oakd dial-stdio`, spoken over its pipes.

The system's ssh, not a library: the user's keys, agent, ~/.ssh/config, jump hosts and
known_hosts then apply as they do for `ssh host`, and oakd keeps no secret. When the pipe ends
before the daemon said hello, ssh's exit status and stderr tell which step failed: ssh itself
(255: connect, host key, login), the remote shell (127: no oakd there), or `oakd dial-stdio`
(3: no daemon there, in its own words).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
from collections import deque
from typing import TYPE_CHECKING

from oakd.errors import DaemonUnreachable, OakdError
from oakd.protocol import MAX_FRAME
from oakd.remote import SshTarget

if TYPE_CHECKING:
    from oakd.transport import Streams

CONNECT_TIMEOUT_S = 10  # ssh's ConnectTimeout: TCP connect and the SSH handshake
# Batch mode: the login and the remote Python's start on top of the connect timeout.
# On a terminal ssh may ask for a passphrase or a host key: a person types, no deadline.
BATCH_HELLO_TIMEOUT_S = CONNECT_TIMEOUT_S + 20.0
EXIT_SSH = 255  # ssh's own failure (ssh(1): "exits with 255 if an error occurred")
EXIT_NOT_FOUND = 127  # the remote shell found no such command
EXIT_NO_DAEMON = 3  # oakd dial-stdio: no daemon there (oakd.cli.common.EXIT_NO_DAEMON)
STDERR_LINES = 20  # the last lines of ssh's stderr kept for the diagnosis
CLOSE_TIMEOUT_S = 3.0


def ssh_argv(target: SshTarget, batch: bool, env: dict[str, str] | None = None) -> list[str]:
    """The ssh command line. $OAKD_SSH replaces `ssh` (words, as GIT_SSH_COMMAND does: e.g.
    "ssh -F ~/.ssh/oakd_config"); our -o come first, and ssh keeps the first value it gets for
    an option, so they win over the config files but not over $OAKD_SSH's own -o."""
    env = dict(os.environ) if env is None else env
    program = shlex.split(env.get("OAKD_SSH") or "ssh")
    options = [
        "-T",  # a byte pipe, no terminal: the protocol is binary-clean lines
        "-o",
        f"ConnectTimeout={CONNECT_TIMEOUT_S}",
        # A link that dies without a FIN (a cable, a VPN) is noticed in ~45 s, so the TUI
        # reconnects instead of waiting forever.
        "-o",
        "ServerAliveInterval=15",
        "-o",
        "ServerAliveCountMax=3",
    ]
    if batch:  # nobody to answer a prompt: fail instead of hanging on one
        options += ["-o", "BatchMode=yes"]
    if target.port:
        options += ["-p", str(target.port)]
    # `--`: nothing after it is an option, whatever the host name (parse_url refuses '-' too).
    return [*program, *options, "--", target.destination, target.remote_command()]


def _last_lines(stderr: list[str]) -> list[str]:
    # ssh's chatter that explains nothing (accept-new adding a key).
    noise = ("Warning: Permanently added",)
    return [line for line in stderr if line.strip() and not line.startswith(noise)]


def _strip_prog(line: str) -> str:
    return line[len("oakd: ") :] if line.startswith("oakd: ") else line


def diagnose(target: SshTarget, status: int | None, stderr: list[str]) -> DaemonUnreachable | None:
    """Why the pipe ended before hello, from ssh's exit status and stderr; None if unknown."""
    lines = _last_lines(stderr)
    said = " / ".join(lines[-3:]).rstrip(".") or "nothing on stderr"
    where, dest, try_ssh = target.label, target.destination, target.ssh_hint
    if status == EXIT_SSH:
        text = " ".join(lines)
        if "Permission denied" in text or "Too many authentication failures" in text:
            return DaemonUnreachable(
                f"ssh could not log in to {where}: {said}. Check the user in the URL and that "
                f"your key is accepted there (is it in ~/.ssh/authorized_keys of {dest}? loaded "
                f"here, `ssh-add -l`?); `{try_ssh} true` must work without a prompt."
            )
        if "Host key verification failed" in text or "HOST IDENTIFICATION HAS CHANGED" in text:
            return DaemonUnreachable(
                f"ssh does not trust the host key of {where}: {said}. Check the key and add it "
                f"to ~/.ssh/known_hosts (e.g. run `{try_ssh}` once on a terminal)."
            )
        return DaemonUnreachable(
            f"ssh could not connect to {where}: {said}. Check the host name and port, that "
            f"sshd runs there and that `{try_ssh}` works."
        )
    if status == EXIT_NOT_FOUND or any("command not found" in line for line in lines):
        return DaemonUnreachable(
            f"ssh reached {where}, but `{target.command}` is not installed there, or not on "
            f"the PATH of a non-interactive ssh session ({said}). Install oakd there, or name "
            "its full path: `command = ...` in the [[remote]] of the config, or "
            "$OAKD_REMOTE_COMMAND."
        )
    if status == EXIT_NO_DAEMON and lines:
        told = _strip_prog(lines[-1])
        return DaemonUnreachable(
            f"ssh reached {where}, but no daemon answered there: {told} Over ssh, the "
            "socket is the URL's path: ssh://host/path/to/oakd.sock."
        )
    if any("invalid choice: 'dial-stdio'" in line for line in lines):
        return DaemonUnreachable(
            f"ssh reached {where}, but its oakd has no `dial-stdio`: upgrade oakd there."
        )
    if status not in (None, 0):
        return DaemonUnreachable(
            f"ssh reached {where}, but `{target.remote_command()}` exited with status "
            f"{status}: {said}"
        )
    return None


class SshTransport:
    """A pipe to `oakd dial-stdio` on another host, through the system's ssh."""

    def __init__(self, target: SshTarget, batch: bool, env: dict[str, str] | None = None):
        self.target = target
        self.where = target.url
        self.batch = batch
        self.hello_timeout: float | None = BATCH_HELLO_TIMEOUT_S if batch else None
        self._argv = ssh_argv(target, batch, env)
        self._proc: asyncio.subprocess.Process | None = None
        self._stderr: deque[str] = deque(maxlen=STDERR_LINES)
        self._stderr_task: asyncio.Task[None] | None = None

    async def open(self, timeout: float) -> Streams:
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *self._argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                limit=MAX_FRAME,
                # Batch mode: no controlling terminal, so nothing ssh starts can prompt on it
                # (or draw over the TUI); a person at a terminal may be asked for a passphrase.
                start_new_session=self.batch,
            )
        except OSError as exc:
            raise DaemonUnreachable(
                f"cannot run {self._argv[0]!r} to reach {self.target.label} ({exc.strerror}): "
                "install OpenSSH's client (Debian: apt install openssh-client), or set $OAKD_SSH"
            ) from None
        assert self._proc.stdout and self._proc.stdin and self._proc.stderr
        self._stderr_task = asyncio.get_running_loop().create_task(self._collect(self._proc.stderr))
        return self._proc.stdout, self._proc.stdin

    async def _collect(self, stream: asyncio.StreamReader) -> None:
        # Read all of it, so a chatty ssh never blocks on a full pipe; keep the last lines.
        with contextlib.suppress(ValueError, ConnectionError):
            async for raw in stream:
                self._stderr.append(raw.decode(errors="replace").rstrip())

    def lost(self, why: str) -> DaemonUnreachable:
        return DaemonUnreachable(
            f"no oakd daemon reachable at {self.target.label} ({why}). Check that the daemon "
            f"runs there (`{self.target.ssh_hint} {self.target.command} status`)."
        )

    async def ended(self) -> OakdError | None:
        proc = self._proc
        if proc is None:
            return None
        try:
            status = await asyncio.wait_for(proc.wait(), CLOSE_TIMEOUT_S)
        except asyncio.TimeoutError:  # still running: a daemon that said nothing in time
            return self.lost(f"no answer within {self.hello_timeout:g} s") if self.batch else None
        if self._stderr_task is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._stderr_task), CLOSE_TIMEOUT_S)
        return diagnose(self.target, status, list(self._stderr))

    async def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        # The client closed ssh's stdin: dial-stdio sees EOF there and ends, then ssh does.
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), CLOSE_TIMEOUT_S)
        except asyncio.TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        if self._stderr_task is not None:
            self._stderr_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._stderr_task
