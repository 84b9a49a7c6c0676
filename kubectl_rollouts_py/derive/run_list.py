"""Rows of `get analysisrun` without a NAME: the namespace's AnalysisRuns, one line each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from kubectl_rollouts_py.derive import fields as f
from kubectl_rollouts_py.derive.humantime import age
from kubectl_rollouts_py.derive.views import METRIC_PHASES, AnalysisRunRow


def _owner(run: dict[str, Any]) -> tuple[str, str]:
    """(kind, name) of the run's controller owner, else of its first owner; ("", "") if none."""
    refs = [ref for ref in f.seq(run, "metadata", "ownerReferences") if isinstance(ref, dict)]
    chosen = next((ref for ref in refs if ref.get("controller") is True), refs[0] if refs else None)
    if chosen is None:
        return "", ""
    return f.text(chosen.get("kind")), f.text(chosen.get("name"))


def _metric_phases(run: dict[str, Any]) -> tuple[tuple[str, int], ...]:
    """How many of the run's metrics are in each phase. A metric of the spec with no result
    yet is Pending; a result whose metric left the spec still counts; an unknown phase
    counts as Pending too, rather than vanishing from the total."""
    results = {f.text(r.get("name")): f.text(r.get("phase")) for r in f.seq(run, "status", "metricResults") if isinstance(r, dict)}
    names = [f.text(m.get("name")) for m in f.seq(run, "spec", "metrics") if isinstance(m, dict)]
    names += [name for name in results if name not in names]
    counts = dict.fromkeys(METRIC_PHASES, 0)
    for name in names:
        phase = results.get(name) or "Pending"
        counts[phase if phase in counts else "Pending"] += 1
    return tuple(counts.items())


def build_run_row(run: dict[str, Any], now: dt.datetime) -> AnalysisRunRow:
    kind, owner = _owner(run)
    created = f.created_of(run)
    return AnalysisRunRow(
        namespace=f.namespace_of(run),
        name=f.name_of(run),
        status=f.text(f.mapping(run, "status").get("phase")),
        rollout=owner if kind == "Rollout" else "",
        owner_kind=kind,
        owner_name=owner,
        revision=f.revision_of(run),
        metrics=_metric_phases(run),
        age=age(created, now),
        created=created,
    )


def build_run_rows(runs: Iterable[Any], now: dt.datetime) -> list[AnalysisRunRow]:
    """The rows of `runs` (objects that are not mappings are left out), by namespace and name
    as kubectl lists them."""
    rows = [build_run_row(run, now) for run in runs if isinstance(run, dict)]
    return sorted(rows, key=lambda row: (row.namespace, row.name))
