"""`analyze --backtest` through the installed CLI against a real Prometheus whose past is the
backfilled story: six hours of the app-backend canary's traffic with one bad hour."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from e2e.standin import run_cli

from .conftest import CANARY_ARGS, END, INCIDENT, START, rfc

STEP = dt.timedelta(minutes=20)
BACKTEST = ("--backtest", "--from", rfc(START), "--to", rfc(END - STEP), "--step", "20m", "--window", "10m")
MARK = ("--incident", f"{rfc(INCIDENT[0])}/{rfc(INCIDENT[1])}")


def backtest(template: str, *extra: str, timeout: float = 120) -> Any:
    return run_cli("analyze", "-f", template, *CANARY_ARGS, *BACKTEST, *extra, timeout=timeout)


def inside(start: dt.datetime) -> bool:
    """The window's measurements (start+1m .. start+9m) and their 1m lookback lie in the incident."""
    return INCIDENT[0] <= start and start + dt.timedelta(minutes=10) <= INCIDENT[1]


def well_away(start: dt.datetime) -> bool:
    return start + dt.timedelta(minutes=10) <= INCIDENT[0] - dt.timedelta(minutes=5) or start >= INCIDENT[1] + dt.timedelta(minutes=5)


def test_the_incident_windows_fail_and_the_rest_pass(story_template: str) -> None:
    result = backtest(story_template, "-o", "json", *MARK)
    assert result.code == 3, result.err
    assert "Traceback" not in result.err
    doc = json.loads(result.out)
    windows = doc["windows"]
    assert len(windows) == 18
    for window in windows:
        start = dt.datetime.fromisoformat(window["start"].replace("Z", "+00:00"))
        if inside(start):
            assert window["phase"] == "Failed", window
            assert window["metrics"][0]["measurements"][0]["value"].startswith("[0.")
        elif well_away(start):
            assert window["phase"] == "Successful", window
    assert [w["start"] for w in windows if w["phase"] == "Failed"] == [rfc(INCIDENT[0] + i * STEP) for i in range(3)]
    summary = doc["summary"]
    assert (summary["windows"], summary["failed"], summary["successful"]) == (18, 3, 15)
    assert summary["incidents"]["caught"] == 1
    assert summary["incidents"]["missed"] == 0
    assert summary["incidents"]["falseAlarms"] == 0
    suggestion = summary["thresholds"][0]
    assert suggestion["tunable"] and suggestion["currentSeparates"]
    current = next(r for r in suggestion["ranges"] if r["failureLimit"] == 3)
    assert current["low"]["value"] < 0.95 < current["high"]["value"], current
    # the exit line says why
    assert result.err.strip().splitlines()[-1] == 'Error: backtest of "success-rate": 18 windows: 3 Failed, 15 Successful'


def test_measurements_are_taken_at_the_past_instants(story_template: str) -> None:
    doc = json.loads(backtest(story_template, "-o", "json").out)
    first = doc["windows"][0]["metrics"][0]["measurements"]
    assert [m["at"] for m in first] == [rfc(START + dt.timedelta(minutes=k)) for k in range(1, 10)]
    failed = next(w for w in doc["windows"] if w["phase"] == "Failed")
    assert failed["message"] == 'Metric "success-rate" assessed Failed due to failed (4) > failureLimit (3)'
    assert len(failed["metrics"][0]["measurements"]) == 4  # the run ends at the fourth failure, as Argo's does


def test_range_queries_give_the_same_windows_as_instant_queries(story_template: str) -> None:
    auto = json.loads(backtest(story_template, "-o", "json", *MARK).out)
    instant = json.loads(backtest(story_template, "-o", "json", "--query-mode", "instant", *MARK).out)
    assert auto["windows"] == instant["windows"]
    assert auto["summary"] == instant["summary"]
    assert auto["metrics"][0]["queries"] == "range"
    assert auto["requests"]["range"] == 1 and auto["requests"]["instant"] == 1
    assert instant["requests"]["range"] == 0 and instant["requests"]["instant"] >= 18 * 4


def test_text_timeline_and_summary(story_template: str) -> None:
    result = backtest(story_template, *MARK)
    assert result.code == 3
    lines = result.out.splitlines()
    assert lines[0].startswith("Backtest of success-rate: 18 windows from 2025-03-14T06:00:00Z")
    rows = [line for line in lines if line.startswith("2025-")]
    assert len(rows) == 18
    failed = [row for row in rows if "Failed" in row]
    assert len(failed) == 3 and all(row.rstrip().endswith("yes") for row in failed)
    # the scale is shared: a good window's bars sit above the threshold, a bad one's below
    good_bars = rows[0].split()[-1]
    bad_bars = failed[0].split()[-2]
    assert set(good_bars) <= set("▅▆▇█") and len(good_bars) == 9
    assert set(bad_bars) <= set("▁▂▃▄") and len(bad_bars) == 4
    assert "Windows: 18 (Successful 15, Failed 3, Inconclusive 0, Error 0)" in lines
    assert "Incidents: 1 marked; the template: 1 caught, 0 missed, 0 false alarms" in lines
    assert any("catch every incident with no false alarm" in line for line in lines)


def test_yaml_output(story_template: str) -> None:
    import yaml

    result = backtest(story_template, "-o", "yaml")
    doc = yaml.safe_load(result.out)
    assert doc["summary"]["failed"] == 3


def test_scalar_and_several_series_answers_match_instant_queries(tmp_path: Any, story_prometheus: Any) -> None:
    from kubectl_rollouts_py.sandbox import backfill

    from .conftest import write_template

    def metric(name: str, query: str, condition: str) -> dict[str, Any]:
        return {"name": name, "count": 3, "interval": "2m", "successCondition": condition,
                "provider": {"prometheus": {"address": story_prometheus.url, "query": query}}}

    canary = f'rollouts_pod_template_hash="{backfill.CANARY_HASH}"'
    obj = {"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate", "metadata": {"name": "shapes"}, "spec": {"metrics": [
        metric("scalar", f'scalar(sum(rate(http_server_requests_seconds_count{{{canary},status="500"}}[1m])))', "result < 2"),
        metric("per-pod", 'sum by (pod) (rate(http_server_requests_seconds_count{status="500"}[1m]))', "all(result, {# < 2})"),
        metric("empty", 'rate(http_server_requests_seconds_count{pod="gone"}[1m])', "len(result) == 0"),
    ]}}
    template = write_template(tmp_path, obj)
    flags = ("--backtest", "--from", rfc(INCIDENT[0] - dt.timedelta(hours=1)), "--to", rfc(INCIDENT[1]), "--step", "30m", "-o", "json")
    auto = run_cli("analyze", "-f", template, *flags, timeout=120)
    instant = run_cli("analyze", "-f", template, *flags, "--query-mode", "instant", timeout=120)
    assert auto.code == instant.code == 3, (auto.err, instant.err)
    a, b = json.loads(auto.out), json.loads(instant.out)
    assert a["windows"] == b["windows"]
    assert [m["queries"] for m in a["metrics"]] == ["range", "instant (the query returns several series)", "range"]
    # the last window starts as the incident ends: its first measurement's 1m rate still sees it
    assert [w["phase"] for w in a["windows"]] == ["Successful", "Successful", "Failed", "Failed", "Failed"]
    scalar, per_pod, empty = (m["measurements"][0]["value"] for m in a["windows"][0]["metrics"])
    assert not scalar.startswith("[") and per_pod.count(",") == 4 and empty == "[]"
