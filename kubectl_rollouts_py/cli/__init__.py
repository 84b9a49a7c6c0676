"""The command line: click commands, global flags, and the one place errors become exit codes.

Only this package imports click. Commands parse, resolve, call kube/ -> derive/ -> render/
and write; they do not branch on object internals.

May not import: kubernetes (kube/ imports it lazily).
"""

from __future__ import annotations

import os
import sys


def _prog_name() -> str:
    # kubectl execs us as `kubectl-rollouts_py`; show usage the way users typed it.
    base = os.path.basename(sys.argv[0] or "")
    if base.startswith(("kubectl-", "kubectl_")) or not base or base == "__main__.py":
        return "kubectl rollouts-py"
    return base


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and exit with the documented code; never show a traceback."""
    from kubectl_rollouts_py.cli.errors import run

    sys.exit(run(argv, prog_name=_prog_name()))
