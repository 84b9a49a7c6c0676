"""Backtests: replay a planned AnalysisTemplate over past Prometheus data, window by window.

    Plan (ops.analysis) ─▶ windows (derive.backtest) ─▶ per window: the evaluator's
    reconciles (ops.analysis_run.advance) on a virtual clock that starts at the window's
    start, each measurement taken by ops.analysis_run.Measurer with Prometheus asked about
    that past instant ─▶ the document: windows, summary, scores, suggested thresholds.

The rules are the evaluator's and the adapter's, unchanged: limits, inconclusive,
consecutive errors and dryRun as Argo applies them; `measurementRetention` does not apply
(every measurement is kept). A measurement's time is exact: the first at start +
initialDelay, the next `interval` after it (10 s after an Error, as Argo retries), so the
instants of every window lie on one grid when nothing errors.

How Prometheus is asked (`mode` per metric, reported in the document):

* `range`: one range query per metric (in chunks of at most RANGE_POINTS steps) over the grid
  every window's instants lie on, when that gives the same samples as instant queries:
  the query is an instant query (not `rangeQuery`), its answer is a vector of at most one
  series or a scalar (checked by an instant query at the first instant), it uses no
  `@ start()`/`@ end()`, and the grid is not much larger than the instants needed. A
  range query evaluates the expression at each step exactly as an instant query at that
  time would (same lookback). An instant that the range answer does not settle (several
  series at that step, an off-grid retry after an Error, a failed chunk) is asked with an
  instant query.
* `instant`: one `/api/v1/query` with `time=` per measurement.

Windows are evaluated WORKERS at a time (each measures its due metrics together, as
Argo does). Prometheus errors become Error measurements with Argo's messages.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import reduce
from typing import Any

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.analysis import args as a
from kubectl_rollouts_py.analysis import conditions, evaluate, prometheus
from kubectl_rollouts_py.analysis.expr import parser as expr
from kubectl_rollouts_py.derive import backtest as bt
from kubectl_rollouts_py.derive import trend
from kubectl_rollouts_py.ops.analysis import Plan
from kubectl_rollouts_py.ops.analysis_run import Measurer, advance
from kubectl_rollouts_py.ops.concurrency import in_daemon_threads

JSON = dict[str, Any]

DEFAULT_MAX_QUERIES = 10_000
"""The most measurements (windows × measurements per window) a backtest plans without --max-queries."""
WORKERS = 4
RANGE_POINTS = 10_000  # steps per range query (Prometheus refuses more than 11,000 per series)
RANGE_WASTE = 16  # a range query may evaluate this many steps per instant needed, or 11,000 in all
_EPSILON = dt.timedelta(microseconds=1)  # the engine's clock runs this far past a due instant
_AT_START_END = re.compile(r"@\s*(?:start|end)\s*\(\s*\)")
UNLIMITED_RETENTION = 1 << 30
MAX_TRIES_PER_MEASUREMENT = 5
"""A window's run is terminated after (this + 1) × its planned measurements (+10): Argo's
default consecutiveErrorLimit retries an Error 4 times, a higher one could retry for ever."""


class BacktestError(errors.UsageError):
    """The backtest asked for is not possible (bounds, cap): exit 2, one line."""


@dataclass(frozen=True)
class Request:
    """`end` None: the last start whose measurements all lie before `now`."""

    start: dt.datetime
    end: dt.datetime | None
    step: dt.timedelta
    window: dt.timedelta | None = None
    incidents: tuple[bt.Incident, ...] = ()
    max_queries: int = DEFAULT_MAX_QUERIES
    mode: str = "auto"  # auto | instant
    workers: int = WORKERS
    now: dt.datetime | None = None


@dataclass(frozen=True)
class Connection:
    """Where and how Prometheus is asked (as `analyze` asks it)."""

    address_override: str | None = None
    default_address: str | None = None
    resolve_secret: Callable[[str, str], str] | None = None


# ------------------------------------------------------------------------------ planning


def metric_plans(plan: Plan, window: dt.timedelta | None) -> list[bt.MetricPlan]:
    """Each metric's measurement offsets in a window (if nothing errors), and its lookback.

    Raises:
        BacktestError: a metric measures without end and no window bounds it.
    """
    out = []
    for metric in plan.spec.metrics:
        count = metric.effective_count
        if count is None and window is None:
            raise BacktestError(
                f'metric "{metric.name}" has no count (it measures every {metric.interval or "10s"} until the run ends): '
                "give --window DURATION, how long each backtested run lasts"
            )
        delay = _duration(metric.initial_delay) or dt.timedelta(0)
        interval = _duration(metric.interval)
        offsets = bt.measurement_offsets(initial_delay=delay, interval=interval, count=count, window=window)
        query = str(((metric.provider or {}).get("prometheus") or {}).get("query") or "")
        out.append(bt.MetricPlan(metric.name, offsets, bt.longest_range_selector(query)))
    return out


def _duration(text: str) -> dt.timedelta | None:
    if not text:
        return None
    try:
        return bt.parse_duration(text)
    except ValueError:
        return None


def check_bounds(request: Request) -> None:
    """Raises BacktestError for --from after --to, or a step or window that is not positive."""
    if request.end is not None and request.end < request.start:
        raise BacktestError(f"--from {bt.rfc3339(request.start)} is after --to {bt.rfc3339(request.end)}")
    if request.step <= dt.timedelta(0):
        raise BacktestError(f"--step must be positive, not {bt.duration_text(request.step)}")
    if request.window is not None and request.window <= dt.timedelta(0):
        raise BacktestError(f"--window must be positive, not {bt.duration_text(request.window)}")


def check_request(plan: Plan, request: Request) -> tuple[Request, list[dt.datetime], list[bt.MetricPlan]]:
    """The request with its end settled, the window starts and metric plans, within the cap.

    Raises:
        BacktestError: --from after --to, a step that is not positive, too many measurements.
    """
    check_bounds(request)
    metrics = metric_plans(plan, request.window)
    last = max((o for m in metrics for o in m.offsets), default=dt.timedelta(0))
    if request.end is None:
        if request.now is None:
            raise BacktestError("give --to TIME")
        request = replace(request, end=request.now - last)
        if request.end is not None and request.end < request.start:
            raise BacktestError(
                f"--from {bt.rfc3339(request.start)} leaves no window that ends before now: a run lasts {bt.duration_text(last)} "
                "(give --from earlier)"
            )
    assert request.end is not None
    per_window = sum(len(m.offsets) for m in metrics)
    windows = bt.count_windows(request.start, request.end, request.step)
    total = windows * per_window
    if total > request.max_queries:
        raise BacktestError(
            f"the backtest would take {total:,} measurements ({windows:,} windows × {per_window} per window), "
            f"more than the cap of {request.max_queries:,}: narrow --from/--to, take a longer --step, or raise --max-queries"
        )
    if per_window == 0:
        raise BacktestError("no metric measures inside a window: make --window longer than the metrics' initialDelay")
    return request, bt.window_starts(request.start, request.end, request.step), metrics


# ------------------------------------------------------------------------------ conditions


SUBJECTS = ("result", "result[0]")  # what a backtest's comparison may look at (number_of reads them)


def comparison_of(metric: evaluate.MetricSpec) -> tuple[bt.Comparison | None, str]:
    """The metric's condition as one comparison of `result[0]` (or `result`) with a constant,
    optionally OR-ed with an isNaN guard of the same; else None and why not."""
    success, failure = metric.success_condition, metric.failure_condition
    if success and failure:
        return None, "both successCondition and failureCondition are set"
    if not success and not failure:
        return None, "the metric has no condition"
    if metric.consecutive_success_limit > 0:
        return None, "consecutiveSuccessLimit decides it too"
    text = success or failure
    try:
        tree: expr.Node = conditions.compile_condition(text).tree
    except conditions.ConditionError as exc:
        return None, f"the condition does not compile: {exc.message}"
    complex_reason = f"the condition {text!r} is not one comparison of result[0] (or result) with a constant"
    guard: str | None = None
    if isinstance(tree, expr.Binary) and tree.op in ("||", "or"):
        for side, other in ((tree.left, tree.right), (tree.right, tree.left)):
            guarded = _nan_guard(side)
            if guarded is not None:
                guard, tree = guarded, other
                break
        else:
            return None, complex_reason
    threshold = trend.threshold_of(tree) if isinstance(tree, expr.Binary) and tree.op in ("<", "<=", ">", ">=") else None
    if threshold is None or threshold.subject not in SUBJECTS or (guard is not None and guard != threshold.subject):
        return None, complex_reason
    return bt.Comparison(threshold.op, threshold.value, on_failure=not success, nan_guard=guard is not None,
                         subject=threshold.subject), ""


def _nan_guard(node: expr.Node) -> str | None:
    if isinstance(node, expr.Call) and isinstance(node.callee, expr.Ident) and node.callee.name == "isNaN" and len(node.args) == 1:
        subject = trend.subject_of(node.args[0])
        return subject if subject in SUBJECTS else None
    return None


def number_of(subject: str, measurement: evaluate.Measurement) -> float | None:
    """The number the comparison looks at, from a measurement (None for an Error or no data)."""
    if measurement.phase is evaluate.Phase.ERROR:
        return None
    return _first(subject, measurement.value)


def _first(subject: str, value: str) -> float | None:
    numbers = bt.numbers_of(value)
    if subject == "result" and value.strip().startswith("["):
        return None
    return numbers[0] if numbers else None


# ------------------------------------------------------------------------------ asking Prometheus


def _millis(moment: dt.datetime) -> int:
    return round(moment.timestamp() * 1000)


@dataclass
class Counter:
    instant: int = 0
    range: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, *, instant: int = 0, range_: int = 0) -> None:
        with self._lock:
            self.instant += instant
            self.range += range_


@dataclass
class Sampler:
    """Answers a metric's instant query at a past instant: from a range query sent before
    where that gives the same sample, else with an instant query. Counts the requests."""

    connection: Connection
    counter: Counter
    cache: dict[str, dict[int, prometheus.Sample]] = field(default_factory=dict)
    queries: dict[str, str] = field(default_factory=dict)  # metric -> the prefetched query text
    modes: dict[str, str] = field(default_factory=dict)  # metric -> "range" | "instant" (+ why)
    notes: list[str] = field(default_factory=list)

    def __call__(self, name: str, provider: Mapping[str, Any], at: dt.datetime) -> prometheus.Sample:
        cached = self.cache.get(name)
        if cached is not None and self.queries.get(name) == str(provider.get("query") or ""):
            sample = cached.get(_millis(at))
            if sample is not None:
                return sample
        return self.instant(provider, at)

    def instant(self, provider: Mapping[str, Any], at: dt.datetime) -> prometheus.Sample:
        self.counter.add(instant=1)
        return prometheus.query(
            provider, at=at, address_override=self.connection.address_override, default_address=self.connection.default_address
        )

    def prefetch(self, name: str, provider: Mapping[str, Any], instants: Sequence[dt.datetime]) -> None:
        """Decide the metric's mode, and for `range` fill the cache from range queries."""
        query = str(provider.get("query") or "")
        moments = sorted({_millis(t) for t in instants})
        if not moments:
            self.modes[name] = "instant"
            return
        if provider.get("rangeQuery"):
            self.modes[name] = "range (the metric's own rangeQuery, once per measurement)"
            return
        if _AT_START_END.search(query):
            self.modes[name] = "instant (the query uses @ start() or @ end(), which a range query reads differently)"
            return
        first = dt.datetime.fromtimestamp(moments[0] / 1000, bt.UTC)
        try:
            probe = self.instant(provider, first)
        except prometheus.ProviderError:
            self.modes[name] = "instant (the first instant query failed)"
            return
        cache = {moments[0]: probe}
        self.cache[name], self.queries[name] = cache, query
        if probe.result_type == "matrix":
            self.modes[name] = "instant (the query returns a matrix)"
            self.notes.append(
                f'metric "{name}": the query returns a matrix (a range vector): each measurement sees every point of every '
                "series, flattened, as Argo does"
            )
            return
        if probe.result_type not in ("vector", "scalar") or (probe.result_type == "vector" and len(probe.result) > 1):
            self.modes[name] = "instant (the query returns several series)"
            return
        if len(moments) == 1:
            self.modes[name] = "instant"
            return
        step = reduce(math.gcd, (m - moments[0] for m in moments[1:]))
        points = (moments[-1] - moments[0]) // step + 1
        if points > max(11_000, RANGE_WASTE * len(moments)):
            self.modes[name] = f"instant (a range query would evaluate {points:,} steps for {len(moments):,} instants)"
            return
        wanted = set(moments)
        failed = 0
        for begin in range(moments[0], moments[-1] + 1, step * RANGE_POINTS):
            end = min(moments[-1], begin + step * (RANGE_POINTS - 1))
            self.counter.add(range_=1)
            try:
                sample = prometheus.query_range(
                    provider,
                    start=dt.datetime.fromtimestamp(begin / 1000, bt.UTC),
                    end=dt.datetime.fromtimestamp(end / 1000, bt.UTC),
                    step=step / 1000,
                    address_override=self.connection.address_override,
                    default_address=self.connection.default_address,
                )
            except prometheus.ProviderError:
                failed += 1
                continue  # those instants are asked one by one (and their errors recorded)
            _fill(cache, sample, begin, end, step, wanted, scalar=probe.result_type == "scalar")
        self.modes[name] = "range" + (f" ({failed} range queries failed; their instants were asked one by one)" if failed else "")


def _fill(cache: dict[int, prometheus.Sample], sample: prometheus.Sample, begin: int, end: int, step: int,
          wanted: set[int], *, scalar: bool) -> None:
    """The instant samples a range answer settles: the steps with at most one series' point."""
    by_time: dict[int, list[float]] = {}
    for points in sample.series:
        for stamp, value in points:
            by_time.setdefault(stamp, []).append(value)
    for moment in range(begin, end + 1, step):
        if moment not in wanted or moment in cache:
            continue
        values = by_time.get(moment, [])
        if len(values) > 1:
            continue  # an instant query's order of several series is its own: ask it
        if scalar:
            if values:
                cache[moment] = prometheus.Sample(prometheus.format_float(values[0]), values[0], "scalar", sample.warnings)
            continue
        text = "[" + ",".join(prometheus.format_float(v) for v in values) + "]"
        cache[moment] = prometheus.Sample(text, list(values), "vector", sample.warnings)


# ------------------------------------------------------------------------------ running windows


def run_window(
    spec: evaluate.RunSpec, start: dt.datetime, make_measurer: Callable[[Callable[[], dt.datetime]], Measurer],
    window: dt.timedelta | None, *, most: int | None = None,
) -> evaluate.RunStatus:
    """The run as if it had started at `start`, reconciled as Argo's controller would on a
    virtual clock: each reconcile at the instant a metric is due. With a window, the run is
    terminated at its end (as `analyze --timeout` terminates). After `most` measurements
    (errors retried again and again under a high consecutiveErrorLimit) it is terminated too."""
    nominal = [start]
    engine = [start]
    measurer = make_measurer(lambda: nominal[0])
    deadline = start + window if window is not None else None
    status = evaluate.RunStatus()
    while True:
        if deadline is not None and nominal[0] >= deadline and not spec.terminate:
            spec = replace(spec, terminate=True)
        if most is not None and not spec.terminate and sum(r.count + r.error for r in status.metric_results) >= most:
            spec = replace(spec, terminate=True)
        status = advance(spec, status, measurer.measure, clock=lambda: engine[0])
        if status.completed:
            return status
        upcoming = evaluate.next_reconcile(spec, status)
        if upcoming is None:
            spec = replace(spec, terminate=True)
            continue
        if deadline is not None and upcoming > deadline:
            upcoming = deadline
        nominal[0] = upcoming
        engine[0] = upcoming + _EPSILON  # an interval is due strictly after its instant


@dataclass
class Outcome:
    """A finished backtest: the document, its overall phase, the first error seen, warnings."""

    document: JSON
    phase: str
    first_error: str = ""
    warnings: list[str] = field(default_factory=list)


def backtest(plan: Plan, request: Request, connection: Connection, *, warn: Callable[[str], None] | None = None) -> Outcome:
    """Replay the plan over [request.start, request.end].

    Raises:
        BacktestError: bounds or cap (before any query).
        RolloutsError: an argument or secret could not be resolved.
    """
    request, starts, metrics = check_request(plan, request)
    last = max((o for m in metrics for o in m.offsets), default=dt.timedelta(0))
    late = [s for s in starts if request.now is not None and s + last > request.now]
    notes = []
    if late:
        notes.append(f"{len(late)} of {len(starts)} windows measure after now ({bt.rfc3339(late[0])} on): they find no data yet")
    spec = replace(plan.spec, retention={m.name: UNLIMITED_RETENTION for m in plan.spec.metrics})
    counter = Counter()
    sampler = Sampler(connection, counter)
    began = time.monotonic()
    if request.mode == "instant":
        for m in metrics:
            sampler.modes[m.name] = "instant"
    else:
        for m in metrics:
            raw = plan.raw[m.name]
            try:
                resolved, _ = a.resolve_for_measurement(raw, plan.arguments, resolve_secret=connection.resolve_secret)
            except a.ArgsError as exc:
                raise errors.RolloutsError(a.UNABLE_TO_RESOLVE + exc.message) from None
            provider = (resolved.get("provider") or {}).get("prometheus") or {}
            sampler.prefetch(m.name, provider, [s + o for s in starts for o in m.offsets])
    seen: list[str] = []
    seen_lock = threading.Lock()

    def tell(text: str) -> None:
        with seen_lock:
            if text not in seen and len(seen) < 20:
                seen.append(text)

    range_metrics = {m.name for m in plan.spec.metrics if ((m.provider.get("prometheus") or {}).get("rangeQuery"))}

    def make_measurer(clock: Callable[[], dt.datetime]) -> Measurer:
        measurer = Measurer.for_plan(
            plan, clock, wall=clock, address_override=connection.address_override,
            default_address=connection.default_address, resolve_secret=connection.resolve_secret,
            instant_query=sampler, warn=tell,
        )
        if range_metrics:
            measure = measurer.measure

            def counted(name: str) -> evaluate.Measurement:
                if name in range_metrics:
                    counter.add(range_=1)
                return measure(name)

            measurer.measure = counted  # type: ignore[method-assign]
        return measurer

    statuses: list[evaluate.RunStatus | None] = [None] * len(starts)

    per_window = sum(len(m.offsets) for m in metrics)
    most = per_window * (MAX_TRIES_PER_MEASUREMENT + 1) + 10

    def work(index: int) -> None:
        statuses[index] = run_window(spec, starts[index], make_measurer, request.window, most=most)

    in_daemon_threads(work, len(starts), request.workers)
    elapsed = time.monotonic() - began
    done = [s for s in statuses if s is not None]
    document = build_document(plan, request, starts, metrics, done, sampler, counter, elapsed)
    phases = [w["phase"] for w in document["windows"]]
    first_error = next(
        (m["message"] for w in document["windows"] for metric in w["metrics"] for m in metric["measurements"]
         if m["phase"] == "Error" and m.get("message")),
        "",
    )
    warnings = [*notes, *sampler.notes, *seen]
    if warn is not None:
        for text in warnings:
            warn(text)
    return Outcome(document, bt.overall_phase(phases), first_error, warnings)


# ------------------------------------------------------------------------------ the document


def _measurement(m: evaluate.Measurement) -> JSON:
    entry: JSON = {"at": bt.rfc3339(m.started_at) if m.started_at is not None else None, "value": m.value, "phase": m.phase.value}
    if m.message:
        entry["message"] = m.message
    return entry


def _worst(measurements: Sequence[evaluate.Measurement], cmp: bt.Comparison | None) -> str:
    """The value of the window's worst measurement: the lowest (highest) number for a
    comparison that fails low (high); else the value of the worst-phase measurement."""
    if cmp is not None:
        numbers = [n for n in (number_of(cmp.subject, m) for m in measurements) if n is not None]
        if numbers:
            finite = [n for n in numbers if not math.isnan(n)]
            if not finite or any(math.isnan(n) and cmp.fails(n, cmp.constant) for n in numbers):
                return "NaN"
            return bt.format_number(min(finite) if cmp.rising else max(finite))
    order = {"Failed": 3, "Error": 2, "Inconclusive": 1}
    chosen = max(measurements, key=lambda m: order.get(m.phase.value, 0), default=None)
    return chosen.value if chosen is not None else ""


def build_document(
    plan: Plan, request: Request, starts: Sequence[dt.datetime], metrics: Sequence[bt.MetricPlan],
    statuses: Sequence[evaluate.RunStatus], sampler: Sampler, counter: Counter, elapsed: float,
) -> JSON:
    comparisons = {m.name: comparison_of(m) for m in plan.spec.metrics}
    covers = [bt.covered(bt.window_span(s, metrics), request.incidents) for s in starts]
    windows: list[JSON] = []
    tally = bt.Tally()
    per_metric_failed: dict[str, list[bool]] = {m.name: [] for m in plan.spec.metrics}
    numbers: dict[str, list[float]] = {m.name: [] for m in plan.spec.metrics}
    planned_values: dict[str, list[list[float | None]]] = {m.name: [] for m in plan.spec.metrics}
    offsets = {m.name: m.offsets for m in metrics}
    for start, status, cover in zip(starts, statuses, covers):
        phase = status.phase.value if status.phase is not None else "Error"
        tally.add(phase)
        entry: JSON = {"start": bt.rfc3339(start), "phase": phase}
        if status.message:
            entry["message"] = status.message
        if request.incidents:
            entry["incidents"] = [request.incidents[i].label for i in cover]
        entry["metrics"] = []
        for metric in plan.spec.metrics:
            result = status.result(metric.name)
            measurements = result.measurements if result is not None else ()
            cmp, _ = comparisons[metric.name]
            item: JSON = {
                "name": metric.name,
                "phase": result.phase.value if result is not None else "Successful",
                "worst": _worst(measurements, cmp),
                "measurements": [_measurement(m) for m in measurements],
            }
            if result is not None and result.dry_run:
                item["dryRun"] = True
            entry["metrics"].append(item)
            per_metric_failed[metric.name].append(item["phase"] == "Failed")
            subject = cmp.subject if cmp is not None else "result[0]"
            taken = {(_millis(m.started_at)): number_of(subject, m) for m in measurements if m.started_at is not None}
            numbers[metric.name].extend(n for n in taken.values() if n is not None)
            if cmp is not None and request.incidents:
                planned_values[metric.name].append(_planned_numbers(plan, metric.name, start, offsets[metric.name], taken, subject, sampler))
        windows.append(entry)
    summary: JSON = {
        "windows": len(windows),
        "phase": bt.overall_phase(w["phase"] for w in windows),
        "successful": tally.counts["Successful"],
        "failed": tally.counts["Failed"],
        "inconclusive": tally.counts["Inconclusive"],
        "error": tally.counts["Error"],
    }
    if request.incidents:
        summary["incidents"] = _scores(request, windows, covers, per_metric_failed)
        summary["thresholds"] = [
            _suggestion_doc(
                bt.suggest(m.name, comparisons[m.name][0], m.failure_limit, planned_values[m.name], covers, len(request.incidents),
                           reason=comparisons[m.name][1])
            )
            for m in plan.spec.metrics
        ]
    described = []
    for m in plan.spec.metrics:
        cmp, why = comparisons[m.name]
        threshold = cmp.constant if cmp is not None else None
        scale = bt.scale_for(numbers[m.name], threshold)
        info: JSON = {
            "name": m.name,
            "condition": m.success_condition or m.failure_condition,
            "failureLimit": m.failure_limit,
            "measurementsPerWindow": len(offsets[m.name]),
            "queries": sampler.modes.get(m.name, "instant"),
            "scale": {"low": scale.low, "high": scale.high, "threshold": scale.threshold},
        }
        if cmp is not None:
            info["comparison"] = {"subject": cmp.subject, "op": cmp.op, "constant": cmp.constant,
                                  "on": "failureCondition" if cmp.on_failure else "successCondition", "nanGuard": cmp.nan_guard}
        described.append(info)
    return {
        "template": plan.name,
        "from": bt.rfc3339(request.start),
        "to": bt.rfc3339(request.end) if request.end is not None else None,
        "step": bt.duration_text(request.step),
        "window": bt.duration_text(request.window) if request.window is not None else None,
        "metrics": described,
        "requests": {"instant": counter.instant, "range": counter.range, "seconds": round(elapsed, 3)},
        "windows": windows,
        "summary": summary,
    }


def _planned_numbers(
    plan: Plan, name: str, start: dt.datetime, offsets: Sequence[dt.timedelta], taken: Mapping[int, float | None],
    subject: str, sampler: Sampler,
) -> list[float | None]:
    """The metric's numbers at every planned instant of the window: the ones measured, and
    (where the run ended before) asked now, so another constant can be judged on them all."""
    out: list[float | None] = []
    provider: Mapping[str, Any] | None = None
    for offset in offsets:
        moment = start + offset
        key = _millis(moment)
        if key in taken:
            out.append(taken[key])
            continue
        if provider is None:
            try:
                resolved, _ = a.resolve_for_measurement(plan.raw[name], plan.arguments, resolve_secret=sampler.connection.resolve_secret)
            except a.ArgsError:
                return out
            provider = (resolved.get("provider") or {}).get("prometheus") or {}
        try:
            sample = sampler(name, provider, moment)
        except prometheus.ProviderError:
            out.append(None)
            continue
        out.append(_first(subject, sample.value))
    return out


def _scores(request: Request, windows: Sequence[JSON], covers: Sequence[tuple[int, ...]],
            per_metric_failed: Mapping[str, Sequence[bool]]) -> JSON:
    template = bt.score([w["phase"] == "Failed" for w in windows], covers, len(request.incidents))

    def doc(s: bt.Score) -> JSON:
        return {
            "caught": len(s.caught),
            "missed": len(s.missed),
            "falseAlarms": len(s.false_alarms),
            "missedIncidents": [request.incidents[i].label for i in s.missed],
            "falseAlarmWindows": [windows[w]["start"] for w in s.false_alarms],
        }

    out = {"marked": len(request.incidents), **doc(template)}
    out["metrics"] = [{"name": name, **doc(bt.score(failed, covers, len(request.incidents)))} for name, failed in per_metric_failed.items()]
    return out


def _suggestion_doc(s: bt.Suggestion) -> JSON:
    out: JSON = {"metric": s.metric, "failureLimit": s.failure_limit}
    if s.comparison is None or s.reason:
        out["tunable"] = s.comparison is not None
        out["reason"] = s.reason
        return out
    out["tunable"] = True
    out["condition"] = s.comparison.text()
    out["constant"] = s.comparison.constant
    out["currentSeparates"] = s.current_ok
    out["ranges"] = [
        {
            "failureLimit": r.failure_limit,
            "text": r.text(),
            "low": None if r.low is None else {"value": _number(r.low.value), "inclusive": r.low.inclusive},
            "high": None if r.high is None else {"value": _number(r.high.value), "inclusive": r.high.inclusive},
        }
        for r in s.ranges
    ]
    if s.tradeoffs:
        out["tradeoffs"] = [
            {"failureLimit": t.failure_limit, "constant": _number(t.constant), "caught": t.caught, "missed": t.missed, "falseAlarms": t.false_alarms}
            for t in s.tradeoffs
        ]
    return out


def _number(value: float) -> float | str:
    """A float for JSON, or its text where JSON has no number for it (NaN, infinities)."""
    return value if math.isfinite(value) else bt.format_number(value)
