"""Whole views over the scenarios: the story's facts, the `-o json` schema
(docs/output.md), and robustness against broken or hostile objects."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from kubectl_rollouts_py.derive.listing import build_experiment_row
from kubectl_rollouts_py.derive.rollout import build_experiment_view, build_rollout_row, build_rollout_view
from kubectl_rollouts_py.render import listing, tree
from kubectl_rollouts_py.render.style import Style

# --------------------------------------------------------------------------- the story


def tree_of(view) -> list[tuple]:  # type: ignore[no-untyped-def]
    """(revision, kind, name, status, age, tags-or-info) for every node, in display order."""
    rows = []
    for rev in view.revisions:
        for rs in rev.replica_sets:
            rows.append((rev.revision, "ReplicaSet", rs.name, rs.status, rs.age, rs.info_tags))
            rows += [(rev.revision, "Pod", p.name, p.status, p.age, (p.ready, p.total, p.restarts)) for p in rs.pods]
        for run in rev.analysis_runs:
            rows.append((rev.revision, "AnalysisRun", run.name, run.status, run.age, (run.successful, run.failed, run.inconclusive, run.error)))
    return rows


def test_canary_step1_story(load_scenario) -> None:  # type: ignore[no-untyped-def]
    v = load_scenario("app-backend-canary-step1").rollout_view()
    assert (v.name, v.namespace, v.status, v.message, v.strategy) == ("app-backend", "ithome", "Paused", "CanaryPauseStep", "Canary")
    assert (v.replicas.desired, v.replicas.current, v.replicas.updated, v.replicas.ready, v.replicas.available) == (4, 5, 1, 5, 5)
    assert v.age == "4d4h"  # 2026-03-10T07:42 -> 2026-03-14T12:00 is 100h
    assert tree_of(v) == [
        (2, "ReplicaSet", "app-backend-7d9f8c6b5", "Healthy", "110s", ("canary",)),
        (2, "Pod", "app-backend-7d9f8c6b5-w2fjs", "Running", "108s", (1, 1, 0)),
        (2, "AnalysisRun", "app-backend-7d9f8c6b5-2", "Running", "80s", (3, 0, 0, 0)),
        (1, "ReplicaSet", "app-backend-5c8d7f9b4", "Healthy", "13d", ("stable",)),
        # creation asc, then name: b9qzd and x7k2p were created in the same second
        (1, "Pod", "app-backend-5c8d7f9b4-b9qzd", "Running", "13d", (1, 1, 0)),
        (1, "Pod", "app-backend-5c8d7f9b4-x7k2p", "Running", "13d", (1, 1, 0)),
        (1, "Pod", "app-backend-5c8d7f9b4-m4tnw", "Running", "37h", (1, 1, 0)),
        (1, "Pod", "app-backend-5c8d7f9b4-r8vhl", "Running", "175m", (1, 1, 1)),
    ]


def test_aborted_story(load_scenario) -> None:  # type: ignore[no-untyped-def]
    v = load_scenario("app-backend-aborted").rollout_view()
    assert v.status == "Degraded"
    assert v.message == (
        'RolloutAborted: Rollout aborted update to revision 2: Metric "success-rate" assessed Failed due to failed (4) > failureLimit (3)'
    )
    assert tree_of(v)[:3] == [
        (2, "ReplicaSet", "app-backend-7d9f8c6b5", "ScaledDown", "3m45s", ("canary",)),
        (2, "Pod", "app-backend-7d9f8c6b5-w2fjs", "Terminating", "3m43s", (1, 1, 0)),
        (2, "AnalysisRun", "app-backend-7d9f8c6b5-2", "Failed", "3m15s", (3, 4, 0, 0)),
    ]


def test_healthy_story(load_scenario) -> None:  # type: ignore[no-untyped-def]
    v = load_scenario("app-backend-healthy").rollout_view()
    assert (v.status, v.message) == ("Healthy", "")
    assert [(r[0], r[1], r[2], r[3], r[5]) for r in tree_of(v) if r[1] != "Pod"] == [
        (3, "ReplicaSet", "app-backend-6c9f7b8d4", "Healthy", ("stable",)),
        (3, "AnalysisRun", "app-backend-6c9f7b8d4-3", "Successful", (17, 0, 0, 0)),
        (2, "ReplicaSet", "app-backend-7d9f8c6b5", "ScaledDown", ()),
        (2, "AnalysisRun", "app-backend-7d9f8c6b5-2", "Failed", (3, 4, 0, 0)),
        (1, "ReplicaSet", "app-backend-5c8d7f9b4", "ScaledDown", ("delay:passed",)),
    ]


def test_bluegreen_story(load_scenario) -> None:  # type: ignore[no-untyped-def]
    v = load_scenario("bluegreen-preview").rollout_view()
    assert (v.status, v.message, v.strategy, v.step, v.set_weight, v.actual_weight) == ("Paused", "BlueGreenPause", "BlueGreen", "", "", "")
    assert [(i.image.rsplit(":", 1)[1], i.tags) for i in v.images] == [("1.4", ()), ("1.5", ("stable", "active")), ("1.6", ("preview",))]
    assert [(r[0], r[2], r[5]) for r in tree_of(v) if r[1] == "ReplicaSet"] == [
        (3, "app-frontend-8b4d6c7f9", ("preview",)),
        (2, "app-frontend-6f7c9d8b5", ("stable", "active")),
        (1, "app-frontend-5b7d9c6f8", ("delay:7m30s",)),  # deadline 15:07:30, now 15:00:00
    ]


def test_experiment_story(load_scenario) -> None:  # type: ignore[no-untyped-def]
    sc = load_scenario("checkout-experiment-step")
    ev = sc.experiment_view()
    assert (ev.name, ev.status, ev.message, ev.revision, ev.age) == ("checkout-94c6d8f7b-2-0", "Running", "", 2, "6m")
    assert [(r.name, r.tags, r.template_name, [p.name for p in r.pods]) for r in ev.replica_sets] == [
        ("checkout-94c6d8f7b-2-0-baseline", (), "baseline", ["checkout-94c6d8f7b-2-0-baseline-d4x9z"]),
        ("checkout-94c6d8f7b-2-0-canary", (), "canary", ["checkout-94c6d8f7b-2-0-canary-p7m2c"]),
    ]
    (run,) = ev.analysis_runs
    # smoke: 1 successful; error-rate: 3 successful, 1 inconclusive, 1 error
    assert (run.successful, run.failed, run.inconclusive, run.error) == (4, 0, 1, 1)
    assert [(j.name.rsplit(".", 2)[1:], j.status, j.age) for j in run.jobs] == [(["smoke", "1"], "Successful", "3m29s"), (["smoke", "2"], "Running", "89s")]
    rv = sc.rollout_view("checkout")
    (rev2, rev1) = rv.revisions
    assert [e.name for e in rev2.experiments] == [ev.name]
    assert [r.name for r in rev2.analysis_runs] == []  # the run belongs to the experiment, not the rollout
    assert [(i.image.rsplit(":", 1)[1], i.tags) for i in rv.images] == [("3.1", ("stable", "Σ:baseline")), ("3.2", ("Σ:canary",))]


def test_hostile_scenario_derivation(load_scenario) -> None:  # type: ignore[no-untyped-def]
    v = load_scenario("hostile").rollout_view()
    assert v.status == "Degraded"
    assert v.message.startswith('ProgressDeadlineExceeded: ReplicaSet "evil-app-9f8e7d6c5" has timed out progressing.\x1b[2J')
    # currentStepIndex "1" is not a number: no Step text, and step 0 (setWeight 20) is current.
    assert (v.step, v.set_weight, v.actual_weight) == ("", "20", "33")  # canary 1 available x 100 / 3
    # status.replicas "3" is not a number: 0.
    assert (v.replicas.desired, v.replicas.current, v.replicas.updated, v.replicas.ready, v.replicas.available) == (3, 0, 1, 2, 3)
    rows = tree_of(v)
    assert not [r for r in rows if "impostor" in r[2]]
    assert [r[0] for r in rows if r[1] == "ReplicaSet"] == [2, 1, 0]
    pods = {r[2]: (r[3], r[5]) for r in rows if r[1] == "Pod"}
    assert pods == {
        "evil-app-9f8e7d6c5-initcrash": ("Init:CrashLoopBackOff", (0, 1, 4)),
        "evil-app-9f8e7d6c5-initerr": ("Init:Error", (0, 1, 3)),
        "evil-app-9f8e7d6c5-init0": ("Init:0/1", (0, 1, 0)),
        "evil-app-9f8e7d6c5-\x1b[31mred\x9b\u202e": ("", (0, 1, 0)),
        "evil-app-6d5c4b3a2-lost": ("Unknown", (1, 1, 0)),
        "evil-app-6d5c4b3a2-crash": ("CrashLoopBackOff", (0, 1, 7)),
        "evil-app-6d5c4b3a2-done": ("Running", (1, 2, 0)),
        "evil-app-6d5c4b3a2-term": ("Terminating", (1, 1, 0)),
    }
    runs = [(r[2], r[3], r[5]) for r in rows if r[1] == "AnalysisRun"]
    # Same creation time: name descending ("\u202e" sorts after "-").
    assert runs == [
        ("evil-app-9f8e7d6c5-2\u202e", "Running", (0, 0, 0, 0)),  # metricResults: null
        ("evil-app-9f8e7d6c5-2-jobs", "Err\x1b[5mor", (0, 0, 0, 1)),  # failed: "3" is not a number
    ]
    (labels_list,) = v.revisions[2].replica_sets
    assert (labels_list.name, labels_list.status, labels_list.tags, labels_list.current) == ("evil-app-labels-list", "Progressing", (), 0)


# --------------------------------------------------------------------------- -o json schema

ROLLOUT_KEYS = {"kind", "apiVersion", "name", "namespace", "status", "message", "strategy", "step", "currentStepIndex", "totalSteps", "analysis",
                "setWeight", "actualWeight", "images", "replicas", "revisions", "creationTimestamp"}
REVISION_KEYS = {"revision", "replicaSets", "experiments", "analysisRuns"}
RS_KEYS = {"name", "revision", "status", "tags", "scaleDownDeadline", "replicas", "current", "available", "images", "creationTimestamp", "pods"}
POD_KEYS = {"name", "status", "ready", "restarts", "creationTimestamp"}
RUN_KEYS = {"name", "revision", "status", "counts", "jobs", "creationTimestamp"}
JOB_KEYS = {"name", "namespace", "status", "startedAt"}
EXPERIMENT_KEYS = {"kind", "apiVersion", "name", "namespace", "revision", "status", "message", "images", "replicaSets", "analysisRuns", "creationTimestamp"}


def check_replica_set(rs: dict[str, Any]) -> None:
    assert set(rs) == RS_KEYS
    assert isinstance(rs["tags"], list) and isinstance(rs["images"], list)
    for pod in rs["pods"]:
        assert set(pod) == POD_KEYS
        assert isinstance(pod["restarts"], int) and "/" in pod["ready"]


def check_run(run: dict[str, Any]) -> None:
    assert set(run) == RUN_KEYS
    assert set(run["counts"]) == {"successful", "failed", "inconclusive", "error"}
    for job in run["jobs"]:
        assert set(job) == JOB_KEYS


def check_experiment(exp: dict[str, Any]) -> None:
    assert set(exp) == EXPERIMENT_KEYS
    assert (exp["kind"], exp["apiVersion"]) == ("ExperimentView", "rollouts-py.argoproj.io/v1")
    for rs in exp["replicaSets"]:
        check_replica_set(rs)
    for run in exp["analysisRuns"]:
        check_run(run)


@pytest.mark.parametrize("name", ["app-backend-canary-step1", "app-backend-healthy", "bluegreen-preview", "checkout-experiment-step", "hostile"])
def test_rollout_view_schema(load_scenario, name: str) -> None:  # type: ignore[no-untyped-def]
    data = load_scenario(name).rollout_view(None if name != "checkout-experiment-step" else "checkout").to_dict()
    json.dumps(data, ensure_ascii=True, allow_nan=False)  # plain JSON types only
    assert set(data) == ROLLOUT_KEYS
    assert (data["kind"], data["apiVersion"]) == ("RolloutView", "rollouts-py.argoproj.io/v1")
    assert set(data["replicas"]) == {"desired", "current", "updated", "ready", "available"}
    assert all(set(i) == {"image", "tags"} for i in data["images"])
    for rev in data["revisions"]:
        assert set(rev) == REVISION_KEYS
        for rs in rev["replicaSets"]:
            check_replica_set(rs)
        for run in rev["analysisRuns"]:
            check_run(run)
        for exp in rev["experiments"]:
            check_experiment(exp)


def test_rollout_view_values(load_scenario) -> None:  # type: ignore[no-untyped-def]
    data = load_scenario("app-backend-canary-step1").rollout_view().to_dict()
    assert {k: data[k] for k in ("status", "message", "strategy", "step", "currentStepIndex", "totalSteps", "setWeight", "actualWeight", "creationTimestamp")} == {
        "status": "Paused",
        "message": "CanaryPauseStep",
        "strategy": "Canary",
        "step": "1/4",
        "currentStepIndex": 1,
        "totalSteps": 4,
        "setWeight": 10,
        "actualWeight": 20,
        "creationTimestamp": "2026-03-10T07:42:00Z",
    }
    assert data["replicas"] == {"desired": 4, "current": 5, "updated": 1, "ready": 5, "available": 5}
    assert [r["revision"] for r in data["revisions"]] == [2, 1]
    canary = data["revisions"][0]["replicaSets"][0]
    assert (canary["tags"], canary["scaleDownDeadline"], canary["replicas"], canary["current"]) == (["canary"], None, 1, 1)
    assert canary["pods"][0] == {"name": "app-backend-7d9f8c6b5-w2fjs", "status": "Running", "ready": "1/1", "restarts": 0,
                                 "creationTimestamp": "2026-03-14T11:58:12Z"}
    assert data["revisions"][0]["analysisRuns"][0]["counts"] == {"successful": 3, "failed": 0, "inconclusive": 0, "error": 0}


def test_blue_green_view_has_nulls_for_canary_fields(load_scenario) -> None:  # type: ignore[no-untyped-def]
    data = load_scenario("bluegreen-preview").rollout_view().to_dict()
    assert {k: data[k] for k in ("step", "currentStepIndex", "totalSteps", "setWeight", "actualWeight")} == dict.fromkeys(
        ("step", "currentStepIndex", "totalSteps", "setWeight", "actualWeight")
    )


def test_experiment_view_schema(load_scenario) -> None:  # type: ignore[no-untyped-def]
    data = load_scenario("checkout-experiment-step").experiment_view().to_dict()
    json.dumps(data, ensure_ascii=True, allow_nan=False)
    check_experiment(data)
    assert [j["startedAt"] for j in data["analysisRuns"][0]["jobs"]] == ["2026-03-14T10:04:31Z", "2026-03-14T10:06:31Z"]


@pytest.mark.parametrize("name", ["app-backend-canary-step1", "app-backend-aborted", "app-backend-healthy", "bluegreen-preview", "checkout-experiment-step", "hostile"])
def test_json_view_does_not_change_with_the_clock(load_scenario, name: str) -> None:  # type: ignore[no-untyped-def]
    """docs/output.md: timestamps replace ages (and the scale-down deadline is given as written), so
    the output does not change with the clock."""
    sc = load_scenario(name)
    ro = sc.get("Rollout", sc.refs("Rollout")[0].name if sc.refs("Rollout") else "checkout")
    kwargs = dict(replica_sets=sc.of("ReplicaSet"), pods=sc.of("Pod"), analysis_runs=sc.of("AnalysisRun"), experiments=sc.of("Experiment"))
    early = build_rollout_view(ro, now=sc.now, **kwargs).to_dict()
    late = build_rollout_view(ro, now=sc.now + dt.timedelta(hours=5), **kwargs).to_dict()
    assert early == late


# --------------------------------------------------------------------------- robustness

Mutation = Callable[[dict[str, list[dict[str, Any]]]], None]


def _run0(objs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return objs["AnalysisRun"][0]


def _set(getter: Callable[[dict[str, list[dict[str, Any]]]], dict[str, Any]], key: str, value: Any) -> Mutation:
    return lambda objs: getter(objs).__setitem__(key, value)


MUTATIONS: list[tuple[str, Mutation]] = [
    ("pod entries that are not objects", lambda o: o["Pod"].extend([None, "pod", 3])),
    ("replica set entries that are not objects", lambda o: o["ReplicaSet"].extend([None, ["x"]])),
    ("rollout status is a list", _set(lambda o: o["Rollout"][0], "status", [1, 2])),
    ("rollout spec is null", _set(lambda o: o["Rollout"][0], "spec", None)),
    ("rollout metadata is null", _set(lambda o: o["Rollout"][0], "metadata", None)),
    ("steps is a mapping", _set(lambda o: o["Rollout"][0]["spec"]["strategy"]["canary"], "steps", {"setWeight": 10})),
    ("currentStepIndex negative", _set(lambda o: o["Rollout"][0]["status"], "currentStepIndex", -1)),
    ("currentStepIndex huge", _set(lambda o: o["Rollout"][0]["status"], "currentStepIndex", 10**30)),
    ("conditions are not objects", _set(lambda o: o["Rollout"][0]["status"], "conditions", ["x", None, 3])),
    ("ownerReferences is a mapping", _set(lambda o: o["ReplicaSet"][0]["metadata"], "ownerReferences", {"uid": "x"})),
    ("containers is a string", _set(lambda o: o["ReplicaSet"][0]["spec"]["template"]["spec"], "containers", "nginx")),
    ("container state is a string", _set(lambda o: o["Pod"][0]["status"], "containerStatuses", [{"state": "running"}])),
    ("creationTimestamp is a number", _set(lambda o: o["Pod"][0]["metadata"], "creationTimestamp", 12345)),
    ("experiment status is null", _set(lambda o: o["Experiment"][0], "status", None)),
    ("metricResults is a mapping", _set(lambda o: _run0(o)["status"], "metricResults", {"name": "x"})),
    ("measurement metadata is a list", _set(lambda o: _run0(o)["status"]["metricResults"][0]["measurements"][0], "metadata", ["job-name"])),
    ("measurements is a number", _set(lambda o: _run0(o)["status"]["metricResults"][0], "measurements", 42)),
    ("measurements is a boolean", _set(lambda o: _run0(o)["status"]["metricResults"][0], "measurements", True)),
    # Valid RFC 3339 that falls outside Python's datetime range once converted to UTC.
    ("creationTimestamp in year 1 with an offset", _set(lambda o: o["Rollout"][0]["metadata"], "creationTimestamp", "0001-01-01T00:00:00+01:00")),
    ("scale-down deadline in year 9999 with an offset",
     _set(lambda o: o["ReplicaSet"][0]["metadata"]["annotations"], "scale-down-deadline", "9999-12-31T23:59:59-01:00")),
]


@pytest.mark.parametrize("mutate", [m for _, m in MUTATIONS], ids=[i for i, _ in MUTATIONS])
def test_broken_objects_never_raise(load_scenario, mutate: Mutation) -> None:  # type: ignore[no-untyped-def]
    """derive/ promises it never raises on incomplete or wrongly typed objects; render/ takes its views."""
    sc = load_scenario("checkout-experiment-step")
    objs = copy.deepcopy(sc.objects)
    mutate(objs)
    ro, exp = objs["Rollout"][0], objs["Experiment"][0]
    view = build_rollout_view(ro, replica_sets=objs["ReplicaSet"], pods=objs["Pod"], analysis_runs=objs["AnalysisRun"], experiments=objs["Experiment"], now=sc.now)
    exp_view = build_experiment_view(exp, replica_sets=objs["ReplicaSet"], pods=objs["Pod"], analysis_runs=objs["AnalysisRun"], now=sc.now)
    for style in (Style(colour=False), Style(colour=True)):
        tree.render_rollout(view, style)
        tree.render_experiment(exp_view, style)
    json.dumps(view.to_dict())
    json.dumps(exp_view.to_dict())
    listing.render_rollout_rows([build_rollout_row(ro)])
    listing.render_experiment_rows([build_experiment_row(exp, sc.now)])


def test_derivation_does_not_mutate_the_scenario(load_scenario) -> None:  # type: ignore[no-untyped-def]
    sc = load_scenario("hostile")
    before = copy.deepcopy(sc.objects)
    sc.rollout_view()
    assert sc.objects == before
