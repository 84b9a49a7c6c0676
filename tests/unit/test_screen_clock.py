"""What changes on screen with the clock alone: the pause countdown (derive.rollout) and
when ages, delays and countdowns next read differently (derive.clock)."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from conftest import scenario_names

from kubectl_rollouts_py.derive import clock
from kubectl_rollouts_py.derive import rollout as derive_rollout
from kubectl_rollouts_py.derive.humantime import human_duration

T0 = dt.datetime(2026, 11, 29, 8, 0, 0, tzinfo=dt.timezone.utc)

ROLLOUT = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Rollout",
    "metadata": {"name": "app", "namespace": "ns", "uid": "u1", "creationTimestamp": "2026-11-29T07:00:00Z"},
    "spec": {"replicas": 1, "strategy": {"canary": {"steps": [{"setWeight": 10}, {"pause": {"duration": "3m"}}, {"pause": {}}]}}},
    "status": {"currentStepIndex": 1, "phase": "Paused", "message": "CanaryPauseStep",
               "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2026-11-29T08:00:00Z"}]},
}


def view(rollout: dict, now: dt.datetime):  # type: ignore[no-untyped-def]
    return derive_rollout.build_rollout_view(rollout, replica_sets=[], pods=[], analysis_runs=[], experiments=[], now=now)


def with_step(duration: object, index: int = 1) -> dict:
    rollout = copy.deepcopy(ROLLOUT)
    rollout["spec"]["strategy"]["canary"]["steps"][1] = {"pause": {"duration": duration}}
    rollout["status"]["currentStepIndex"] = index
    return rollout


@pytest.mark.parametrize(("duration", "elapsed", "left"), [
    ("3m", 47, "2m13s"), ("3m", 179.5, "1s"), ("3m", 180, "0s"), ("3m", 4000, "0s"),
    (90, 0, "1m30s"), ("90", 30, "1m0s"), ("1h30m", 5, "1h29m55s"), ("0s", 0, "0s"),
])
def test_pause_time_left(duration: object, elapsed: float, left: str) -> None:
    shown = view(with_step(duration), T0 + dt.timedelta(seconds=elapsed))
    assert shown.pause_remaining == left
    assert shown.pause_ends_at is not None


@pytest.mark.parametrize("rollout", [
    with_step("soon"),  # unreadable duration
    with_step("3m", index=2),  # the current step is an indefinite pause
    with_step("3m", index=7),  # past the last step
    {**ROLLOUT, "status": {**ROLLOUT["status"], "pauseConditions": []}},
    {**ROLLOUT, "status": {**ROLLOUT["status"], "phase": "Progressing"}},  # not paused
])
def test_no_countdown_without_a_timed_pause(rollout: dict) -> None:
    shown = view(rollout, T0)
    assert shown.pause_remaining is None and shown.pause_ends_at is None


def test_blue_green_auto_promotion_counts_down() -> None:
    rollout = copy.deepcopy(ROLLOUT)
    rollout["spec"]["strategy"] = {"blueGreen": {"autoPromotionSeconds": 30}}
    rollout["status"]["pauseConditions"] = [{"reason": "BlueGreenPause", "startTime": "2026-11-29T08:00:00Z"}]
    assert view(rollout, T0 + dt.timedelta(seconds=10)).pause_remaining == "20s"
    rollout["spec"]["strategy"]["blueGreen"]["autoPromotionEnabled"] = False
    assert view(rollout, T0).pause_remaining is None


def test_the_countdown_stays_out_of_machine_output() -> None:
    assert view(with_step("3m"), T0).to_dict() == view(with_step("3m"), T0 + dt.timedelta(seconds=5)).to_dict()


@pytest.mark.parametrize("seconds", [-3, -1.5, 0, 0.4, 59.2, 119.999, 125, 599.5, 600, 3599, 3600 * 7.9, 3600 * 8, 86400 * 3.3,
                                     86400 * 9, 86400 * 400, 86400 * 365 * 3.1, 86400 * 365 * 9])
def test_age_changes_exactly_when_its_text_does(seconds: float) -> None:
    wait = clock.age_changes_in(seconds)
    assert wait > 0
    assert human_duration(seconds + wait - 0.002) == human_duration(seconds)
    assert human_duration(seconds + wait) != human_duration(seconds)


@pytest.mark.parametrize("seconds", [0.3, 1, 59.5, 601, 3600 * 9, 86400 * 10])
def test_delay_countdown_changes_exactly_when_its_text_does(seconds: float) -> None:
    wait = clock.countdown_changes_in(seconds)
    assert wait is not None
    shown = human_duration(seconds)
    assert human_duration(seconds - wait + 0.002) == shown
    after = seconds - wait
    assert after < 0 or human_duration(after) != shown
    assert clock.countdown_changes_in(-1) is None


def test_pause_countdown_changes_every_second_until_zero() -> None:
    assert clock.pause_changes_in(2.5) == pytest.approx(0.501)
    assert clock.pause_changes_in(2.0) == pytest.approx(1.001)
    assert clock.pause_changes_in(0) is None


def test_next_change_of_a_view() -> None:
    now = T0 + dt.timedelta(seconds=47.25)
    shown = view(with_step("3m"), now)
    # The rollout is 1 h old (its age changes at the next minute) but the countdown ticks.
    assert clock.next_change(shown, now) == now + dt.timedelta(seconds=0.751)  # 132.75 s left shows 2m13s until 132 s
    done = view(with_step("3m"), T0 + dt.timedelta(minutes=5))
    assert clock.next_change(done, T0 + dt.timedelta(minutes=5)) == T0 + dt.timedelta(minutes=6, seconds=0.001)
    assert clock.next_change(object(), now) is None


# --------------------------------------------------------------------------- re-ageing


@pytest.mark.parametrize("name", scenario_names())
@pytest.mark.parametrize("later", [0.4, 61, 3600 * 5, 86400 * 3, -86400 * 400])
def test_reaged_view_equals_a_fresh_derivation(load_scenario, name: str, later: float) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from kubectl_rollouts_py.derive.analysis import attach_analysis, build_analysis_run_view

    scenario = load_scenario(name)
    then = scenario.now + dt.timedelta(seconds=later)
    for kind, build in (("Rollout", "rollout_view"), ("Experiment", "experiment_view")):
        for ref in scenario.refs(kind):
            before = getattr(scenario, build)(ref.name)
            fresh = getattr(dataclasses.replace(scenario, now=then), build)(ref.name)
            assert clock.reaged(before, then) == fresh
    for ref in scenario.refs("Rollout"):  # with the analysis table's runs
        rollout = scenario.get("Rollout", ref.name)

        def with_runs(now: dt.datetime):  # type: ignore[no-untyped-def]
            view = dataclasses.replace(scenario, now=now).rollout_view(ref.name)
            return attach_analysis(view, rollout, analysis_runs=scenario.of("AnalysisRun"), replica_sets=scenario.of("ReplicaSet"),
                                   scope="all", now=now)

        assert clock.reaged(with_runs(scenario.now), then) == with_runs(then)
    for run in scenario.of("AnalysisRun"):  # `get analysisrun -w` views
        assert clock.reaged(build_analysis_run_view(run, scenario.now), then) == build_analysis_run_view(run, then)


def test_reaged_redoes_countdowns_and_delays() -> None:
    rollout = with_step("3m")
    assert clock.reaged(view(rollout, T0), T0 + dt.timedelta(seconds=100)) == view(rollout, T0 + dt.timedelta(seconds=100))
    with pytest.raises(TypeError):
        clock.reaged(object(), T0)


def test_next_change_counts_the_analysis_table_and_analysis_run_views() -> None:
    from kubectl_rollouts_py.derive.analysis import attach_analysis, build_analysis_run_view

    rollout = {**ROLLOUT, "status": {**ROLLOUT["status"], "pauseConditions": []}}
    run = {"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisRun",
           "metadata": {"name": "run", "namespace": "ns", "uid": "r1", "creationTimestamp": "2026-11-29T07:00:00Z",
                        "ownerReferences": [{"kind": "Rollout", "name": "app", "uid": "u1", "controller": True}]},
           "status": {"phase": "Running", "metricResults": [{"name": "m", "phase": "Running",
                      "measurements": [{"phase": "Successful", "startedAt": "2026-11-29T07:59:30Z"}]}]}}
    now = T0 + dt.timedelta(seconds=0.5)  # the measurement is 30.5 s old: its age ticks each second
    shown = attach_analysis(view(rollout, now), rollout, analysis_runs=[run], replica_sets=[], scope="all", now=now)
    assert clock.next_change(shown, now) == now + dt.timedelta(seconds=0.501)
    assert clock.next_change(build_analysis_run_view(run, now), now) == now + dt.timedelta(seconds=0.501)
    assert clock.next_change(view(rollout, now), now) == T0 + dt.timedelta(minutes=1, seconds=0.001)
