"""The TREND sparkline's scale comes from the metric (its conditions' thresholds, 0..1 for a
ratio), not from the spread of its latest values: a steady metric draws flat, a failing one
sits below its threshold."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubectl_rollouts_py.derive.analysis import build_analysis_run_view
from kubectl_rollouts_py.derive.trend import condition_thresholds, scale_for, trend_scale
from kubectl_rollouts_py.derive.views import TrendScale
from kubectl_rollouts_py.render.analysis import render_run_summary, sparkline

BARS = "▁▂▃▄▅▆▇█"
NOW = dt.datetime(2026, 11, 29, 12, 0, 0, tzinfo=dt.timezone.utc)
STEADY = [0.9917, 0.9917, 0.9917, 0.9917, 0.9905]
FAILING = [0.5983, 0.6003, 0.5991, 0.6010]


def levels(bars: str) -> list[int]:
    return [BARS.index(b) for b in bars]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("result[0] >= 0.95", (0.95,)),
        ("isNaN(result[0]) || result[0] >= 0.95", (0.95,)),
        ("0.95 <= result[0]", (0.95,)),
        ("result < 500", (500.0,)),
        ("result.p99 <= 250", (250.0,)),
        ("asFloat(result) > -2", (-2.0,)),
        ("all(result, {# > 0.9})", (0.9,)),
        ("result[0] >= 0.9 && result[0] <= 1.5", (0.9, 1.5)),
        ("not (result[0] < 0.95)", (0.95,)),
        ("len(result) > 0", ()),  # a count of values, not the value
        ("result == true", ()),
        ("", ()),
        ("result[0] >= (", ()),  # does not parse: no threshold, no error
    ],
)
def test_thresholds_come_from_the_conditions_syntax_tree(condition: str, expected: tuple[float, ...]) -> None:
    assert condition_thresholds(condition) == expected


def test_a_ratio_with_a_threshold_is_drawn_on_zero_to_one() -> None:
    assert trend_scale(STEADY, "result[0] >= 0.95") == TrendScale(0.0, 1.0, (0.95,))
    assert trend_scale(FAILING, "", "result[0] < 0.9") == TrendScale(0.0, 1.0, (0.9,))
    assert trend_scale([], "result[0] >= 0.95") == TrendScale(0.0, 1.0, (0.95,))


def test_other_metrics_span_threshold_and_values_from_zero_with_a_margin() -> None:
    latency = trend_scale([480, 490, 495], "result[0] < 500")
    assert (latency.low, latency.high) == (0.0, pytest.approx(550.0))
    above = trend_scale([480, 700], "result[0] < 500")
    assert (above.low, above.high) == (0.0, pytest.approx(770.0))
    # Without a threshold: from 0 for non-negative values (a ratio without one too).
    assert (scale_for([0.2, 0.3]).low, scale_for([0.2, 0.3]).high) == (0.0, pytest.approx(0.33))
    # Negative values: anchored at 0 above, a margin below; both signs: a margin either side.
    assert (scale_for([-5, -3]).low, scale_for([-5, -3]).high) == (pytest.approx(-5.5), 0.0)
    mixed = trend_scale([-5, 3], "result > 1")
    assert (mixed.low, mixed.high) == (pytest.approx(-5.8), pytest.approx(3.8))
    assert scale_for([]) == scale_for([0, 0]) == TrendScale(0.0, 1.0)


def test_steady_metric_stays_within_one_bar_height() -> None:
    for condition in ("result[0] >= 0.95", "isNaN(result[0]) || result[0] >= 0.95"):
        bars = sparkline(STEADY, trend_scale(STEADY, condition))
        assert len(bars) == len(STEADY)
        assert max(levels(bars)) - min(levels(bars)) <= 1, bars
        assert bars == "█████"


def test_failing_metric_draws_visibly_below_its_threshold() -> None:
    scale = trend_scale(FAILING, "result[0] >= 0.95")
    bars = sparkline(FAILING, scale)
    threshold_level = levels(sparkline([0.95], scale))[0]
    assert threshold_level == len(BARS) - 1
    assert all(level <= threshold_level - 2 for level in levels(bars)), bars
    # 0.5983 -> 0.6003 is no recovery: the same bar throughout.
    assert len(set(bars)) == 1, bars
    # A passing metric on the same scale stands well above it.
    assert min(levels(sparkline(STEADY, scale))) > max(levels(bars))


def test_a_drop_below_the_threshold_shows_as_a_drop() -> None:
    values = [0.99, 0.99, 0.60, 0.50, 0.40]
    assert sparkline(values, trend_scale(values, "result[0] >= 0.95")) == "██▅▅▄"


def test_latency_near_its_limit_draws_flat_and_a_breach_rises() -> None:
    steady = [480, 490, 495]
    assert sparkline(steady, trend_scale(steady, "result[0] < 500")) == "▇██"
    breach = [480, 490, 495, 700]
    bars = levels(sparkline(breach, trend_scale(breach, "result[0] < 500")))
    assert max(bars[:3]) - min(bars[:3]) <= 1 and bars[3] == len(BARS) - 1


def run_with(values: list[float], condition: str) -> dict[str, object]:
    measurements = [
        {"phase": "Successful", "value": f"[{v}]", "startedAt": f"2026-11-29T11:5{i}:00Z"} for i, v in enumerate(values)
    ]
    return {
        "metadata": {"name": "app-backend-6d8f9c7b5-2", "namespace": "ithome", "creationTimestamp": "2026-11-29T11:50:00Z"},
        "spec": {"metrics": [{"name": "success-rate", "successCondition": condition, "provider": {"prometheus": {"query": "x"}}}]},
        "status": {"phase": "Running", "metricResults": [{"name": "success-rate", "phase": "Running", "count": len(values),
                                                           "measurements": measurements}]},
    }


def test_the_analysis_table_trend_uses_the_metric_scale() -> None:
    view = build_analysis_run_view(run_with(STEADY, "isNaN(result[0]) || result[0] >= 0.95"), NOW)
    (metric,) = view.metrics
    assert metric.trend == TrendScale(0.0, 1.0, (0.95,))
    table = render_run_summary([view])
    assert table.splitlines()[0].split()[-1] == "TREND"
    assert table.splitlines()[1].split()[-1] == "█████"
    failing = render_run_summary([build_analysis_run_view(run_with(FAILING, "result[0] >= 0.95"), NOW)])
    assert failing.splitlines()[1].split()[-1] == "▅▅▅▅"


@given(
    st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=30),
    st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=3),
)
def test_the_scale_holds_every_value_and_threshold(values: list[float], thresholds: list[float]) -> None:
    scale = scale_for(values, thresholds)
    assert math.isfinite(scale.low) and math.isfinite(scale.high) and scale.low < scale.high
    assert all(scale.low <= v <= scale.high for v in [*values, *thresholds])
    assert len(sparkline(values, scale)) == min(len(values), 20)
