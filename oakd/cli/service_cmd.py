"""`oakd service install|uninstall [--user]`: put oakd under systemd, or take it off."""

from __future__ import annotations

import argparse
import os
import pwd
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from oakd.cli.commands import Commands, add_command
from oakd.cli.common import EXIT_FAILED, EXIT_OK, fail
from oakd.units import render

SYSTEM_UNIT_DIR = Path("/etc/systemd/system")


def register(sub: Commands[argparse.ArgumentParser]) -> None:
    """Add `oakd service`."""
    p: argparse.ArgumentParser = add_command(sub, "service")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    for action, text in (("install", "write and enable the units"), ("uninstall", "undo it")):
        a = actions.add_parser(action, help=text)
        a.add_argument("--user", action="store_true", help="a per-user service (systemctl --user)")
        a.add_argument(
            "--unit-dir",
            metavar="DIR",
            help="where the unit files go (default: "
            "/etc/systemd/system, or ~/.config/systemd/user with --user)",
        )
        a.add_argument(
            "--no-enable", action="store_true", help="only write or remove files; run no systemctl"
        )
        a.set_defaults(func=install if action == "install" else uninstall)


def exec_start() -> str:
    """The command that runs this very installation of oakd."""
    return shlex.join([sys.executable, "-m", "oakd"])


def _unit_dir(args: argparse.Namespace) -> Path:
    if args.unit_dir:
        return Path(args.unit_dir)
    if args.user:
        config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        return Path(config_home) / "systemd" / "user"
    return SYSTEM_UNIT_DIR


def _files(args: argparse.Namespace) -> dict[str, str]:
    """Installed name -> template name. The user unit is installed as oakd.service, so that
    `systemctl --user start oakd` works."""
    if args.user:
        return {"oakd.service": "oakd-user.service"}
    return {"oakd.service": "oakd.service", "oakd.socket": "oakd.socket"}


def _systemctl(args: argparse.Namespace, *words: str, check: bool = True) -> bool:
    command = ["systemctl", *(["--user"] if args.user else []), *words]
    print(f"running: {shlex.join(command)}")
    if shutil.which("systemctl") is None:
        raise RuntimeError("systemctl is not installed: is this a systemd machine?")
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0 and check:
        raise RuntimeError(f"{shlex.join(command)} failed: {result.stderr.strip()}")
    return result.returncode == 0


def _ensure_system_user() -> None:
    try:
        pwd.getpwnam("oakd")
        return
    except KeyError:
        pass
    command = [
        "useradd",
        "--system",
        "--user-group",
        "--no-create-home",
        "--home-dir",
        "/var/lib/oakd",
        "--shell",
        "/usr/sbin/nologin",
        "oakd",
    ]
    print(f"running: {shlex.join(command)}")
    subprocess.run(command, check=True)


def install(args: argparse.Namespace) -> int:
    """Write the units with this installation's ExecStart, then enable and start them."""
    system = not args.user
    if system and not args.no_enable and os.geteuid() != 0:
        return fail("the system service needs root: run `sudo oakd service install`, or use --user")
    start = exec_start()
    if system and sys.executable.startswith(("/root/", "/home/")):
        print(
            f"warning: {sys.executable} is in a home directory, which the system service's "
            "user `oakd` cannot read (ProtectHome); install oakd system-wide (for example "
            "`uv tool install` with UV_TOOL_DIR=/opt/oakd) or use --user",
            file=sys.stderr,
        )
    unit_dir = _unit_dir(args)
    try:
        unit_dir.mkdir(parents=True, exist_ok=True)
        for installed, template in _files(args).items():
            path = unit_dir / installed
            path.write_text(render(template, start))
            print(f"wrote {path}")
        print(f"ExecStart={start} daemon")
        if args.no_enable:
            print("not enabled (--no-enable)")
            return EXIT_OK
        if system:
            _ensure_system_user()
        _systemctl(args, "daemon-reload")
        units = [n for n in _files(args) if n.endswith(".socket")] + ["oakd.service"]
        _systemctl(args, "enable", "--now", *units)
    except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
        return fail(f"install failed: {exc}", EXIT_FAILED)
    scope = "--user " if args.user else ""
    print(f"oakd is running: `systemctl {scope}status oakd`, `journalctl {scope}-u oakd`")
    return EXIT_OK


def uninstall(args: argparse.Namespace) -> int:
    """Stop and disable the units and remove their files; state and cache stay."""
    unit_dir = _unit_dir(args)
    try:
        if not args.no_enable:
            units = [n for n in _files(args) if n.endswith(".socket")] + ["oakd.service"]
            _systemctl(args, "disable", "--now", *units, check=False)
        for installed in _files(args):
            path = unit_dir / installed
            if path.exists():
                path.unlink()
                print(f"removed {path}")
        if not args.no_enable:
            _systemctl(args, "daemon-reload")
    except (OSError, RuntimeError) as exc:
        return fail(f"uninstall failed: {exc}", EXIT_FAILED)
    print("the state and the package cache are kept; remove them by hand if you want")
    return EXIT_OK
