"""`python -m oakd` is the same as the `oakd` console script."""

import sys

from oakd.cli import main

sys.exit(main())
