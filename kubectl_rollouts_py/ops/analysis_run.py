"""Analysis runs, driven: Secrets, measuring, scheduling and the AnalysisRun document.

One implementation for every front end: `analyze` drives a planned run (`ops.analysis`)
on the wall clock; the sandbox's simulated controller drives the AnalysisRuns it finds in
its namespace on a faster clock. Both measure through `Measurer` (the Prometheus adapter,
secrets read by `SecretReader` and masked), advance a run with `advance` and write its
status with `run_status`, so the same template, arguments and Prometheus answers give the
same AnalysisRun document.

Time is injected: `clock` is the engine's time (startedAt, finishedAt, schedules); `wall`
is the time sent to Prometheus and seen by `now()` in conditions and range queries (the
same clock for `analyze`; the sandbox's engine time runs faster than its data).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from kubectl_rollouts_py import errors, govalues
from kubectl_rollouts_py.analysis import args as a
from kubectl_rollouts_py.analysis import conditions, evaluate, prometheus
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.ops.analysis import Cluster, Plan
from kubectl_rollouts_py.ops.concurrency import in_daemon_threads

JSON = dict[str, Any]
Clock = Callable[[], dt.datetime]

SECRETS = r.Resource("", "v1", "secrets", "Secret")
SCHEDULE_SLACK = dt.timedelta(milliseconds=5)  # an interval is due strictly after its instant
SKIPPED = "Skipped"
# Distinct Prometheus warnings told per metric: a server may send a new one every query.
MAX_WARNINGS_PER_METRIC = 10


# ------------------------------------------------------------------------------ Secrets


class SecretReader:
    """(secret, key) -> decoded value, read in the cluster's namespace once per reader and cached.

    Errors are ArgsErrors naming the Secret and key, never a value: the API's own message
    for a Secret that cannot be read (`secrets "x" not found`), Argo's for a missing key.
    """

    def __init__(self, cluster: Cluster) -> None:
        self._cluster = cluster
        self._values: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def __call__(self, name: str, key: str) -> str:
        with self._lock:
            if (name, key) in self._values:
                return self._values[(name, key)]
            try:
                secret = self._cluster().get(SECRETS, name, self._cluster.namespace)
            except errors.RolloutsError as exc:
                raise a.ArgsError(exc.message) from None
            data = secret.get("data") or {}
            if key not in data:
                raise a.ArgsError(f"key '{key}' does not exist in secret '{name}'")
            try:
                value = base64.b64decode(str(data[key]), validate=True).decode("utf-8", errors="replace")
            except (binascii.Error, ValueError):
                raise a.ArgsError(f"key '{key}' of secret '{name}' is not valid base64") from None
            self._values[(name, key)] = value
            return value


# ------------------------------------------------------------------------------ measuring


@dataclass
class Measurer:
    """Takes one measurement of a metric: substitute (real secrets), query, assess, mask.

    `raw` maps each metric name to its unsubstituted form (placeholders intact); `spec`
    holds the same metrics resolved with dummy secrets. Only the prometheus provider is
    measured; a metric of another provider measures Error.
    """

    spec: evaluate.RunSpec
    raw: Mapping[str, Mapping[str, Any]]
    arguments: Sequence[a.Argument]
    clock: Clock
    wall: Clock | None = None  # defaults to `clock`
    address_override: str | None = None
    default_address: str | None = None
    resolve_secret: Callable[[str, str], str] | None = None
    deadline: float | None = None  # a time.monotonic() instant no query outlives
    instant_query: Callable[[str, Mapping[str, Any], dt.datetime], prometheus.Sample] | None = None
    """How a metric's instant query is answered: (metric name, resolved provider, evaluation
    time) -> Sample. None sends it with `prometheus.query`; `analyze --backtest` answers from
    a range query it sent before where that gives the same samples."""
    warn: Callable[[str], None] | None = None
    """Told each distinct warning of a Prometheus answer (`metric "x": Prometheus warned: ...`,
    bounded; the caller escapes it for its screen): the run document keeps no answer
    metadata, so without this a warned answer looks like a clean success."""
    _warned: dict[str, set[str]] = field(default_factory=dict, repr=False)
    _warn_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def for_plan(
        cls,
        plan: Plan,
        clock: Clock,
        *,
        wall: Clock | None = None,
        address_override: str | None = None,
        default_address: str | None = None,
        resolve_secret: Callable[[str, str], str] | None = None,
        instant_query: Callable[[str, Mapping[str, Any], dt.datetime], prometheus.Sample] | None = None,
        warn: Callable[[str], None] | None = None,
    ) -> Measurer:
        """The measurer of a planned run (`analyze`, its backtest)."""
        return cls(plan.spec, plan.raw, plan.arguments, clock, wall=wall, address_override=address_override,
                   default_address=default_address, resolve_secret=resolve_secret, instant_query=instant_query, warn=warn)

    @classmethod
    def for_run_spec(
        cls,
        run_spec: evaluate.RunSpec,
        document_spec: Mapping[str, Any],
        clock: Clock,
        *,
        wall: Clock | None = None,
        resolve_secret: Callable[[str, str], str] | None = None,
        warn: Callable[[str], None] | None = None,
    ) -> Measurer:
        """The measurer of an AnalysisRun object: `run_spec` prepared from its `spec`
        (analysis.args.prepare_run), whose metrics, unsubstituted, and args it measures with
        (the sandbox's controller)."""
        raw_metrics = [m for m in document_spec.get("metrics") or []]
        raw = {metric.name: raw_metrics[i] for i, metric in enumerate(run_spec.metrics) if i < len(raw_metrics)}
        arguments = [a.Argument.from_dict(arg) for arg in document_spec.get("args") or []]
        return cls(run_spec, raw, arguments, clock, wall=wall, resolve_secret=resolve_secret, warn=warn)

    def check_secrets(self) -> None:
        """Read every secret now, so a missing one is an error before anything is measured.

        Raises:
            RolloutsError: `Unable to resolve metric arguments: <why>`.
        """
        for raw in self.raw.values():
            try:
                a.resolve_for_measurement(raw, self.arguments, resolve_secret=self.resolve_secret)
            except a.ArgsError as exc:
                raise errors.RolloutsError(a.UNABLE_TO_RESOLVE + exc.message) from None

    def measure(self, name: str) -> evaluate.Measurement:
        metric = self.spec.metric(name)
        assert metric is not None
        started = self.clock()
        now = self.wall() if self.wall is not None else started
        secrets: tuple[str, ...] = ()
        try:
            resolved, secrets = a.resolve_for_measurement(self.raw[name], self.arguments, resolve_secret=self.resolve_secret)
            provider = (resolved.get("provider") or {}).get("prometheus")
            if not isinstance(provider, Mapping):
                kinds = ", ".join(sorted((resolved.get("provider") or {}).keys())) or "none"
                raise prometheus.ProviderError(f"only the prometheus provider is measured here (provider: {kinds})")
            sample = self._sample(name, provider, now)
        except (a.ArgsError, prometheus.ProviderError) as exc:
            return evaluate.error_measurement(a.mask_secrets(exc.message, secrets), started_at=started, finished_at=self.clock())
        self._tell_warnings(name, [a.mask_secrets(w, secrets) for w in sample.warnings])
        measurement = evaluate.assess_measurement(
            metric, sample.result, value=sample.value, started_at=started, finished_at=self.clock(), metadata=sample.metadata, now=now
        )
        return replace(measurement, message=a.mask_secrets(measurement.message, secrets), value=a.mask_secrets(measurement.value, secrets))

    def _tell_warnings(self, name: str, warnings: Sequence[str]) -> None:
        """Each distinct warning of a metric once, bounded as the adapter bounds the
        measurement's metadata; after MAX_WARNINGS_PER_METRIC of them, one line says the
        rest are not told."""
        if self.warn is None or not warnings:
            return
        # Under the lock (metrics are measured concurrently): each line once, in order.
        with self._warn_lock:
            seen = self._warned.setdefault(name, set())
            for text in warnings:
                if text in seen or len(seen) > MAX_WARNINGS_PER_METRIC:
                    continue
                seen.add(text)
                if len(seen) > MAX_WARNINGS_PER_METRIC:
                    self.warn(f'metric "{name}": further Prometheus warnings are not shown')
                else:
                    self.warn(f'metric "{name}": Prometheus warned: {prometheus.bounded_text(text)}')

    def _sample(self, name: str, provider: Mapping[str, Any], now: dt.datetime) -> prometheus.Sample:
        """An instant query at `now` (Argo sends its clock), or the evaluated rangeQuery."""
        override, default = self.address_override, self.default_address
        range_query = provider.get("rangeQuery")
        if not range_query and self.instant_query is not None:
            return self.instant_query(name, provider, now)
        if not range_query:
            return prometheus.query(provider, at=now, address_override=override, default_address=default, deadline=self.deadline)
        bounds = []
        for which in ("start", "end"):
            try:
                bounds.append(conditions.evaluate_time(str(range_query.get(which) or ""), now=now))
            except conditions.ConditionError as exc:
                raise prometheus.ProviderError(f"failed to parse rangeQuery.{which} as time: {exc.message}") from None
        try:
            step = dt.timedelta(microseconds=govalues.parse_go_duration(str(range_query.get("step") or "")) / 1000)
        except ValueError as exc:
            raise prometheus.ProviderError(f"failed to parse rangeQuery.step as duration: {exc}") from None
        return prometheus.query_range(
            provider, start=bounds[0], end=bounds[1], step=step, address_override=override, default_address=default, deadline=self.deadline
        )


def measure_all(names: Sequence[str], measure: Callable[[str], evaluate.Measurement]) -> dict[str, evaluate.Measurement]:
    """Measure the due metrics, concurrently as Argo does; Ctrl-C is not held up by a slow query."""
    if len(names) <= 1:
        return {name: measure(name) for name in names}
    taken: dict[str, evaluate.Measurement] = {}

    def work(index: int) -> None:
        taken[names[index]] = measure(names[index])

    in_daemon_threads(work, len(names), workers=len(names))
    return {name: taken[name] for name in names}


# ------------------------------------------------------------------------------ scheduling


def advance(
    spec: evaluate.RunSpec, status: evaluate.RunStatus, measure: Callable[[str], evaluate.Measurement], *, clock: Clock
) -> evaluate.RunStatus:
    """One reconcile as Argo's controller runs it: measure the due metrics, assess.

    A run that starts terminating in this reconcile (a metric Failed, Error or
    Inconclusive) is reconciled once more: Argo requeues a run on its own update, so it
    completes then, without measuring again.
    """
    now = clock()
    taken = measure_all(evaluate.due_metrics(spec, status, now=now), measure)
    status = evaluate.reconcile(spec, status, taken, now=now)
    if not status.completed and evaluate.is_terminating(spec.terminate, status.metric_results):
        status = evaluate.reconcile(spec, status, {}, now=clock())
    return status


def run_schedule(
    spec: evaluate.RunSpec,
    measure: Callable[[str], evaluate.Measurement],
    *,
    clock: Clock,
    sleep_until: Callable[[dt.datetime], None],
    show: Callable[[evaluate.RunStatus, dt.datetime | None], None],
    deadline: dt.datetime | None = None,
) -> evaluate.RunStatus:
    """Drive the run as the controller does, until it completes; `show` after each reconcile.

    At `deadline` the run is terminated (spec.terminate), and that reconcile completes it.
    """
    status = evaluate.RunStatus()
    while True:
        if deadline is not None and clock() >= deadline and not spec.terminate:
            spec = replace(spec, terminate=True)
        status = advance(spec, status, measure, clock=clock)
        upcoming = evaluate.next_reconcile(spec, status)
        show(status, upcoming)
        if status.completed:
            return status
        if upcoming is None:  # nothing will ever be due: end it as a terminate would
            spec = replace(spec, terminate=True)
            continue
        wake = upcoming + SCHEDULE_SLACK
        sleep_until(min(wake, deadline) if deadline is not None else wake)


def run_once(spec: evaluate.RunSpec, measure: Callable[[str], evaluate.Measurement], *, clock: Clock) -> evaluate.RunStatus:
    """One measurement per metric, now; each metric takes its measurement's phase, and the run
    the worst of them (Argo's order: Failed, Error, Inconclusive). Limits, count, interval and
    initialDelay are not applied; dry-run metrics do not count."""
    started = clock()
    taken = measure_all([m.name for m in spec.metrics], measure)
    results = []
    phase, message = evaluate.Phase.SUCCESSFUL, ""
    for metric in spec.metrics:
        measurement = taken[metric.name]
        dry = metric.name in spec.dry_run
        result = evaluate.new_metric_result(metric.name, dry_run=dry, metadata=evaluate.provider_metadata(metric))
        result = replace(evaluate.record_measurement(result, measurement), phase=measurement.phase, message=measurement.message)
        results.append(result)
        if not dry and evaluate.is_worse(phase, measurement.phase):
            phase = measurement.phase
            message = f'Metric "{metric.name}" measured {phase.value}' + (f": {measurement.message}" if measurement.message else "")
    return evaluate.RunStatus(phase=phase, message=message, started_at=started, completed_at=clock(), metric_results=tuple(results))


def interrupted_summary(name: str, status: evaluate.RunStatus | None) -> str:
    """`analysis "x" was Running: success-rate 3 measured (2 successful, 1 failed)`."""
    if status is None or not any(m.count for m in status.metric_results):
        return f'analysis "{name}": no measurement taken'
    phase = status.phase.value if status.phase is not None else "Running"
    metrics = []
    for m in status.metric_results:
        counts = [f"{n} {label}" for n, label in ((m.successful, "successful"), (m.failed, "failed"),
                                                  (m.inconclusive, "inconclusive"), (m.error, "error")) if n]
        metrics.append(f"{m.name} {m.count} measured" + (f" ({', '.join(counts)})" if counts else ""))
    return f'analysis "{name}" was {phase}: ' + "; ".join(metrics)


# ------------------------------------------------------------------------------ the document


def timestamp(moment: dt.datetime) -> str:
    """RFC 3339 with whole seconds, as metav1.Time is written."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _same_time(moment: dt.datetime) -> dt.datetime:
    return moment


def _summary(summary: evaluate.RunSummary) -> JSON:
    out: JSON = {}
    for key in ("count", "successful", "failed", "inconclusive", "error"):
        value = getattr(summary, key)
        if value:
            out[key] = value
    return out


def _measurement(m: evaluate.Measurement, when: Callable[[dt.datetime], str]) -> JSON:
    entry: JSON = {"phase": m.phase.value}
    if m.message:
        entry["message"] = m.message
    if m.value:
        entry["value"] = m.value
    if m.started_at is not None:
        entry["startedAt"] = when(m.started_at)
    if m.finished_at is not None:
        entry["finishedAt"] = when(m.finished_at)
    if m.metadata:
        entry["metadata"] = dict(m.metadata)
    return entry


_COUNTERS = (
    ("count", "count"), ("successful", "successful"), ("failed", "failed"), ("inconclusive", "inconclusive"),
    ("error", "error"), ("consecutiveError", "consecutive_error"), ("consecutiveSuccess", "consecutive_success"),
)


def run_status(state: evaluate.RunStatus, to_wall: Callable[[dt.datetime], dt.datetime] = _same_time) -> JSON:
    """An engine RunStatus as the AnalysisRun `status` Argo writes (zero values left out,
    as Go's omitempty does). `to_wall` maps engine times to the times written."""

    def when(moment: dt.datetime) -> str:
        return timestamp(to_wall(moment))

    out: JSON = {}
    if state.phase is not None:
        out["phase"] = state.phase.value
    if state.message:
        out["message"] = state.message
    if state.started_at is not None:
        out["startedAt"] = when(state.started_at)
    if state.completed_at is not None:
        out["completedAt"] = when(state.completed_at)
    out["runSummary"] = _summary(state.run_summary)
    if state.dry_run_summary.count:
        out["dryRunSummary"] = _summary(state.dry_run_summary)
    results = []
    for result in state.metric_results:
        item: JSON = {"name": result.name, "phase": result.phase.value}
        measurements = [_measurement(m, when) for m in result.measurements]
        if measurements:
            item["measurements"] = measurements
        if result.message:
            item["message"] = result.message
        for key, attr in _COUNTERS:
            value = getattr(result, attr)
            if value:
                item[key] = value
        if result.dry_run:
            item["dryRun"] = True
        if result.metadata:
            item["metadata"] = dict(result.metadata)
        results.append(item)
    if results:
        out["metricResults"] = results
    return out


def run_document(plan: Plan, status: evaluate.RunStatus, created: dt.datetime) -> JSON:
    """A planned run as the API would hold it; secret args name their Secret, never a value.

    Metrics of other providers (not measured) are listed with phase Skipped.
    """
    state = run_status(status)
    results = state.setdefault("metricResults", [])
    for name, kind in plan.skipped.items():
        results.append({"name": name, "phase": SKIPPED, "message": f"not measured: analyze runs Prometheus metrics only (provider: {kind})"})
    if not results:
        del state["metricResults"]
    shown_args = []
    for arg in plan.arguments:
        shown = arg.to_dict()
        if arg.secret is not None:
            shown.pop("value", None)  # the secret wins at measurement time; show where it comes from
        shown_args.append(shown)
    spec: JSON = {"metrics": [dict(m) for m in plan.resolved], "args": shown_args}
    for key in ("dryRun", "measurementRetention"):
        if plan.run_spec.get(key):
            spec[key] = plan.run_spec[key]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisRun",
        "metadata": {"name": plan.name, "namespace": plan.namespace, "creationTimestamp": timestamp(created)},
        "spec": spec,
        "status": state,
    }

