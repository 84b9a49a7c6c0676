"""The facts `explain` cites about analysis: a metric's condition, latest values and its
counts against failureLimit, inconclusiveLimit and consecutiveErrorLimit, in words."""

from __future__ import annotations

from collections.abc import Sequence

from kubectl_rollouts_py.derive.views import AnalysisRunDetailView, MetricView

FAILED_PHASES = ("Failed", "Error")
MAX_VALUES_SHOWN = 5


def plural(n: int, word: str) -> str:
    return f"{n} {word if n == 1 else word + 's'}"


def metric_evidence(metric: MetricView) -> list[str]:
    """The facts of one metric: its condition, latest values, and counts against its limits."""
    lines = []
    conditions = [c for c in (
        f"successCondition {metric.success_condition}" if metric.success_condition else "",
        f"failureCondition {metric.failure_condition}" if metric.failure_condition else "",
    ) if c]
    every = f", measured every {metric.interval}" if metric.interval else ""
    lines.append(f"metric {metric.name} ({metric.phase}): {' and '.join(conditions) or 'no condition'}{every}")
    values = [m.value for m in metric.measurements if m.value][:MAX_VALUES_SHOWN]
    if values:
        lines.append(f"latest values (newest first): {', '.join(values)}")
    if metric.measurements:
        counts = [f"{metric.successful} successful", f"{metric.failed} failed"]
        if metric.inconclusive:
            counts.append(f"{metric.inconclusive} inconclusive")
        if metric.error:
            counts.append(f"{metric.error} errors")
        lines.append(f"{plural(len(metric.measurements), 'measurement')}: {', '.join(counts)}")
    lines.append(failure_budget(metric))
    if metric.inconclusive or metric.inconclusive_limit:
        lines.append(_inconclusive_budget(metric))
    if metric.consecutive_error or metric.error:
        lines.append(_error_budget(metric))
        message = next((m.message for m in metric.measurements if m.phase == "Error" and m.message), "")
        if message:
            lines.append(f"latest error: {message}")
    if metric.message:
        lines.append(f"message: {metric.message}")
    if metric.dry_run:
        lines.append("dry run: this metric's result does not change the rollout")
    return lines


def failure_budget(metric: MetricView) -> str:
    limit, used = metric.failure_limit, metric.failed
    if limit < 0:
        return f"{plural(used, 'failure')}; failureLimit -1: failures never fail this metric"
    if used > limit:
        return f"{used} failed > failureLimit {limit}: the metric failed"
    left = limit - used + 1
    if limit == 0:
        return "failureLimit 0: no failure is allowed; the first failure aborts the rollout"
    else:
        head = f"{used} of {plural(limit, 'allowed failure')} used"
    tail = "one more failure" if left == 1 else f"{left} more failures"
    return f"{head}; {tail} {'aborts' if left == 1 else 'abort'} the rollout"


def _inconclusive_budget(metric: MetricView) -> str:
    limit, used = metric.inconclusive_limit, metric.inconclusive
    if used > limit:
        return f"{used} inconclusive > inconclusiveLimit {limit}: the metric is Inconclusive and the rollout pauses"
    left = limit - used + 1
    return f"{used} of {plural(limit, 'allowed inconclusive result')} used; {left} more {'pauses' if left == 1 else 'pause'} the rollout"


def _error_budget(metric: MetricView) -> str:
    limit, used = metric.consecutive_error_limit, metric.consecutive_error
    if used > limit:
        return f"{used} consecutive errors > consecutiveErrorLimit {limit}: the metric errored"
    left = limit - used + 1
    return (f"{used} of {plural(limit, 'allowed consecutive error')} used; "
            f"{left} more in a row {'ends' if left == 1 else 'end'} the run in Error and {'aborts' if left == 1 else 'abort'} the rollout")


def failing_metrics(run: AnalysisRunDetailView) -> list[MetricView]:
    failed = [m for m in run.metrics if m.phase in FAILED_PHASES and not m.dry_run]
    return failed or [m for m in run.metrics if m.failed or m.error]


def run_evidence(run: AnalysisRunDetailView, metrics: Sequence[MetricView]) -> list[str]:
    lines = [f"AnalysisRun {run.name} ({run.phase or 'Pending'})"]
    for metric in metrics:
        lines += metric_evidence(metric)
    if run.message and not any(run.message == m.message for m in metrics):
        lines.append(f"run message: {run.message}")
    return lines
