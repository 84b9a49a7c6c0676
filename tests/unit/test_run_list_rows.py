"""derive.run_list and render.run_list: the rows of `get analysisrun` without a NAME, from
odd objects (no status, unknown phases, results of metrics gone from the spec, no owner)."""

from __future__ import annotations

import datetime as dt

from kubectl_rollouts_py.derive.run_list import build_run_row, build_run_rows
from kubectl_rollouts_py.render.run_list import metrics_cell, render_run_rows

NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.timezone.utc)


def _counts(row) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {phase: n for phase, n in row.metrics if n}


def test_metrics_of_the_spec_without_a_result_are_pending() -> None:
    run = {"metadata": {"name": "r"}, "spec": {"metrics": [{"name": "a"}, {"name": "b"}]},
           "status": {"metricResults": [{"name": "a", "phase": "Successful"}]}}
    row = build_run_row(run, NOW)
    assert _counts(row) == {"Successful": 1, "Pending": 1}
    assert metrics_cell(row) == "1 successful, 1 pending"


def test_a_result_whose_metric_left_the_spec_still_counts_and_an_unknown_phase_is_pending() -> None:
    run = {"metadata": {"name": "r"}, "spec": {"metrics": [{"name": "a"}]},
           "status": {"metricResults": [{"name": "a", "phase": "Sideways"}, {"name": "old", "phase": "Failed"}]}}
    assert _counts(build_run_row(run, NOW)) == {"Failed": 1, "Pending": 1}


def test_no_metrics_no_status_no_owner() -> None:
    row = build_run_row({"metadata": {"name": "bare", "namespace": "ns"}}, NOW)
    assert (row.status, row.rollout, row.owner_kind, row.revision, metrics_cell(row)) == ("", "", "", 0, "-")
    assert row.to_dict()["metrics"] == {"total": 0, "successful": 0, "failed": 0, "error": 0, "inconclusive": 0,
                                        "running": 0, "pending": 0}
    assert render_run_rows([row]).splitlines()[1].split() == ["bare", "-", "-", "-", "-", row.age]


def test_the_controller_owner_is_chosen_and_only_a_rollout_fills_the_rollout_column() -> None:
    refs = [{"kind": "Rollout", "name": "not-controller"}, {"kind": "Experiment", "name": "exp", "controller": True}]
    row = build_run_row({"metadata": {"name": "r", "ownerReferences": refs}}, NOW)
    assert (row.owner_kind, row.owner_name, row.rollout) == ("Experiment", "exp", "")


def test_rows_are_sorted_by_namespace_then_name_and_non_objects_are_left_out() -> None:
    runs = [{"metadata": {"name": "b", "namespace": "y"}}, "junk", {"metadata": {"name": "a", "namespace": "y"}},
            {"metadata": {"name": "z", "namespace": "x"}}]
    assert [(r.namespace, r.name) for r in build_run_rows(runs, NOW)] == [("x", "z"), ("y", "a"), ("y", "b")]
