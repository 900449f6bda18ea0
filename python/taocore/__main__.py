"""``python -m taocore`` runs the command line."""

import sys

from taocore.cli import main

sys.exit(main())
