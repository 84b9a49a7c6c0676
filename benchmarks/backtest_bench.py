#!/usr/bin/env python3
"""Backtest benchmark: 14 days at a 1-hour step for a 3-metric template (a script, not a test).

Writes 14 days of the demo traffic (sandbox.backfill: one stable pod and one canary, a
sample a minute, one bad canary hour a day) as OpenMetrics, backfills it with
`promtool tsdb create-blocks-from openmetrics`, starts a real Prometheus on it, then runs
the installed `kubectl-rollouts_py analyze --backtest` over the 14 days every hour with a
template of three metrics (3 measurements each, 5 minutes apart: 9 a window, 337 windows),
once with `--query-mode auto` (range queries where they give the same samples) and once
with `--query-mode instant` (one query per measurement). For each: wall time, the number
of Prometheus requests (as the backtest counts them, and as Prometheus counts them in
`prometheus_http_requests_total`), and whether both modes gave the same windows.

    pip install . && python benchmarks/backtest_bench.py
    python benchmarks/backtest_bench.py --days 14 --runs 3 --keep /tmp/bt-bench

Timings on a shared 2-core VM move by +-30% between runs. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from kubectl_rollouts_py.sandbox import backfill
from kubectl_rollouts_py.sandbox.prometheus import PrometheusProcess

END = dt.datetime(2025, 3, 28, 0, 0, tzinfo=dt.timezone.utc)
CANARY = f'pod=~"app-backend-.*",rollouts_pod_template_hash="{backfill.CANARY_HASH}"'


def template(url: str) -> dict[str, Any]:
    def metric(name: str, query: str, **fields: Any) -> dict[str, Any]:
        return {"name": name, "count": 3, "interval": "5m", "provider": {"prometheus": {"address": url, "query": query}}, **fields}

    total = f"sum(rate(http_server_requests_seconds_count{{{CANARY}}}[5m]))"
    good = f'sum(rate(http_server_requests_seconds_count{{{CANARY},status!~"5.."}}[5m]))'
    bad = f'sum(rate(http_server_requests_seconds_count{{{CANARY},status=~"5.."}}[5m]))'
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisTemplate",
        "metadata": {"name": "canary-health"},
        "spec": {
            "metrics": [
                metric("success-rate", f"{good} / {total}", successCondition="isNaN(result[0]) || result[0] >= 0.95", failureLimit=1),
                metric("error-rate", f"{bad} / {total}", failureCondition="result[0] > 0.05", initialDelay="1m", failureLimit=1),
                metric("traffic", total, successCondition="result[0] > 1"),
            ]
        },
    }


def handled(url: str) -> dict[str, float]:
    """Prometheus's own count of the requests it served, by handler (its /metrics page: the
    TSDB holds only the recording)."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as answer:
        page = answer.read().decode()
    counts: dict[str, float] = {}
    for line in page.splitlines():
        if line.startswith("prometheus_http_requests_total{"):
            labels, _, value = line.rpartition(" ")
            handler = labels.split('handler="', 1)[1].split('"', 1)[0]
            counts[handler] = counts.get(handler, 0.0) + float(value)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--runs", type=int, default=1, help="runs of each mode (the median is reported)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the work directory here")
    parser.add_argument("--cli", default=shutil.which("kubectl-rollouts_py") or "kubectl-rollouts_py")
    options = parser.parse_args()
    prometheus = shutil.which("prometheus") or "/usr/bin/prometheus"
    promtool = shutil.which("promtool") or "/usr/bin/promtool"
    workdir = options.keep or Path(tempfile.mkdtemp(prefix="backtest-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    start = END - dt.timedelta(days=options.days)
    incidents = [backfill.Incident(start + dt.timedelta(days=d, hours=14), start + dt.timedelta(days=d, hours=15))
                 for d in range(options.days)]
    began = time.monotonic()
    text = backfill.recording(start, END, pods=backfill.story_pods(stable=1), incidents=incidents, scrape=60.0)
    written = time.monotonic() - began
    server = PrometheusProcess(prometheus, workdir, retention="100y")
    began = time.monotonic()
    backfill.backfill(text, server.storage, workdir=workdir, promtool=promtool)
    filled = time.monotonic() - began
    print(f"recording: {options.days} days, {len(text.splitlines()):,} lines ({len(text) / 1e6:.1f} MB) written in {written:.1f}s, "
          f"backfilled by promtool in {filled:.1f}s")
    server.start()
    try:
        path = workdir / "template.json"
        path.write_text(json.dumps(template(server.url)))
        documents = {}
        for mode in ("auto", "instant"):
            times, counted, served = [], [], []
            for _ in range(options.runs):
                before = handled(server.url)
                began = time.monotonic()
                proc = subprocess.run(
                    [options.cli, "analyze", "-f", str(path), "--backtest", "--from", (start + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                     "--to", (END - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"), "--step", "1h", "--query-mode", mode,
                     "-o", "json", *sum((["--incident", f"{i.start:%Y-%m-%dT%H:%M:%SZ}/{i.end:%Y-%m-%dT%H:%M:%SZ}"] for i in incidents), [])],
                    capture_output=True, text=True, timeout=3600, check=False,
                )
                times.append(time.monotonic() - began)
                if proc.returncode not in (0, 3, 4, 5):
                    print(proc.stderr, file=sys.stderr)
                    return 1
                after = handled(server.url)
                doc = json.loads(proc.stdout)
                documents[mode] = doc
                counted.append(doc["requests"]["instant"] + doc["requests"]["range"])
                served.append(sum(after.get(h, 0) - before.get(h, 0) for h in ("/api/v1/query", "/api/v1/query_range")))
            doc = documents[mode]
            summary = doc["summary"]
            print(
                f"--query-mode {mode:7}: {statistics.median(times):6.2f}s wall (median of {len(times)}), "
                f"{counted[-1]:,} requests ({doc['requests']['instant']:,} instant, {doc['requests']['range']:,} range; "
                f"Prometheus served {served[-1]:,.0f}), {summary['windows']} windows "
                f"({summary['successful']} Successful, {summary['failed']} Failed, {summary['error']} Error), "
                f"incidents caught {summary['incidents']['caught']}/{summary['incidents']['marked']}, "
                f"false alarms {summary['incidents']['falseAlarms']}"
            )
        same = documents["auto"]["windows"] == documents["instant"]["windows"]
        print(f"same windows in both modes: {same}")
        for metric in documents["auto"]["metrics"]:
            print(f"  {metric['name']}: {metric['queries']}")
        return 0 if same else 1
    finally:
        server.stop()
        if options.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
