"""When measurements are due, Go durations, and a simulated controller driving runs.

Time is always passed in; the simulated controller advances a fake clock and asks the
engine what is due, exactly as `analyze` would with the wall clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from kubectl_rollouts_py.analysis import args as run_args
from kubectl_rollouts_py.analysis import evaluate as ev
from kubectl_rollouts_py.analysis.evaluate import Phase

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
S = dt.timedelta(seconds=1)


def _result(*letters: str, at: dt.datetime = T0) -> ev.MetricResult:
    phases = {"S": Phase.SUCCESSFUL, "F": Phase.FAILED, "E": Phase.ERROR}
    r = ev.new_metric_result("m")
    for letter in letters:
        r = ev.record_measurement(r, ev.Measurement(phases[letter], started_at=at, finished_at=at))
    return r


def _schedule(metric: dict, result: ev.MetricResult | None, *, started: dt.datetime | None = T0, terminating: bool = False) -> ev.Schedule:
    return ev.next_measurement(ev.MetricSpec.from_dict(metric), result, run_started_at=started, terminating=terminating)


def test_first_measurement_is_immediate_without_initial_delay() -> None:
    assert _schedule({"name": "m"}, None, started=None).due(T0)


def test_initial_delay_counts_from_run_start_inclusive() -> None:
    schedule = _schedule({"name": "m", "initialDelay": "5m"}, None)
    assert schedule.at == T0 + 300 * S and not schedule.strict
    assert not schedule.due(T0 + 299 * S) and schedule.due(T0 + 300 * S)
    # before the run has started, an initialDelay cannot count yet
    assert not _schedule({"name": "m", "initialDelay": "5m"}, None, started=None).due(T0 + 3600 * S)
    # an unparsable delay means never
    assert not _schedule({"name": "m", "initialDelay": "5d"}, None).due(T0 + 10**6 * S)


def test_interval_counts_from_the_last_finish_strictly_after() -> None:
    schedule = _schedule({"name": "m", "interval": "1m"}, _result("S"))
    assert schedule.at == T0 + 60 * S and schedule.strict
    assert not schedule.due(T0 + 60 * S) and schedule.due(T0 + 60 * S + dt.timedelta(microseconds=1))


def test_errors_are_retried_after_ten_seconds_whatever_the_interval() -> None:
    schedule = _schedule({"name": "m", "interval": "1h", "count": 3}, _result("S", "E"))
    assert schedule.at == T0 + 10 * S and schedule.strict


def test_count_reached_terminating_or_finished_means_no_more() -> None:
    assert not _schedule({"name": "m", "interval": "1m", "count": 2}, _result("S", "S")).due(T0 + 3600 * S)
    assert not _schedule({"name": "m", "interval": "1m"}, _result("S"), terminating=True).due(T0 + 3600 * S)
    finished = ev.MetricResult("m", phase=Phase.FAILED, measurements=_result("F").measurements)
    assert _schedule({"name": "m", "interval": "1m"}, finished) == ev.Schedule()
    assert not _schedule({"name": "m", "interval": "bogus"}, _result("S")).due(T0 + 3600 * S)
    # errors do not consume the count: one more measurement is due after an error
    assert _schedule({"name": "m"}, _result("E")).due(T0 + 11 * S)


def test_in_flight_measurements_are_resumed() -> None:
    r = ev.record_measurement(ev.new_metric_result("m"), ev.Measurement(Phase.RUNNING, started_at=T0))
    assert _schedule({"name": "m"}, r, terminating=True).due(T0)
    r = ev.record_measurement(ev.new_metric_result("m"), ev.Measurement(Phase.RUNNING, started_at=T0, resume_at=T0 + 5 * S))
    assert not _schedule({"name": "m"}, r).due(T0 + 4 * S) and _schedule({"name": "m"}, r).due(T0 + 5 * S)


def test_effective_count() -> None:
    assert ev.MetricSpec(name="m").effective_count == 1
    assert ev.MetricSpec(name="m", interval="1m").effective_count is None
    assert ev.MetricSpec(name="m", interval="1m", count=0).effective_count is None
    assert ev.MetricSpec(name="m", interval="1m", count=3).effective_count == 3
    assert ev.MetricSpec.from_dict({"name": "m", "count": "abc", "interval": "1m"}).effective_count is None
    assert ev.MetricSpec.from_dict({"name": "m", "count": "{{args.n}}"}).count == 0


# ------------------------------------------------------------------ a simulated controller

Provider = Callable[[str, dt.datetime], object]


def simulate(run_spec: dict, provider: Provider, *, until: dt.timedelta = dt.timedelta(hours=2)) -> tuple[ev.RunStatus, list[tuple[dt.datetime, str]]]:
    """Reconcile at every instant something is due (plus a microsecond for strict waits)."""
    prepared = run_args.prepare_run(run_spec)
    assert prepared.spec is not None, prepared.error
    spec = prepared.spec
    status = ev.RunStatus()
    now = T0
    log: list[tuple[dt.datetime, str]] = []
    while not status.completed and now - T0 <= until:
        taken = {}
        for name in ev.due_metrics(spec, status, now=now):
            metric = spec.metric(name)
            assert metric is not None
            taken[name] = ev.assess_measurement(metric, provider(name, now), value="", started_at=now, finished_at=now)
            log.append((now, f"{name}:{taken[name].phase.value}"))
        status = ev.reconcile(spec, status, taken, now=now)
        wake = ev.next_reconcile(spec, status)
        if wake is None:
            if status.completed:
                break
            now += dt.timedelta(seconds=1)  # the controller re-queues a changed run at once
        else:
            now = max(wake + dt.timedelta(microseconds=1), now + dt.timedelta(microseconds=1))
    return status, log


def _prometheus_metric(**fields: object) -> dict:
    return {"name": "success-rate", "provider": {"prometheus": {"address": "http://prom:9090", "query": "q"}}, **fields}


def test_simulated_run_with_count_and_interval() -> None:
    values = iter([[0.99], [], [0.5], [0.97], [0.96]])
    status, log = simulate(
        {"metrics": [_prometheus_metric(interval="1m", count=4, failureLimit=1, successCondition="result[0] >= 0.95")]},
        lambda name, now: next(values),
    )
    assert status.phase is Phase.SUCCESSFUL and status.message == ""
    times = [t - T0 for t, _ in log]
    # the error after the first minute is retried 10 s later, not a minute later
    assert [e for _, e in log] == [
        "success-rate:Successful", "success-rate:Error", "success-rate:Failed", "success-rate:Successful",
        "success-rate:Successful",
    ]  # fmt: skip
    assert times[1] - times[0] > dt.timedelta(seconds=60) and times[2] - times[1] < dt.timedelta(seconds=11)
    result = status.metric_results[0]
    assert (result.count, result.successful, result.failed, result.error) == (4, 3, 1, 1)
    assert status.completed_at is not None and status.started_at == T0
    assert result.metadata == {"ResolvedPrometheusQuery": "q"}


def test_simulated_run_with_initial_delay_and_a_failing_sibling() -> None:
    def provider(name: str, now: dt.datetime) -> object:
        return 0.1 if name == "errors" else 0.99

    status, log = simulate(
        {
            "metrics": [
                _prometheus_metric(name="rate", interval="30s", successCondition="result > 0.9"),
                _prometheus_metric(name="errors", interval="30s", initialDelay="2m", failureCondition="result > 0.05"),
            ]
        },
        provider,
    )
    assert status.phase is Phase.FAILED
    assert status.message == 'Metric "errors" assessed Failed due to failed (1) > failureLimit (0)'
    first_error_measure = next(t for t, e in log if e.startswith("errors"))
    assert first_error_measure - T0 >= dt.timedelta(minutes=2)
    rate = status.result("rate")
    assert rate is not None and rate.phase is Phase.SUCCESSFUL  # terminated sibling is Successful


# ------------------------------------------------------------------ Go durations
