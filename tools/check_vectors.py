#!/usr/bin/env python3
"""Run the shared analysis vectors through the analysis engine and report pass rates.

    python tools/check_vectors.py [--vectors DIR] [--verbose]

DIR defaults to ../shared/analysis-vectors relative to the repository root. Prints per-file
(and, for conditions.json, per-tier) pass counts and every failing vector, and exits 1 unless
conditions core is 100 %, conditions extended at least 95 %, and phases.json and runs.json
100 %. prometheus.json is checked only for its engine half (conditions applied to the
shaped `result`); the HTTP half belongs to the Prometheus adapter, so it is reported but
does not decide the exit code.

This is a script, not a test: the test suite must not read files outside the repository.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kubectl_rollouts_py.analysis import evaluate as ev  # noqa: E402
from kubectl_rollouts_py.analysis.conditions import ConditionError, JSONValue, evaluate_condition  # noqa: E402

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
_SPECIAL = {"NaN": math.nan, "+Inf": math.inf, "-Inf": -math.inf}


def load_result(value: Any, result_type: str | None = None) -> Any:
    """The conditions.json encoding of `result` as the engine's Python value."""
    if result_type == "any":
        return JSONValue(value)
    if result_type == "string":
        return str(value)
    if result_type == "int":
        return int(value)
    if result_type == "bool":
        return bool(value)
    if isinstance(value, str) and value in _SPECIAL:
        return _SPECIAL[value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        return [load_result(x) for x in value]
    return value


@dataclass
class Tally:
    passed: int = 0
    total: int = 0
    failures: list[str] = field(default_factory=list)

    def add(self, ok: bool, what: str) -> None:
        self.total += 1
        if ok:
            self.passed += 1
        else:
            self.failures.append(what)

    @property
    def rate(self) -> float:
        return 100.0 * self.passed / self.total if self.total else 100.0

    def line(self, label: str) -> str:
        return f"{label}: {self.passed}/{self.total} ({self.rate:.1f} %)"


# ------------------------------------------------------------------ conditions.json


def check_conditions(cases: list[dict[str, Any]]) -> tuple[dict[str, Tally], int]:
    tiers: dict[str, Tally] = {}
    kind_mismatches = 0
    for case in cases:
        tally = tiers.setdefault(case.get("tier", "core"), Tally())
        try:
            got: Any = evaluate_condition(case["expr"], load_result(case["result"], case.get("result_type")))
            kind, message = None, ""
        except ConditionError as exc:
            got, kind, message = "error", exc.kind, exc.message
        except Exception as exc:  # noqa: BLE001 - a crash is a failing vector, reported
            got, kind, message = "crash", None, repr(exc)
        ok = got == case["expect"]
        detail = f"{case['expr']!r} result={json.dumps(case['result'])}"
        if case.get("result_type"):
            detail += f" ({case['result_type']})"
        tally.add(ok, f"{detail}: expected {case['expect']!r}, got {got!r} {message}".rstrip())
        if ok and got == "error" and case.get("error_kind") and kind != case["error_kind"]:
            kind_mismatches += 1
    return tiers, kind_mismatches


# ------------------------------------------------------------------ phases.json


def check_phases(cases: list[dict[str, Any]]) -> Tally:
    tally = Tally()
    for case in cases:
        phase, message = ev.assess(case["successCondition"], case["failureCondition"], load_result(case["result"]))
        ok = phase.value == case["expect_phase"]
        if "expect_message" in case:
            ok = ok and message == case["expect_message"]
        tally.add(
            ok,
            f"success={case['successCondition']!r} failure={case['failureCondition']!r} "
            f"result={json.dumps(case['result'])}: expected {case['expect_phase']} {case.get('expect_message', '')!r}, "
            f"got {phase.value} {message!r}",
        )
    return tally


# ------------------------------------------------------------------ prometheus.json (engine half)


def check_prometheus(cases: list[dict[str, Any]]) -> Tally:
    tally = Tally()
    for case in cases:
        expect = case["expect"]
        if "result" not in expect:
            continue  # transport/shape errors: the adapter's business
        phase, message = ev.assess(case["successCondition"], case["failureCondition"], load_result(expect["result"]))
        ok = phase.value == expect["phase"] and message == expect.get("message", message)
        tally.add(ok, f"{case['name']}: expected {expect['phase']}, got {phase.value} {message!r}")
    return tally


# ------------------------------------------------------------------ runs.json


def _summary(summary: ev.RunSummary) -> dict[str, int]:
    return {
        "count": summary.count,
        "successful": summary.successful,
        "failed": summary.failed,
        "inconclusive": summary.inconclusive,
        "error": summary.error,
    }


def _metric_view(result: ev.MetricResult, metric: ev.MetricSpec, terminating: bool) -> dict[str, Any]:
    return {
        "phase": result.phase.value,
        "count": result.count,
        "successful": result.successful,
        "failed": result.failed,
        "inconclusive": result.inconclusive,
        "error": result.error,
        "consecutiveError": result.consecutive_error,
        "consecutiveSuccess": result.consecutive_success,
        "measuresAgain": ev.would_measure_again(metric, result, terminating=terminating),
        "message": result.message,
        "dryRun": result.dry_run,
    }


def run_scenario(scenario: dict[str, Any]) -> list[str]:
    """Drive one scenario reconcile by reconcile; returns the differences found."""
    problems: list[str] = []
    names = [m["name"] for m in scenario["metrics"]]
    dry = ev.dry_run_metric_names(scenario.get("dryRun", []), names) if scenario.get("dryRun") else frozenset()
    spec = ev.RunSpec.from_dicts(scenario["metrics"], dry_run=dry)
    status = ev.RunStatus()
    now = T0
    for number, step in enumerate(scenario["steps"], start=1):
        where = f"step {number}"
        if step.get("terminate"):
            spec = replace(spec, terminate=True)
        terminating = ev.is_terminating(spec.terminate, status.metric_results)
        taken: dict[str, ev.Measurement] = {}
        for name, m in step["measure"].items():
            metric = spec.metric(name)
            assert metric is not None, name
            if not ev.would_measure_again(metric, status.result(name), terminating=terminating):
                problems.append(f"{where}: {name} is measured but the engine would not measure it again")
            if "result" in m:
                phase, message = ev.assess(metric.success_condition, metric.failure_condition, load_result(m["result"]))
                if phase.value != m["phase"] or ("message" in m and message != m["message"]):
                    problems.append(f"{where}: {name} result {m['result']!r} assessed {phase.value} {message!r}")
            taken[name] = ev.Measurement(ev.Phase(m["phase"]), message=m.get("message", ""), started_at=now, finished_at=now)
        status = ev.reconcile(spec, status, taken, now=now)
        expect = step["expect"]
        run = expect["run"]
        got_run = {
            "phase": status.phase.value if status.phase else "",
            "message": status.message,
            "runSummary": _summary(status.run_summary),
            "dryRunSummary": _summary(status.dry_run_summary),
        }
        for key, want in run.items():
            if got_run.get(key) != want:
                problems.append(f"{where}: run {key} expected {want!r}, got {got_run.get(key)!r}")
        terminating_next = ev.is_terminating(spec.terminate, status.metric_results)
        got_names = sorted(r.name for r in status.metric_results)
        if got_names != sorted(expect["metrics"]):
            problems.append(f"{where}: metric results {got_names} expected {sorted(expect['metrics'])}")
        for name, want_metric in expect["metrics"].items():
            result = status.result(name)
            metric = spec.metric(name)
            if result is None or metric is None:
                continue
            view = _metric_view(result, metric, terminating_next)
            for key, want in want_metric.items():
                if view.get(key) != want:
                    problems.append(f"{where}: metric {name} {key} expected {want!r}, got {view.get(key)!r}")
        now += dt.timedelta(minutes=1)
    return problems


def check_metric_status(case: dict[str, Any]) -> list[str]:
    metric = ev.MetricSpec.from_dict(case["metric"])
    counters = case["result"]
    measurements: tuple[ev.Measurement, ...] = ()
    if "lastMeasurementPhase" in case:
        phase = ev.Phase(case["lastMeasurementPhase"])
        measurements = (ev.Measurement(phase, finished_at=T0 if phase.completed else None),)
    result = ev.MetricResult(
        name=metric.name,
        measurements=measurements,
        count=counters.get("count", 0),
        successful=counters.get("successful", 0),
        failed=counters.get("failed", 0),
        inconclusive=counters.get("inconclusive", 0),
        error=counters.get("error", 0),
        consecutive_error=counters.get("consecutiveError", 0),
        consecutive_success=counters.get("consecutiveSuccess", 0),
    )
    phase, reason = ev.assess_metric(metric, result, terminating=case["terminating"])
    problems = []
    if phase.value != case["expect_phase"]:
        problems.append(f"phase expected {case['expect_phase']}, got {phase.value}")
    if reason != case.get("expect_limit_message", ""):
        problems.append(f"reason expected {case.get('expect_limit_message', '')!r}, got {reason!r}")
    return problems


def check_runs(data: dict[str, Any]) -> tuple[Tally, Tally]:
    scenarios, statuses = Tally(), Tally()
    for scenario in data["scenarios"]:
        problems = _guard(lambda: run_scenario(scenario))
        scenarios.add(not problems, f"{scenario['name']}: " + "; ".join(problems))
    for case in data["metricStatusCases"]:
        problems = _guard(lambda: check_metric_status(case))
        statuses.add(not problems, f"{case['name']}: " + "; ".join(problems))
    return scenarios, statuses


def _guard(fn: Callable[[], list[str]]) -> list[str]:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - report, don't stop the run
        return [f"crashed: {exc!r}"]


# ------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vectors", type=Path, default=REPO.parent / "shared" / "analysis-vectors")
    parser.add_argument("--verbose", action="store_true", help="also list error-kind mismatches")
    args = parser.parse_args(argv)
    directory: Path = args.vectors
    if not directory.is_dir():
        print(f"vectors directory not found: {directory}", file=sys.stderr)
        return 2

    def load(name: str) -> Any:
        return json.loads((directory / name).read_text(encoding="utf-8"))

    ok = True
    tiers, kind_mismatches = check_conditions(load("conditions.json"))
    print("conditions.json")
    for tier in sorted(tiers):
        print("  " + tiers[tier].line(tier))
    print(f"  error kind (compile/runtime/not_bool) differs from expr's on {kind_mismatches} error vectors")
    ok &= tiers.get("core", Tally()).rate == 100.0 and tiers.get("extended", Tally()).rate >= 95.0

    phases = check_phases(load("phases.json"))
    print("phases.json\n  " + phases.line("all"))
    ok &= phases.rate == 100.0

    scenarios, statuses = check_runs(load("runs.json"))
    print("runs.json\n  " + scenarios.line("scenarios") + "\n  " + statuses.line("metricStatusCases"))
    ok &= scenarios.rate == 100.0 and statuses.rate == 100.0

    prometheus_file = directory / "prometheus.json"
    prometheus = check_prometheus(load("prometheus.json")) if prometheus_file.exists() else Tally()
    print("prometheus.json (engine half: conditions on the shaped result; informational)\n  " + prometheus.line("cases"))

    failures = [
        (f"conditions.json [{tier}]", tally) for tier, tally in sorted(tiers.items())
    ] + [("phases.json", phases), ("runs.json scenarios", scenarios), ("runs.json metricStatusCases", statuses),
         ("prometheus.json", prometheus)]  # fmt: skip
    for label, tally in failures:
        for failure in tally.failures:
            print(f"FAIL {label}: {failure}")
    print("OK" if ok else "NOT OK: below the required pass rates")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
