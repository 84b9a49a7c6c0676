"""Rollout status and message: every rule in Argo's order (first hit wins).

Each case is one minimal rollout dict. Most cases also carry the trigger of a *later* rule,
so a case only passes if its own rule is checked first.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubectl_rollouts_py.derive.rollout import build_rollout_row, rollout_status


def canary_done(**status: Any) -> dict[str, Any]:
    """A canary rollout that reaches rule (i) Healthy unless a case changes it."""
    rollout: dict[str, Any] = {
        "metadata": {"name": "demo", "namespace": "ns", "uid": "u-1", "generation": 2},
        "spec": {"replicas": 2, "strategy": {"canary": {"steps": [{"setWeight": 50}]}}},
        "status": {
            "observedGeneration": "2",
            "replicas": 2,
            "updatedReplicas": 2,
            "availableReplicas": 2,
            "readyReplicas": 2,
            "currentPodHash": "h2",
            "stableRS": "h2",
        },
    }
    rollout["status"].update(status)
    return rollout


def bluegreen_done(**status: Any) -> dict[str, Any]:
    rollout = canary_done(**status)
    rollout["spec"]["strategy"] = {"blueGreen": {"activeService": "active", "previewService": "preview"}}
    rollout["status"].setdefault("blueGreen", {"activeSelector": "h2"})
    return rollout


def with_(rollout: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `rollout` with the dotted `path` set to `value`."""
    result = copy.deepcopy(rollout)
    *head, last = path.split(".")
    node = result
    for key in head:
        node = node.setdefault(key, {})
    node[last] = value
    return result


def without(rollout: dict[str, Any], path: str) -> dict[str, Any]:
    result = copy.deepcopy(rollout)
    *head, last = path.split(".")
    node = result
    for key in head:
        node = node[key]
    del node[last]
    return result


ABORTED = {"type": "Progressing", "status": "False", "reason": "RolloutAborted", "message": "Rollout aborted update to revision 2"}
DEADLINE = {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": 'ReplicaSet "demo-h2" has timed out progressing.'}
INVALID = {"type": "InvalidSpec", "status": "True", "reason": "InvalidSpec", "message": "The Rollout \"demo\" is invalid: spec.strategy.canary.steps[0].setWeight: Invalid value: 120"}
NOT_OBSERVED = ("Progressing", "waiting for rollout spec update to be observed")
UNPAUSE = ("Progressing", "waiting for rollout to unpause")
WORKLOAD = ("Progressing", "waiting for rollout spec update to be observed for the referenced workload")
HEALTHY = ("Healthy", "")


def workload_ref(annotation: Any, observed: Any, resolved: Any = True) -> dict[str, Any]:
    rollout = canary_done(workloadObservedGeneration=observed)
    rollout["spec"]["templateResolvedFromRef"] = resolved
    rollout["metadata"]["annotations"] = {"rollout.argoproj.io/workload-generation": annotation}
    return rollout


CASES = [
    # ---- 1. generation not observed (observedGeneration is a string in the API)
    ("1: observed generation string lower than generation", with_(canary_done(observedGeneration="1", phase="Healthy"), "spec.paused", True), NOT_OBSERVED),
    ("1: beats controllerPause and phase", canary_done(observedGeneration="1", controllerPause=True, phase="Healthy"), NOT_OBSERVED),
    ("1: signed number parses like Go", canary_done(observedGeneration="+1"), NOT_OBSERVED),
    ("1: negative number is lower", canary_done(observedGeneration="-1"), NOT_OBSERVED),
    # Not in the API schema: an integer is taken as the number it is (project decision).
    ("1: integer observedGeneration lower than generation", canary_done(observedGeneration=1), NOT_OBSERVED),
    ("1: integer observedGeneration equal is observed", canary_done(observedGeneration=2), HEALTHY),
    ("1: equal generation is observed", canary_done(observedGeneration="2"), HEALTHY),
    ("1: higher observed generation counts as observed", canary_done(observedGeneration="3"), HEALTHY),
    ("1: non-numeric counts as observed", canary_done(observedGeneration="abc"), HEALTHY),
    ("1: decimal string is non-numeric", canary_done(observedGeneration="1.0"), HEALTHY),
    ("1: empty string counts as observed", canary_done(observedGeneration=""), HEALTHY),
    ("1: missing counts as observed", without(canary_done(), "status.observedGeneration"), HEALTHY),
    ("1: missing metadata.generation is 0", without(canary_done(observedGeneration="1"), "metadata.generation"), HEALTHY),
    # ---- 2. controller pause without pause conditions
    ("2: controllerPause and no pauseConditions", canary_done(controllerPause=True, phase="Paused", message="CanaryPauseStep"), UNPAUSE),
    ("2: controllerPause and empty pauseConditions", canary_done(controllerPause=True, pauseConditions=[]), UNPAUSE),
    (
        "2: controllerPause with a pause condition falls through to 5c",
        canary_done(controllerPause=True, pauseConditions=[{"reason": "CanaryPauseStep", "startTime": "2026-03-14T11:58:40Z"}]),
        ("Paused", "CanaryPauseStep"),
    ),
    ("2: controllerPause false is ignored", canary_done(controllerPause=False), HEALTHY),
    # ---- 3. workloadRef template not yet observed
    ("3: workload generation differs", workload_ref("3", "2"), WORKLOAD),
    ("3: beats the controller phase", with_(workload_ref("3", "2"), "status.phase", "Healthy"), WORKLOAD),
    ("3: same generation is observed", workload_ref("3", "3"), HEALTHY),
    ("3: templateResolvedFromRef false", workload_ref("3", "2", resolved=False), HEALTHY),
    ("3: annotation not an integer", workload_ref("three", "2"), HEALTHY),
    ("3: annotation outside int32", workload_ref("4294967296", "2"), HEALTHY),
    ("3: workloadObservedGeneration not an integer", workload_ref("3", "x"), HEALTHY),
    ("3: workloadObservedGeneration missing", without(workload_ref("3", "2"), "status.workloadObservedGeneration"), HEALTHY),
    # ---- 4. phase written by the controller, verbatim
    ("4: controller phase wins over conditions", canary_done(phase="Paused", message="BlueGreenPause", conditions=[ABORTED]), ("Paused", "BlueGreenPause")),
    ("4: unknown phase passes through", canary_done(phase="Warming", message="cache priming"), ("Warming", "cache priming")),
    ("4: phase without message", canary_done(phase="Progressing"), ("Progressing", "")),
    ("4: empty phase is computed", canary_done(phase="", message="stale", conditions=[ABORTED]), ("Degraded", "RolloutAborted: Rollout aborted update to revision 2")),
    # ---- 5a. conditions, in order
    ("5a: InvalidSpec", with_(canary_done(conditions=[INVALID]), "spec.paused", True), ("Degraded", "InvalidSpec: " + INVALID["message"])),
    ("5a: RolloutAborted", with_(canary_done(conditions=[ABORTED]), "spec.paused", True), ("Degraded", "RolloutAborted: " + ABORTED["message"])),
    ("5a: ProgressDeadlineExceeded", canary_done(conditions=[DEADLINE], updatedReplicas=0), ("Degraded", "ProgressDeadlineExceeded: " + DEADLINE["message"])),
    ("5a: first matching condition wins", canary_done(conditions=[DEADLINE, INVALID]), ("Degraded", "ProgressDeadlineExceeded: " + DEADLINE["message"])),
    ("5a: InvalidSpec matched by type", canary_done(conditions=[{"type": "InvalidSpec", "reason": "Whatever", "message": "bad"}]), ("Degraded", "InvalidSpec: bad")),
    ("5a: aborted matched by reason, any type", canary_done(conditions=[{"type": "Paused", "reason": "RolloutAborted", "message": "m"}]), ("Degraded", "RolloutAborted: m")),
    ("5a: condition status is not looked at", canary_done(conditions=[dict(DEADLINE, status="True")]), ("Degraded", "ProgressDeadlineExceeded: " + DEADLINE["message"])),
    ("5a: other reasons are ignored", canary_done(conditions=[{"type": "Progressing", "reason": "NewReplicaSetAvailable", "message": "ok"}]), HEALTHY),
    # ---- 5b. manual pause
    (
        "5b: spec.paused beats restart and replica counts",
        with_(with_(canary_done(updatedReplicas=0, restartedAt="2026-03-13T00:00:00Z"), "spec.restartAt", "2026-03-14T00:00:00Z"), "spec.paused", True),
        ("Paused", "manually paused"),
    ),
    ("5b: spec.paused false is not a pause", with_(canary_done(), "spec.paused", False), HEALTHY),
    ("5b: spec.paused beats pause conditions", with_(canary_done(pauseConditions=[{"reason": "CanaryPauseStep"}]), "spec.paused", True), ("Paused", "manually paused")),
    # ---- 5c. pause condition, first one
    ("5c: first pause condition's reason", canary_done(pauseConditions=[{"reason": "InconclusiveAnalysisRun"}, {"reason": "CanaryPauseStep"}], updatedReplicas=0), ("Paused", "InconclusiveAnalysisRun")),
    ("5c: BlueGreenPause", bluegreen_done(pauseConditions=[{"reason": "BlueGreenPause"}]), ("Paused", "BlueGreenPause")),
    # ---- 5d. restart
    ("5d: restartAt without restartedAt", with_(canary_done(updatedReplicas=0), "spec.restartAt", "2026-03-14T12:00:00Z"), ("Progressing", "rollout is restarting")),
    ("5d: restartAt differs from restartedAt", with_(canary_done(restartedAt="2026-03-13T12:00:00Z"), "spec.restartAt", "2026-03-14T12:00:00Z"), ("Progressing", "rollout is restarting")),
    ("5d: restart done", with_(canary_done(restartedAt="2026-03-14T12:00:00Z"), "spec.restartAt", "2026-03-14T12:00:00Z"), HEALTHY),
    # ---- 5e. updated < desired
    ("5e: updated below spec.replicas", canary_done(updatedReplicas=1, availableReplicas=0), ("Progressing", "more replicas need to be updated")),
    ("5e: desired defaults to 1", without(canary_done(updatedReplicas=0, availableReplicas=0), "spec.replicas"), ("Progressing", "more replicas need to be updated")),
    ("5e: missing updatedReplicas is 0", without(canary_done(), "status.updatedReplicas"), ("Progressing", "more replicas need to be updated")),
    ("5e: spec.replicas 0 needs nothing", with_(canary_done(updatedReplicas=0, availableReplicas=0, replicas=0), "spec.replicas", 0), HEALTHY),
    # ---- 5f. available < updated
    ("5f: available below updated", canary_done(availableReplicas=1, stableRS="h1"), ("Progressing", "updated replicas are still becoming available")),
    # ---- 5g. blue-green
    ("5g: no active selector", bluegreen_done(blueGreen={}), ("Progressing", "active service cutover pending")),
    ("5g: active selector not the current hash", bluegreen_done(blueGreen={"activeSelector": "h1"}, stableRS="h1"), ("Progressing", "active service cutover pending")),
    ("5g: stable not yet current, no post-promotion analysis", bluegreen_done(stableRS="h1"), ("Progressing", "waiting for post-promotion verification to complete")),
    ("5g: stableRS empty", bluegreen_done(stableRS=""), ("Progressing", "waiting for post-promotion verification to complete")),
    (
        "5g: post-promotion analysis without a run status",
        with_(bluegreen_done(stableRS="h1"), "spec.strategy.blueGreen.postPromotionAnalysis", {"templates": [{"templateName": "smoke"}]}),
        ("Progressing", "waiting for analysis to complete"),
    ),
    (
        "5g: post-promotion analysis still running",
        with_(bluegreen_done(stableRS="h1", blueGreen={"activeSelector": "h2", "postPromotionAnalysisRunStatus": {"status": "Running"}}),
              "spec.strategy.blueGreen.postPromotionAnalysis", {"templates": [{"templateName": "smoke"}]}),
        ("Progressing", "waiting for analysis to complete"),
    ),
    *[
        (
            f"5g: post-promotion analysis completed ({phase})",
            with_(bluegreen_done(stableRS="h1", blueGreen={"activeSelector": "h2", "postPromotionAnalysisRunStatus": {"status": phase}}),
                  "spec.strategy.blueGreen.postPromotionAnalysis", {"templates": [{"templateName": "smoke"}]}),
            ("Progressing", "waiting for post-promotion verification to complete"),
        )
        for phase in ("Successful", "Failed", "Error", "Inconclusive")
    ],
    ("5g: blue-green healthy", bluegreen_done(), HEALTHY),
    # Blue-green does not look at old replicas (that is the canary rule 5h).
    ("5g: blue-green ignores extra replicas", bluegreen_done(replicas=4), HEALTHY),
    # ---- 5h. canary
    ("5h: old replicas pending termination", canary_done(replicas=3, stableRS="h1"), ("Progressing", "old replicas are pending termination")),
    (
        "5h: with trafficRouting old replicas are not checked",
        with_(canary_done(replicas=3, stableRS="h1"), "spec.strategy.canary.trafficRouting", {"nginx": {"stableIngress": "demo"}}),
        ("Progressing", "waiting for all steps to complete"),
    ),
    (
        "5h: empty trafficRouting still counts as set",
        with_(canary_done(replicas=3), "spec.strategy.canary.trafficRouting", {}),
        HEALTHY,
    ),
    ("5h: stable is not the current hash", canary_done(stableRS="h1"), ("Progressing", "waiting for all steps to complete")),
    ("5h: stableRS empty", without(canary_done(), "status.stableRS"), ("Progressing", "waiting for all steps to complete")),
    # ---- 5i. healthy
    ("5i: canary healthy", canary_done(), HEALTHY),
    ("5i: no strategy at all", with_(canary_done(stableRS="x"), "spec.strategy", {}), HEALTHY),
]


@pytest.mark.parametrize(("rollout", "expected"), [pytest.param(r, e, id=i) for i, r, e in CASES])
def test_rollout_status_rules_in_order(rollout: dict[str, Any], expected: tuple[str, str]) -> None:
    assert rollout_status(rollout) == expected


@pytest.mark.parametrize(("rollout", "expected"), [pytest.param(r, e, id=i) for i, r, e in CASES])
def test_list_row_status_is_the_phase_only(rollout: dict[str, Any], expected: tuple[str, str]) -> None:
    assert build_rollout_row(rollout).status == expected[0]


def test_status_does_not_mutate_its_input() -> None:
    rollout = canary_done(conditions=[ABORTED], pauseConditions=[{"reason": "CanaryPauseStep"}])
    before = copy.deepcopy(rollout)
    rollout_status(rollout)
    assert rollout == before


def test_case_ids_are_unique() -> None:
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))
