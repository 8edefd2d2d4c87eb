"""`oakd emulate`: run emulated cameras on loopback addresses."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add `oakd emulate` to the command line."""
    p: argparse.ArgumentParser = sub.add_parser("emulate", help="run emulated OAK PoE cameras")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the emulator until interrupted."""
    raise NotImplementedError("the emulator is being built (issue 3)")
