"""derive/actions.py: which actions a rollout offers now, as the Argo Rollouts kubectl plugin
would change something with them, and why the others are disabled."""

from __future__ import annotations

from typing import Any

import pytest

from kubectl_rollouts_py.derive.actions import ACTIONS, DESTRUCTIVE, rollout_actions

STEPS = [{"setWeight": 10}, {"pause": {}}, {"setWeight": 50}, {"pause": {"duration": "1m"}}]


def canary(status: dict[str, Any], spec: dict[str, Any] | None = None, steps: list[Any] | None = STEPS) -> dict[str, Any]:
    strategy: dict[str, Any] = {"canary": {"steps": steps} if steps is not None else {}}
    return {"metadata": {"name": "r", "namespace": "ns"}, "spec": {"replicas": 1, "strategy": strategy, **(spec or {})},
            "status": {"replicas": 1, "updatedReplicas": 1, "availableReplicas": 1, **status}}


def enabled(rollout: dict[str, Any]) -> set[str]:
    return {a.action for a in rollout_actions(rollout) if a.enabled}


def reasons(rollout: dict[str, Any]) -> dict[str, str]:
    return {a.action: a.reason for a in rollout_actions(rollout)}


HEALTHY = canary({"currentPodHash": "a", "stableRS": "a", "currentStepIndex": 4})
PAUSED = canary({"currentPodHash": "b", "stableRS": "a", "currentStepIndex": 1,
                 "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2026-01-01T00:00:00Z"}]})
MID_STEPS = canary({"currentPodHash": "b", "stableRS": "a", "currentStepIndex": 2, "updatedReplicas": 0})
ABORTED = canary({"currentPodHash": "b", "stableRS": "a", "currentStepIndex": 0, "abort": True,
                  "conditions": [{"type": "Progressing", "reason": "RolloutAborted", "message": "x"}]})


def test_every_action_is_listed_once_with_destructive_marked() -> None:
    states = rollout_actions(HEALTHY)
    assert [a.action for a in states] == list(ACTIONS)
    assert {a.action for a in states if a.destructive} == DESTRUCTIVE == {"abort", "promote-full", "undo"}
    assert all(a.enabled == (a.reason == "") for a in states)


def test_healthy_offers_no_promote_abort_or_retry() -> None:
    assert enabled(HEALTHY) == {"pause", "restart", "undo"}
    why = reasons(HEALTHY)
    assert why["promote"] == "nothing to promote: the rollout is fully promoted"
    assert why["promote-full"] == "the rollout is already fully promoted"
    assert why["abort"] == "nothing to abort: no update is in progress"
    assert why["retry"] == "only an aborted rollout can be retried"


def test_a_paused_canary_can_be_promoted_fully_or_aborted_not_retried() -> None:
    assert enabled(PAUSED) == {"promote", "promote-full", "abort", "pause", "restart", "undo"}


def test_a_canary_between_steps_can_be_promoted_to_the_next() -> None:
    assert {"promote", "promote-full", "abort"} <= enabled(MID_STEPS)


def test_an_aborted_rollout_is_retried_first() -> None:
    assert enabled(ABORTED) == {"retry", "pause", "restart", "undo"}
    why = reasons(ABORTED)
    assert why["promote"] == why["promote-full"] == "the rollout is aborted: retry it first"
    assert why["abort"] == "the rollout is already aborted"


def test_manual_pause_once() -> None:
    paused = canary({"currentPodHash": "a", "stableRS": "a", "currentStepIndex": 4}, spec={"paused": True})
    assert reasons(paused)["pause"] == "the rollout is already paused"
    # promote (and promote --full) unpause a manually paused rollout, even a complete one;
    # there is no update to abort.
    assert {"promote", "promote-full"} <= enabled(paused)
    assert reasons(paused)["abort"] == "nothing to abort: no update is in progress"


def test_restart_not_while_one_is_pending() -> None:
    pending = canary({"currentPodHash": "a", "stableRS": "a", "restartedAt": "2026-01-01T00:00:00Z"},
                     spec={"restartAt": "2026-01-02T00:00:00Z"})
    assert reasons(pending)["restart"] == "a restart is already pending"
    done = canary({"currentPodHash": "a", "stableRS": "a", "restartedAt": "2026-01-02T00:00:00Z"},
                  spec={"restartAt": "2026-01-02T00:00:00Z"})
    assert "restart" in enabled(done)


@pytest.mark.parametrize("rollout", [{}, {"spec": "x", "status": []}, {"status": {"abort": "yes", "pauseConditions": "no"}}])
def test_malformed_objects_give_an_answer(rollout: dict[str, Any]) -> None:
    assert [a.action for a in rollout_actions(rollout)] == list(ACTIONS)


def test_a_blue_green_paused_for_promotion() -> None:
    rollout = {"spec": {"replicas": 1, "strategy": {"blueGreen": {"activeService": "a"}}},
               "status": {"currentPodHash": "b", "stableRS": "a", "pauseConditions": [{"reason": "BlueGreenPause"}]}}
    assert {"promote", "promote-full", "abort"} <= enabled(rollout)
    assert "retry" not in enabled(rollout)
