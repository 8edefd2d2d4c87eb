"""`oakd demo`: three emulated cameras, a daemon and the TUI on a sample project."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from oakd.cli.commands import Commands, add_command
from oakd.cli.common import EXIT_FAILED, EXIT_OK, fail

if TYPE_CHECKING:
    from oakd.demo.ending import Ending


def register(sub: Commands[argparse.ArgumentParser]) -> None:
    """Add `oakd demo`."""
    p = add_command(
        sub,
        "demo",
        description="Everything runs in a private loopback-only network namespace and stops "
        "when you quit the TUI.",
    )
    p.add_argument(
        "--dir",
        metavar="DIR",
        default=str(Path.home() / "oakd-demo"),
        help="where the sample project goes (default ~/oakd-demo; edits are kept)",
    )
    p.add_argument("--cameras", type=int, default=3, help="how many emulated cameras (default 3)")
    p.add_argument(
        "--write-speed",
        type=float,
        default=5e5,
        metavar="BYTES_PER_S",
        help="emulated flash write speed (default 5e5, a real camera's NOR flash)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo until the TUI quits, a signal ends it or its terminal goes away."""
    # First, while this process has one thread: nothing the demo does may reach a real network.
    from oakd.netns import enter_private_netns

    why = enter_private_netns()
    if why:
        return fail(
            "oakd demo runs its cameras and daemon in a private network namespace, so that "
            f"they cannot reach your network or your real cameras, and none could be made: {why}. "
            "Allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1) "
            "or run it as root.",
            EXIT_FAILED,
        )
    from oakd.demo import Demo, DemoOptions, copy_sample
    from oakd.demo.ending import Ended, Ending

    project = Path(args.dir).expanduser().resolve()
    fresh = copy_sample(project)
    demo = Demo(DemoOptions(project=project, cameras=args.cameras, write_speed=args.write_speed))
    ending = Ending(demo.stop)
    ending.install()
    code = EXIT_OK
    try:
        for stale in demo.removed_stale:
            say(f"removed {stale}, left by a demo that was killed")
        say(f"{'copied the sample project to' if fresh else 'using'} {project}")
        say(f"starting {args.cameras} emulated cameras and a daemon ...")
        demo.start()
        say(f"the daemon's socket is {demo.socket}; for the CLI in another terminal:")
        say(f"    export OAKD_SOCKET={demo.socket}", prefix="")
        say(
            "the emulated cameras run the pipeline's Script nodes (no sensor, no neural "
            "network): the sample's web page on port 8080 answers inside the demo only; "
            "press l on a camera for what its app logs."
        )
        say(f"edit {project / 'pipeline.py'} and save: the cameras re-flash.")
        run_tui(demo.socket, ending)
    except RuntimeError as exc:
        code = fail(str(exc), EXIT_FAILED)
    except Ended as ended:
        code = 128 + ended.signum
    finally:
        ending.stopping()
        say("stopping the cameras and the daemon ...")
        demo.stop()
    say(f"stopped: the cameras and the daemon ({demo.socket}) are gone.")
    say(f"your project stays in {project}.")
    return code


def run_tui(socket: Path, ending: Ending) -> None:
    """The TUI on the demo's socket, with the socket in its status line."""
    from oakd.demo.status import show_socket
    from tui.app import make_app

    app = make_app(socket_path=socket)
    show_socket(app)
    with ending.tui(app) as loop:
        app.run(loop=loop)


def say(line: str, prefix: str = "oakd demo: ") -> None:
    """A line on the terminal, if there still is one (closed, it fails with EIO)."""
    with contextlib.suppress(OSError):
        print(prefix + line, flush=True)
