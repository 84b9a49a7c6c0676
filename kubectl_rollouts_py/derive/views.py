"""View models: what `get`, `list` and `status` show, as frozen values.

Statuses are kept as the strings the Argo Rollouts kubectl plugin shows (`Healthy`, `ScaledDown`, a Pod's
`ImagePullBackOff`, an AnalysisRun's phase verbatim), because a Pod reason or a phase from
a newer controller can be any string and must still be shown as it is.

`to_dict()` methods give the documented, stable machine-readable schema of `-o json|yaml`
(docs/output.md): timestamps instead of ages, so the output does not
change with the clock.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import field
from typing import Any

from kubectl_rollouts_py._frozen import frozen
from kubectl_rollouts_py.derive.fields import rfc3339

SCHEMA_VERSION = "rollouts-py.argoproj.io/v1"


@frozen
class ImageView:
    image: str
    tags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"image": self.image, "tags": list(self.tags)}


@frozen
class PodView:
    name: str
    status: str
    ready: int
    total: int
    restarts: int
    created: dt.datetime
    age: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "ready": f"{self.ready}/{self.total}",
            "restarts": self.restarts,
            "creationTimestamp": rfc3339(self.created),
        }


@frozen
class ReplicaSetView:
    name: str
    revision: int
    status: str
    tags: tuple[str, ...]  # role tags in Argo's order: stable, canary|active|preview, ping, pong
    scale_down_delay: str | None  # None: no deadline annotation; "" unparsable; "passed"; or a duration
    scale_down_deadline: str | None  # the annotation as written (RFC 3339), for machine output
    replicas: int | None  # spec.replicas
    current: int  # status.replicas
    available: int
    images: tuple[str, ...]
    template_name: str  # experiment template (annotation), "" if none
    created: dt.datetime
    age: str
    pods: tuple[PodView, ...] = ()

    @property
    def info_tags(self) -> tuple[str, ...]:
        """The INFO cell's items: role tags, then `delay:…` if a deadline is set."""
        if self.scale_down_delay is None:
            return self.tags
        return self.tags + (f"delay:{self.scale_down_delay}",)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "revision": self.revision,
            "status": self.status,
            "tags": list(self.tags),
            "scaleDownDeadline": self.scale_down_deadline,
            "replicas": self.replicas,
            "current": self.current,
            "available": self.available,
            "images": list(self.images),
            "creationTimestamp": rfc3339(self.created),
            "pods": [p.to_dict() for p in self.pods],
        }


@frozen
class JobView:
    name: str
    namespace: str
    status: str  # the measurement phase
    started: dt.datetime
    age: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "namespace": self.namespace, "status": self.status, "startedAt": rfc3339(self.started)}


@frozen
class AnalysisRunView:
    name: str
    revision: int
    status: str  # status.phase verbatim, may be ""
    successful: int
    failed: int
    inconclusive: int
    error: int
    jobs: tuple[JobView, ...]
    created: dt.datetime
    age: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "revision": self.revision,
            "status": self.status,
            "counts": {
                "successful": self.successful,
                "failed": self.failed,
                "inconclusive": self.inconclusive,
                "error": self.error,
            },
            "jobs": [j.to_dict() for j in self.jobs],
            "creationTimestamp": rfc3339(self.created),
        }


@frozen
class ExperimentView:
    name: str
    namespace: str
    revision: int
    status: str
    message: str
    replica_sets: tuple[ReplicaSetView, ...]
    analysis_runs: tuple[AnalysisRunView, ...]
    images: tuple[ImageView, ...]
    created: dt.datetime
    age: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "ExperimentView",
            "apiVersion": SCHEMA_VERSION,
            "name": self.name,
            "namespace": self.namespace,
            "revision": self.revision,
            "status": self.status,
            "message": self.message,
            "images": [i.to_dict() for i in self.images],
            "replicaSets": [r.to_dict() for r in self.replica_sets],
            "analysisRuns": [a.to_dict() for a in self.analysis_runs],
            "creationTimestamp": rfc3339(self.created),
        }


@frozen
class RevisionView:
    revision: int
    replica_sets: tuple[ReplicaSetView, ...]
    experiments: tuple[ExperimentView, ...]
    analysis_runs: tuple[AnalysisRunView, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "replicaSets": [r.to_dict() for r in self.replica_sets],
            "experiments": [e.to_dict() for e in self.experiments],
            "analysisRuns": [a.to_dict() for a in self.analysis_runs],
        }


@frozen
class Replicas:
    desired: int
    current: int
    updated: int
    ready: int
    available: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "desired": self.desired,
            "current": self.current,
            "updated": self.updated,
            "ready": self.ready,
            "available": self.available,
        }


@frozen
class RolloutView:
    name: str
    namespace: str
    status: str
    message: str
    strategy: str  # "Canary", "BlueGreen" or ""
    step: str  # "1/3", or "" when there is no step index or no steps (canary only)
    set_weight: str  # canary only, "" otherwise
    actual_weight: str  # canary only, "" otherwise
    images: tuple[ImageView, ...]
    replicas: Replicas
    revisions: tuple[RevisionView, ...]
    created: dt.datetime
    age: str
    current_step_index: int | None = None
    total_steps: int | None = None
    # A timed pause (canary pause step with a duration, blue-green auto-promotion): when it
    # ends, and how long is left at `now` ("2m13s", "0s" once over). Not in to_dict(): machine
    # output does not change with the clock.
    pause_ends_at: dt.datetime | None = None
    pause_remaining: str | None = None
    # The AnalysisRuns `--analysis` asks for (derive.analysis.attach_analysis), shown as a
    # table under the tree; empty with --analysis=none.
    analysis: tuple[AnalysisRunDetailView, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        canary = self.strategy == "Canary"
        return {
            "kind": "RolloutView",
            "apiVersion": SCHEMA_VERSION,
            "name": self.name,
            "namespace": self.namespace,
            "status": self.status,
            "message": self.message,
            "strategy": self.strategy,
            "step": self.step or None,
            "currentStepIndex": self.current_step_index,
            "totalSteps": self.total_steps,
            "setWeight": int(self.set_weight) if canary and self.set_weight.lstrip("-").isdigit() else None,
            "actualWeight": int(self.actual_weight) if canary and self.actual_weight.lstrip("-").isdigit() else None,
            "images": [i.to_dict() for i in self.images],
            "replicas": self.replicas.to_dict(),
            "revisions": [r.to_dict() for r in self.revisions],
            "analysis": [a.to_dict() for a in self.analysis],
            "creationTimestamp": rfc3339(self.created),
        }


@frozen
class RolloutRow:
    """One line of `list rollouts`."""

    namespace: str
    name: str
    strategy: str  # Canary, BlueGreen or unknown
    status: str
    step: str  # "-" when not applicable
    set_weight: str  # "-" when not applicable
    ready: str  # "ready/current"
    desired: int
    updated: int
    available: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "name": self.name,
            "strategy": self.strategy,
            "status": self.status,
            "step": None if self.step == "-" else self.step,
            "setWeight": int(self.set_weight) if self.set_weight.lstrip("-").isdigit() else None,
            "ready": self.ready,
            "desired": self.desired,
            "upToDate": self.updated,
            "available": self.available,
        }


@frozen
class ExperimentRow:
    """One line of `list experiments`."""

    namespace: str
    name: str
    status: str
    duration: str
    remaining: str
    age: str
    created: dt.datetime = field(compare=False, default=dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc))

    def to_dict(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "name": self.name,
            "status": self.status,
            "duration": None if self.duration == "-" else self.duration,
            "remaining": None if self.remaining == "-" else self.remaining,
            "creationTimestamp": rfc3339(self.created),
        }


# The metric phases an AnalysisRunRow counts, in the order its METRICS column names them.
METRIC_PHASES = ("Successful", "Failed", "Error", "Inconclusive", "Running", "Pending")


@frozen
class AnalysisRunRow:
    """One line of `get analysisrun` without a NAME (the namespace's runs)."""

    namespace: str
    name: str
    status: str  # the run's phase as written ("" before the controller set one)
    rollout: str  # the Rollout that owns it ("" for runs of an experiment, or created by hand)
    owner_kind: str  # the kind of its controller owner ("Rollout", "Experiment", "" if none)
    owner_name: str
    revision: int  # 0 without the rollout.argoproj.io/revision annotation
    metrics: tuple[tuple[str, int], ...]  # (phase, how many metrics are in it), METRIC_PHASES order, all phases
    age: str
    created: dt.datetime = field(compare=False, default=dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc))

    def to_dict(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "name": self.name,
            "status": self.status,
            "owner": {"kind": self.owner_kind, "name": self.owner_name} if self.owner_kind else None,
            "rollout": self.rollout or None,
            "revision": self.revision or None,
            "metrics": {"total": sum(n for _, n in self.metrics), **{phase[0].lower() + phase[1:]: n for phase, n in self.metrics}},
            "creationTimestamp": rfc3339(self.created),
        }


@frozen
class MeasurementView:
    phase: str
    value: str
    started: dt.datetime | None
    finished: dt.datetime | None
    message: str
    age: str  # since it started

    def to_dict(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "value": self.value,
            "startedAt": rfc3339(self.started),
            "finishedAt": rfc3339(self.finished),
            "message": self.message,
        }


@frozen
class TrendScale:
    """The values a metric's trend spans, bottom to top (derive.trend chooses it from the
    metric's conditions and values, so that a steady metric draws flat)."""

    low: float
    high: float
    thresholds: tuple[float, ...] = ()  # the constants the conditions compare the value with

    def to_dict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "thresholds": list(self.thresholds)}


@frozen
class MetricView:
    """One metric of an AnalysisRun: its spec's conditions and limits, and its results."""

    name: str
    phase: str
    message: str
    success_condition: str
    failure_condition: str
    query: str  # the resolved Prometheus query when the run recorded it, else the spec's
    interval: str
    count: int  # measurements counted (successful + failed + inconclusive)
    successful: int
    failed: int
    failure_limit: int  # -1: failures never fail the metric
    inconclusive: int
    inconclusive_limit: int
    error: int
    consecutive_error: int
    consecutive_error_limit: int
    dry_run: bool
    measurements: tuple[MeasurementView, ...]  # newest first
    values: tuple[float, ...]  # numeric measurement values, oldest first (for a sparkline)
    trend: TrendScale | None = None  # the sparkline's scale (None: from 0 to the values' extremes)

    @property
    def latest_value(self) -> str:
        return self.measurements[0].value if self.measurements else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "phase": self.phase,
            "message": self.message,
            "successCondition": self.success_condition,
            "failureCondition": self.failure_condition,
            "query": self.query,
            "interval": self.interval,
            "dryRun": self.dry_run,
            "counts": {
                "count": self.count,
                "successful": self.successful,
                "failed": self.failed,
                "inconclusive": self.inconclusive,
                "error": self.error,
                "consecutiveError": self.consecutive_error,
            },
            "limits": {
                "failureLimit": self.failure_limit,
                "inconclusiveLimit": self.inconclusive_limit,
                "consecutiveErrorLimit": self.consecutive_error_limit,
            },
            "measurements": [m.to_dict() for m in self.measurements],
        }


@frozen
class AnalysisRunDetailView:
    """What `get analysisrun` shows, and the rollout view's analysis table is made of."""

    name: str
    namespace: str
    revision: int
    phase: str
    message: str
    args: tuple[tuple[str, str], ...]  # (name, shown value); secrets are never shown
    metrics: tuple[MetricView, ...]
    started: dt.datetime | None
    created: dt.datetime
    age: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "AnalysisRunView",
            "apiVersion": SCHEMA_VERSION,
            "name": self.name,
            "namespace": self.namespace,
            "revision": self.revision,
            "phase": self.phase,
            "message": self.message,
            "args": [{"name": n, "value": v} for n, v in self.args],
            "metrics": [m.to_dict() for m in self.metrics],
            "startedAt": rfc3339(self.started),
            "creationTimestamp": rfc3339(self.created),
        }


def numeric_values(value: str) -> list[float]:
    """The finite numbers in a measurement value (`0.99`, `[0.99, 0.97]`); NaN and text are
    skipped. Here, beside the views, so that render/ (the report's charts) reads numbers as
    derive/ (the trend) does."""
    numbers = []
    for part in value.strip().strip("[]").split(","):
        try:
            number = float(part)
        except ValueError:
            continue
        if math.isfinite(number):
            numbers.append(number)
    return numbers
