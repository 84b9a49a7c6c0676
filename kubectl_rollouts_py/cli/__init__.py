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


def fewer_collections() -> None:
    """Collect garbage less often than Python's default (every 700 net allocations).

    A command allocates a few hundred thousand long-lived objects while it imports its
    modules, and the default thresholds run dozens of collections over them for nothing
    (3-5 % of a short command). Young collections every 50,000 allocations still collect
    cycles in long-running commands (watch, dashboard, record)."""
    import gc

    gc.set_threshold(50_000, 10, 10)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and exit with the documented code; never show a traceback."""
    fewer_collections()
    from kubectl_rollouts_py.cli.errors import run

    sys.exit(run(argv, prog_name=_prog_name()))
