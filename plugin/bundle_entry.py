"""Entry point of the krew zipapp (copied into it as `kubectl_rollouts_py_bundle.py`).

One zipapp serves both executables kubectl looks for, chosen by the name it runs under:
`kubectl_complete-rollouts_py` (shell completion, kubectl 1.26+) or anything else, such as
`kubectl-rollouts_py` (the plugin). So a symlink named `kubectl_complete-rollouts_py` that
points at krew's own `kubectl-rollouts_py` link completes, and keeps working across
`kubectl krew upgrade`, which only re-points krew's link.

The zipapp runs on whatever `python3` is first on PATH; below the floor it says so in one
line instead of failing somewhere inside an import. Keep this file valid Python 3.6.
"""

import os
import sys

FLOOR = (3, 10)


def main() -> None:
    if sys.version_info < FLOOR:
        sys.stderr.write(
            "kubectl rollouts-py needs Python %d.%d or newer, not %d.%d (%s): put a newer python3 first on PATH\n"
            % (FLOOR + sys.version_info[:2] + (sys.executable,))
        )
        sys.exit(1)
    if os.path.basename(sys.argv[0]).startswith("kubectl_complete-"):
        from kubectl_rollouts_py.cli.completion import main as run
    else:
        from kubectl_rollouts_py.cli import main as run
    run()
