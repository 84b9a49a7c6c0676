"""AnalysisRun views and their tables: limits, measurement order, secrets, sparkline, scope."""

from __future__ import annotations

import datetime as dt

import pytest

from kubectl_rollouts_py.derive.analysis import build_analysis_run_view, runs_in_scope
from kubectl_rollouts_py.derive.views import numeric_values
from kubectl_rollouts_py.govalues import int_or_string
from kubectl_rollouts_py.render.analysis import render_run_detail, render_run_summary, sparkline

NOW = dt.datetime(2026, 11, 29, 12, 0, 0, tzinfo=dt.timezone.utc)


def run(**status):
    return {
        "metadata": {"name": "app-backend-6d8f9c7b5-2", "namespace": "ithome", "creationTimestamp": "2026-11-29T11:50:00Z",
                     "annotations": {"rollout.argoproj.io/revision": "2"}, "ownerReferences": [{"uid": "ro"}]},
        "spec": {
            "args": [{"name": "canary-hash", "value": "6d8f9c7b5"},
                     {"name": "api-token", "valueFrom": {"secretKeyRef": {"name": "prom", "key": "token"}}}],
            "metrics": [{"name": "success-rate", "interval": "1m", "failureLimit": "3", "consecutiveErrorLimit": 2,
                         "successCondition": "isNaN(result[0]) || result[0] >= 0.95",
                         "provider": {"prometheus": {"query": "sum(x{h=\"{{args.canary-hash}}\"})"}}},
                        {"name": "latency", "failureLimit": -1, "provider": {"prometheus": {"query": "y"}}}],
        },
        "status": status,
    }


MEASURED = dict(phase="Running", metricResults=[{
    "name": "success-rate", "phase": "Running", "count": 3, "successful": 2, "failed": 1, "error": 1, "consecutiveError": 1,
    "metadata": {"ResolvedPrometheusQuery": "sum(x{h=\"6d8f9c7b5\"})"},
    "measurements": [
        {"phase": "Successful", "value": "[0.99]", "startedAt": "2026-11-29T11:57:00Z", "finishedAt": "2026-11-29T11:57:01Z"},
        {"phase": "Failed", "value": "[0.5]", "startedAt": "2026-11-29T11:58:00Z", "finishedAt": "2026-11-29T11:58:01Z"},
        {"phase": "Error", "message": "Post \"http://prometheus:9090\": connection refused", "startedAt": "2026-11-29T11:59:00Z"},
        {"phase": "Successful", "value": "[NaN]", "startedAt": "2026-11-29T11:59:30Z"},
    ]}])


def test_metric_limits_and_counts_come_from_spec_and_status():
    view = build_analysis_run_view(run(**MEASURED), NOW)
    rate, latency = view.metrics
    assert (rate.failure_limit, rate.inconclusive_limit, rate.consecutive_error_limit) == (3, 0, 2)
    assert (rate.successful, rate.failed, rate.error, rate.consecutive_error) == (2, 1, 1, 1)
    assert rate.query == 'sum(x{h="6d8f9c7b5"})'  # the resolved query, not the template's
    assert (latency.phase, latency.failure_limit, latency.consecutive_error_limit, latency.query) == ("Pending", -1, 4, "y")
    assert [m.phase for m in rate.measurements] == ["Successful", "Error", "Failed", "Successful"]  # newest first
    assert rate.values == (0.99, 0.5)  # NaN and errors carry no number
    assert rate.measurements[1].age == "60s" and rate.measurements[0].age == "30s"


def test_secrets_are_named_never_shown():
    view = build_analysis_run_view(run(), NOW)
    assert view.args == (("canary-hash", "6d8f9c7b5"), ("api-token", "<secret prom/token>"))
    assert view.to_dict()["args"][1] == {"name": "api-token", "value": "<secret prom/token>"}


@pytest.mark.parametrize(("value", "default", "expected"), [(None, 4, 4), ("3", 0, 3), ("-1", 0, -1), ("x", 4, 0), (True, 4, 0), (2, 0, 2)])
def test_int_or_string(value, default, expected):
    assert int_or_string(value, default) == expected


def test_numeric_values():
    assert numeric_values("[0.99, 0.5]") == [0.99, 0.5]
    assert numeric_values("0.7") == [0.7]
    assert numeric_values("[NaN]") == [] and numeric_values("") == [] and numeric_values("[+Inf]") == []


def test_sparkline_without_a_scale_spans_from_zero_to_the_highest_value():
    assert sparkline([]) == ""
    assert sparkline([1, 1, 1]) == "███"
    assert sparkline([0, 0.5, 1]) == "▁▅█"
    assert len(sparkline(range(50))) == 20


def test_detail_rendering_shows_limits_conditions_and_measurements():
    text = render_run_detail(build_analysis_run_view(run(**MEASURED), NOW))
    lines = text.splitlines()
    assert lines[2] == "Status:          ◌ Running"
    assert lines[3:5] == ["Args:            canary-hash=6d8f9c7b5", "                 api-token=<secret prom/token>"]
    table = [line.split() for line in lines[6:9]]
    assert table[0] == ["METRIC", "STATUS", "VALUE", "SUCCESSFUL", "FAILED/LIMIT", "INCONCLUSIVE/LIMIT", "ERRORS", "TREND"]
    assert table[1] == ["success-rate", "◌", "Running", "[NaN]", "2", "1/3", "0/0", "1", "(1/2", "in", "a", "row)", "█▅"]  # 0.99 then 0.5 on 0..1
    assert table[2] == ["latency", "◷", "Pending", "-", "0", "0", "0/0", "0"]  # failureLimit -1: no limit to show
    assert "  success: isNaN(result[0]) || result[0] >= 0.95" in lines
    assert '  query: sum(x{h="6d8f9c7b5"})' in lines
    assert any("connection refused" in line and "Error" in line for line in lines)
    assert "no measurements yet" in text


def test_summary_is_empty_without_runs():
    assert render_run_summary([]) == ""


def test_scope_picks_the_current_revision():
    old = run()
    old["metadata"] = {**old["metadata"], "name": "r1", "annotations": {"rollout.argoproj.io/revision": "1"}}
    new = run()
    rollout = {"metadata": {"uid": "ro"}, "status": {"currentPodHash": "h2"}}
    rs = [{"metadata": {"labels": {"rollouts-pod-template-hash": "h2"}, "annotations": {"rollout.argoproj.io/revision": "2"},
                        "ownerReferences": [{"uid": "ro"}]}}]
    foreign = run()
    foreign["metadata"] = {**foreign["metadata"], "name": "foreign", "ownerReferences": [{"uid": "other"}]}
    runs = [old, new, foreign]
    assert [r["metadata"]["name"] for r in runs_in_scope(rollout, runs, "auto", rs)] == ["app-backend-6d8f9c7b5-2"]
    assert [r["metadata"]["name"] for r in runs_in_scope(rollout, runs, "all", rs)] == ["app-backend-6d8f9c7b5-2", "r1"]
    assert runs_in_scope(rollout, runs, "none", rs) == []
    assert [r["metadata"]["name"] for r in runs_in_scope({"metadata": {"uid": "ro"}, "status": {}}, runs, "auto", [])] == ["app-backend-6d8f9c7b5-2"]
