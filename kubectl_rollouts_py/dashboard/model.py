"""The JSON documents behind the dashboard's pages, built from raw objects in memory.

Pure: objects and `now` in, plain dicts out. The rollout documents are the CLI's own view
models (`derive.rollout.build_rollout_view(...).to_dict()`, `derive.analysis`) with what
the pages add: the canary steps, the containers of the pod template, and per metric the
points, thresholds and scale of its chart.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from kubectl_rollouts_py.derive import actions as derive_actions
from kubectl_rollouts_py.derive import analysis as derive_analysis
from kubectl_rollouts_py.derive import explain as derive_explain
from kubectl_rollouts_py.derive import fields as f
from kubectl_rollouts_py.derive import listing as derive_listing
from kubectl_rollouts_py.derive import rollout as derive_rollout
from kubectl_rollouts_py.derive import steps as derive_steps
from kubectl_rollouts_py.derive import trend as derive_trend
from kubectl_rollouts_py.derive.views import numeric_values
from kubectl_rollouts_py.ops import history as ops_history

def _owner_uids(obj: dict[str, Any]) -> list[str]:
    refs = f.mapping(obj, "metadata").get("ownerReferences")
    return [r["uid"] for r in refs if isinstance(r, dict) and isinstance(r.get("uid"), str)] if isinstance(refs, list) else []


class Objects:
    """The objects the cache holds, indexed by owner uid, so that each rollout's view is
    derived from its own objects only (ownership by uid, as derive does) and a list of many
    rollouts costs time linear in the number of objects."""

    def __init__(self, rollouts: Sequence[dict[str, Any]], replica_sets: Sequence[dict[str, Any]], pods: Sequence[dict[str, Any]],
                 analysis_runs: Sequence[dict[str, Any]], experiments: Sequence[dict[str, Any]]) -> None:
        self.rollouts = list(rollouts)
        self.experiments = list(experiments)
        self.owned: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        for kind, items in (("replica_sets", replica_sets), ("pods", pods), ("analysis_runs", analysis_runs), ("experiments", experiments)):
            for item in items:
                if isinstance(item, dict):
                    for uid in _owner_uids(item):
                        self.owned[uid][kind].append(item)

    def by_owner(self, uid: str, kind: str) -> list[dict[str, Any]]:
        found = self.owned.get(uid)
        return list(found.get(kind, [])) if found else []

    def of(self, rollout: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        """The rollout's experiments, its and their ReplicaSets and AnalysisRuns, and the pods
        of those ReplicaSets: everything build_rollout_view reads."""
        uid = f.uid_of(rollout)
        experiments = self.by_owner(uid, "experiments")
        owners = [uid, *(f.uid_of(e) for e in experiments)]
        replica_sets = [rs for owner in owners for rs in self.by_owner(owner, "replica_sets")]
        runs = [run for owner in owners for run in self.by_owner(owner, "analysis_runs")]
        pods = [pod for rs in replica_sets for pod in self.by_owner(f.uid_of(rs), "pods")]
        return {"replica_sets": replica_sets, "pods": pods, "analysis_runs": runs, "experiments": experiments}


def threshold(condition: str) -> dict[str, Any] | None:
    """The one comparison of the measured value with a number in a condition, as
    {"op": ">=", "value": 0.95} (the value on the left): derive.trend's reading, the one the
    CLI's TREND scale uses. None when there is none or several."""
    found = derive_trend.condition_comparisons(condition)
    return {"op": found[0].op, "value": found[0].value} if len(found) == 1 else None


def _chart(metric: dict[str, Any]) -> dict[str, Any]:
    """Points (oldest first) of the first number of each measurement, the thresholds and
    the lines to draw for them."""
    points = []
    for m in reversed(metric.get("measurements") or []):
        numbers = numeric_values(str(m.get("value") or ""))
        when = m.get("finishedAt") or m.get("startedAt")
        if numbers and when:
            points.append({"time": when, "value": numbers[0], "phase": m.get("phase") or ""})
    success, failure = str(metric.get("successCondition") or ""), str(metric.get("failureCondition") or "")
    return {
        "points": points,
        "success": threshold(success),
        "failure": threshold(failure),
        # every comparison with a number, drawn as a line: both ends of `result[0] > 1 && result[0] < 5`
        "lines": [{"condition": name, "op": t.op, "value": t.value}
                  for name, condition in (("success", success), ("failure", failure))
                  for t in derive_trend.condition_comparisons(condition)],
        # the y axis: the same scale as the CLI's TREND sparkline (0..1 for a ratio)
        "scale": derive_trend.trend_scale([p["value"] for p in points], success, failure).to_dict(),
    }


_TEMPLATE = re.compile(r"\{\{\s*args\.")


def analysis_document(run_view: Any) -> dict[str, Any]:
    """A run's view, and per metric its chart and whether its query is resolved (a query
    still holding `{{args.…}}` has not been measured yet: the page says so instead)."""
    doc = run_view.to_dict()
    for metric in doc["metrics"]:
        metric["chart"] = _chart(metric)
        metric["queryResolved"] = not _TEMPLATE.search(str(metric.get("query") or ""))
    for arg in doc["args"]:
        arg["resolved"] = not _TEMPLATE.search(str(arg.get("value") or "")) and arg.get("value") != "<unresolved>"
    return doc


_STEP_KINDS = ("setWeight", "pause", "analysis", "experiment", "setCanaryScale", "setHeaderRoute", "setMirrorRoute")


def steps(rollout: dict[str, Any]) -> list[dict[str, Any]]:
    """The canary steps, each with its kind, text (as history and explain say it) and state:
    done, current or pending.
    `index` is status.currentStepIndex's scale: get rollout's "Step 1/4" means step index 1
    is current and one step is done."""
    raw = derive_steps.steps_of(rollout)
    index = derive_rollout.current_step_index(rollout)
    current = len(raw) if index is None else index
    shown = []
    for i, step in enumerate(raw):
        state = "done" if i < current else "current" if i == current else "pending"
        kind = next((k for k in _STEP_KINDS if isinstance(step, dict) and k in step), "other")
        shown.append({"index": i, "kind": kind, "text": derive_steps.step_text(step), "state": state})
    return shown


# The list's order: what needs attention first.
ATTENTION = {"Degraded": 0, "Error": 0, "InvalidSpec": 0, "Paused": 1, "Progressing": 2, "Unknown": 3, "Healthy": 4}


def containers(rollout: dict[str, Any]) -> list[dict[str, str]]:
    """The pod template's containers (name, image, kind), for `set image` per container."""
    spec = f.mapping(rollout, "spec", "template", "spec")
    shown = []
    for kind, key in (("container", "containers"), ("init", "initContainers"), ("ephemeral", "ephemeralContainers")):
        for c in f.seq(spec, key):
            if isinstance(c, dict):
                shown.append({"name": f.text(c.get("name")), "image": f.text(c.get("image")), "kind": kind})
    return shown


def _view(rollout: dict[str, Any], objects: Objects, now: dt.datetime) -> Any:
    found = objects.of(rollout)
    view = derive_rollout.build_rollout_view(rollout, now=now, **found)
    return derive_analysis.attach_analysis(view, rollout, analysis_runs=found["analysis_runs"],
                                           replica_sets=found["replica_sets"], scope="all", now=now)


def rollout_row(rollout: dict[str, Any], objects: Objects, now: dt.datetime) -> dict[str, Any]:
    """One line of the list page: the view's summary fields."""
    view = derive_rollout.build_rollout_view(rollout, now=now, **objects.of(rollout))
    doc = view.to_dict()
    row = {key: doc[key] for key in ("name", "namespace", "status", "message", "strategy", "step", "setWeight",
                                     "actualWeight", "images", "replicas", "creationTimestamp")}
    labels = f.mapping(rollout, "metadata", "labels")
    row["labels"] = {f.text(k): f.text(v) for k, v in labels.items()}
    row["attention"] = ATTENTION.get(doc["status"], 3)
    return row


def _version(obj: dict[str, Any]) -> str:
    return f.text(f.mapping(obj, "metadata").get("resourceVersion"))


def rollout_list(objects: Objects, namespace: str | None, now: dt.datetime, memo: dict[Any, Any] | None = None) -> dict[str, Any]:
    """The list page's rows. With `memo` (kept by the caller between calls), a row is derived
    again only when the rollout or one of its objects changed (by resourceVersion); the memo
    keeps only the rows of this call, so it never outgrows the list."""
    rows, used = [], {}
    for rollout in objects.rollouts:
        if namespace not in (None, "", f.namespace_of(rollout)):
            continue
        if memo is None:
            rows.append(rollout_row(rollout, objects, now))
            continue
        found = objects.of(rollout)
        key = (f.namespace_of(rollout), f.name_of(rollout), _version(rollout),
               tuple(_version(o) for kind in ("replica_sets", "pods", "analysis_runs", "experiments") for o in found[kind]))
        row = memo.get(key)
        if row is None or not key[2]:
            row = rollout_row(rollout, objects, now)
        used[key] = row
        rows.append(row)
    if memo is not None:
        memo.clear()
        memo.update(used)
    return {"kind": "RolloutList", "items": rows}


def rollout_document(rollout: dict[str, Any], objects: Objects, now: dt.datetime) -> dict[str, Any]:
    """The rollout page: the view (header, revisions with ReplicaSets and pods, images),
    the steps, the containers, and every AnalysisRun of the rollout with its charts."""
    view = _view(rollout, objects, now)
    doc = view.to_dict()
    doc["age"] = view.age
    # The page counts the pause down by itself, from this instant (see ticking() in app.js).
    ends = view.pause_ends_at
    doc["pauseEndsAt"] = ends.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if ends else None
    doc["steps"] = steps(rollout)
    doc["containers"] = containers(rollout)
    doc["workloadRef"] = f.text(f.mapping(rollout, "spec", "workloadRef").get("name")) or None
    doc["analysis"] = [analysis_document(run) for run in view.analysis]
    doc["actions"] = [a.to_dict() for a in derive_actions.rollout_actions(rollout)]
    doc["currentPodHash"] = f.text(f.mapping(rollout, "status").get("currentPodHash"))
    doc["explain"] = explain_document(rollout, objects, now)
    doc["history"] = history_document(rollout, objects, now)
    return doc


def history_document(rollout: dict[str, Any], objects: Objects, now: dt.datetime) -> dict[str, Any]:
    """The CLI's `history` (ops.history over what the cluster still holds), from the cached
    objects: the revisions newest first, how each ended, its steps and its runs."""
    found = objects.of(rollout)
    evidence = ops_history.Evidence("cluster", ((None, rollout),), tuple((rs, None) for rs in found["replica_sets"]),
                                    tuple((run, None) for run in found["analysis_runs"]))
    return ops_history.history(evidence, now=now).to_dict()


def explain_document(rollout: dict[str, Any], objects: Objects, now: dt.datetime) -> dict[str, Any]:
    """The CLI's `explain` from the cached objects. The dashboard does not follow
    AnalysisTemplates or the workloadRef Deployment, so it makes no claim about them."""
    found = objects.of(rollout)
    return derive_explain.explain_rollout(rollout, replica_sets=found["replica_sets"], pods=found["pods"],
                                          analysis_runs=found["analysis_runs"], experiments=found["experiments"],
                                          now=now).to_dict()


# ------------------------------------------------------------------ experiments


def _owner_rollout(experiment: dict[str, Any]) -> str | None:
    refs = f.mapping(experiment, "metadata").get("ownerReferences")
    for ref in refs if isinstance(refs, list) else []:
        if isinstance(ref, dict) and ref.get("kind") == "Rollout":
            return f.text(ref.get("name")) or None
    return None


def experiment_list(objects: Objects, namespace: str | None, now: dt.datetime) -> dict[str, Any]:
    """The experiments page's rows: `list experiments`' fields, and the rollout that owns each."""
    rows = []
    for experiment in objects.experiments:
        if not isinstance(experiment, dict) or namespace not in (None, "", f.namespace_of(experiment)):
            continue
        row = derive_listing.build_experiment_row(experiment, now).to_dict()
        row["rollout"] = _owner_rollout(experiment)
        row["attention"] = ATTENTION.get(row["status"], 0 if row["status"] in ("Failed", "Error") else 3)
        rows.append(row)
    return {"kind": "ExperimentList", "items": rows}


def experiment_document(experiment: dict[str, Any], objects: Objects, now: dt.datetime) -> dict[str, Any]:
    """The experiment page: `get experiment`'s view (ReplicaSets with pods, AnalysisRuns),
    the templates it runs, and every AnalysisRun in detail with its charts."""
    uid = f.uid_of(experiment)
    replica_sets = objects.by_owner(uid, "replica_sets")
    pods = [pod for rs in replica_sets for pod in objects.by_owner(f.uid_of(rs), "pods")]
    runs = objects.by_owner(uid, "analysis_runs")
    view = derive_rollout.build_experiment_view(experiment, replica_sets=replica_sets, pods=pods, analysis_runs=runs, now=now)
    doc = view.to_dict()
    row = derive_listing.build_experiment_row(experiment, now).to_dict()
    doc["duration"], doc["remaining"] = row["duration"], row["remaining"]
    doc["rollout"] = _owner_rollout(experiment)
    doc["templates"] = [{"name": f.text(t.get("name")), "replicas": t.get("replicas") if isinstance(t.get("replicas"), int) else 1}
                        for t in f.seq(experiment, "spec", "templates") if isinstance(t, dict)]
    runs.sort(key=lambda run: (f.created_of(run), f.name_of(run)))
    doc["analysis"] = [analysis_document(derive_analysis.build_analysis_run_view(run, now)) for run in runs]
    return doc
