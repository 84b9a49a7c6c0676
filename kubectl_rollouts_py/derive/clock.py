"""When does a view's text change with the clock alone?

A live view shows ages (`45s`, `5m10s`, `3h`), scale-down delays counting down and a pause
countdown. Each of those texts is constant for a while: an age under 10 minutes changes every
second, one of an hour only every minute, one of three days every hour. `next_change` finds
the first moment any of them changes, so a live view redraws for the clock only when the
text would really differ, and not at all when nothing on it depends on the clock.
`reaged` then redoes just those texts on an existing view, without deriving it again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterator
from typing import Any, TypeVar

from kubectl_rollouts_py.derive import fields as f
from kubectl_rollouts_py.derive.humantime import age, seconds_between
from kubectl_rollouts_py.derive.rollout import countdown, scale_down_delay_text
from kubectl_rollouts_py.derive.views import (
    AnalysisRunDetailView,
    AnalysisRunView,
    ExperimentView,
    PodView,
    ReplicaSetView,
    RevisionView,
    RolloutView,
)

V = TypeVar("V")

_EPSILON = 0.001  # wake just after the boundary, not just before it
_MINUTE, _HOUR, _DAY = 60, 3600, 86400
_YEAR = 365 * _DAY


def age_changes_in(seconds: float) -> float:
    """Seconds until `human_duration` of an age of `seconds` (and growing) shows another text."""
    if seconds < 0:
        return (1.0 if seconds > -2 else -2.0) - seconds + _EPSILON
    if seconds < 10 * _MINUTE:
        step = 1
    elif seconds < 8 * _HOUR:
        step = _MINUTE
    elif seconds < 8 * _DAY:
        step = _HOUR
    elif seconds < 8 * _YEAR:
        step = _DAY
    else:
        step = _YEAR
    return (math.floor(seconds / step) + 1) * step - seconds + _EPSILON


def countdown_changes_in(seconds: float) -> float | None:
    """Seconds until `human_duration` of a remaining time of `seconds` (and shrinking) shows
    another text; the text becomes `passed` below zero and then stays (None)."""
    if seconds < 0:
        return None
    if seconds < 10 * _MINUTE:
        step = 1
    elif seconds < 8 * _HOUR:
        step = _MINUTE
    elif seconds < 8 * _DAY:
        step = _HOUR
    elif seconds < 8 * _YEAR:
        step = _DAY
    else:
        step = _YEAR
    return seconds - math.floor(seconds / step) * step + _EPSILON


def pause_changes_in(seconds: float) -> float | None:
    """Seconds until a pause countdown (whole seconds, rounded up) shows another text."""
    if seconds <= 0:
        return None
    return seconds - (math.ceil(seconds) - 1) + _EPSILON


def _age_nodes(view: Any) -> Iterator[Any]:
    """Every part of a rollout, experiment or analysis run view that shows an age."""
    yield view
    for revision in getattr(view, "revisions", ()):
        yield from _children(revision)
    yield from _children(view)
    for run in getattr(view, "analysis", ()):
        yield run
        yield from _details(run)
    if isinstance(view, AnalysisRunDetailView):
        yield from _details(view)


def _details(run: AnalysisRunDetailView) -> Iterator[Any]:
    for metric in run.metrics:
        yield from metric.measurements


def _children(node: Any) -> Iterator[Any]:
    for rs in getattr(node, "replica_sets", ()):
        yield rs
        yield from rs.pods
    for experiment in getattr(node, "experiments", ()):
        yield experiment
        yield from _children(experiment)
    for run in getattr(node, "analysis_runs", ()):
        yield run
        yield from run.jobs


def _waits(view: Any, now: dt.datetime) -> Iterator[float | None]:
    since: set[dt.datetime] = set()
    deadlines: set[str] = set()
    for node in _age_nodes(view):
        moment = getattr(node, "created", None) or getattr(node, "started", None)  # the age's origin
        if isinstance(moment, dt.datetime):
            since.add(moment)
        deadline = getattr(node, "scale_down_deadline", None)
        if deadline:
            deadlines.add(deadline)
    for moment in since:  # pods made together share a timestamp: each counted once
        yield age_changes_in((now - moment).total_seconds())
    for raw in deadlines:
        parsed = f.parse_time(raw)
        if parsed is not None:
            yield countdown_changes_in((parsed - now).total_seconds())
    ends = getattr(view, "pause_ends_at", None)
    if isinstance(ends, dt.datetime):
        yield pause_changes_in((ends - now).total_seconds())


def next_change(view: Any, now: dt.datetime) -> dt.datetime | None:
    """The first moment after `now` at which the view built then would read differently
    because of the clock alone (an age, a delay or a countdown); None if never."""
    if not isinstance(view, (RolloutView, ExperimentView, AnalysisRunDetailView)):
        return None
    waits = [w for w in _waits(view, now) if w is not None]
    return now + dt.timedelta(seconds=min(waits)) if waits else None


# --------------------------------------------------------------------------- re-ageing a view


def _pod(pod: PodView, now: dt.datetime) -> PodView:
    return dataclasses.replace(pod, age=age(pod.created, now))


def _replica_set(rs: ReplicaSetView, now: dt.datetime) -> ReplicaSetView:
    return dataclasses.replace(rs, age=age(rs.created, now), scale_down_delay=scale_down_delay_text(rs.scale_down_deadline, now),
                               pods=tuple(_pod(p, now) for p in rs.pods))


def _run(run: AnalysisRunView, now: dt.datetime) -> AnalysisRunView:
    jobs = tuple(dataclasses.replace(j, age=age(j.started, now)) for j in run.jobs)
    return dataclasses.replace(run, age=age(run.created, now), jobs=jobs)


def _experiment(experiment: ExperimentView, now: dt.datetime) -> ExperimentView:
    return dataclasses.replace(experiment, age=age(experiment.created, now),
                               replica_sets=tuple(_replica_set(rs, now) for rs in experiment.replica_sets),
                               analysis_runs=tuple(_run(run, now) for run in experiment.analysis_runs))


def _detail(run: AnalysisRunDetailView, now: dt.datetime) -> AnalysisRunDetailView:
    metrics = tuple(
        dataclasses.replace(metric, measurements=tuple(
            dataclasses.replace(m, age=age(m.started, now) if m.started else "") for m in metric.measurements))
        for metric in run.metrics
    )
    return dataclasses.replace(run, age=age(run.created, now), metrics=metrics)


def _revision(revision: RevisionView, now: dt.datetime) -> RevisionView:
    return dataclasses.replace(revision, replica_sets=tuple(_replica_set(rs, now) for rs in revision.replica_sets),
                               experiments=tuple(_experiment(e, now) for e in revision.experiments),
                               analysis_runs=tuple(_run(run, now) for run in revision.analysis_runs))


def reaged(view: V, now: dt.datetime) -> V:
    """`view` (built from some objects at an earlier time) as building it from the same objects
    at `now` would give: every text that depends on the clock redone, nothing else.

    For live views that redraw for the clock while the cluster stands still; far cheaper than
    deriving again. A test checks `reaged(build(t0), t1) == build(t1)` on every scenario, so a
    new clock-dependent field in the views must be handled here too.
    """
    if isinstance(view, RolloutView):
        ends = view.pause_ends_at
        return dataclasses.replace(
            view, age=age(view.created, now), revisions=tuple(_revision(r, now) for r in view.revisions),
            pause_remaining=countdown(seconds_between(now, ends)) if ends else None,
            analysis=tuple(_detail(run, now) for run in view.analysis),
        )
    if isinstance(view, ExperimentView):
        return _experiment(view, now)  # type: ignore[return-value]
    if isinstance(view, AnalysisRunDetailView):
        return _detail(view, now)  # type: ignore[return-value]
    raise TypeError(f"cannot re-age a {type(view).__name__}")
