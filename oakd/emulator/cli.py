"""`oakd emulate`: run emulated cameras on loopback addresses.

Prints one line per camera, `MXID ADDRESS`, once every camera answers discovery. Then reads
control commands on stdin, one per line (see control.py: `fault 0 drop-link=0.5`, `clear 0`,
`status`, `power-cycle 0`, `quit`), answering each with one line on stdout. Logs go to stderr
or `--log-file`. Stops on `quit`, SIGINT or SIGTERM; with `--exit-with-stdin` also when stdin
closes (how `Fleet` makes sure its child dies with the test process).
"""

from __future__ import annotations

import argparse
import faulthandler
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from oakd.cli.commands import Commands, add_command
from oakd.emulator import flash as fl
from oakd.emulator.identity import DEFAULT_FIRST_IP
from oakd.emulator.settings import DEFAULTS

if TYPE_CHECKING:
    from oakd.emulator.control import Controller

EXIT_OK = 0
EXIT_ERROR = 1


def default_state_dir() -> Path:
    """$XDG_STATE_HOME/oakd/emulator, or ~/.local/state/oakd/emulator."""
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "oakd" / "emulator"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of `oakd emulate` (also `python -m oakd.emulator`)."""
    p.add_argument("--count", type=int, default=1, help="number of cameras (default 1)")
    p.add_argument(
        "--first-ip", default=DEFAULT_FIRST_IP, help="loopback address of camera 0 (127.0.0.2)"
    )
    p.add_argument(
        "--state-dir",
        default=str(default_state_dir()),
        help="where <MXID>.flash files live (default $XDG_STATE_HOME/oakd/emulator)",
    )
    p.add_argument(
        "--bootloader-version",
        default=DEFAULTS.bootloader_version,
        help="bootloader a new flash file gets (existing files keep theirs)",
    )
    p.add_argument(
        "--embedded-bootloader-version",
        default=DEFAULTS.embedded_version,
        help="version of booted/flashed images whose version cannot be read (depthai 2.33's own)",
    )
    p.add_argument("--flash-size", type=fl.parse_size, default=DEFAULTS.flash_size)
    p.add_argument(
        "--write-speed",
        type=float,
        default=DEFAULTS.write_speed,
        help="erase+program speed in bytes/s (default %(default)s, a real NOR flash; 0 = instant)",
    )
    p.add_argument(
        "--erase-sector",
        type=fl.parse_size,
        default=DEFAULTS.erase_sector,
        help="a write erases the whole sectors it touches, of this size: 64KiB, 4KiB, or 0 "
        "(only the bytes written); default %(default)s bytes",
    )
    p.add_argument(
        "--read-speed",
        type=float,
        default=DEFAULTS.read_speed,
        help="flash read speed in bytes/s (default %(default)s; 0 = instant)",
    )
    p.add_argument(
        "--reboot-s", type=float, default=DEFAULTS.reboot_s, help="seconds a reboot stays silent"
    )
    p.add_argument(
        "--watchdog-s",
        type=float,
        default=DEFAULTS.watchdog_s,
        help="drop a host whose watchdog pings stop",
    )
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="CAM:SPEC",
        help="inject a fault at start, e.g. 0:drop-link=0.5, 1:silent, 2:booted, "
        "3:bootloader-version=0.0.26, 4:fail-flash=MESSAGE (CAM: index or MX ID)",
    )
    p.add_argument("--log-file", help="log here instead of stderr")
    p.add_argument("--log-level", default="INFO", help="DEBUG, INFO (default), WARNING")
    p.add_argument(
        "--exit-with-stdin", action="store_true", help="exit when stdin reaches end of file"
    )


def register(sub: Commands[argparse.ArgumentParser]) -> None:
    """Add `oakd emulate` to the command line."""
    p: argparse.ArgumentParser = add_command(
        sub,
        "emulate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the emulator until `quit`, a signal, or (with --exit-with-stdin) end of stdin."""
    # Here, not at the top: every `oakd` command builds the parser that holds this module.
    from oakd.emulator.control import CommandError, Controller, apply_fault_arg
    from oakd.emulator.fleet import LocalFleet

    _configure_logging(args.log_file, args.log_level)
    try:
        fleet = LocalFleet(
            count=args.count,
            first_ip=args.first_ip,
            state_dir=args.state_dir,
            bootloader_version=args.bootloader_version,
            flash_size=args.flash_size,
            write_speed=args.write_speed,
            erase_sector=args.erase_sector,
            read_speed=args.read_speed,
            reboot_s=args.reboot_s,
            embedded_bootloader_version=args.embedded_bootloader_version,
            watchdog_s=args.watchdog_s,
        )
    except (OSError, ValueError) as exc:
        print(f"oakd emulate: {exc}", file=sys.stderr)
        return EXIT_ERROR
    try:
        for arg in args.fault:
            apply_fault_arg(fleet.cameras, arg)
        fleet.start()
    except (OSError, CommandError) as exc:
        fleet.stop()
        print(f"oakd emulate: {exc}", file=sys.stderr)
        return EXIT_ERROR
    # SIGUSR1 writes every thread's stack to stderr (the Fleet's log): what a stuck camera does.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        for camera in fleet.cameras:
            print(f"{camera.mxid} {camera.address}", flush=True)
        _serve_commands(Controller(fleet.cameras), args.exit_with_stdin)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        fleet.stop()
    return EXIT_OK


def _serve_commands(controller: Controller, exit_with_stdin: bool) -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        print(controller.execute(line), flush=True)
        if controller.quit_requested:
            return
    if not exit_with_stdin:
        # stdin is closed (e.g. /dev/null in the background): run until a signal.
        threading.Event().wait()


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _configure_logging(log_file: str | None, level: str) -> None:
    handler: logging.Handler = (
        logging.FileHandler(log_file) if log_file else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("oakd.emulator")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
