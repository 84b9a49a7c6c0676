"""Step, SetWeight and ActualWeight of a canary rollout (and their `list` columns)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kubectl_rollouts_py.derive.rollout import build_rollout_row, build_rollout_view

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.timezone.utc)
STEPS = [{"setWeight": 10}, {"pause": {"duration": "3m"}}, {"setWeight": 33}, {"pause": {}}]


def rollout(*, steps: Any = STEPS, index: Any = None, routing: Any = None, **status: Any) -> dict[str, Any]:
    canary: dict[str, Any] = {}
    if steps is not None:
        canary["steps"] = steps
    if routing is not None:
        canary["trafficRouting"] = routing
    st: dict[str, Any] = {"currentPodHash": "canary", "stableRS": "stable", **status}
    if index is not None:
        st["currentStepIndex"] = index
    return {
        "metadata": {"name": "demo", "namespace": "ns", "uid": "ro-uid", "creationTimestamp": "2026-03-14T10:00:00Z"},
        "spec": {"replicas": 4, "strategy": {"canary": canary}},
        "status": st,
    }


def rs(hash_: str, *, available: int, revision: str = "1") -> dict[str, Any]:
    return {
        "metadata": {
            "name": f"demo-{hash_}",
            "uid": f"rs-{hash_}",
            "creationTimestamp": "2026-03-14T10:00:00Z",
            "labels": {"rollouts-pod-template-hash": hash_},
            "annotations": {"rollout.argoproj.io/revision": revision},
            "ownerReferences": [{"uid": "ro-uid"}],
        },
        "spec": {"replicas": available},
        "status": {"replicas": available, "availableReplicas": available},
    }


def view(ro: dict[str, Any], *replica_sets: dict[str, Any]):  # type: ignore[no-untyped-def]
    return build_rollout_view(ro, replica_sets=list(replica_sets), pods=[], analysis_runs=[], experiments=[], now=NOW)


# --------------------------------------------------------------------------- Step


@pytest.mark.parametrize(
    ("ro", "header", "listed"),
    [
        pytest.param(rollout(index=1), "1/4", "1/4", id="index of steps"),
        pytest.param(rollout(index=0), "0/4", "0/4", id="index 0 is shown"),
        pytest.param(rollout(index=4), "4/4", "4/4", id="past the last step"),
        pytest.param(rollout(), "", "-", id="no index"),
        pytest.param(rollout(index=1, steps=[]), "", "-", id="no steps"),
        pytest.param(rollout(index=1, steps=None), "", "-", id="steps missing"),
        pytest.param(rollout(index="1"), "", "-", id="index wrongly typed counts as unset"),
    ],
)
def test_step(ro: dict[str, Any], header: str, listed: str) -> None:
    assert view(ro).step == header
    assert build_rollout_row(ro).step == listed


def test_blue_green_has_no_step_or_weights() -> None:
    ro = rollout(index=1)
    ro["spec"]["strategy"] = {"blueGreen": {"activeService": "a"}}
    v = view(ro)
    assert (v.strategy, v.step, v.set_weight, v.actual_weight) == ("BlueGreen", "", "", "")
    row = build_rollout_row(ro)
    assert (row.strategy, row.step, row.set_weight) == ("BlueGreen", "-", "-")


def test_no_strategy_lists_as_unknown() -> None:
    ro = rollout(index=1)
    ro["spec"]["strategy"] = {}
    assert view(ro).strategy == ""
    assert (build_rollout_row(ro).strategy, build_rollout_row(ro).step, build_rollout_row(ro).set_weight) == ("unknown", "-", "-")


# --------------------------------------------------------------------------- SetWeight


@pytest.mark.parametrize(
    ("ro", "expected"),
    [
        pytest.param(rollout(index=0), "10", id="on a setWeight step"),
        pytest.param(rollout(index=1), "10", id="pause walks back to the earlier setWeight"),
        pytest.param(rollout(index=3), "33", id="walks back to the nearest earlier setWeight"),
        pytest.param(rollout(), "10", id="no index means step 0"),
        pytest.param(rollout(index=4), "100", id="past the end is the max weight"),
        pytest.param(rollout(index=9), "100", id="far past the end"),
        pytest.param(rollout(index=1, steps=[]), "100", id="no steps is the max weight"),
        pytest.param(rollout(index=0, steps=[{"pause": {}}, {"setWeight": 50}]), "0", id="no earlier setWeight is 0"),
        pytest.param(rollout(index=1, abort=True), "0", id="aborted is 0"),
        pytest.param(rollout(index=4, abort=True), "0", id="aborted past the end is still 0"),
        pytest.param(rollout(index=4, routing={"maxTrafficWeight": 1000}), "1000", id="maxTrafficWeight past the end"),
        pytest.param(rollout(index=1, steps=[], routing={"maxTrafficWeight": 1000}), "1000", id="maxTrafficWeight without steps"),
        pytest.param(rollout(index=2, routing={"maxTrafficWeight": 1000, "nginx": {}}), "33", id="maxTrafficWeight does not scale step weights"),
        pytest.param(rollout(index=4, routing={"nginx": {"stableIngress": "x"}}), "100", id="trafficRouting without maxTrafficWeight"),
    ],
)
def test_set_weight(ro: dict[str, Any], expected: str) -> None:
    assert view(ro).set_weight == expected
    assert build_rollout_row(ro).set_weight == expected


# --------------------------------------------------------------------------- ActualWeight


@pytest.mark.parametrize(
    ("ro", "replica_sets", "expected"),
    [
        # Without traffic routing: canary RS available x maxWeight / rollout available, integer division.
        pytest.param(rollout(index=1, availableReplicas=5), [rs("canary", available=1), rs("stable", available=4)], "20", id="1 of 5 available"),
        pytest.param(rollout(index=1, availableReplicas=4), [rs("canary", available=1), rs("stable", available=3)], "25", id="1 of 4 available"),
        pytest.param(rollout(index=1, availableReplicas=3), [rs("canary", available=1), rs("stable", available=2)], "33", id="1 of 3 truncates"),
        pytest.param(rollout(index=1, availableReplicas=3), [rs("canary", available=2), rs("stable", available=1)], "66", id="2 of 3 truncates, no rounding"),
        pytest.param(rollout(index=1, availableReplicas=4), [rs("stable", available=4)], "0", id="no canary RS"),
        pytest.param(rollout(index=1, availableReplicas=0), [rs("canary", available=1)], "0", id="nothing available"),
        pytest.param(rollout(index=1), [rs("canary", available=1)], "0", id="availableReplicas missing"),
        pytest.param(rollout(index=4, availableReplicas=4), [rs("canary", available=1)], "100", id="past the end is the max weight"),
        pytest.param(rollout(index=1, steps=[], availableReplicas=4), [rs("canary", available=1)], "100", id="no steps is the max weight"),
        pytest.param(rollout(index=1, availableReplicas=4, abort=True), [rs("canary", available=1), rs("stable", available=3)], "25", id="abort does not change the computed weight"),
        # With traffic routing: the weight the controller reports, else the SetWeight.
        pytest.param(
            rollout(index=1, availableReplicas=4, routing={"nginx": {}}, canary={"weights": {"canary": {"weight": 15}, "stable": {"weight": 85}}}),
            [rs("canary", available=1)],
            "15",
            id="trafficRouting reports weights",
        ),
        pytest.param(
            rollout(index=1, availableReplicas=4, routing={"nginx": {}}, canary={"weights": {"stable": {"weight": 100}}}),
            [rs("canary", available=1)],
            "0",
            id="weights without a canary weight is 0",
        ),
        pytest.param(rollout(index=1, availableReplicas=4, routing={"nginx": {}}), [rs("canary", available=1)], "10", id="trafficRouting without weights is SetWeight"),
        pytest.param(rollout(index=1, availableReplicas=4, routing={"nginx": {}}, abort=True), [rs("canary", available=1)], "0", id="trafficRouting aborted is SetWeight 0"),
        pytest.param(rollout(index=1, availableReplicas=0, routing={"nginx": {}}, canary={"weights": {"canary": {"weight": 15}}}), [], "0", id="trafficRouting nothing available"),
        pytest.param(rollout(index=4, availableReplicas=4, routing={"maxTrafficWeight": 1000}), [], "1000", id="trafficRouting past the end is maxTrafficWeight"),
    ],
)
def test_actual_weight(ro: dict[str, Any], replica_sets: list[dict[str, Any]], expected: str) -> None:
    assert view(ro, *replica_sets).actual_weight == expected


def test_story_weights(load_scenario) -> None:  # type: ignore[no-untyped-def]
    """app-backend at step 1 of 4: setWeight 10 done, 1 of 5 available pods is canary (1 x 100 / 5)."""
    v = load_scenario("app-backend-canary-step1").rollout_view()
    assert (v.step, v.set_weight, v.actual_weight) == ("1/4", "10", "20")
    aborted = load_scenario("app-backend-aborted").rollout_view()
    assert (aborted.step, aborted.set_weight, aborted.actual_weight) == ("0/4", "0", "0")
    healthy = load_scenario("app-backend-healthy").rollout_view()
    assert (healthy.step, healthy.set_weight, healthy.actual_weight) == ("4/4", "100", "100")
