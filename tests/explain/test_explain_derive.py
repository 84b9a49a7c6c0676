"""derive/explain.py on hand-made changes of the scenarios: the wording of limits, the
commands, which claims need a lookup, and the replica split the next steps predict."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt

import pytest

from kubectl_rollouts_py.derive import explain as d
from kubectl_rollouts_py.derive.explain_evidence import failure_budget, metric_evidence
from kubectl_rollouts_py.derive.views import MeasurementView, MetricView
from kubectl_rollouts_py.render.explain import render_explanation


def _explain(scenario, rollout=None, runs=None, pods=None, lookups=None, now=None):  # type: ignore[no-untyped-def]
    return d.explain_rollout(
        rollout if rollout is not None else scenario.get("Rollout", scenario.target.name),
        replica_sets=scenario.of("ReplicaSet"), pods=scenario.of("Pod") if pods is None else pods,
        analysis_runs=scenario.of("AnalysisRun") if runs is None else runs, experiments=scenario.of("Experiment"),
        now=now or scenario.now, lookups=lookups,
    )


def _metric(**changes) -> MetricView:  # type: ignore[no-untyped-def]
    base = MetricView(name="success-rate", phase="Running", message="", success_condition="result[0] >= 0.95",
                      failure_condition="", query="q", interval="30s", count=0, successful=0, failed=0, failure_limit=3,
                      inconclusive=0, inconclusive_limit=0, error=0, consecutive_error=0, consecutive_error_limit=4,
                      dry_run=False, measurements=(), values=())
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize(("failed", "limit", "text"), [
    (2, 3, "2 of 3 allowed failures used; 2 more failures abort the rollout"),
    (3, 3, "3 of 3 allowed failures used; one more failure aborts the rollout"),
    (4, 3, "4 failed > failureLimit 3: the metric failed"),
    (0, 1, "0 of 1 allowed failure used; 2 more failures abort the rollout"),
    (0, 0, "failureLimit 0: no failure is allowed; the first failure aborts the rollout"),
    (5, -1, "5 failures; failureLimit -1: failures never fail this metric"),
])
def test_failure_budget_in_words(failed: int, limit: int, text: str) -> None:
    assert failure_budget(_metric(failed=failed, failure_limit=limit)) == text


def test_metric_evidence_names_errors_inconclusive_and_dry_run() -> None:
    error = MeasurementView(phase="Error", value="", started=None, finished=None, message="connection refused", age="")
    lines = metric_evidence(_metric(error=2, consecutive_error=2, inconclusive=1, inconclusive_limit=1, dry_run=True,
                                    measurements=(error,), failure_condition="result[0] < 0.5"))
    assert lines[0] == "metric success-rate (Running): successCondition result[0] >= 0.95 and failureCondition result[0] < 0.5, measured every 30s"
    assert "1 of 1 allowed inconclusive result used; 1 more pauses the rollout" in lines
    assert "2 of 4 allowed consecutive errors used; 3 more in a row end the run in Error and abort the rollout" in lines
    assert "latest error: connection refused" in lines
    assert lines[-1] == "dry run: this metric's result does not change the rollout"


def test_commands_name_the_namespace_unless_it_is_default_and_are_quoted() -> None:
    assert d.command("ithome", "promote", "app-backend", "--full") == "kubectl rollouts-py promote app-backend --full -n ithome"
    assert d.command("default", "undo", "app-backend") == "kubectl rollouts-py undo app-backend"
    assert d.command("", "retry", "rollout", "a b") == "kubectl rollouts-py retry rollout 'a b'"
    assert d.kubectl("ithome", "logs", "p", "--previous") == "kubectl logs p --previous -n ithome"


@pytest.mark.parametrize(("replicas", "weight", "surge", "split"), [
    (4, 10, 1, (1, 4)),   # 1 of 5 is nearer 10% than 1 of 4
    (4, 33, 1, (2, 3)),
    (5, 10, 2, (1, 5)),
    (4, 50, 1, (2, 2)),
    (4, 100, 1, (4, 0)),
    (4, 0, 1, (0, 4)),
    (1, 40, 0, (0, 1)),
    (0, 50, 1, (0, 0)),
])
def test_canary_replica_split(replicas: int, weight: int, surge: int, split: tuple[int, int]) -> None:
    assert d.canary_replicas(replicas, weight, surge) == split


def test_a_missing_template_is_claimed_only_when_a_run_is_due_and_the_lookup_says_so(load_scenario) -> None:  # type: ignore[no-untyped-def]
    sc = load_scenario("app-backend-canary-step1")
    kinds = lambda e: [c.kind for c in e.causes]  # noqa: E731
    # The run exists: no claim, whatever the lookup says.
    assert "missing-template" not in kinds(_explain(sc, lookups=d.Lookups(templates=frozenset())))
    # No run for the current revision at a step that needs one, and the template is not there.
    missing = _explain(sc, runs=[], lookups=d.Lookups(templates=frozenset({"other"})))
    cause = next(c for c in missing.causes if c.kind == "missing-template")
    assert cause.summary == 'AnalysisTemplate "success-rate" does not exist.'
    assert cause.commands[0] == "kubectl get analysistemplates -n ithome"
    # Not looked up (None), or there: no claim.
    assert "missing-template" not in kinds(_explain(sc, runs=[], lookups=d.Lookups()))
    assert "missing-template" not in kinds(_explain(sc, runs=[], lookups=d.Lookups(templates=frozenset({"success-rate"}))))


def test_timed_pause_counts_down_with_now(load_scenario) -> None:  # type: ignore[no-untyped-def]
    sc = load_scenario("app-backend-canary-step1")
    first = _explain(sc).causes[0]
    assert first.summary == "Paused at step 2/4: pause 3m: 1m40s left, then it moves on by itself."
    later = _explain(sc, now=sc.now + dt.timedelta(seconds=95)).causes[0]
    assert later.summary == "Paused at step 2/4: pause 3m: 5s left, then it moves on by itself."
    over = _explain(sc, now=sc.now + dt.timedelta(minutes=5)).causes[0]
    assert "the pause ended 3m20s ago" in over.summary


def test_inconclusive_analysis_pauses_for_a_person(load_scenario) -> None:  # type: ignore[no-untyped-def]
    sc = load_scenario("app-backend-canary-step1")
    rollout = copy.deepcopy(sc.get("Rollout", "app-backend"))
    rollout["status"]["pauseConditions"] = [{"reason": "InconclusiveAnalysisRun", "startTime": "2026-03-14T11:59:40Z"}]
    run = copy.deepcopy(sc.of("AnalysisRun")[0])
    run["status"]["phase"] = "Inconclusive"
    run["status"]["metricResults"][0].update(phase="Inconclusive", inconclusive=1)
    explanation = _explain(sc, rollout=rollout, runs=[run])
    cause = explanation.causes[0]
    assert cause.kind == "analysis-inconclusive"
    assert "1 inconclusive > inconclusiveLimit 0: the metric is Inconclusive and the rollout pauses" in cause.evidence
    assert cause.commands == ("kubectl rollouts-py promote app-backend -n ithome", "kubectl rollouts-py abort app-backend -n ithome")


def test_user_abort_without_a_failed_run(load_scenario) -> None:  # type: ignore[no-untyped-def]
    sc = load_scenario("app-backend-canary-step1")
    rollout = copy.deepcopy(sc.get("Rollout", "app-backend"))
    rollout["status"].update(abort=True, pauseConditions=None, phase="Degraded", message="RolloutAborted: Rollout aborted update to revision 2")
    explanation = _explain(sc, rollout=rollout)
    assert [c.kind for c in explanation.causes] == ["aborted"]
    assert explanation.causes[0].commands[0] == "kubectl rollouts-py retry rollout app-backend -n ithome"
    assert explanation.next[0].summary.startswith("Nothing moves on its own")


def test_healthy_is_one_line_and_has_nothing_next(load_scenario) -> None:  # type: ignore[no-untyped-def]
    explanation = _explain(load_scenario("app-backend-healthy"))
    assert len(explanation.causes) == 1 and explanation.causes[0].kind == "healthy"
    assert explanation.causes[0].evidence == () and explanation.next == ()


def test_not_a_dict_is_explained_not_raised(load_scenario) -> None:  # type: ignore[no-untyped-def]
    sc = load_scenario("app-backend-healthy")
    explanation = d.explain_rollout("junk", replica_sets=[None, 3], pods=["x"], analysis_runs=[[]], experiments=[1],  # type: ignore[arg-type, list-item]
                                    now=sc.now)
    assert explanation.causes[0].kind == "no-status"
    assert "rollout metadata.name is missing or not a string" in explanation.unreadable
    assert render_explanation(explanation.to_dict()).startswith("Rollout (no name): Progressing")


def test_render_escapes_every_cluster_string() -> None:
    document = {"name": "evil\x1b]0;t\x07", "namespace": "ns\u202e", "status": "Paused", "message": "m\x9b",
                "step": None, "causes": [{"kind": "paused-step", "summary": "s\x1b[2J", "evidence": ["e\x07"], "commands": ["c\x1b"]}],
                "next": [{"summary": "n\u200b"}], "unreadable": ["u\x00"]}
    text = render_explanation(document)
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text and "\x00" not in text and "\x9b" not in text
    assert "evil\\x1b]0;t\\x07" in text and "s\\x1b[2J" in text and "n\\u200b" in text and "u\\x00" in text


def test_an_abort_by_a_step_analysis_names_the_step(load_scenario) -> None:  # type: ignore[no-untyped-def]
    sc = load_scenario("explain-analysis-failing")
    rollout = copy.deepcopy(sc.get("Rollout", "app-backend"))
    rollout["status"].update(abort=True, phase="Degraded", message="RolloutAborted: Rollout aborted update to revision 2")
    run = copy.deepcopy(sc.of("AnalysisRun")[0])
    run["status"]["phase"] = "Failed"
    run["status"]["metricResults"][0].update(phase="Failed", failed=4)
    cause = _explain(sc, rollout=rollout, runs=[run]).causes[0]
    assert cause.kind == "aborted"
    assert cause.evidence[:2] == ("AnalysisRun app-backend-7d9f8c6b5-2-1 (Failed)", "the analysis of step 2/4")
    assert "4 failed > failureLimit 3: the metric failed" in cause.evidence
