"""`list rollouts`, `list experiments` and the `status` lines."""

from __future__ import annotations

from collections.abc import Sequence

from kubectl_rollouts_py.derive.views import ExperimentRow, RolloutRow
from kubectl_rollouts_py.render.escape import clean, clean_bounded
from kubectl_rollouts_py.render.tabwriter import align

ROLLOUT_HEADER = ("NAME", "STRATEGY", "STATUS", "STEP", "SET-WEIGHT", "READY", "DESIRED", "UP-TO-DATE", "AVAILABLE")
EXPERIMENT_HEADER = ("NAME", "STATUS", "DURATION", "REMAINING", "AGE")


def rollout_cells(row: RolloutRow, *, all_namespaces: bool, timestamp: str | None) -> list[str]:
    """One row's cells, pre-padded with Argo's printf widths."""
    cells = [
        f"{clean(row.name):<10}",
        f"{row.strategy:<9}",
        f"{clean(row.status):<12}",
        f"{row.step:<4}",
        f"{row.set_weight:<10}",
        f"{row.ready:<5}",
        f"{row.desired:<7}",
        f"{row.updated:<10}",
        f"{row.available:<9}",
    ]
    if all_namespaces:
        cells.insert(0, f"{clean(row.namespace):<9}")
    if timestamp is not None:
        cells.insert(0, f"{timestamp:<20}")
    return cells


def rollout_header(*, all_namespaces: bool, timestamps: bool) -> list[str]:
    header = list(ROLLOUT_HEADER)
    if all_namespaces:
        header.insert(0, "NAMESPACE")
    if timestamps:
        header.insert(0, "TIMESTAMP")
    return header


def render_rollout_rows(rows: Sequence[RolloutRow], *, all_namespaces: bool = False, timestamp: str | None = None, header: bool = True) -> str:
    """The `list rollouts` table; `timestamp` (UTC, RFC 3339) adds the TIMESTAMP column."""
    table = [rollout_cells(r, all_namespaces=all_namespaces, timestamp=timestamp) for r in rows]
    if header:
        table.insert(0, rollout_header(all_namespaces=all_namespaces, timestamps=timestamp is not None))
    return "".join(line + "\n" for line in align(table))


def render_experiment_rows(rows: Sequence[ExperimentRow], *, all_namespaces: bool = False) -> str:
    table: list[list[str]] = [list(EXPERIMENT_HEADER)]
    if all_namespaces:
        table[0].insert(0, "NAMESPACE")
    for row in rows:
        cells = [
            f"{clean(row.name):<10}",
            f"{clean(row.status):<6}",
            f"{row.duration:<8}",
            f"{row.remaining:<9}",
            f"{row.age:<3}",
        ]
        if all_namespaces:
            cells.insert(0, f"{clean(row.namespace):<9}")
        table.append(cells)
    return "".join(line + "\n" for line in align(table))


def status_line(status: str, message: str, *, watching: bool) -> str:
    """`status` output. The Argo Rollouts kubectl plugin prints `<Status> - ` even with an empty message when
    not watching, and omits ` - ` while watching; kept as it is."""
    if not watching and status in ("Healthy", "Degraded"):
        return clean(status)
    if watching and not message:
        return clean(status)
    return f"{clean(status)} - {clean_bounded(message)}"
