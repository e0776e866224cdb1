"""`python3 -m deploy.local.stack up|down|status|env`, run from the repository root."""

import sys

from .cli import main

sys.exit(main())
