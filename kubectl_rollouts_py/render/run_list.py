"""`get analysisrun` without a NAME: the namespace's AnalysisRuns as a kubectl-style table."""

from __future__ import annotations

from collections.abc import Sequence

from kubectl_rollouts_py.derive.views import AnalysisRunRow
from kubectl_rollouts_py.render.escape import clean
from kubectl_rollouts_py.render.tabwriter import align

RUN_HEADER = ("NAME", "STATUS", "ROLLOUT", "REVISION", "METRICS", "AGE")
KUBECTL_PADDING = 3  # kubectl's tables: three spaces between columns


def metrics_cell(row: AnalysisRunRow) -> str:
    """How many metrics are in each phase, non-empty phases only: `2 successful, 1 failed`;
    `-` for a run without metrics."""
    parts = [f"{count} {phase.lower()}" for phase, count in row.metrics if count]
    return ", ".join(parts) or "-"


def render_run_rows(rows: Sequence[AnalysisRunRow], *, all_namespaces: bool = False) -> str:
    """The table, header first; `all_namespaces` adds a NAMESPACE column in front."""
    table: list[list[str]] = [list(RUN_HEADER)]
    for row in rows:
        table.append([
            clean(row.name),
            clean(row.status) or "-",
            clean(row.rollout) or "-",
            str(row.revision) if row.revision else "-",
            metrics_cell(row),
            row.age,
        ])
    if all_namespaces:
        table[0].insert(0, "NAMESPACE")
        for cells, row in zip(table[1:], rows):
            cells.insert(0, clean(row.namespace))
    return "".join(line + "\n" for line in align(table, padding=KUBECTL_PADDING))
