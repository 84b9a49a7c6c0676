"""Analysis tables: the rollout's metric summary and `get analysisrun`'s full view."""

from __future__ import annotations

import math
from collections.abc import Sequence

from kubectl_rollouts_py.derive.views import AnalysisRunDetailView, MetricView, RolloutView, TrendScale
from kubectl_rollouts_py.render import style as st
from kubectl_rollouts_py.render.escape import clean, clean_bounded
from kubectl_rollouts_py.render.tabwriter import align

_BARS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 20


def sparkline(values: Sequence[float], scale: TrendScale | None = None, width: int = SPARK_WIDTH) -> str:
    """The last `width` values as bars on `scale` (derive.trend's: from the metric's
    thresholds, 0..1 for a ratio), each bar an eighth of it; without a scale, from 0 (or
    the lowest value, if negative) to the highest value."""
    values = list(values)[-width:]
    if not values:
        return ""
    if scale is None:
        finite = [v for v in values if math.isfinite(v)]
        low, high = min([0.0, *finite]), max([0.0, *finite])
    else:
        low, high = scale.low, scale.high
    if not high > low:
        high = low + 1.0
    # Halved before subtracting: the span of -1e308 and 1e308 overflows to inf, and
    # inf / inf is NaN, which floor() refuses (a crash on a measurement of 1e308).
    span = high / 2 - low / 2
    return "".join(_bar(v, low, span) for v in values)


def _bar(value: float, low: float, span: float) -> str:
    share = (value / 2 - low / 2) / span if span > 0 else 0.5
    if math.isnan(share):
        return _BARS[0]
    return _BARS[min(math.floor(min(max(share, 0.0), 1.0) * len(_BARS)), len(_BARS) - 1)]


def _phase(phase: str, style: st.Style) -> str:
    return f"{style.icon(st.ANALYSIS_ICONS.get(phase, ' '))} {clean(phase)}"


def _limit(count: int, limit: int) -> str:
    # A failure limit of -1 turns the check off: show the count alone.
    return f"{count}/{limit}" if limit >= 0 else str(count)


def _errors(metric: MetricView) -> str:
    return f"{metric.error} ({metric.consecutive_error}/{metric.consecutive_error_limit} in a row)" if metric.error else "0"


def _metric_cells(metric: MetricView, style: st.Style) -> list[str]:
    return [
        clean(metric.name) + (" (dry run)" if metric.dry_run else ""),
        _phase(metric.phase, style),
        clean(metric.latest_value) or "-",
        str(metric.successful),
        _limit(metric.failed, metric.failure_limit),
        _limit(metric.inconclusive, metric.inconclusive_limit),
        _errors(metric),
        sparkline(metric.values, metric.trend),
    ]


_METRIC_HEADER = ["METRIC", "STATUS", "VALUE", "SUCCESSFUL", "FAILED/LIMIT", "INCONCLUSIVE/LIMIT", "ERRORS", "TREND"]


def render_run_summary(runs: Sequence[AnalysisRunDetailView], style: st.Style = st.PLAIN) -> str:
    """One line per metric of each run, under the rollout tree; "" when there are no runs."""
    rows = [["ANALYSISRUN", *_METRIC_HEADER]]
    for run in runs:
        for metric in run.metrics:
            rows.append([style.phase_name(run.phase, clean(run.name)), *_metric_cells(metric, style)])
    if len(rows) == 1:
        return ""
    return "\n".join(line.rstrip() for line in align(rows)) + "\n"


def render_rollout_with_analysis(view: RolloutView, style: st.Style = st.PLAIN) -> str:
    """`get rollout`: the tree as Argo shows it, then (if any runs were selected) a blank
    line and the metric table of the view's AnalysisRuns."""
    from kubectl_rollouts_py.render.tree import render_rollout

    summary = render_run_summary(view.analysis, style)
    return render_rollout(view, style) + ("\n" + summary if summary else "")


def _header(label: str, value: str) -> str:
    return f"{label:<17}{value}"


def render_run_detail(view: AnalysisRunDetailView, style: st.Style = st.PLAIN) -> str:
    """`get analysisrun NAME`: status, args, the metric table, then every metric's
    conditions, query and retained measurements, newest first."""
    lines = [
        _header("Name:", clean(view.name)),
        _header("Namespace:", clean(view.namespace)),
        _header("Status:", _phase(view.phase, style)),
    ]
    if view.message:
        lines.append(_header("Message:", clean_bounded(view.message)))
    for i, (name, value) in enumerate(view.args):
        lines.append(_header("Args:" if i == 0 else "", f"{clean(name)}={clean(value)}"))
    lines.append("")
    rows = [_METRIC_HEADER] + [_metric_cells(m, style) for m in view.metrics]
    lines += [line.rstrip() for line in align(rows)]
    for metric in view.metrics:
        lines += ["", f"{clean(metric.name)}:"]
        for label, value in (("success", metric.success_condition), ("failure", metric.failure_condition),
                             ("query", metric.query), ("interval", metric.interval), ("message", metric.message)):
            if value:
                lines.append(f"  {label}: {clean_bounded(value)}")
        lines += ["  " + line for line in _measurement_table(metric, style).splitlines()]
    return "\n".join(lines) + "\n"


def _measurement_table(metric: MetricView, style: st.Style) -> str:
    if not metric.measurements:
        return "no measurements yet"
    # tabulate measures wide characters in messages correctly; it is imported only here,
    # off the path of `get rollout`.
    from tabulate import tabulate

    rows = [
        [_phase(m.phase, style), clean_bounded(m.value) or "-", m.age or "-", clean_bounded(m.message)]
        for m in metric.measurements
    ]
    return tabulate(rows, headers=["MEASUREMENT", "VALUE", "AGE", "MESSAGE"], tablefmt="plain", disable_numparse=True)
