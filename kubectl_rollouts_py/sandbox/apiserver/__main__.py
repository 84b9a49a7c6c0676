"""`python -m kubectl_rollouts_py.sandbox.apiserver`: the standalone server (see standalone.main)."""

import sys

from .standalone import main

sys.exit(main())
