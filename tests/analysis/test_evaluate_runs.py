"""Measurement → phase, counters, metric phase and run phase, table-driven.

Scenarios are written compactly. A step measures `"a:S b:E(boom)"` (Successful, Failed,
Inconclusive, Error with a message) and may terminate the run; it expects the run as
`"Phase|message|runSummary|dryRunSummary"` (summaries as count/successful/failed/
inconclusive/error) and each metric as `"Phase count/successful/failed/inconclusive/error/
consecutiveError/consecutiveSuccess again|stop"`. Many are transcribed from the shared
vectors (runs.json), which the tests do not read.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

import pytest

from kubectl_rollouts_py.analysis import evaluate as ev
from kubectl_rollouts_py.analysis.evaluate import Phase

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
LETTERS = {"S": Phase.SUCCESSFUL, "F": Phase.FAILED, "I": Phase.INCONCLUSIVE, "E": Phase.ERROR}


def _measurements(text: str, now: dt.datetime) -> dict[str, ev.Measurement]:
    out = {}
    for item in text.split():
        name, _, spec = item.partition(":")
        match = re.fullmatch(r"([SFIE])(?:\((.*)\))?", spec)
        assert match, item
        out[name] = ev.Measurement(LETTERS[match[1]], message=match[2] or "", started_at=now, finished_at=now)
    return out


def _summary(s: ev.RunSummary) -> str:
    return f"{s.count}/{s.successful}/{s.failed}/{s.inconclusive}/{s.error}"


def _metric(r: ev.MetricResult, m: ev.MetricSpec, terminating: bool) -> str:
    counters = f"{r.count}/{r.successful}/{r.failed}/{r.inconclusive}/{r.error}/{r.consecutive_error}/{r.consecutive_success}"
    again = "again" if ev.would_measure_again(m, r, terminating=terminating) else "stop"
    return f"{r.phase.value} {counters} {again}"


def drive(metrics: list[dict], steps: list[tuple], dry_run: tuple[str, ...] = ()) -> None:
    names = [m["name"] for m in metrics]
    spec = ev.RunSpec.from_dicts(metrics, dry_run=ev.dry_run_metric_names(dry_run, names) if dry_run else ())
    status = ev.RunStatus()
    now = T0
    for number, (measure, terminate, run, expect_metrics) in enumerate(steps, start=1):
        if terminate:
            spec = replace(spec, terminate=True)
        status = ev.reconcile(spec, status, _measurements(measure, now), now=now)
        got_run = f"{status.phase.value}|{status.message}|{_summary(status.run_summary)}|{_summary(status.dry_run_summary)}"
        assert got_run == run, f"step {number}"
        terminating = ev.is_terminating(spec.terminate, status.metric_results)
        got = {r.name: _metric(r, spec.metric(r.name), terminating) for r in status.metric_results}  # type: ignore[arg-type]
        assert got == expect_metrics, f"step {number}"
        now += dt.timedelta(minutes=1)


NO = "0/0/0/0/0"
SCENARIOS = {
    "defaults: one success completes": (
        [{"name": "m"}],
        [("m:S", False, f"Successful||1/1/0/0/0|{NO}", {"m": "Successful 1/1/0/0/0/0/1 stop"})],
    ),
    "defaults: one failure fails the metric at once": (
        [{"name": "m"}],
        [("m:F", False, f'Failed|Metric "m" assessed Failed due to failed (1) > failureLimit (0)|1/0/1/0/0|{NO}',
          {"m": "Failed 1/0/1/0/0/0/0 stop"})],
    ),
    "defaults: one inconclusive ends it": (
        [{"name": "m"}],
        [("m:I", False, f'Inconclusive|Metric "m" assessed Inconclusive due to inconclusive (1) > inconclusiveLimit (0)|1/0/0/1/0|{NO}',
          {"m": "Inconclusive 1/0/0/1/0/0/0 stop"})],
    ),
    "errors are retried; the 5th consecutive error is Error with the message": (
        [{"name": "m"}],
        [
            ("m:E(boom)", False, f"Running||1/0/0/0/0|{NO}", {"m": f"Running 0/0/0/0/{i}/{i}/0 again"}) for i in range(1, 5)
        ]
        + [("m:E(boom)", False,
            f'Error|Metric "m" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4): "Error Message: boom"|1/0/0/0/1|{NO}',
            {"m": "Error 0/0/0/0/5/5/0 stop"})],
    ),
    "errors do not count toward count": (
        [{"name": "m"}],
        [
            ("m:E(x)", False, f"Running||1/0/0/0/0|{NO}", {"m": "Running 0/0/0/0/1/1/0 again"}),
            ("m:S", False, f"Successful||1/1/0/0/0|{NO}", {"m": "Successful 1/1/0/0/1/0/1 stop"}),
        ],
    ),
    "interval without count runs until terminated": (
        [{"name": "m", "interval": "1m"}],
        [
            ("m:S", False, f"Running||1/0/0/0/0|{NO}", {"m": "Running 1/1/0/0/0/0/1 again"}),
            ("", True, f"Successful|Run Terminated|1/1/0/0/0|{NO}", {"m": "Successful 1/1/0/0/0/0/1 stop"}),
        ],
    ),
    "count 3, failureLimit 1: one failure tolerated": (
        [{"name": "m", "interval": "1m", "count": 3, "failureLimit": 1}],
        [
            ("m:S", False, f"Running||1/0/0/0/0|{NO}", {"m": "Running 1/1/0/0/0/0/1 again"}),
            ("m:F", False, f"Running||1/0/0/0/0|{NO}", {"m": "Running 2/1/1/0/0/0/0 again"}),
            ("m:S", False, f"Successful||1/1/0/0/0|{NO}", {"m": "Successful 3/2/1/0/0/0/1 stop"}),
        ],
    ),
    "count 5, inconclusiveLimit 1: second inconclusive trips": (
        [{"name": "m", "interval": "1m", "count": 5, "inconclusiveLimit": 1}],
        [
            ("m:I", False, f"Running||1/0/0/0/0|{NO}", {"m": "Running 1/0/0/1/0/0/0 again"}),
            ("m:S", False, f"Running||1/0/0/0/0|{NO}", {"m": "Running 2/1/0/1/0/0/1 again"}),
            ("m:I", False, f'Inconclusive|Metric "m" assessed Inconclusive due to inconclusive (2) > inconclusiveLimit (1)|1/0/0/1/0|{NO}',
             {"m": "Inconclusive 3/1/0/2/0/0/0 stop"}),
        ],
    ),
    "consecutiveErrorLimit 0: the first error ends it": (
        [{"name": "m", "interval": "1m", "consecutiveErrorLimit": 0}],
        [("m:E(refused)", False,
          f'Error|Metric "m" assessed Error due to consecutiveErrors (1) > consecutiveErrorLimit (0): "Error Message: refused"|1/0/0/0/1|{NO}',
          {"m": "Error 0/0/0/0/1/1/0 stop"})],
    ),
    "failureLimit -1 + CSL 3 + count 5: count reached without a streak is Failed, no message": (
        [{"name": "m", "interval": "1m", "failureLimit": -1, "consecutiveSuccessLimit": 3, "count": 5}],
        [
            ("m:F", False, f"Running||1/0/0/0/0|{NO}", {"m": "Running 1/0/1/0/0/0/0 again"}),
            ("m:S", False, f"Running||1/0/0/0/0|{NO}", {"m": "Running 2/1/1/0/0/0/1 again"}),
            ("m:S", False, f"Running||1/0/0/0/0|{NO}", {"m": "Running 3/2/1/0/0/0/2 again"}),
            ("m:F", False, f"Running||1/0/0/0/0|{NO}", {"m": "Running 4/2/2/0/0/0/0 again"}),
            ("m:S", False, f"Failed||1/1/0/0/0|{NO}", {"m": "Failed 5/3/2/0/0/0/1 stop"}),
        ],
    ),
    "failureLimit 2 + CSL 3 + count 4: count reached, no streak, failures ok → Inconclusive": (
        [{"name": "m", "interval": "1m", "failureLimit": 2, "consecutiveSuccessLimit": 3, "count": 4}],
        [
            ("m:S", False, f"Running||1/0/0/0/0|{NO}", {"m": "Running 1/1/0/0/0/0/1 again"}),
            ("m:F", False, f"Running||1/0/0/0/0|{NO}", {"m": "Running 2/1/1/0/0/0/0 again"}),
            ("m:S", False, f"Running||1/0/0/0/0|{NO}", {"m": "Running 3/2/1/0/0/0/1 again"}),
            ("m:S", False, f"Inconclusive||1/1/0/0/0|{NO}", {"m": "Inconclusive 4/3/1/0/0/0/2 stop"}),
        ],
    ),
    "CSL 2: an error breaks the streak": (
        [{"name": "m", "interval": "1m", "consecutiveSuccessLimit": 2}],
        [
            ("m:S", False, f"Running||1/0/0/0/0|{NO}", {"m": "Running 1/1/0/0/0/0/1 again"}),
            ("m:E(t)", False, f"Running||1/0/0/0/0|{NO}", {"m": "Running 1/1/0/0/1/1/0 again"}),
            ("m:S", False, f"Running||1/0/0/0/0|{NO}", {"m": "Running 2/2/0/0/1/0/1 again"}),
            ("m:S", False, f"Successful||1/1/0/0/0|{NO}", {"m": "Successful 3/3/0/0/1/0/2 stop"}),
        ],
    ),
    "a completed run ignores a later terminate": (
        [{"name": "m", "interval": "1m", "count": 3}],
        [
            ("m:F", False, f'Failed|Metric "m" assessed Failed due to failed (1) > failureLimit (0)|1/0/1/0/0|{NO}', {"m": "Failed 1/0/1/0/0/0/0 stop"}),
            ("", True, f'Failed|Metric "m" assessed Failed due to failed (1) > failureLimit (0)|1/0/1/0/0|{NO}', {"m": "Failed 1/0/1/0/0/0/0 stop"}),
        ],
    ),
    "one metric fails while the other runs: the run fails one reconcile later": (
        [{"name": "a", "interval": "1m", "count": 2}, {"name": "b", "interval": "1m", "count": 2}],
        [
            ("a:S b:S", False, f"Running||2/0/0/0/0|{NO}", {"a": "Running 1/1/0/0/0/0/1 again", "b": "Running 1/1/0/0/0/0/1 again"}),
            ("a:F", False, f"Running||2/0/1/0/0|{NO}", {"a": "Failed 2/1/1/0/0/0/0 stop", "b": "Running 1/1/0/0/0/0/1 stop"}),
            ("", False, f'Failed|Metric "a" assessed Failed due to failed (1) > failureLimit (0)|2/1/1/0/0|{NO}',
             {"a": "Failed 2/1/1/0/0/0/0 stop", "b": "Successful 1/1/0/0/0/0/1 stop"}),
        ],
    ),
    "worst wins: Error over Inconclusive": (
        [{"name": "a"}, {"name": "b", "consecutiveErrorLimit": 0}],
        [("a:I b:E(boom)", False,
          f'Error|Metric "b" assessed Error due to consecutiveErrors (1) > consecutiveErrorLimit (0): "Error Message: boom"|2/0/0/1/1|{NO}',
          {"a": "Inconclusive 1/0/0/1/0/0/0 stop", "b": "Error 0/0/0/0/1/1/0 stop"})],
    ),
    "Failed beats Error": (
        [{"name": "a", "consecutiveErrorLimit": 0}, {"name": "b"}],
        [("a:E(x) b:F", False, f'Failed|Metric "b" assessed Failed due to failed (1) > failureLimit (0)|2/0/1/0/1|{NO}',
          {"a": "Error 0/0/0/0/1/1/0 stop", "b": "Failed 1/0/1/0/0/0/0 stop"})],
    ),
    "equal severity: the first metric in spec order supplies the message": (
        [{"name": "a"}, {"name": "b"}],
        [("b:F a:F", False, f'Failed|Metric "a" assessed Failed due to failed (1) > failureLimit (0)|2/0/2/0/0|{NO}',
          {"a": "Failed 1/0/1/0/0/0/0 stop", "b": "Failed 1/0/1/0/0/0/0 stop"})],
    ),
    "initialDelay keeps the run Running until the metric has a result": (
        [{"name": "a"}, {"name": "b", "initialDelay": "5m"}],
        [
            ("a:S", False, f"Running||2/1/0/0/0|{NO}", {"a": "Successful 1/1/0/0/0/0/1 stop"}),
            ("b:S", False, f"Successful||2/2/0/0/0|{NO}", {"a": "Successful 1/1/0/0/0/0/1 stop", "b": "Successful 1/1/0/0/0/0/1 stop"}),
        ],
    ),
    "terminate before any measurement": (
        [{"name": "a", "interval": "1m"}, {"name": "b", "interval": "1m"}],
        [("", True, f"Successful|Run Terminated|2/0/0/0/0|{NO}", {})],
    ),
    "terminate with failures within the limit: Successful": (
        [{"name": "a", "interval": "1m", "failureLimit": 1}, {"name": "b", "interval": "1m"}],
        [
            ("a:F b:S", False, f"Running||2/0/0/0/0|{NO}", {"a": "Running 1/0/1/0/0/0/0 again", "b": "Running 1/1/0/0/0/0/1 again"}),
            ("", True, f"Successful|Run Terminated|2/2/0/0/0|{NO}", {"a": "Successful 1/0/1/0/0/0/0 stop", "b": "Successful 1/1/0/0/0/0/1 stop"}),
        ],
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_run_scenario(name: str) -> None:
    metrics, steps = SCENARIOS[name]
    drive(metrics, steps)


def test_dry_run_metrics_never_decide_the_run() -> None:
    metrics = [{"name": "a", "interval": "1m", "count": 2}, {"name": "b", "interval": "1m", "count": 2}]
    drive(
        metrics,
        [
            ("a:F b:S", False, "Running||1/0/0/0/0|1/0/1/0/0", {"a": "Failed 1/0/1/0/0/0/0 stop", "b": "Running 1/1/0/0/0/0/1 again"}),
            ("b:S", False, "Successful||1/1/0/0/0|1/0/1/0/0", {"a": "Failed 1/0/1/0/0/0/0 stop", "b": "Successful 2/2/0/0/0/0/2 stop"}),
        ],
        dry_run=("^a$",),
    )
    spec = ev.RunSpec.from_dicts([{"name": "m"}], dry_run=["m"])
    status = ev.reconcile(spec, ev.RunStatus(), _measurements("m:F", T0), now=T0)
    assert status.phase is Phase.SUCCESSFUL
    assert status.metric_results[0].dry_run
    assert status.metric_results[0].message == "Metric assessed Failed due to failed (1) > failureLimit (0)"


# ------------------------------------------------------------------ one measurement

NAN = float("nan")
ASSESS = [
    # (success, failure, result, phase, message)
    ("true", "false", True, "Successful", ""),
    ("true", "true", True, "Failed", ""),
    ("false", "false", True, "Inconclusive", ""),
    ("", "false", True, "Successful", ""),
    ("false", "", True, "Failed", ""),
    ("", "", None, "Successful", ""),
    ("", "", [], "Successful", ""),
    ("a == true", "true", True, "Error", 'could not evaluate successCondition "a == true": unknown name a'),
    ("true", "a == true", True, "Error", 'could not evaluate failureCondition "a == true": unknown name a'),
    ("result[0] >= 0.95", "", None, "Error",
     'could not evaluate successCondition "result[0] >= 0.95": metric result is nil or empty: no data returned from the metric provider'),
    ("result[0] >= 0.95", "", [], "Error",
     'could not evaluate successCondition "result[0] >= 0.95": metric result is nil or empty: no data returned from the metric provider'),
    ("result[0] >", "", [], "Error",
     'could not evaluate successCondition "result[0] >": metric result is nil or empty: no data returned from the metric provider'),
    ("result[0] >", "", [1.0], "Error", 'could not evaluate successCondition "result[0] >": unexpected token EOF'),
    ("result", "", 5.0, "Error", 'could not evaluate successCondition "result": expected bool, but got float64'),
    ("result >= 0.9", "result < 0.9", NAN, "Inconclusive", ""),
    ("result >= 0.9", "", NAN, "Failed", ""),
    ("", "result < 0.2", NAN, "Successful", ""),
    ("result >= 0.9 || isNaN(result)", "", NAN, "Successful", ""),
    ("result > 0.5", "result > 0.5", 1.0, "Failed", ""),
    ("result[0] > 1", "result[5] > 1", [2.0], "Error",
     'could not evaluate failureCondition "result[5] > 1": index out of range: 5 (array length is 1)'),
    ("result[5] > 1", "result[0] > 1", [2.0], "Error",
     'could not evaluate successCondition "result[5] > 1": index out of range: 5 (array length is 1)'),
    ("result > 1", "result[0] > 1", [2.0], "Error",
     'could not evaluate successCondition "result > 1": invalid operation: > (mismatched types []float64 and int)'),
    ("len(result) == 0 || result[0] >= 0.95", "", [], "Successful", ""),
    ("default(result, 0) < 0.05", "", None, "Successful", ""),
    ("result[0] >= 0.90", "result[0] < 0.50", [0.7], "Inconclusive", ""),
]


@pytest.mark.parametrize(("success", "failure", "result", "phase", "message"), ASSESS)
def test_assess(success: str, failure: str, result: object, phase: str, message: str) -> None:
    assert ev.assess(success, failure, result) == (Phase(phase), message)


def test_assess_measurement_drops_the_value_on_error() -> None:
    metric = ev.MetricSpec(name="m", success_condition="result[0] > 1")
    ok = ev.assess_measurement(metric, [2.0], value="[2]", started_at=T0, finished_at=T0)
    assert (ok.phase, ok.value) == (Phase.SUCCESSFUL, "[2]")
    bad = ev.assess_measurement(metric, [], value="[]", started_at=T0, finished_at=T0)
    assert (bad.phase, bad.value) == (Phase.ERROR, "")


# ------------------------------------------------------------------ counters and metric phase


def test_counters() -> None:
    r = ev.new_metric_result("m")
    for letter in "SSEFESI":
        r = ev.record_measurement(r, ev.Measurement(LETTERS[letter], finished_at=T0))
    assert (r.count, r.successful, r.failed, r.inconclusive, r.error, r.consecutive_error, r.consecutive_success) == (5, 3, 1, 1, 2, 0, 0)
    assert r.phase is Phase.RUNNING and len(r.measurements) == 7
    assert len(ev.trim_measurements(r, 3).measurements) == 3 and ev.trim_measurements(r, 3).count == 5


STATUS = [
    # (metric, counters count/successful/failed/inconclusive/consecutiveError/consecutiveSuccess, last, terminating, phase, reason)
    ({"name": "m"}, (0, 0, 0, 0, 0, 0), None, False, "Pending", ""),
    ({"name": "m"}, (0, 0, 0, 0, 0, 0), None, True, "Successful", ""),
    ({"name": "m"}, (1, 1, 0, 0, 0, 0), "Running", True, "Running", ""),
    ({"name": "m", "interval": "60s", "failureLimit": 2}, (3, 0, 3, 0, 0, 0), "F", False, "Failed", "failed (3) > failureLimit (2)"),
    ({"name": "m", "interval": "60s", "failureLimit": 3}, (3, 0, 3, 0, 0, 0), "F", False, "Running", ""),
    ({"name": "m", "interval": "60s", "failureLimit": 3}, (3, 0, 3, 0, 0, 0), "F", True, "Successful", ""),
    ({"name": "m", "interval": "60s", "failureLimit": -1, "consecutiveSuccessLimit": 3}, (7, 4, 3, 0, 0, 3), "F", False, "Successful", ""),
    ({"name": "m", "interval": "60s", "failureLimit": -1, "consecutiveSuccessLimit": 5, "count": 7}, (7, 4, 3, 0, 0, 3), "F", False, "Failed", ""),
    ({"name": "m", "interval": "60s", "failureLimit": 4, "consecutiveSuccessLimit": 4, "count": 10}, (10, 6, 4, 0, 0, 3), "F", False, "Inconclusive", ""),
    ({"name": "m", "interval": "60s", "failureLimit": 4, "consecutiveSuccessLimit": 4, "count": 10}, (10, 5, 5, 0, 0, 4), "F", False, "Failed", "failed (5) > failureLimit (4)"),
    ({"name": "m", "interval": "60s"}, (5, 0, 0, 0, 5, 0), "E", False, "Error", "consecutiveErrors (5) > consecutiveErrorLimit (4)"),
    ({"name": "m", "interval": "60s"}, (5, 0, 0, 0, 4, 0), "E", False, "Running", ""),
    ({"name": "m", "count": 10}, (10, 5, 0, 5, 0, 0), "S", False, "Inconclusive", "inconclusive (5) > inconclusiveLimit (0)"),
    ({"name": "m", "interval": "1m"}, (2, 0, 2, 0, 5, 0), "E", False, "Error", "consecutiveErrors (5) > consecutiveErrorLimit (4)"),
    ({"name": "m", "interval": "1m"}, (4, 0, 2, 2, 0, 0), "F", False, "Inconclusive", "inconclusive (2) > inconclusiveLimit (0)"),
    ({"name": "m", "count": 0, "interval": "1m"}, (50, 50, 0, 0, 0, 0), "S", False, "Running", ""),
    ({"name": "m", "count": "abc"}, (1, 1, 0, 0, 0, 0), "S", False, "Successful", ""),
    ({"name": "m", "failureLimit": "x", "interval": "1m"}, (1, 0, 1, 0, 0, 0), "F", False, "Failed", "failed (1) > failureLimit (0)"),
]


@pytest.mark.parametrize(("metric", "counters", "last", "terminating", "phase", "reason"), STATUS)
def test_assess_metric(metric: dict, counters: tuple, last: str | None, terminating: bool, phase: str, reason: str) -> None:
    count, successful, failed, inconclusive, consecutive_error, consecutive_success = counters
    measurements: tuple[ev.Measurement, ...] = ()
    if last == "Running":
        measurements = (ev.Measurement(Phase.RUNNING),)
    elif last:
        measurements = (ev.Measurement(LETTERS[last], finished_at=T0),)
    result = ev.MetricResult(
        "m", measurements=measurements, count=count, successful=successful, failed=failed,
        inconclusive=inconclusive, consecutive_error=consecutive_error, consecutive_success=consecutive_success,
    )  # fmt: skip
    assert ev.assess_metric(ev.MetricSpec.from_dict(metric), result, terminating=terminating) == (Phase(phase), reason)


def test_is_worse_order() -> None:
    order = [Phase.SUCCESSFUL, Phase.RUNNING, Phase.PENDING, Phase.INCONCLUSIVE, Phase.ERROR, Phase.FAILED]
    for i, better in enumerate(order):
        for worse in order[i + 1 :]:
            assert ev.is_worse(better, worse) and not ev.is_worse(worse, better)
    assert not ev.is_worse(None, Phase.SUCCESSFUL) and ev.is_worse(None, Phase.RUNNING)


def test_terminating_ignores_dry_run_results() -> None:
    failed_dry = ev.MetricResult("a", phase=Phase.FAILED, dry_run=True)
    failed = ev.MetricResult("b", phase=Phase.FAILED)
    assert not ev.is_terminating(False, [failed_dry])
    assert ev.is_terminating(False, [failed_dry, failed])
    assert ev.is_terminating(True, [])


def test_error_run_and_ttl() -> None:
    status = ev.error_run(ev.RunStatus(), "Analysis spec invalid: no metrics specified", now=T0)
    assert (status.phase, status.completed_at) == (Phase.ERROR, T0)
    done = replace(status, phase=Phase.SUCCESSFUL)
    ttl = ev.TTLStrategy(seconds_after_completion=60, seconds_after_failure=10)
    assert not ev.ttl_expired(done, ttl, now=T0 + dt.timedelta(seconds=60))
    assert ev.ttl_expired(done, ttl, now=T0 + dt.timedelta(seconds=61))
    failed = replace(status, phase=Phase.FAILED)
    assert ev.ttl_expired(failed, ttl, now=T0 + dt.timedelta(seconds=11))
    assert not ev.ttl_expired(done, ev.TTLStrategy(), now=T0 + dt.timedelta(days=999))


def test_dry_run_and_retention_rules_are_unanchored_re2() -> None:
    assert ev.dry_run_metric_names([".*"], ["a", "b"]) == {"a", "b"}
    assert ev.dry_run_metric_names(["rate"], ["success-rate", "latency"]) == {"success-rate"}
    for rules in (["*"], ["nomatch"]):
        with pytest.raises(ev.AnalysisSpecInvalid, match=r"dryRun\[0\]: Rule didn't match any metric name\(s\)"):
            ev.dry_run_metric_names(rules, ["a"])
    assert ev.retention_limits([("a", 3), (".*", 20)], ["a", "b"]) == {"a": 20, "b": 20}
    with pytest.raises(ev.AnalysisSpecInvalid, match=r"measurementRetention\[1\]"):
        ev.retention_limits([("a", 3), ("z", 1)], ["a"])


def test_history_is_trimmed_to_ten_or_the_retention_limit() -> None:
    spec = ev.RunSpec.from_dicts([{"name": "a", "interval": "1s"}, {"name": "b", "interval": "1s"}], retention={"b": 3})
    status = ev.RunStatus()
    now = T0
    for _ in range(15):
        status = ev.reconcile(spec, status, _measurements("a:S b:S", now), now=now)
        now += dt.timedelta(seconds=2)
    a, b = status.metric_results
    assert (len(a.measurements), a.count, len(b.measurements), b.count) == (10, 15, 3, 15)
