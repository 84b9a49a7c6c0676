"""Measurement → phase, counters, metric phase, run phase, as pure functions.

A controller (the simulated one in tests, or `analyze`) drives a run like this, passing the
clock in:

    spec = RunSpec.from_dicts(metrics, dry_run=names)      # after args.resolve_metrics
    status = RunStatus()
    while not status.completed:
        due = due_metrics(spec, status, now=now)            # what is due now
        taken = {name: measure(name) for name in due}      # I/O happens only here
        status = reconcile(spec, status, taken, now=now)    # counters, phases, termination
        now = ... (sleep until next_reconcile(spec, status) or a bit later)

Nothing here reads the clock, the environment or the network. Phases are `Phase` members
whose values are Argo's strings.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from kubectl_rollouts_py import govalues
from kubectl_rollouts_py.analysis import conditions
from kubectl_rollouts_py.analysis.expr import regex
from kubectl_rollouts_py.errors import RolloutsError

ERROR_RETRY_INTERVAL = dt.timedelta(seconds=10)  # Argo's DefaultErrorRetryInterval
DEFAULT_INTERVAL = dt.timedelta(seconds=10)  # used when a metric without interval measures again
MEASUREMENT_HISTORY_LIMIT = 10  # Argo's DefaultMeasurementHistoryLimit
DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4
NO_DATA = "metric result is nil or empty: no data returned from the metric provider"
RUN_TERMINATED = "Run Terminated"


class Phase(enum.Enum):
    """AnalysisRun / metric / measurement phase, with Argo's spelling as the value."""

    PENDING = "Pending"
    RUNNING = "Running"
    SUCCESSFUL = "Successful"
    FAILED = "Failed"
    ERROR = "Error"
    INCONCLUSIVE = "Inconclusive"

    @property
    def completed(self) -> bool:
        """Terminal phases: Successful, Failed, Error, Inconclusive."""
        return self in (Phase.SUCCESSFUL, Phase.FAILED, Phase.ERROR, Phase.INCONCLUSIVE)


# Best to worst, for the run's "worst metric". Unknown/None ranks like index 0.
_SEVERITY = [Phase.SUCCESSFUL, Phase.RUNNING, Phase.PENDING, Phase.INCONCLUSIVE, Phase.ERROR, Phase.FAILED]


def is_worse(current: Phase | None, new: Phase) -> bool:
    """Argo's IsWorse: strictly worse in the order above (Failed is the worst)."""
    current_rank = _SEVERITY.index(current) if current in _SEVERITY else 0
    return _SEVERITY.index(new) > current_rank


class AnalysisSpecInvalid(RolloutsError):
    """The run's spec fails validation (run phase Error, `Analysis spec invalid: <msg>`)."""


# ------------------------------------------------------------------ data


@dataclass(frozen=True)
class MetricSpec:
    """One metric after argument substitution, with int-or-string fields resolved.

    `count` is None when unset. Unparsable int-or-string text has already become 0, as
    Kubernetes' IntOrString.IntValue() does.
    """

    name: str
    interval: str = ""
    initial_delay: str = ""
    count: int | None = None
    success_condition: str = ""
    failure_condition: str = ""
    failure_limit: int = 0
    inconclusive_limit: int = 0
    consecutive_error_limit: int = DEFAULT_CONSECUTIVE_ERROR_LIMIT
    consecutive_success_limit: int = 0
    provider: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_dict(cls, metric: Mapping[str, Any]) -> MetricSpec:
        """Build from a metric as it appears in a template or run spec (camelCase keys)."""
        count = metric.get("count")
        return cls(
            name=str(metric.get("name", "")),
            interval=str(metric.get("interval") or ""),
            initial_delay=str(metric.get("initialDelay") or ""),
            count=None if count is None else govalues.int_or_string(count, 0),
            success_condition=str(metric.get("successCondition") or ""),
            failure_condition=str(metric.get("failureCondition") or ""),
            failure_limit=govalues.int_or_string(metric.get("failureLimit"), 0),
            inconclusive_limit=govalues.int_or_string(metric.get("inconclusiveLimit"), 0),
            consecutive_error_limit=govalues.int_or_string(
                metric.get("consecutiveErrorLimit"), DEFAULT_CONSECUTIVE_ERROR_LIMIT
            ),
            consecutive_success_limit=govalues.int_or_string(metric.get("consecutiveSuccessLimit"), 0),
            provider=dict(metric.get("provider") or {}),
        )

    @property
    def effective_count(self) -> int | None:
        """Argo's EffectiveCount: 1 without count and interval, None (indefinite) with only an interval."""
        if self.count is None or self.count == 0:
            return None if self.interval else 1
        return self.count


@dataclass(frozen=True)
class Measurement:
    """One measurement. `value` is "" whenever the phase is Error."""

    phase: Phase
    message: str = ""
    value: str = ""
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    metadata: Mapping[str, str] = field(default_factory=dict, compare=False)
    resume_at: dt.datetime | None = None  # async providers only; Prometheus never sets it


@dataclass(frozen=True)
class MetricResult:
    """A metric's status: its phase, measurement history (trimmed) and counters (never trimmed).

    `count` counts Successful + Failed + Inconclusive measurements; errors are separate.
    """

    name: str
    phase: Phase = Phase.RUNNING
    measurements: tuple[Measurement, ...] = ()
    message: str = ""
    count: int = 0
    successful: int = 0
    failed: int = 0
    inconclusive: int = 0
    error: int = 0
    consecutive_error: int = 0
    consecutive_success: int = 0
    dry_run: bool = False
    metadata: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def last(self) -> Measurement | None:
        return self.measurements[-1] if self.measurements else None


@dataclass(frozen=True)
class RunSummary:
    """runSummary / dryRunSummary: metrics counted by outcome."""

    count: int = 0
    successful: int = 0
    failed: int = 0
    inconclusive: int = 0
    error: int = 0


@dataclass(frozen=True)
class RunSpec:
    """What the run measures: resolved metrics, the dry-run metric names, terminate, retention."""

    metrics: tuple[MetricSpec, ...]
    dry_run: frozenset[str] = frozenset()
    terminate: bool = False
    retention: Mapping[str, int] = field(default_factory=dict, compare=False)  # metric name -> limit

    @classmethod
    def from_dicts(
        cls,
        metrics: Iterable[Mapping[str, Any]],
        *,
        dry_run: Iterable[str] = (),
        terminate: bool = False,
        retention: Mapping[str, int] | None = None,
    ) -> RunSpec:
        return cls(tuple(MetricSpec.from_dict(m) for m in metrics), frozenset(dry_run), terminate, dict(retention or {}))

    def metric(self, name: str) -> MetricSpec | None:
        return next((m for m in self.metrics if m.name == name), None)


@dataclass(frozen=True)
class RunStatus:
    """An AnalysisRun's status. `phase` is None before the first reconcile."""

    phase: Phase | None = None
    message: str = ""
    started_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    run_summary: RunSummary = RunSummary()
    dry_run_summary: RunSummary = RunSummary()
    metric_results: tuple[MetricResult, ...] = ()

    @property
    def completed(self) -> bool:
        return self.phase is not None and self.phase.completed

    def result(self, name: str) -> MetricResult | None:
        return next((r for r in self.metric_results if r.name == name), None)


# ------------------------------------------------------------------ one measurement


# How much of a condition (or of a cause quoting it) an error message quotes: a message is
# shown, logged and stored for every measurement, and a condition can be megabytes long.
QUOTED = 200


def bounded(text: str, limit: int = QUOTED) -> str:
    """`text`, cut to `limit` characters with a note of how many more there were."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text) - limit} more characters)"


def assess(
    success: str | None, failure: str | None, result: Any, *, now: dt.datetime | None = None
) -> tuple[Phase, str]:
    """Phase of one measurement from its conditions; the message is set on Error.

    Both empty → Successful without evaluating anything. successCondition is evaluated first
    and an error there stops; with both set both are evaluated, failure wins, both false is
    Inconclusive. Error messages are `could not evaluate <which> "<expr>": <cause>`, the
    cause being the no-data text whenever `result` is nil or an empty list.
    """
    success = success or ""
    failure = failure or ""
    if not success and not failure:
        return Phase.SUCCESSFUL, ""
    outcome: dict[str, bool] = {}
    for which, text in (("successCondition", success), ("failureCondition", failure)):
        if not text:
            continue
        try:
            outcome[which] = conditions.evaluate_condition(text, result, now=now)
        except conditions.ConditionError as exc:
            cause = NO_DATA if conditions.is_nil_or_empty(result) else exc.message
            return Phase.ERROR, f'could not evaluate {which} "{bounded(text)}": {bounded(cause)}'
    succeeded = outcome.get("successCondition", False)
    failed = outcome.get("failureCondition", False)
    if not failure:
        failed = not succeeded
    if not success:
        succeeded = not failed
    if failed:
        return Phase.FAILED, ""
    if not succeeded:
        return Phase.INCONCLUSIVE, ""
    return Phase.SUCCESSFUL, ""


def assess_measurement(
    metric: MetricSpec,
    result: Any,
    *,
    value: str,
    started_at: dt.datetime,
    finished_at: dt.datetime,
    metadata: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
) -> Measurement:
    """A completed Measurement from a provider's result (value discarded on Error)."""
    phase, message = assess(metric.success_condition, metric.failure_condition, result, now=now)
    return Measurement(
        phase=phase,
        message=message,
        value="" if phase is Phase.ERROR else value,
        started_at=started_at,
        finished_at=finished_at,
        metadata=dict(metadata or {}),
    )


def error_measurement(message: str, *, started_at: dt.datetime, finished_at: dt.datetime) -> Measurement:
    """A provider failure (transport, API, bad provider spec) as an Error measurement."""
    return Measurement(Phase.ERROR, message=message, value="", started_at=started_at, finished_at=finished_at)


# ------------------------------------------------------------------ counters


def new_metric_result(name: str, *, dry_run: bool = False, metadata: Mapping[str, str] | None = None) -> MetricResult:
    """A metric's first result: phase Running, dryRun from the dry-run set."""
    return MetricResult(name=name, phase=Phase.RUNNING, dry_run=dry_run, metadata=dict(metadata or {}))


def record_measurement(result: MetricResult, measurement: Measurement) -> MetricResult:
    """Append a measurement and update the counters (in-flight ones count nothing)."""
    result = replace(result, measurements=result.measurements + (measurement,))
    phase = measurement.phase
    if phase is Phase.SUCCESSFUL:
        return replace(
            result,
            count=result.count + 1,
            successful=result.successful + 1,
            consecutive_error=0,
            consecutive_success=result.consecutive_success + 1,
        )
    if phase is Phase.FAILED:
        return replace(result, count=result.count + 1, failed=result.failed + 1, consecutive_error=0, consecutive_success=0)
    if phase is Phase.INCONCLUSIVE:
        return replace(
            result, count=result.count + 1, inconclusive=result.inconclusive + 1, consecutive_error=0, consecutive_success=0
        )
    if phase is Phase.ERROR:
        return replace(result, error=result.error + 1, consecutive_error=result.consecutive_error + 1, consecutive_success=0)
    return result  # in flight: nothing counted yet


def trim_measurements(result: MetricResult, limit: int = MEASUREMENT_HISTORY_LIMIT) -> MetricResult:
    """Keep the newest `limit` measurements (counters are never trimmed)."""
    if limit <= 0 or len(result.measurements) <= limit:
        return result
    return replace(result, measurements=result.measurements[-limit:])


# ------------------------------------------------------------------ metric phase


def assess_limits(metric: MetricSpec, result: MetricResult) -> tuple[Phase | None, str]:
    """The limit checks of a metric's assessment, later ones winning: Error > Inconclusive > Failed.

    Returns (None, "") when no limit is exceeded, else the phase and Argo's reason text.
    """
    phase: Phase | None = None
    reason = ""
    if metric.failure_limit >= 0 and result.failed > metric.failure_limit:
        phase, reason = Phase.FAILED, f"failed ({result.failed}) > failureLimit ({metric.failure_limit})"
    if result.inconclusive > metric.inconclusive_limit:
        phase = Phase.INCONCLUSIVE
        reason = f"inconclusive ({result.inconclusive}) > inconclusiveLimit ({metric.inconclusive_limit})"
    if result.consecutive_error > metric.consecutive_error_limit:
        phase = Phase.ERROR
        reason = f"consecutiveErrors ({result.consecutive_error}) > consecutiveErrorLimit ({metric.consecutive_error_limit})"
    return phase, reason


def assess_metric(metric: MetricSpec, result: MetricResult, *, terminating: bool) -> tuple[Phase, str]:
    """A metric's phase after a reconcile (Argo's checks, in order); the reason is set for limits."""
    if result.phase.completed:
        return result.phase, ""
    last = result.last
    if last is None:
        return (Phase.SUCCESSFUL if terminating else Phase.PENDING), ""
    if not last.phase.completed:
        return Phase.RUNNING, ""
    limit_phase, reason = assess_limits(metric, result)
    if limit_phase is not None:
        return limit_phase, reason
    streak = metric.consecutive_success_limit
    if streak > 0 and result.consecutive_success >= streak:
        return Phase.SUCCESSFUL, ""
    wanted = metric.effective_count
    if wanted is not None and result.count >= wanted:
        if streak > 0:
            # the streak was the goal and the count ran out without it
            return (Phase.FAILED if metric.failure_limit == -1 else Phase.INCONCLUSIVE), ""
        return Phase.SUCCESSFUL, ""
    return (Phase.SUCCESSFUL if terminating else Phase.RUNNING), ""


# ------------------------------------------------------------------ termination


def is_terminating(terminate: bool, results: Iterable[MetricResult]) -> bool:
    """spec.terminate, or a non-dry-run result already Failed, Error or Inconclusive."""
    if terminate:
        return True
    bad = (Phase.FAILED, Phase.ERROR, Phase.INCONCLUSIVE)
    return any(r.phase in bad for r in results if not r.dry_run)


# ------------------------------------------------------------------ run phase


@dataclass(frozen=True)
class RunAssessment:
    """The outcome of assessing every metric: run phase/message, summaries, updated results."""

    phase: Phase
    message: str
    run_summary: RunSummary
    dry_run_summary: RunSummary
    results: tuple[MetricResult, ...]


def _tally(summary: dict[str, int], limit_phase: Phase | None) -> None:
    key = {Phase.FAILED: "failed", Phase.INCONCLUSIVE: "inconclusive", Phase.ERROR: "error"}.get(
        limit_phase, "successful"  # type: ignore[arg-type]
    )
    summary[key] += 1


def assess_run(spec: RunSpec, results: Sequence[MetricResult], *, terminating: bool) -> RunAssessment:
    """Assess every metric in spec order and derive the run's phase.

    Metric results change phase (and take the last measurement's message) when their
    assessment changes; dry-run metrics ending on a limit get the message
    `Metric assessed <Phase> due to <reason>`. Dry-run metrics never affect the run phase.
    """
    by_name = {r.name: r for r in results}
    worst: Phase | None = None
    message = RUN_TERMINATED if spec.terminate else ""
    everything_completed = True
    run_counts = dict(count=0, successful=0, failed=0, inconclusive=0, error=0)
    dry_counts = dict(run_counts)
    for metric in spec.metrics:
        dry = metric.name in spec.dry_run
        counts = dry_counts if dry else run_counts
        counts["count"] += 1
        result = by_name.get(metric.name)
        if result is None:  # not started yet (e.g. waiting on initialDelay)
            everything_completed = False
            continue
        phase, _ = assess_metric(metric, result, terminating=terminating)
        if result.phase is not phase:
            last = result.last
            result = replace(result, phase=phase, message=last.message if last is not None else result.message)
        if not phase.completed:
            everything_completed = False
        else:
            limit_phase, reason = assess_limits(metric, result)
            if not dry and is_worse(worst, phase):
                worst = phase
                if reason:
                    message = f'Metric "{metric.name}" assessed {phase.value} due to {reason}'
                    if result.message:
                        message += f': "Error Message: {result.message}"'
            if dry and reason:
                result = replace(result, message=f"Metric assessed {phase.value} due to {reason}")
            _tally(counts, limit_phase)
        by_name[metric.name] = result
    if terminating or everything_completed:
        run_phase = worst or Phase.SUCCESSFUL
    else:
        run_phase = Phase.RUNNING
    updated = tuple(by_name[r.name] for r in results)
    return RunAssessment(run_phase, message, RunSummary(**run_counts), RunSummary(**dry_counts), updated)


# ------------------------------------------------------------------ scheduling


@dataclass(frozen=True)
class Schedule:
    """When a metric may take its next measurement.

    `immediately`: due now. Otherwise due from `at` on (inclusive for an initialDelay,
    strictly after for an interval: `strict`). `at` None and not immediately: not scheduled
    (finished, count reached, terminating, unparsable duration, or waiting for the run to
    start before an initialDelay can count).
    """

    immediately: bool = False
    at: dt.datetime | None = None
    strict: bool = False

    def due(self, now: dt.datetime) -> bool:
        if self.immediately:
            return True
        if self.at is None:
            return False
        return now > self.at if self.strict else now >= self.at


def _duration(text: str) -> dt.timedelta | None:
    try:
        return dt.timedelta(microseconds=govalues.parse_go_duration(text) // 1000)
    except ValueError:
        return None


def next_measurement(
    metric: MetricSpec, result: MetricResult | None, *, run_started_at: dt.datetime | None, terminating: bool
) -> Schedule:
    """When `metric` is next due, given its result so far."""
    if result is not None and result.phase.completed:
        return Schedule()
    last = result.last if result is not None else None
    if last is not None and last.finished_at is None:
        # an in-flight async measurement is resumed (never happens with Prometheus)
        return Schedule(at=last.resume_at) if last.resume_at is not None else Schedule(immediately=True)
    if terminating:
        return Schedule()
    if last is None:
        if not metric.initial_delay:
            return Schedule(immediately=True)
        delay = _duration(metric.initial_delay)
        if delay is None or run_started_at is None:
            return Schedule()
        return Schedule(at=run_started_at + delay)
    assert result is not None
    wanted = metric.effective_count
    if wanted is not None and result.count >= wanted:
        return Schedule()
    if last.phase is Phase.ERROR:
        wait: dt.timedelta | None = ERROR_RETRY_INTERVAL
    elif metric.interval:
        wait = _duration(metric.interval)
    else:
        wait = DEFAULT_INTERVAL
    if wait is None or last.finished_at is None:
        return Schedule()
    return Schedule(at=last.finished_at + wait, strict=True)


def would_measure_again(metric: MetricSpec, result: MetricResult | None, *, terminating: bool) -> bool:
    """Whether the controller will ever take another measurement of `metric` (time aside)."""
    if result is None:
        return not terminating
    if result.phase.completed or terminating:
        return False
    wanted = metric.effective_count
    return wanted is None or result.count < wanted


def due_metrics(spec: RunSpec, status: RunStatus, *, now: dt.datetime) -> tuple[str, ...]:
    """Names of the metrics to measure in this reconcile, in spec order."""
    if status.completed:
        return ()
    terminating = is_terminating(spec.terminate, status.metric_results)
    return tuple(
        m.name
        for m in spec.metrics
        if next_measurement(m, status.result(m.name), run_started_at=status.started_at, terminating=terminating).due(now)
    )


def next_reconcile(spec: RunSpec, status: RunStatus) -> dt.datetime | None:
    """The earliest time a metric becomes due (Argo requeues then); None if nothing is pending.

    For interval waits the metric is due strictly after this instant, so a simulated
    controller should step a little past it. Before the first reconcile an initialDelay
    cannot be placed (it counts from startedAt), so reconcile once to start the run.
    """
    if status.completed:
        return None
    terminating = is_terminating(spec.terminate, status.metric_results)
    times = [
        s.at
        for m in spec.metrics
        for s in [next_measurement(m, status.result(m.name), run_started_at=status.started_at, terminating=terminating)]
        if s.at is not None
    ]
    return min(times) if times else None


# ------------------------------------------------------------------ one reconcile


def provider_metadata(metric: MetricSpec) -> dict[str, str]:
    """What the provider records on a new MetricResult: Prometheus keeps the resolved query.

    `metric` is the one resolved with dummy secrets, so a secret never lands in the status.
    """
    prometheus = metric.provider.get("prometheus") if isinstance(metric.provider, Mapping) else None
    if isinstance(prometheus, Mapping) and prometheus.get("query"):
        return {"ResolvedPrometheusQuery": str(prometheus["query"])}
    return {}



def reconcile(
    spec: RunSpec, status: RunStatus, measurements: Mapping[str, Measurement], *, now: dt.datetime
) -> RunStatus:
    """One controller reconcile: record the measurements taken, assess, trim.

    `measurements` maps metric names to the measurements taken in this reconcile (normally
    those `due_metrics` named). A completed run is returned unchanged; measurements for
    completed metrics, or taken while the run is terminating, are ignored, because the
    controller would not have taken them. Phase and message change only when the phase
    does; startedAt is set on the first reconcile and completedAt when the run completes.
    """
    if status.completed:
        return status
    terminating = is_terminating(spec.terminate, status.metric_results)
    results = list(status.metric_results)
    for metric in spec.metrics:
        measurement = measurements.get(metric.name)
        if measurement is None:
            continue
        index = next((i for i, r in enumerate(results) if r.name == metric.name), None)
        current = results[index] if index is not None else new_metric_result(
            metric.name, dry_run=metric.name in spec.dry_run, metadata=provider_metadata(metric)
        )
        if current.phase.completed or (terminating and (current.last is None or current.last.finished_at is not None)):
            continue
        if measurement.phase.completed:
            measurement = replace(
                measurement,
                started_at=measurement.started_at or now,
                finished_at=measurement.finished_at or now,
            )
        updated = record_measurement(current, measurement)
        if index is None:
            results.append(updated)
        else:
            results[index] = updated
    started_at = status.started_at or now
    outcome = assess_run(spec, results, terminating=terminating)
    phase, message, completed_at = status.phase, status.message, status.completed_at
    if outcome.phase is not status.phase:
        phase, message = outcome.phase, outcome.message
        if outcome.phase.completed and completed_at is None:
            completed_at = now
    trimmed = tuple(
        trim_measurements(r, spec.retention.get(r.name, 0) or MEASUREMENT_HISTORY_LIMIT) for r in outcome.results
    )
    return RunStatus(
        phase=phase,
        message=message,
        started_at=started_at,
        completed_at=completed_at,
        run_summary=outcome.run_summary,
        dry_run_summary=outcome.dry_run_summary,
        metric_results=trimmed,
    )


def error_run(status: RunStatus, message: str, *, now: dt.datetime) -> RunStatus:
    """The run fails before measuring: argument resolution or spec validation.

    `message` is the full text, e.g. `Unable to resolve metric arguments: <err>` or
    `Analysis spec invalid: <err>`. A completed run is returned unchanged.
    """
    if status.completed:
        return status
    return replace(status, phase=Phase.ERROR, message=message, completed_at=status.completed_at or now)


# ------------------------------------------------------------------ dry-run and retention rules


def _match_rules(field_name: str, patterns: Sequence[str], names: Sequence[str]) -> list[set[str]]:
    matched: list[set[str]] = []
    for index, pattern in enumerate(patterns):
        try:
            program = regex.compile_re2(pattern)
            hits = {name for name in names if regex.search(program, name)}
        except regex.RegexError:
            hits = set()  # Argo ignores the compile error, so the rule matches nothing
        if not hits:
            raise AnalysisSpecInvalid(f"{field_name}[{index}]: Rule didn't match any metric name(s)")
        matched.append(hits)
    return matched


def dry_run_metric_names(rules: Sequence[str], metric_names: Sequence[str]) -> frozenset[str]:
    """Metric names matched by spec.dryRun[].metricName (unanchored RE2 regexes).

    Raises:
        AnalysisSpecInvalid: a rule matches nothing (an invalid regex such as `*` included).
    """
    return frozenset(name for hits in _match_rules("dryRun", rules, metric_names) for name in hits)


def retention_limits(rules: Sequence[tuple[str, int]], metric_names: Sequence[str]) -> dict[str, int]:
    """metric name → history limit from spec.measurementRetention[] (the last matching rule wins).

    Raises:
        AnalysisSpecInvalid: a rule matches nothing.
    """
    limits: dict[str, int] = {}
    matched = _match_rules("measurementRetention", [pattern for pattern, _ in rules], metric_names)
    for (_, limit), hits in zip(rules, matched):
        for name in hits:
            limits[name] = limit
    return limits


# ------------------------------------------------------------------ TTL


@dataclass(frozen=True)
class TTLStrategy:
    """spec.ttlStrategy, in seconds (None = unset)."""

    seconds_after_completion: int | None = None
    seconds_after_success: int | None = None
    seconds_after_failure: int | None = None


def ttl_expired(status: RunStatus, ttl: TTLStrategy, *, now: dt.datetime) -> bool:
    """Whether a completed run is due for deletion (whole seconds since completion exceed the TTL)."""
    if not status.completed or status.completed_at is None:
        return False
    seconds: int | None = None
    if status.phase is Phase.SUCCESSFUL and ttl.seconds_after_success is not None:
        seconds = ttl.seconds_after_success
    elif status.phase is Phase.FAILED and ttl.seconds_after_failure is not None:
        seconds = ttl.seconds_after_failure
    else:
        seconds = ttl.seconds_after_completion
    if seconds is None:
        return False
    return int((now - status.completed_at).total_seconds()) > seconds
