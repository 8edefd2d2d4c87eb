"""Every `oakd` command: its name, its one line of help, and the module that adds its parser.

The one list `oakd --help` reads. It imports nothing, so that `oakd --help` and the first
pass of every command line load no command's module; `oakd.cli.main` then imports the one
module of the command that runs (each module's `register` adds its commands with
`add_command`, which takes the help from here).
"""

from __future__ import annotations

import argparse

# name -> (module, help), in the order of `oakd --help`.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": (
        "oakd.cli.demo_cmd",
        "try oakd without a camera: emulated cameras, a daemon and the TUI",
    ),
    "daemon": ("oakd.cli.daemon_cmd", "run the daemon in the foreground (logs to stderr)"),
    "daemons": (
        "oakd.cli.daemons_cmd",
        "the oakd daemons announced on the LAN (mDNS), with the --host URL for each",
    ),
    "status": ("oakd.cli.status_cmd", "the daemon's version, uptime and counts"),
    "devices": ("oakd.cli.query", "the cameras the daemon has seen"),
    "jobs": ("oakd.cli.query", "queued, running and recent jobs"),
    "inspect": (
        "oakd.cli.device_cmds",
        "read a camera's bootloader, memory, app and network config",
    ),
    "flash": ("oakd.cli.device_cmds", "flash a package (.dap) or a project to cameras"),
    "cancel": ("oakd.cli.device_cmds", "cancel a queued job"),
    "reset": (
        "oakd.cli.device_cmds",
        "factory reset: rewrite the bootloader, erase app and config",
    ),
    "clear": (
        "oakd.cli.device_cmds",
        "erase the flashed app (--config: the network config instead)",
    ),
    "bootloader-update": (
        "oakd.cli.device_cmds",
        "flash the bootloader embedded in this depthai",
    ),
    "netconfig": ("oakd.cli.device_cmds", "write a camera's network config"),
    "watch": ("oakd.cli.project_cmds", "flash a project to cameras whenever its code changes"),
    "unwatch": ("oakd.cli.project_cmds", "stop watching a project"),
    "projects": ("oakd.cli.project_cmds", "the watched projects and their last build"),
    "builds": (
        "oakd.cli.project_cmds",
        "a project's last good builds: when, app, size, what changed",
    ),
    "rollback": (
        "oakd.cli.project_cmds",
        "flash a camera the build before the one it runs (of its project)",
    ),
    "events": (
        "oakd.cli.events_cmd",
        "stream what the daemon does as it happens: builds, flashes, cameras, its log",
    ),
    "logs": ("oakd.cli.logs_cmd", "what a camera's app reported: boots, log lines, crashes"),
    "build": (
        "oakd.cli.build_cmd",
        "build a pipeline project into an application package (.dap); no daemon needed",
    ),
    "service": (
        "oakd.cli.service_cmd",
        "install or remove the systemd units for this installation",
    ),
    "emulate": ("oakd.emulator.cli", "run emulated OAK PoE cameras"),
    "tui": (
        "oakd.cli.tui_cmd",
        "the keyboard-driven terminal UI: cameras, jobs, projects and log, live",
    ),
    "dial-stdio": (
        "oakd.cli.dial_cmd",
        "join stdin/stdout to the daemon's socket (what `--host ssh://...` runs there)",
    ),
}


def command_modules() -> list[str]:
    """The modules that add commands, each once, in the order of COMMANDS."""
    return list(dict.fromkeys(module for module, _ in COMMANDS.values()))


Commands = argparse._SubParsersAction  # what add_subparsers returns


def add_command(
    sub: Commands[argparse.ArgumentParser],
    name: str,
    description: str | None = None,
    formatter_class: type[argparse.HelpFormatter] = argparse.HelpFormatter,
) -> argparse.ArgumentParser:
    """Add command `name`'s parser to `sub`, with its help from COMMANDS."""
    return sub.add_parser(
        name, help=COMMANDS[name][1], description=description, formatter_class=formatter_class
    )
