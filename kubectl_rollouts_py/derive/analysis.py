"""AnalysisRun views: per metric, its conditions, counts against limits and measurements."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from kubectl_rollouts_py.derive import fields as f
from kubectl_rollouts_py.derive.humantime import age
from kubectl_rollouts_py.derive.trend import trend_scale
from kubectl_rollouts_py.derive.views import AnalysisRunDetailView, MeasurementView, MetricView, RolloutView, numeric_values
from kubectl_rollouts_py.govalues import int_or_string

DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4  # Argo's default when the metric does not set one


def _arg_text(arg: dict[str, Any]) -> str:
    # Secrets are named, never read or shown.
    if "value" in arg:
        return f.text(arg.get("value"))
    source = f.mapping(arg, "valueFrom")
    secret = f.mapping(source, "secretKeyRef")
    if secret:
        return f"<secret {f.text(secret.get('name'))}/{f.text(secret.get('key'))}>"
    field = f.mapping(source, "fieldRef")
    if field:
        return f"<fieldRef {f.text(field.get('fieldPath'))}>"
    return "<unresolved>"


def _measurement(m: dict[str, Any], now: dt.datetime) -> MeasurementView:
    started = f.parse_time(m.get("startedAt"))
    return MeasurementView(
        phase=f.text(m.get("phase")),
        value=f.text(m.get("value")),
        started=started,
        finished=f.parse_time(m.get("finishedAt")),
        message=f.text(m.get("message")),
        age=age(started, now) if started else "",
    )


def _metric(spec: dict[str, Any], result: dict[str, Any], now: dt.datetime) -> MetricView:
    measurements = [m for m in f.seq(result, "measurements") if isinstance(m, dict)]
    prometheus = f.mapping(spec, "provider", "prometheus")
    resolved = f.text(f.mapping(result, "metadata").get("ResolvedPrometheusQuery"))
    values: list[float] = []
    for m in measurements:
        values.extend(numeric_values(f.text(m.get("value")))[:1])
    return MetricView(
        name=f.text(spec.get("name")) or f.text(result.get("name")),
        phase=f.text(result.get("phase")) or "Pending",
        message=f.text(result.get("message")),
        success_condition=f.text(spec.get("successCondition")),
        failure_condition=f.text(spec.get("failureCondition")),
        query=resolved or f.text(prometheus.get("query")),
        interval=f.text(spec.get("interval")),
        count=f.count(result.get("count")),
        successful=f.count(result.get("successful")),
        failed=f.count(result.get("failed")),
        failure_limit=int_or_string(spec.get("failureLimit"), 0),
        inconclusive=f.count(result.get("inconclusive")),
        inconclusive_limit=int_or_string(spec.get("inconclusiveLimit"), 0),
        error=f.count(result.get("error")),
        consecutive_error=f.count(result.get("consecutiveError")),
        consecutive_error_limit=int_or_string(spec.get("consecutiveErrorLimit"), DEFAULT_CONSECUTIVE_ERROR_LIMIT),
        dry_run=f.flag(result.get("dryRun")),
        measurements=tuple(_measurement(m, now) for m in reversed(measurements)),
        values=tuple(values),
        trend=trend_scale(values, f.text(spec.get("successCondition")), f.text(spec.get("failureCondition"))),
    )


def build_analysis_run_view(run: dict[str, Any], now: dt.datetime) -> AnalysisRunDetailView:
    """Every metric of the run spec (in spec order) joined with its result by name; metrics
    only present in the status (an older spec) follow."""
    results = {f.text(r.get("name")): r for r in f.seq(run, "status", "metricResults") if isinstance(r, dict)}
    specs = [m for m in f.seq(run, "spec", "metrics") if isinstance(m, dict)]
    names = [f.text(m.get("name")) for m in specs]
    metrics = [_metric(m, results.get(f.text(m.get("name")), {}), now) for m in specs]
    metrics += [_metric({}, r, now) for name, r in results.items() if name not in names]
    status = f.mapping(run, "status")
    created = f.created_of(run)
    return AnalysisRunDetailView(
        name=f.name_of(run),
        namespace=f.namespace_of(run),
        revision=f.revision_of(run),
        phase=f.text(status.get("phase")),
        message=f.text(status.get("message")),
        args=tuple((f.text(a.get("name")), _arg_text(a)) for a in f.seq(run, "spec", "args") if isinstance(a, dict)),
        metrics=tuple(metrics),
        started=f.parse_time(status.get("startedAt")),
        created=created,
        age=age(created, now),
    )


def runs_in_scope(rollout: dict[str, Any], runs: Iterable[dict[str, Any]], scope: str, replica_sets: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rollout's runs that `--analysis` asks for: `all`, or (`auto`) those of the current
    revision (the ReplicaSet of status.currentPodHash, else the newest revision); `none`: none."""
    uid = f.uid_of(rollout)
    owned = [r for r in runs if isinstance(r, dict) and f.owned_by(r, uid)]
    if scope == "none" or not owned:
        return []
    owned.sort(key=lambda r: (-f.revision_of(r), f.created_of(r), f.name_of(r)))
    if scope == "all":
        return owned
    current_hash = f.text(f.mapping(rollout, "status").get("currentPodHash"))
    revisions = [f.revision_of(rs) for rs in replica_sets
                 if f.owned_by(rs, uid) and current_hash and f.labels_of(rs).get(f.POD_TEMPLATE_HASH_LABEL) == current_hash]
    current = revisions[0] if revisions else max(f.revision_of(r) for r in owned)
    return [r for r in owned if f.revision_of(r) == current]


def attach_analysis(
    view: RolloutView,
    rollout: dict[str, Any],
    *,
    analysis_runs: Sequence[dict[str, Any]],
    replica_sets: Sequence[dict[str, Any]],
    scope: str,
    now: dt.datetime,
) -> RolloutView:
    """The rollout view with the detail views of the runs `scope` selects (see runs_in_scope)."""
    runs = runs_in_scope(rollout, analysis_runs, scope, replica_sets)
    return dataclasses.replace(view, analysis=tuple(build_analysis_run_view(run, now) for run in runs))
