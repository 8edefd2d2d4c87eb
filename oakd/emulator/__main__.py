"""`python -m oakd.emulator ...` is `oakd emulate ...` without loading the rest of oakd."""

import argparse
import sys

from oakd.emulator.cli import add_arguments, run

parser = argparse.ArgumentParser(prog="python -m oakd.emulator", description=run.__doc__)
add_arguments(parser)
sys.exit(run(parser.parse_args()))
