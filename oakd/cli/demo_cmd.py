"""`oakd demo`: three emulated cameras, a daemon and the TUI on a sample project."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from oakd.cli.common import EXIT_FAILED, EXIT_OK, fail


def register(sub: Any) -> None:
    """Add `oakd demo`."""
    p = sub.add_parser(
        "demo",
        help="try oakd without a camera: emulated cameras, a daemon and the TUI",
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
    """Run the demo until the TUI quits."""
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

    project = Path(args.dir).expanduser().resolve()
    fresh = copy_sample(project)
    demo = Demo(DemoOptions(project=project, cameras=args.cameras, write_speed=args.write_speed))
    print(f"oakd demo: {'copied the sample project to' if fresh else 'using'} {project}")
    print(f"oakd demo: starting {args.cameras} emulated cameras and a daemon ...")
    try:
        demo.start()
        print(f"oakd demo: edit {project / 'pipeline.py'} and save: the cameras re-flash.")
        from tui.app import make_app

        make_app(socket_path=demo.socket).run()
    except RuntimeError as exc:
        return fail(str(exc), EXIT_FAILED)
    except KeyboardInterrupt:
        pass
    finally:
        demo.stop()
    print(f"oakd demo: stopped. Your project stays in {project}.")
    return EXIT_OK
