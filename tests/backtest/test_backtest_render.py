"""render.backtest on hand-made documents: the shared sparkline scale, Error bars, untunable
metrics and the trade-off table."""

from __future__ import annotations

from typing import Any

from kubectl_rollouts_py.render import backtest as render
from kubectl_rollouts_py.render.style import Style

RATIO = {"low": 0.0, "high": 1.0, "threshold": 0.95}


def m(value: str, phase: str = "Successful") -> dict[str, Any]:
    return {"at": "2026-03-14T12:00:00Z", "value": value, "phase": phase}


def test_the_threshold_sits_between_the_fourth_and_fifth_bar() -> None:
    bars = render.sparkline([m("[0]"), m("[0.5]"), m("[0.94]"), m("[0.95]"), m("[0.99]"), m("[1]")], RATIO)
    assert bars == "▁▃▄▅██"
    assert render.sparkline([m("", "Error"), m("[]"), m("NaN")], RATIO) == "×·▁"


def test_failed_bars_are_red_with_colour() -> None:
    bars = render.sparkline([m("[0.5]", "Failed")], RATIO, Style(colour=True))
    assert bars == "\x1b[31m▃\x1b[0m"


def document(thresholds: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "template": "t", "from": "2026-03-14T00:00:00Z", "to": "2026-03-14T01:00:00Z", "step": "1h", "window": None,
        "metrics": [{"name": "m", "condition": "result[0] >= 0.95", "failureLimit": 0, "measurementsPerWindow": 2,
                     "queries": "range", "scale": RATIO}],
        "requests": {"instant": 1, "range": 1, "seconds": 0.01},
        "windows": [
            {"start": "2026-03-14T00:00:00Z", "phase": "Successful", "incidents": [],
             "metrics": [{"name": "m", "phase": "Successful", "worst": "0.97", "measurements": [m("[0.97]"), m("[0.99]")]}]},
            {"start": "2026-03-14T01:00:00Z", "phase": "Error", "incidents": ["a/b"],
             "metrics": [{"name": "m", "phase": "Error", "worst": "", "measurements": [m("", "Error")]}]},
        ],
        "summary": {"windows": 2, "phase": "Error", "successful": 1, "failed": 0, "inconclusive": 0, "error": 1,
                    "incidents": {"marked": 1, "caught": 0, "missed": 1, "falseAlarms": 0, "missedIncidents": ["a/b"],
                                  "falseAlarmWindows": [], "metrics": []},
                    "thresholds": thresholds},
    }


def test_timeline_rows_and_summary() -> None:
    text = render.render_backtest(document([{"metric": "m", "failureLimit": 0, "tunable": False,
                                             "reason": "the condition 'x' is not one comparison of result[0] (or result) with a constant"}]))
    lines = text.splitlines()
    assert lines[4].split() == ["2026-03-14T00:00:00Z", "✔", "Successful", "0.97", "▆█"]
    assert lines[5].split() == ["2026-03-14T01:00:00Z", "⚠", "Error", "-", "×", "yes"]
    assert "Windows: 2 (Successful 1, Failed 0, Inconclusive 0, Error 1)" in lines
    assert "Incidents: 1 marked; the template: 0 caught, 1 missed, 0 false alarms (missed a/b)" in lines
    assert "  m: not tuned: the condition 'x' is not one comparison of result[0] (or result) with a constant" in lines


def test_the_trade_off_table() -> None:
    text = render.render_backtest(document([{
        "metric": "m", "failureLimit": 0, "tunable": True, "condition": "result[0] >= 0.95", "constant": 0.95,
        "currentSeparates": False, "ranges": [],
        "tradeoffs": [{"failureLimit": 0, "constant": 0.965, "caught": 2, "missed": 0, "falseAlarms": 1},
                      {"failureLimit": 0, "constant": 0.89, "caught": 0, "missed": 2, "falseAlarms": 0}],
    }]))
    assert "  m (result[0] >= 0.95, failureLimit 0): no constant and failureLimit catch every incident with no false alarm; the trade-offs:" in text
    table = text.split("the trade-offs:\n")[1].splitlines()[:3]
    assert [row.split() for row in table] == [
        ["FAILURELIMIT", "CONSTANT", "CAUGHT", "MISSED", "FALSE", "ALARMS"], ["0", "0.965", "2", "0", "1"], ["0", "0.89", "0", "2", "0"],
    ]
