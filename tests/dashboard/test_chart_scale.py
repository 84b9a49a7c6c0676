"""The dashboard's analysis chart draws on the metric's scale (derive/trend.py, the CLI's
TREND sparkline's): 0..1 for a ratio, so a steady metric draws flat and a failing one sits
below its threshold line. In headless Chromium, as test_browser.py."""

from __future__ import annotations

import copy
import time

import pytest

from e2e.standin import NS
from dashboard.conftest import request
from dashboard.webdriver import Browser, find_browser

FOUND = find_browser()
RUN = "app-backend-6d8f9c7b5-2"
CHART = "#analysis svg.chart"


def measure(cluster, values: list[float]) -> None:
    run = copy.deepcopy(cluster.get_object("analysisruns", NS, RUN))
    run["status"]["metricResults"][0].update(count=len(values), measurements=[
        {"phase": "Failed" if v < 0.95 else "Successful", "value": f"[{v}]",
         "startedAt": f"2026-11-29T08:0{i}:00Z", "finishedAt": f"2026-11-29T08:0{i}:01Z"} for i, v in enumerate(values)])
    cluster.apply_change(run)


def test_the_chart_scale_is_in_the_api(dash, cluster) -> None:
    measure(cluster, [0.9917, 0.9917, 0.9917, 0.9917, 0.9905])
    doc = request(dash, "GET", f"/api/v1/rollouts/{NS}/app-backend").json()
    (metric,) = [m for run in doc["analysis"] if run["name"] == RUN for m in run["metrics"] if m["name"] == "success-rate"]
    assert metric["chart"]["scale"] == {"low": 0.0, "high": 1.0, "thresholds": [0.95]}


@pytest.mark.skipif(FOUND is None, reason="no chromium + chromedriver (apt-get install chromium chromium-driver)")
@pytest.mark.parametrize(
    ("values", "flat", "below"),
    [([0.9917, 0.9917, 0.9917, 0.9917, 0.9905], True, False), ([0.5983, 0.6003, 0.5991, 0.6010], True, True)],
    ids=["steady", "failing"],
)
def test_the_chart_draws_on_the_metric_scale(dash, cluster, values: list[float], flat: bool, below: bool) -> None:
    assert FOUND is not None
    measure(cluster, values)
    browser = Browser(*FOUND)
    try:
        browser.get(f"{dash.url}#/rollout/{NS}/app-backend")
        browser.wait(f'return document.querySelectorAll("{CHART} circle").length === {len(values)}')
        ys = browser.script(f'return [...document.querySelectorAll("{CHART} circle")].map((c) => Number(c.getAttribute("cy")))')
        threshold = browser.script(f'return Number(document.querySelector("{CHART} line[data-threshold=success]").getAttribute("y1"))')
        labels = browser.script(f'return [...document.querySelectorAll("{CHART} text")].map((t) => t.textContent)')
    finally:
        browser.close()
    assert "1.00" in labels and "0.00" in labels, labels  # the y axis is 0..1, not the points' own spread
    assert (max(ys) - min(ys) < 2) is flat, ys  # pixels, of a 126 px high plot
    if below:
        assert min(ys) > threshold + 30, (ys, threshold)  # well under the line (SVG y grows downwards)
    else:
        assert max(ys) < threshold, (ys, threshold)


@pytest.mark.skipif(FOUND is None, reason="no chromium + chromedriver (apt-get install chromium chromium-driver)")
def test_every_comparison_of_the_conditions_is_a_line(dash, cluster) -> None:
    run = copy.deepcopy(cluster.get_object("analysisruns", NS, RUN))
    run["spec"]["metrics"][0].update(successCondition="result[0] > 0.9 && result[0] < 0.999", failureCondition="0.5 > result[0]")
    cluster.apply_change(run)
    measure(cluster, [0.95, 0.97])

    def seen() -> dict | None:  # the metric once the dashboard has both changes
        doc = request(dash, "GET", f"/api/v1/rollouts/{NS}/app-backend").json()
        (metric,) = [m for r in doc["analysis"] if r["name"] == RUN for m in r["metrics"] if m["name"] == "success-rate"]
        return metric if metric["failureCondition"] and len(metric["chart"]["points"]) == 2 else None

    deadline = time.monotonic() + 10
    while (metric := seen()) is None:
        assert time.monotonic() < deadline, "the dashboard did not show the changed run within 10 s"
        time.sleep(0.05)
    assert metric["chart"]["lines"] == [{"condition": "success", "op": ">", "value": 0.9}, {"condition": "success", "op": "<", "value": 0.999},
                                        {"condition": "failure", "op": "<", "value": 0.5}]
    assert metric["chart"]["success"] is None  # not one comparison
    assert FOUND is not None
    browser = Browser(*FOUND)
    try:
        browser.get(f"{dash.url}#/rollout/{NS}/app-backend")
        browser.wait(f'return document.querySelectorAll("{CHART} circle").length === 2')
        lines = browser.script(f'return [...document.querySelectorAll("{CHART} line[data-threshold]")].map((l) => [l.dataset.threshold, l.dataset.op, Number(l.dataset.value), Number(l.getAttribute("y1"))])')
    finally:
        browser.close()
    assert [line[:3] for line in lines] == [["success", ">", 0.9], ["success", "<", 0.999], ["failure", "<", 0.5]]
    assert lines[1][3] < lines[0][3] < lines[2][3]  # 0.999 above 0.9 above 0.5 (SVG y grows downwards)
