"""derive/history.py: how revisions ended, step timings, run verdicts and the pod template
diff, from a recorded timeline and from a live snapshot; the text, Markdown, HTML and JUnit
layouts of the documents (cluster strings escaped)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from kubectl_rollouts_py.derive.history import build_history, build_revision_detail, step_text, template_diff
from kubectl_rollouts_py.render.history import render_history, render_revision
from kubectl_rollouts_py.render.report import render_html, render_junit, render_markdown

T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.timezone.utc)
UID = "ro-1"
STEPS = [{"setWeight": 20}, {"pause": {"duration": "1m"}}, {"setWeight": 60}, {"pause": {}}]


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def rollout(current: str, stable: str, index: int, **status: object) -> dict:
    return {"kind": "Rollout", "metadata": {"name": "app-backend", "namespace": "ithome", "uid": UID},
            "spec": {"strategy": {"canary": {"steps": STEPS}}},
            "status": {"currentPodHash": current, "stableRS": stable, "currentStepIndex": index, **status}}


def rs(revision: int, pod_hash: str, image: str, *, created: str = "2026-12-01T07:00:00Z", history: str | None = None,
       env: str = "a") -> dict:
    annotations = {"rollout.argoproj.io/revision": str(revision)}
    if history:
        annotations["rollout.argoproj.io/revision-history"] = history
    return {"kind": "ReplicaSet", "metadata": {
        "name": f"app-backend-{pod_hash}", "namespace": "ithome", "uid": f"rs-{pod_hash}", "creationTimestamp": created,
        "labels": {"rollouts-pod-template-hash": pod_hash}, "annotations": annotations,
        "ownerReferences": [{"uid": UID, "kind": "Rollout", "name": "app-backend"}]},
        "spec": {"template": {"metadata": {"labels": {"app": "app-backend", "rollouts-pod-template-hash": pod_hash}},
                              "spec": {"containers": [{"name": "app", "image": image,
                                                       "env": [{"name": "MODE", "value": env}]}]}}}}


def run(revision: int, phase: str, values: list[tuple[str, str]], name: str = "app-backend-run") -> dict:
    failed = sum(p == "Failed" for p, _ in values)
    return {"kind": "AnalysisRun", "metadata": {
        "name": name, "namespace": "ithome", "uid": f"run-{name}", "creationTimestamp": "2026-12-01T08:01:00Z",
        "annotations": {"rollout.argoproj.io/revision": str(revision)}, "ownerReferences": [{"uid": UID}]},
        "spec": {"metrics": [{"name": "success-rate", "failureLimit": 0, "successCondition": "result[0] >= 0.95"}]},
        "status": {"phase": phase, "metricResults": [{"name": "success-rate", "phase": phase, "count": len(values),
                                                       "failed": failed, "measurements": [
                                                           {"phase": p, "value": v, "startedAt": f"2026-12-01T08:0{i}:00Z"}
                                                           for i, (p, v) in enumerate(values)]}]}}


def test_a_recorded_canary_that_was_promoted_then_one_aborted() -> None:
    versions = [
        (at(0), rollout("h1", "h1", 4)),
        (at(1), rollout("h2", "h1", 0)),
        (at(1.5), rollout("h2", "h1", 1)),
        (at(3), rollout("h2", "h1", 2)),
        (at(4), rollout("h2", "h1", 3)),
        (at(9), rollout("h2", "h2", 4)),
        (at(10), rollout("h3", "h2", 0)),
        (at(11), rollout("h3", "h2", 1)),
        (at(12), rollout("h3", "h2", 0, abort=True)),
    ]
    replica_sets = [(rs(1, "h1", "app:1"), None), (rs(2, "h2", "app:2"), None), (rs(3, "h3", "app:3", env="b"), at(20))]
    runs = [(run(3, "Failed", [("Successful", "[0.99]"), ("Failed", "[0.5]")]), at(13)), (run(2, "Successful", [("Successful", "1")], "ok"), None)]
    view = build_history(versions, replica_sets, runs, source="recording", now=at(30))
    assert [(e.revision, e.outcome, e.current) for e in view.revisions] == [(3, "aborted", True), (2, "promoted", False),
                                                                            (1, "promoted", False)]
    aborted, promoted, first = view.revisions
    assert (aborted.started, aborted.ended) == (at(10), at(12))
    assert [(s.state, s.seconds) for s in aborted.steps] == [("done", 60.0), ("stopped", 60.0), ("not reached", None),
                                                             ("not reached", None)]
    assert (promoted.started, promoted.ended) == (at(1), at(9))
    assert [s.seconds for s in promoted.steps] == [30.0, 90.0, 60.0, 300.0]
    assert [s.weight for s in promoted.steps] == [20, 20, 60, 60]
    assert first.started == dt.datetime(2026, 12, 1, 7, 0, tzinfo=dt.timezone.utc) and first.ended is None
    assert aborted.runs[0].phase == "Failed" and aborted.runs[0].deleted == at(13)
    assert aborted.runs[0].metrics[0].last_value == "[0.5]"
    assert aborted.explanation.startswith("Revision 3 was aborted at step 2 of 4 (pause 1m). AnalysisRun app-backend-run ended Failed")
    detail = build_revision_detail(view, 3, replica_sets, runs, UID, now=at(30))
    assert detail is not None and detail.previous == 2
    assert detail.diff == ("--- revision 2", "+++ revision 3", "-spec.containers[app].image: app:2",
                           "+spec.containers[app].image: app:3", "-spec.containers[app].env[MODE].value: a",
                           "+spec.containers[app].env[MODE].value: b")
    assert len(detail.runs[0].metrics[0].measurements) == 2
    assert build_revision_detail(view, 7, replica_sets, runs, UID, now=at(30)) is None


def test_a_live_snapshot_and_a_rollback() -> None:
    replica_sets = [(rs(2, "h2", "app:2"), None), (rs(3, "h1", "app:1", history="1"), None)]
    view = build_history([(None, rollout("h1", "h1", 4))], replica_sets, [], source="cluster", now=at(30))
    assert [(e.revision, e.outcome) for e in view.revisions] == [(3, "promoted"), (2, "rolled back")]
    current = build_history([(None, rollout("h2", "h1", 1))], [(rs(1, "h1", "app:1"), None), (rs(2, "h2", "app:2"), None)],
                            [], source="cluster", now=at(30))
    assert [(e.revision, e.outcome) for e in current.revisions] == [(2, "current"), (1, "promoted")]
    assert [s.state for s in current.revisions[0].steps] == ["done", "running", "not reached", "not reached"]
    # Aborted at its second step: that step stopped there, it is not running.
    aborted = build_history([(None, rollout("h2", "h1", 1, abort=True))], [(rs(1, "h1", "app:1"), None), (rs(2, "h2", "app:2"), None)],
                            [], source="cluster", now=at(30))
    assert [(e.revision, e.outcome) for e in aborted.revisions] == [(2, "aborted"), (1, "promoted")]
    assert [s.state for s in aborted.revisions[0].steps] == ["done", "stopped", "not reached", "not reached"]


def test_step_words() -> None:
    assert [step_text(s) for s in STEPS] == ["setWeight 20", "pause 1m", "setWeight 60", "pause (until promoted)"]
    assert step_text({"analysis": {"templates": [{"templateName": "success-rate"}]}}) == "analysis success-rate"
    assert step_text({"setCanaryScale": {"replicas": 2}}) == "setCanaryScale replicas=2"
    assert template_diff(None, rs(1, "h", "i"), None, 1)[0] == "--- (no earlier revision)"


HOSTILE = "evil\x1b]0;pwned\x07<script>alert(1)</script>|[x](http://e)"


def test_layouts_escape_what_the_cluster_wrote() -> None:
    versions = [(at(0), rollout("h1", "h1", 4)), (at(1), rollout("h2", "h1", 1, abort=True))]
    replica_sets = [(rs(1, "h1", "app:1"), None), (rs(2, "h2", HOSTILE), None)]
    runs = [(run(2, "Failed", [("Failed", HOSTILE)], name="r"), None)]
    view = build_history(versions, replica_sets, runs, source="recording", now=at(5))
    detail = build_revision_detail(view, 2, replica_sets, runs, UID, now=at(5))
    assert detail is not None
    document = detail.to_dict()
    for text in (render_history(view.to_dict()), render_revision(document), render_markdown(document), render_html(document)):
        assert "\x1b" not in text and "\x07" not in text
    assert "<script>" not in render_html(document) and "&lt;script&gt;" in render_html(document)
    prose, _, code = render_markdown(document).partition("```diff")  # a fenced block shows its text as it is
    assert "<script>" not in prose and "\\[x\\]" in prose and "<script>" in code
    root = ET.fromstring(render_junit(document))
    (case,) = root.iter("testcase")
    assert case.find("failure") is not None and "\\x1b" in (case.find("failure").text or "")
