"""A rollout's history: its revisions, newest first, and one revision in detail.

Pure: built from plain API dicts and `now`. The inputs are the rollout's versions (oldest
first, each with the time it was seen; a live cluster gives one version and no times),
ReplicaSets and AnalysisRuns (the last version of each; a recording also says when the
cluster deleted them). With several versions the timeline is exact to the recorder's eye:
when each revision became current, each step began, the abort came, the revision became
stable. With one version it is what the objects still say (creation times, the current
step).

How a revision ended:
  promoted     it became the stable revision
  aborted      the rollout was aborted while it was the canary (and not promoted since)
  rolled back  the rollout went back to an older pod template after it
  superseded   a newer revision replaced it before it was promoted or aborted
  current      it is the rollout's revision now, still in progress
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kubectl_rollouts_py.derive import fields as f
from kubectl_rollouts_py.derive.analysis import build_analysis_run_view
from kubectl_rollouts_py.derive.humantime import human_duration
from kubectl_rollouts_py.derive.rollout import current_step_index
from kubectl_rollouts_py.derive.steps import step_text, steps_of
from kubectl_rollouts_py.derive.views import SCHEMA_VERSION, AnalysisRunDetailView
from kubectl_rollouts_py.govalues import int_or_string

REVISION_HISTORY_ANNOTATION = "rollout.argoproj.io/revision-history"
PROMOTED, ABORTED, ROLLED_BACK, SUPERSEDED, CURRENT = "promoted", "aborted", "rolled back", "superseded", "current"

Version = tuple["dt.datetime | None", dict[str, Any]]


def _seconds(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    return (end - start).total_seconds() if start is not None and end is not None else None


def _duration_text(seconds: float | None) -> str:
    return human_duration(seconds) if seconds is not None else ""


@dataclass(frozen=True)
class StepRecord:
    """One canary step of a revision: what it did, the weight after it, when it ran."""

    index: int
    text: str
    weight: int | None  # the canary weight once this step is reached (None: no setWeight yet)
    state: str  # done, running, not reached
    started: dt.datetime | None = None
    ended: dt.datetime | None = None

    @property
    def seconds(self) -> float | None:
        return _seconds(self.started, self.ended)

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "step": self.text, "weight": self.weight, "state": self.state,
                "startedAt": f.rfc3339(self.started), "endedAt": f.rfc3339(self.ended), "seconds": self.seconds,
                "duration": _duration_text(self.seconds)}


@dataclass(frozen=True)
class MetricSummary:
    name: str
    phase: str
    last_value: str
    measurements: int
    failed: int
    failure_limit: int

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "phase": self.phase, "lastValue": self.last_value, "measurements": self.measurements,
                "failed": self.failed, "failureLimit": self.failure_limit}


@dataclass(frozen=True)
class RunSummary:
    """An AnalysisRun's verdict and its metrics' last values."""

    name: str
    phase: str
    message: str
    started: dt.datetime | None
    deleted: dt.datetime | None  # when the cluster deleted it (recordings only)
    metrics: tuple[MetricSummary, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "phase": self.phase, "message": self.message, "startedAt": f.rfc3339(self.started),
                "deletedAt": f.rfc3339(self.deleted), "metrics": [m.to_dict() for m in self.metrics]}


@dataclass(frozen=True)
class RevisionEntry:
    revision: int
    pod_hash: str
    images: tuple[str, ...]
    started: dt.datetime | None
    ended: dt.datetime | None
    outcome: str
    current: bool
    steps: tuple[StepRecord, ...]
    runs: tuple[RunSummary, ...]
    explanation: str = ""

    @property
    def seconds(self) -> float | None:
        return _seconds(self.started, self.ended)

    def to_dict(self) -> dict[str, Any]:
        return {"revision": self.revision, "podTemplateHash": self.pod_hash, "images": list(self.images),
                "startedAt": f.rfc3339(self.started), "endedAt": f.rfc3339(self.ended), "seconds": self.seconds,
                "duration": _duration_text(self.seconds), "outcome": self.outcome, "current": self.current,
                "explanation": self.explanation, "steps": [s.to_dict() for s in self.steps],
                "analysisRuns": [r.to_dict() for r in self.runs]}


@dataclass(frozen=True)
class HistoryView:
    """`history NAME`: the revisions, newest first."""

    name: str
    namespace: str
    source: str  # cluster, recording or files
    revisions: tuple[RevisionEntry, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "RolloutHistory", "apiVersion": SCHEMA_VERSION, "name": self.name, "namespace": self.namespace,
                "source": self.source, "revisions": [r.to_dict() for r in self.revisions]}


@dataclass(frozen=True)
class RevisionDetailView:
    """`history NAME --revision N` and `report`: one revision with every measurement of
    every run and the pod template's difference from the revision before."""

    name: str
    namespace: str
    source: str
    entry: RevisionEntry
    runs: tuple[AnalysisRunDetailView, ...]
    previous: int | None
    diff: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "RolloutRevision", "apiVersion": SCHEMA_VERSION, "name": self.name, "namespace": self.namespace,
                "source": self.source, **self.entry.to_dict(),
                "analysisRuns": [_run_detail(run, summary) for run, summary in zip(self.runs, self.entry.runs)],
                "previousRevision": self.previous, "templateDiff": list(self.diff)}


def _run_detail(run: AnalysisRunDetailView, summary: RunSummary) -> dict[str, Any]:
    return {**run.to_dict(), "deletedAt": f.rfc3339(summary.deleted)}


# -- steps


def _weights(steps: Sequence[Any]) -> list[int | None]:
    weight: int | None = None
    found = []
    for step in steps:
        if isinstance(step, Mapping) and "setWeight" in step:
            weight = int_or_string(step.get("setWeight"), 0)
        found.append(weight)
    return found


def _step_records(steps: Sequence[Any], firsts: Mapping[int, dt.datetime], index_now: int | None,
           ended: dt.datetime | None, *, stopped: bool = False) -> tuple[StepRecord, ...]:
    """The steps' records; the one at index_now is running, or stopped once the revision
    ended (`ended`) or was aborted (`stopped`: a live snapshot knows no end time)."""
    weights = _weights(steps)
    seen = sorted(firsts)
    records = []
    for i, step in enumerate(steps):
        started = firsts.get(i)
        later = [firsts[j] for j in seen if j > i]
        end = later[0] if later else (ended if started is not None else None)
        if index_now is not None and i < index_now or later:
            state = "done"
        elif index_now == i:
            state = "running" if ended is None and not stopped else "stopped"
        else:
            state = "not reached"
        records.append(StepRecord(i, step_text(step), weights[i], state, started, end if state != "running" else None))
    return tuple(records)


# -- the timeline of rollout versions


@dataclass
class _Track:
    first_current: dt.datetime | None = None
    last_current: dt.datetime | None = None
    left: dt.datetime | None = None  # the first version after it that had another revision current
    stable_at: dt.datetime | None = None
    abort_at: dt.datetime | None = None
    step_firsts: dict[int, dt.datetime] = field(default_factory=dict)
    steps: list[Any] = field(default_factory=list)
    last_index: int | None = None
    aborted_step: int | None = None
    seen_unstable: bool = False  # seen current and not yet stable: its promotion, if any, is on record
    was_stable: bool = False


def _track(versions: Sequence[Version]) -> dict[str, _Track]:
    tracks: dict[str, _Track] = {}
    previous: str | None = None
    for seen, rollout in versions:
        status = f.mapping(rollout, "status")
        current = f.text(status.get("currentPodHash"))
        stable = f.text(status.get("stableRS"))
        if previous and previous != current and previous in tracks and tracks[previous].left is None:
            tracks[previous].left = seen
        previous = current or previous
        if not current:
            continue
        track = tracks.setdefault(current, _Track())
        if track.first_current is None:
            track.first_current = seen
        track.last_current = seen
        track.steps = steps_of(rollout)
        index = current_step_index(rollout)
        if f.flag(status.get("abort")) and track.abort_at is None:
            # Argo goes back to step 0 when it aborts: the step it was on is the one before.
            track.abort_at, track.aborted_step = seen, track.last_index if track.last_index is not None else index
        track.last_index = index
        if index is not None and seen is not None and index not in track.step_firsts and track.abort_at is None:
            track.step_firsts[index] = seen
        if stable != current:
            track.seen_unstable = True
        if stable and stable in tracks:
            became = tracks[stable]
            if became.seen_unstable and became.stable_at is None and seen is not None:
                became.stable_at = seen
            became.was_stable = True
    return tracks


# -- runs


def _run_summary(run: Mapping[str, Any], deleted: dt.datetime | None, now: dt.datetime) -> RunSummary:
    view = build_analysis_run_view(dict(run), now)
    metrics = tuple(MetricSummary(m.name, m.phase, m.latest_value, len(m.measurements), m.failed, m.failure_limit)
                    for m in view.metrics)
    return RunSummary(view.name, view.phase, view.message, view.started or view.created, deleted, metrics)


def _owned(objs: Iterable[tuple[dict[str, Any], dt.datetime | None]], uid: str) -> list[tuple[dict[str, Any], dt.datetime | None]]:
    return [(o, gone) for o, gone in objs if f.owned_by(o, uid)]


def _images(rs: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(f.text(c.get("image")) for c in f.seq(rs, "spec", "template", "spec", "containers") if isinstance(c, Mapping))


def _explain(entry: RevisionEntry) -> str:
    failed = [r for r in entry.runs if r.phase in ("Failed", "Error", "Inconclusive")]
    run_words = ""
    if failed:
        run = failed[-1]
        bad = [m for m in run.metrics if m.phase in ("Failed", "Error", "Inconclusive")]
        metric_words = "; ".join(f"metric {m.name} {m.phase.lower()} ({m.failed} failed of {m.measurements} measurements, "
                                 f"limit {m.failure_limit}, last value {m.last_value or 'none'})" for m in bad)
        run_words = f" AnalysisRun {run.name} ended {run.phase}" + (f": {metric_words}" if metric_words else "")
    reached = [s for s in entry.steps if s.state in ("running", "stopped", "done")]
    at_step = f" at step {reached[-1].index + 1} of {len(entry.steps)} ({reached[-1].text})" if reached and entry.steps else ""
    if entry.outcome == ABORTED:
        return f"Revision {entry.revision} was aborted{at_step}." + (f"{run_words}." if run_words else "")
    if entry.outcome == PROMOTED:
        passed = [r for r in entry.runs if r.phase == "Successful"]
        return f"Revision {entry.revision} was promoted to stable" + (
            f", {len(passed)} of {len(entry.runs)} analysis runs successful" if entry.runs else "") + "."
    if entry.outcome == ROLLED_BACK:
        return f"Revision {entry.revision} was rolled back: the rollout went back to an older pod template."
    if entry.outcome == SUPERSEDED:
        return f"Revision {entry.revision} was replaced by a newer revision before it was promoted."
    return f"Revision {entry.revision} is in progress{at_step}." + (f"{run_words}." if run_words else "")


def build_history(
    versions: Sequence[Version],
    replica_sets: Sequence[tuple[dict[str, Any], dt.datetime | None]],
    analysis_runs: Sequence[tuple[dict[str, Any], dt.datetime | None]],
    *,
    source: str,
    now: dt.datetime,
) -> HistoryView:
    """The revisions of the rollout whose versions are given (the last is the newest),
    newest first. ReplicaSets and runs: (object, when the cluster deleted it or None)."""
    rollout = versions[-1][1]
    uid = f.uid_of(rollout)
    status = f.mapping(rollout, "status")
    current_hash = f.text(status.get("currentPodHash"))
    stable_hash = f.text(status.get("stableRS"))
    timeline = len(versions) > 1 or versions[-1][0] is not None
    tracks = _track(versions) if timeline else {}
    owned_rs = sorted(_owned(replica_sets, uid), key=lambda item: f.revision_of(item[0]))
    runs_by_revision: dict[int, list[tuple[dict[str, Any], dt.datetime | None]]] = {}
    for run, gone in sorted(_owned(analysis_runs, uid), key=lambda item: (f.created_of(item[0]), f.name_of(item[0]))):
        runs_by_revision.setdefault(f.revision_of(run), []).append((run, gone))
    entries: list[RevisionEntry] = []
    for position, (rs, _gone) in enumerate(owned_rs):
        revision = f.revision_of(rs)
        pod_hash = f.text(f.labels_of(rs).get(f.POD_TEMPLATE_HASH_LABEL))
        later = owned_rs[position + 1][0] if position + 1 < len(owned_rs) else None
        next_is_rollback = later is not None and bool(f.annotations_of(later).get(REVISION_HISTORY_ANNOTATION))
        track = tracks.get(pod_hash)
        is_current = pod_hash == current_hash
        # Seen to begin: the time it became current; else (current before the recording) its ReplicaSet's creation.
        started = (track.first_current if track and track.first_current and track.first_current != versions[0][0]
                   else f.created_of(rs))
        ended: dt.datetime | None
        if track is not None:
            promoted_after_abort = track.stable_at is not None and (track.abort_at is None or track.stable_at > track.abort_at)
            if track.abort_at is not None and not promoted_after_abort:
                outcome, ended = ABORTED, track.abort_at
            elif track.stable_at is not None or track.was_stable:
                outcome, ended = PROMOTED, track.stable_at
            elif is_current:
                outcome, ended = CURRENT, None
            else:
                outcome, ended = SUPERSEDED, track.left
            index = track.aborted_step if outcome == ABORTED else track.last_index
            steps = _step_records(track.steps, track.step_firsts, index, ended)
        else:
            if is_current:
                outcome = ABORTED if f.flag(status.get("abort")) else PROMOTED if pod_hash == stable_hash else CURRENT
            else:
                outcome = PROMOTED if pod_hash == stable_hash else SUPERSEDED
            ended = None if is_current or later is None else f.created_of(later)
            steps = (_step_records(steps_of(rollout), {}, current_step_index(rollout), None, stopped=outcome == ABORTED)
                     if is_current else ())
        if next_is_rollback and outcome in (PROMOTED, SUPERSEDED):
            outcome = ROLLED_BACK
            if ended is None and later is not None:
                later_track = tracks.get(f.text(f.labels_of(later).get(f.POD_TEMPLATE_HASH_LABEL)))
                ended = later_track.first_current if later_track is not None else None
        runs = tuple(_run_summary(run, gone, now) for run, gone in runs_by_revision.get(revision, ()))
        entry = RevisionEntry(revision, pod_hash, _images(rs), started if started != f.ZERO_TIME else None, ended,
                              outcome, is_current, steps, runs)
        entries.append(_with_explanation(entry))
    entries.sort(key=lambda e: -e.revision)
    return HistoryView(f.name_of(rollout), f.namespace_of(rollout), source, tuple(entries))


def _with_explanation(entry: RevisionEntry) -> RevisionEntry:
    from dataclasses import replace

    return replace(entry, explanation=_explain(entry))


# -- one revision


def _flatten(prefix: str, value: Any, out: dict[str, str]) -> None:
    if isinstance(value, Mapping):
        for key in sorted(value):
            _flatten(f"{prefix}.{key}" if prefix else str(key), value[key], out)
    elif isinstance(value, list) and value and all(isinstance(v, Mapping) and "name" in v for v in value):
        for item in value:
            _flatten(f"{prefix}[{f.text(item.get('name'))}]", {k: v for k, v in item.items() if k != "name"}, out)
    elif isinstance(value, list) and value and not all(isinstance(v, (str, int, float, bool)) for v in value):
        for i, item in enumerate(value):
            _flatten(f"{prefix}[{i}]", item, out)
    else:
        out[prefix] = value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def template_lines(rs: Mapping[str, Any]) -> dict[str, str]:
    """The pod template of a ReplicaSet as `path: value` lines (its hash label left out)."""
    template = dict(f.mapping(rs, "spec", "template"))
    meta = dict(f.mapping(template, "metadata"))
    labels = {k: v for k, v in f.mapping(meta, "labels").items() if k != f.POD_TEMPLATE_HASH_LABEL}
    if labels:
        meta["labels"] = labels
    else:
        meta.pop("labels", None)
    template["metadata"] = meta
    out: dict[str, str] = {}
    _flatten("", template, out)
    return out


def _order(key: str) -> tuple[int, str]:
    if key.endswith(".image"):
        return 0, key
    if ".env[" in key or ".env." in key:
        return 1, key
    return 2, key


def template_diff(old: Mapping[str, Any] | None, new: Mapping[str, Any], old_revision: int | None, revision: int) -> tuple[str, ...]:
    """`diff`-style lines from the older revision's pod template to this one's: images
    first, then environment variables, then the rest."""
    before = template_lines(old) if old is not None else {}
    after = template_lines(new)
    lines = [f"--- revision {old_revision}" if old_revision is not None else "--- (no earlier revision)",
             f"+++ revision {revision}"]
    for key in sorted(set(before) | set(after), key=_order):
        if before.get(key) == after.get(key):
            continue
        if key in before:
            lines.append(f"-{key}: {before[key]}")
        if key in after:
            lines.append(f"+{key}: {after[key]}")
    return tuple(lines)


def build_revision_detail(
    history: HistoryView,
    revision: int,
    replica_sets: Sequence[tuple[dict[str, Any], dt.datetime | None]],
    analysis_runs: Sequence[tuple[dict[str, Any], dt.datetime | None]],
    rollout_uid: str,
    *,
    now: dt.datetime,
) -> RevisionDetailView | None:
    """Revision `revision` of the history in detail (None if the history has no such revision)."""
    entry = next((e for e in history.revisions if e.revision == revision), None)
    if entry is None:
        return None
    owned = sorted((rs for rs, _ in _owned(replica_sets, rollout_uid)), key=f.revision_of)
    this = next((rs for rs in owned if f.revision_of(rs) == revision), None)
    older = [rs for rs in owned if f.revision_of(rs) < revision]
    previous = older[-1] if older else None
    runs = sorted((run for run, _ in _owned(analysis_runs, rollout_uid) if f.revision_of(run) == revision),
                  key=lambda run: (f.created_of(run), f.name_of(run)))
    diff = template_diff(previous, this, f.revision_of(previous) if previous else None, revision) if this else ()
    return RevisionDetailView(history.name, history.namespace, history.source, entry,
                              tuple(build_analysis_run_view(run, now) for run in runs),
                              f.revision_of(previous) if previous else None, diff)
