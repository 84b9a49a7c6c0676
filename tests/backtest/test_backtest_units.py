"""The pure parts of backtests (times, windows, scoring, threshold suggestions) and the window
driver on a stub Prometheus; the suggestions are checked against the evaluator itself."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from kubectl_rollouts_py.analysis import evaluate, prometheus
from kubectl_rollouts_py.analysis.args import Argument
from kubectl_rollouts_py.derive import backtest as bt
from kubectl_rollouts_py.ops import backtest as ops
from kubectl_rollouts_py.ops.analysis_run import Measurer

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
M = dt.timedelta(minutes=1)


# --------------------------------------------------------------------------- times


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", NOW),
        ("-14d", NOW - dt.timedelta(days=14)),
        ("-2h", NOW - dt.timedelta(hours=2)),
        ("now-90m", NOW - 90 * M),
        ("-1h30m", NOW - 90 * M),
        ("-1w", NOW - dt.timedelta(days=7)),
        ("2026-03-01T10:00:00Z", dt.datetime(2026, 3, 1, 10, tzinfo=UTC)),
        ("2026-03-01T12:00:00+02:00", dt.datetime(2026, 3, 1, 10, tzinfo=UTC)),
    ],
)
def test_times(text: str, expected: dt.datetime) -> None:
    assert bt.parse_time(text, NOW) == expected


@pytest.mark.parametrize("text", ["yesterday", "2026-03-01", "2026-03-01T10:00:00", "-", "-5x", ""])
def test_bad_times(text: str) -> None:
    with pytest.raises(ValueError):
        bt.parse_time(text, NOW)


def test_durations() -> None:
    assert bt.parse_duration("20m") == 20 * M
    assert bt.parse_duration("1d12h") == dt.timedelta(hours=36)
    assert bt.duration_text(dt.timedelta(days=14)) == "14d"
    assert bt.duration_text(90 * M) == "1h30m"
    with pytest.raises(ValueError):
        bt.parse_duration("soon")


def test_window_starts_include_the_end_on_the_step() -> None:
    assert bt.window_starts(NOW, NOW + 60 * M, 20 * M) == [NOW + i * 20 * M for i in range(4)]
    assert bt.window_starts(NOW, NOW + 59 * M, 20 * M) == [NOW + i * 20 * M for i in range(3)]
    assert bt.window_starts(NOW, NOW, 20 * M) == [NOW]
    assert bt.count_windows(NOW, NOW + dt.timedelta(days=14), dt.timedelta(hours=1)) == 337


def test_measurement_offsets() -> None:
    assert bt.measurement_offsets(initial_delay=M, interval=M, count=None, window=10 * M) == tuple(k * M for k in range(1, 10))
    assert bt.measurement_offsets(initial_delay=dt.timedelta(0), interval=5 * M, count=3, window=None) == (dt.timedelta(0), 5 * M, 10 * M)
    assert bt.measurement_offsets(initial_delay=dt.timedelta(0), interval=None, count=2, window=None) == (dt.timedelta(0), dt.timedelta(seconds=10))
    with pytest.raises(ValueError):
        bt.measurement_offsets(initial_delay=dt.timedelta(0), interval=M, count=None, window=None)


def test_longest_range_selector() -> None:
    assert bt.longest_range_selector('sum(rate(x{a="b"}[1m])) / sum(rate(x[5m]))') == 5 * M
    assert bt.longest_range_selector("max_over_time(rate(x[1m])[1h:1m])") == 60 * M
    assert bt.longest_range_selector("up") == dt.timedelta(0)


def test_scoring() -> None:
    covers = [(), (0,), (0,), (), (1,)]
    verdict = bt.score([False, True, False, True, False], covers, 2)
    assert verdict == bt.Score(caught=(0,), missed=(1,), false_alarms=(3,))


# --------------------------------------------------------------------------- conditions


def spec(condition: str, *, failure: bool = False, **fields: Any) -> evaluate.MetricSpec:
    key = "failureCondition" if failure else "successCondition"
    return evaluate.MetricSpec.from_dict({"name": "m", key: condition, **fields})


@pytest.mark.parametrize(
    ("condition", "failure", "expected"),
    [
        ("isNaN(result[0]) || result[0] >= 0.95", False, bt.Comparison(">=", 0.95, nan_guard=True)),
        ("result[0] >= 0.95 || isNaN(result[0])", False, bt.Comparison(">=", 0.95, nan_guard=True)),
        ("0.95 <= result[0]", False, bt.Comparison(">=", 0.95)),
        ("result < 500", False, bt.Comparison("<", 500.0, subject="result")),
        ("result[0] > 0.05", True, bt.Comparison(">", 0.05, on_failure=True)),
        ("result[0] > -1", False, bt.Comparison(">", -1.0)),
    ],
)
def test_tunable_conditions(condition: str, failure: bool, expected: bt.Comparison) -> None:
    assert ops.comparison_of(spec(condition, failure=failure)) == (expected, "")


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"successCondition": "len(result) > 0 && result[0] > 5"}, "is not one comparison"),
        ({"successCondition": "result[1] >= 0.95"}, "is not one comparison"),
        ({"successCondition": "isNaN(result[1]) || result[0] >= 0.95"}, "is not one comparison"),
        ({"successCondition": "result[0] >= 0.9", "failureCondition": "result[0] < 0.5"}, "both successCondition and failureCondition"),
        ({"successCondition": "result[0] >= 0.9", "consecutiveSuccessLimit": 2}, "consecutiveSuccessLimit"),
        ({}, "no condition"),
    ],
)
def test_conditions_too_complex_to_tune(fields: dict[str, Any], why: str) -> None:
    cmp, reason = ops.comparison_of(evaluate.MetricSpec.from_dict({"name": "m", **fields}))
    assert cmp is None and why in reason


# --------------------------------------------------------------------------- suggestions


def test_a_clean_separation() -> None:
    cmp = bt.Comparison(">=", 0.95, nan_guard=True)
    values = [[0.99] * 5, [0.6] * 5, [0.98, 0.99, math.nan, 0.97, 0.99]]
    covers: list[tuple[int, ...]] = [(), (0,), ()]
    s = bt.suggest("m", cmp, 3, values, covers, 1)
    assert s.current_ok
    # the n-th lowest good measurement bounds failureLimit n-1 (the guarded NaN never fails)
    assert [r.text() for r in s.ranges] == ["(0.6, 0.97]", "(0.6, 0.98]", "(0.6, 0.99]", "(0.6, 0.99]", "(0.6, 0.99]"]


def test_no_separation_gives_the_trade_offs() -> None:
    cmp = bt.Comparison(">=", 0.95)
    values = [[0.9, 0.9], [0.93, 0.93], [0.96, 0.96]]  # a quiet window worse than both incidents
    covers: list[tuple[int, ...]] = [(), (0,), (1,)]
    s = bt.suggest("m", cmp, 0, values, covers, 2)
    assert not s.ranges
    assert [(t.caught, t.false_alarms) for t in s.tradeoffs] == [(2, 1), (0, 0)]
    assert s.tradeoffs[0].constant > 0.96 and s.tradeoffs[1].constant <= 0.9


def test_too_complex_and_no_incidents_say_why() -> None:
    assert bt.suggest("m", None, 0, [[1.0]], [()], 1, reason="x is not one comparison").reason == "x is not one comparison"
    assert "no --incident" in bt.suggest("m", bt.Comparison(">", 1.0), 0, [[1.0]], [()], 0).reason


def _engine_fails(cmp: bt.Comparison, constant: float, limit: int, values: list[float | None]) -> bool:
    """The evaluator's verdict on a window of these measurements (None: an Error measurement)."""
    core = f"{cmp.subject} {cmp.op} {constant!r}"  # every digit, not the shortened text
    text = f"isNaN({cmp.subject}) || {core}" if cmp.nan_guard else core
    key = "failureCondition" if cmp.on_failure else "successCondition"
    metric = evaluate.MetricSpec.from_dict({"name": "m", key: text,
                                            "count": len(values), "interval": "1m", "failureLimit": limit,
                                            "consecutiveErrorLimit": 100})
    run = evaluate.RunSpec((metric,))
    status = evaluate.RunStatus()
    at = NOW
    for v in values:
        if status.completed:
            break
        if v is None:
            m = evaluate.error_measurement("down", started_at=at, finished_at=at)
        else:
            result: Any = [v] if cmp.subject == "result[0]" else v
            m = evaluate.assess_measurement(metric, result, value=str(v), started_at=at, finished_at=at)
        status = evaluate.reconcile(run, status, {"m": m}, now=at)
        at += M
    if not status.completed:
        status = evaluate.reconcile(run, status, {}, now=at)
    return status.phase is evaluate.Phase.FAILED


CHECKED: list[int] = []


@pytest.mark.parametrize("seed", range(40))
def test_suggested_ranges_are_the_evaluators_verdicts(seed: int) -> None:
    """Every constant a range holds catches every incident with no false alarm, by the evaluator's
    own rules; the constants just outside it do not."""
    rng = random.Random(seed)
    op = rng.choice([">", ">=", "<", "<="])
    cmp = bt.Comparison(op, 0.5, on_failure=rng.random() < 0.5, nan_guard=rng.random() < 0.5)
    covers: list[tuple[int, ...]] = [((0,) if i in (3, 4) else (1,) if i == 8 else ()) for i in range(10)]
    # values that mostly tell the incidents apart (bad ones on the failing side), with noise
    low, high = [round(rng.uniform(0, 0.6), 2) for _ in range(6)], [round(rng.uniform(0.4, 1), 2) for _ in range(6)]
    bad, good = (low, high) if cmp.rising else (high, low)
    windows = []
    for cover in covers:
        pool = bad if cover and rng.random() > 0.2 else good
        windows.append([rng.choice(pool) if rng.random() > 0.1 else rng.choice([math.nan, None]) for _ in range(4)])
    s = bt.suggest("m", cmp, 1, windows, covers, 2)
    CHECKED.append(len(s.ranges))
    for r in s.ranges:
        probes = []
        for bound in (r.low, r.high):
            if bound is not None:
                probes += [bound.value, bound.value + 0.001, bound.value - 0.001]
        if r.low is not None and r.high is not None:
            probes.append((r.low.value + r.high.value) / 2)
        for c in probes:
            verdicts = [_engine_fails(cmp, c, r.failure_limit, w) for w in windows]
            got = bt.score(verdicts, covers, 2)
            separates = not got.missed and not got.false_alarms
            assert separates == r.contains(c), (r.text(), c, got)


def test_the_random_cases_found_ranges() -> None:
    assert sum(CHECKED) >= 10, CHECKED  # (runs after the cases above, in file order)


# --------------------------------------------------------------------------- the window driver


def stub_measurer(answer: Callable[[dt.datetime], prometheus.Sample | Exception], metric: Mapping[str, Any]) -> Callable[..., Measurer]:
    spec_ = evaluate.RunSpec.from_dicts([metric])
    raw = {metric["name"]: metric}
    asked: list[dt.datetime] = []

    def query(name: str, provider: Mapping[str, Any], at: dt.datetime) -> prometheus.Sample:
        asked.append(at)
        got = answer(at)
        if isinstance(got, Exception):
            raise got
        return got

    def make(clock: Callable[[], dt.datetime]) -> Measurer:
        return Measurer(spec_, raw, list[Argument](), clock, wall=clock, instant_query=query)

    make.asked = asked  # type: ignore[attr-defined]
    make.spec = spec_  # type: ignore[attr-defined]
    return make


METRIC = {"name": "m", "interval": "1m", "initialDelay": "1m", "successCondition": "result[0] >= 0.95", "failureLimit": 1,
          "provider": {"prometheus": {"address": "http://prometheus.invalid", "query": "q"}}}


def vector(v: float) -> prometheus.Sample:
    return prometheus.Sample(f"[{v}]", [v], "vector")


def test_a_window_measures_at_its_past_instants_until_it_ends() -> None:
    make = stub_measurer(lambda at: vector(0.99), METRIC)
    status = ops.run_window(make.spec, NOW, make, 10 * M)  # type: ignore[attr-defined]
    assert status.phase is evaluate.Phase.SUCCESSFUL
    assert make.asked == [NOW + k * M for k in range(1, 10)]  # type: ignore[attr-defined]
    assert [m.started_at for m in status.metric_results[0].measurements] == make.asked  # type: ignore[attr-defined]


def test_a_window_fails_past_the_limit_and_errors_are_retried_10s_later() -> None:
    def answer(at: dt.datetime) -> prometheus.Sample | Exception:
        if at == NOW + M:
            return prometheus.ProviderError("server_error: server error: 503")
        return vector(0.5)

    make = stub_measurer(answer, METRIC)
    status = ops.run_window(make.spec, NOW, make, 10 * M)  # type: ignore[attr-defined]
    assert status.phase is evaluate.Phase.FAILED
    assert make.asked == [NOW + M, NOW + M + dt.timedelta(seconds=10), NOW + 2 * M + dt.timedelta(seconds=10)]  # type: ignore[attr-defined]


def test_range_answers_fill_only_the_steps_they_settle() -> None:
    cache: dict[int, prometheus.Sample] = {}
    t0 = 1_700_000_000_000
    sample = prometheus.Sample("", [], "matrix", ("w",), series=(((t0, 0.9), (t0 + 60_000, 0.8)), ((t0 + 60_000, 0.1),)))
    ops._fill(cache, sample, t0, t0 + 120_000, 60_000, {t0, t0 + 60_000, t0 + 120_000}, scalar=False)
    assert cache[t0].value == "[0.9]" and cache[t0].warnings == ("w",)
    assert t0 + 60_000 not in cache  # two series at that step: asked with an instant query
    assert cache[t0 + 120_000].value == "[]"  # no series: an empty vector, as the instant query answers


def test_a_window_that_errors_for_ever_is_bounded() -> None:
    metric = {**METRIC, "count": 2, "consecutiveErrorLimit": 100000}
    make = stub_measurer(lambda at: prometheus.ProviderError("server_error: server error: 503"), metric)
    status = ops.run_window(make.spec, NOW, make, None, most=30)  # type: ignore[attr-defined]
    assert status.completed and len(make.asked) == 30  # type: ignore[attr-defined]
    assert status.message == evaluate.RUN_TERMINATED


def test_the_backtest_s_sparkline_scale_is_the_trend_scale() -> None:
    from kubectl_rollouts_py.derive import backtest as bt_derive
    from kubectl_rollouts_py.derive import trend

    # Latencies near a 500 ms threshold: anchored at 0 (they draw near the threshold, flat),
    # not stretched over their own 480..490 range.
    scale = bt_derive.scale_for([480.0, 490.0], 500.0)
    expected = trend.scale_for([480.0, 490.0], (500.0,))
    assert (scale.low, scale.high, scale.threshold) == (expected.low, expected.high, 500.0)
    assert scale.low == 0.0
    assert (bt_derive.scale_for([0.97, 0.99], 0.95).low, bt_derive.scale_for([0.97, 0.99], 0.95).high) == (0.0, 1.0)


@pytest.mark.parametrize(("condition", "expected"), [
    ("result[0] >= 0.95", ("result[0]", ">=", 0.95)),
    ("0.95 <= result[0]", ("result[0]", ">=", 0.95)),
    ("result < -5", ("result", "<", -5.0)),
    ("asFloat(result.p99) > 2", ("asFloat(result.p99)", ">", 2.0)),
    ("result[0] > result[1]", None),
])
def test_one_function_finds_a_condition_s_threshold(condition: str, expected: tuple[str, str, float] | None) -> None:
    from kubectl_rollouts_py.analysis.expr import parser
    from kubectl_rollouts_py.analysis.expr.base import DEFAULT_LIMITS
    from kubectl_rollouts_py.derive import trend

    found = trend.threshold_of(parser.parse(condition, DEFAULT_LIMITS))
    assert (None if found is None else (found.subject, found.op, found.value)) == expected
