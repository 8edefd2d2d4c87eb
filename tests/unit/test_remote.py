"""--host URLs and names (oakd/remote.py), the ssh command line and the reading of ssh's
failures (oakd/ssh.py), `[[remote]]` in the config (issue 13 item 2)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from oakd.cli.common import daemon_target
from oakd.config import RemoteEntry, parse_config
from oakd.errors import ConfigError
from oakd.remote import SshTarget, parse_url, resolve
from oakd.ssh import SshTransport, diagnose, ssh_argv


def test_a_url_gives_user_host_port_and_socket() -> None:
    target = parse_url("ssh://ops@10.2.0.5:2222/run/oakd/oakd.sock")
    assert target == SshTarget("10.2.0.5", "ops", 2222, "/run/oakd/oakd.sock")
    assert target.url == "ssh://ops@10.2.0.5:2222/run/oakd/oakd.sock"
    assert parse_url("ssh://plant-2") == SshTarget("plant-2")
    assert parse_url("ssh://[fe80::1]/").url == "ssh://[fe80::1]"


@pytest.mark.parametrize(
    "url",
    ["plant-2", "http://h", "ssh://", "ssh://h:0x", "ssh://u:pw@h", "ssh://h?x=1", "ssh://-oX=y"],
)
def test_a_bad_url_says_what_is_expected(url: str) -> None:
    with pytest.raises(ConfigError, match=r"expected ssh://\[user@\]host"):
        parse_url(url)


def test_a_name_is_a_remote_of_the_config_and_socket_overrides_its_path() -> None:
    remotes = [RemoteEntry("plant-2", "ssh://ops@10.2.0.5/run/a.sock", command="/opt/oakd")]
    target = resolve("plant-2", remotes, env={}, socket="/run/b.sock")
    assert isinstance(target, SshTarget)
    assert (target.destination, target.socket, target.command) == (
        "ops@10.2.0.5",
        "/run/b.sock",
        "/opt/oakd",
    )
    assert target.label == "plant-2 (ssh://ops@10.2.0.5/run/b.sock)"
    with pytest.raises(ConfigError, match="known: plant-2"):
        resolve("plant-3", remotes, env={})


def test_the_remote_command_comes_from_the_remote_then_the_environment() -> None:
    env = {"OAKD_REMOTE_COMMAND": "~/venv/bin/oakd"}

    def command(host: str, remotes: list[RemoteEntry], env: dict[str, str]) -> str:
        target = resolve(host, remotes, env=env)
        assert isinstance(target, SshTarget)
        return target.command

    assert command("ssh://h", [], env) == "~/venv/bin/oakd"
    assert command("ssh://h", [], {}) == "oakd"
    assert command("a", [RemoteEntry("a", "ssh://h", command="/x/oakd")], env) == "/x/oakd"


def test_a_unix_url_is_another_socket_on_this_host() -> None:
    assert resolve("unix:///run/oakd/b.sock", env={}) == Path("/run/oakd/b.sock")
    named = [RemoteEntry("lab", "unix:///tmp/lab.sock")]
    assert resolve("lab", named, env={}) == Path("/tmp/lab.sock")
    with pytest.raises(ConfigError, match="an absolute path after unix://"):
        resolve("unix://run/b.sock", env={})
    with pytest.raises(ConfigError, match="give one of them"):
        resolve("unix:///run/b.sock", env={}, socket="/run/c.sock")


def test_the_ssh_command_line() -> None:
    target = parse_url("ssh://ops@h:2222/tmp/my sock", command="oakd")
    argv = ssh_argv(target, batch=True, env={"OAKD_SSH": "ssh -F /tmp/cfg"})
    assert argv[:3] == ["ssh", "-F", "/tmp/cfg"]
    assert "BatchMode=yes" in argv and argv[argv.index("-p") + 1] == "2222"
    # The socket is quoted for the remote shell; nothing after `--` is an option.
    assert argv[-3:] == ["--", "ops@h", "oakd dial-stdio --socket '/tmp/my sock'"]
    assert "BatchMode=yes" not in ssh_argv(target, batch=False, env={})


def test_ssh_failures_are_told_apart() -> None:
    target = parse_url("ssh://ops@h")
    denied = diagnose(target, 255, ["ops@h: Permission denied (publickey)."])
    refused = diagnose(target, 255, ["ssh: connect to host h port 22: Connection refused"])
    host_key = diagnose(target, 255, ["Host key verification failed."])
    missing = diagnose(target, 127, ["bash: line 1: oakd: command not found"])
    no_daemon = diagnose(target, 3, ["oakd: no oakd daemon reachable at /run/oakd/oakd.sock"])
    old = diagnose(target, 2, ["oakd: error: argument COMMAND: invalid choice: 'dial-stdio'"])
    assert denied and "could not log in" in denied.message
    assert refused and "could not connect" in refused.message
    assert host_key and "host key" in host_key.message
    assert missing and "`oakd` is not installed there" in missing.message
    assert no_daemon and "no daemon answered there: no oakd daemon reachable" in no_daemon.message
    assert old and "upgrade oakd there" in old.message
    assert diagnose(target, 0, []) is None  # a clean end: the daemon hung up


def test_host_comes_from_the_option_then_oakd_host() -> None:
    args = argparse.Namespace(host=None, socket="/tmp/local.sock")
    assert daemon_target(args, batch=True, env={}) == Path("/tmp/local.sock")
    remote = daemon_target(args, batch=True, env={"OAKD_HOST": "ssh://h"})
    assert isinstance(remote, SshTransport) and remote.target.socket == "/tmp/local.sock"


def test_remotes_in_the_config_are_checked() -> None:
    config = parse_config('[[remote]]\nname = "plant-2"\nurl = "ssh://ops@10.2.0.5"\n')
    assert config.remote == [RemoteEntry("plant-2", "ssh://ops@10.2.0.5")]
    with pytest.raises(ConfigError, match=r"\[remote\[0\]\.url\] bad host"):
        parse_config('[[remote]]\nname = "a"\nurl = "10.2.0.5"\n')
    with pytest.raises(ConfigError, match=r"\[remote\[1\]\.name\]"):
        parse_config(
            '[[remote]]\nname = "a"\nurl = "ssh://h"\n[[remote]]\nname = "a"\nurl = "ssh://g"\n'
        )
