"""`analyze --backtest` as text: a timeline (one row per window), then the summary.

Input is the backtest document (ops.backtest.build_document, also what `-o json` prints).
Each metric's column holds the window's worst value and a sparkline of its measurements,
one bar each, on a scale shared by every row, the trend scale of `get rollout` (derive.trend:
0..1 for a ratio, else anchored at 0 with a margin); with a threshold, it always sits between the 4th and 5th of the
eight bar heights, so a bar of ▅ or more is on the threshold's upper side. `×` is an Error
measurement, `·` one without a number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from kubectl_rollouts_py.render.escape import clean, clean_bounded
from kubectl_rollouts_py.render.style import ANALYSIS_ICONS, PLAIN, Style
from kubectl_rollouts_py.render.tabwriter import align

BARS = "▁▂▃▄▅▆▇█"
ERROR_MARK = "×"
NO_NUMBER = "·"
MAX_BARS = 40
MAX_VALUE = 24  # characters of a worst value that is no single number
RED = 31


def _number_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _short(value: str) -> str:
    """A worst value in a table cell: 4 significant digits (`0.9883`, `[0.6,0.5]` kept as it is)."""
    try:
        number = float(value)
    except ValueError:
        text = clean(value) or "-"
        return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"
    return f"{number:.4g}"


def _level(value: float, scale: Mapping[str, Any], levels: int = len(BARS)) -> int:
    """The bar height of `value` on the document's scale (derive.backtest.scale_for)."""
    low, high, threshold = float(scale["low"]), float(scale["high"]), scale.get("threshold")
    if math.isnan(value):
        return 0
    v = min(max(value, low), high)
    if threshold is not None and low < float(threshold) < high:
        t = float(threshold)
        half = levels // 2
        if v < t:
            return min(half - 1, int((v - low) / (t - low) * half))
        return half + min(levels - half - 1, int((v - t) / (high - t) * (levels - half)))
    span = high - low
    if span <= 0:
        return levels // 2
    return min(levels - 1, int((v - low) / span * levels))


def _first_number(value: str) -> float | None:
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    head = text.split(",")[0].strip()
    if not head:
        return None
    try:
        return float(head)
    except ValueError:
        return None


def sparkline(measurements: Sequence[Mapping[str, Any]], scale: Mapping[str, Any], style: Style = PLAIN) -> str:
    bars = []
    for m in measurements[:MAX_BARS]:
        phase = str(m.get("phase") or "")
        if phase == "Error":
            bar = ERROR_MARK
        else:
            number = _first_number(str(m.get("value") or ""))
            bar = NO_NUMBER if number is None else BARS[_level(number, scale)]
        bars.append(style.paint(RED, bar) if phase in ("Failed", "Error") else bar)
    more = "…" if len(measurements) > MAX_BARS else ""
    return "".join(bars) + more


def _scale_legend(metric: Mapping[str, Any]) -> str:
    scale = metric["scale"]
    low, high, threshold = _number_text(scale["low"]), _number_text(scale["high"]), scale.get("threshold")
    text = f"{low} {BARS[0]} to {BARS[-1]} {high}"
    if threshold is not None and float(scale["low"]) < float(threshold) < float(scale["high"]):
        text += f"; {_number_text(threshold)} between {BARS[3]} and {BARS[4]}"
    return text


def render_backtest(document: Mapping[str, Any], style: Style = PLAIN) -> str:
    metrics = list(document.get("metrics") or [])
    windows = list(document.get("windows") or [])
    summary = document.get("summary") or {}
    lines = []
    window = f", each run {document['window']}" if document.get("window") else ""
    lines.append(
        f"Backtest of {clean(str(document.get('template')))}: {len(windows)} windows from {document.get('from')} "
        f"to {document.get('to')} every {document.get('step')}{window}"
    )
    for metric in metrics:
        lines.append(
            f"  {clean(str(metric['name']))}: {clean_bounded(str(metric.get('condition') or '(no condition)'))}, "
            f"failureLimit {metric.get('failureLimit')}, {metric.get('measurementsPerWindow')} measurements a window; "
            f"queries: {metric.get('queries')}; bars {_scale_legend(metric)}"
        )
    lines.append("")
    marked = bool(summary.get("incidents"))
    header = ["START", "PHASE"]
    for m in metrics:
        header += [clean(str(m["name"])).upper(), ""]
    header.append("INCIDENT" if marked else "")
    rows = [header]
    scales = {str(m["name"]): m["scale"] for m in metrics}
    for w in windows:
        phase = str(w.get("phase"))
        icon = ANALYSIS_ICONS.get(phase, "?")
        cells = [str(w.get("start")), f"{style.icon(icon)} {phase}"]
        by_name = {str(m.get("name")): m for m in w.get("metrics") or []}
        for metric in metrics:
            entry = by_name.get(str(metric["name"]))
            if entry is None or not entry.get("measurements"):
                cells += ["-", ""]
                continue
            cells += [_short(str(entry.get("worst") or "")), sparkline(entry["measurements"], scales[str(metric["name"])], style)]
        cells.append("yes" if w.get("incidents") else "")
        rows.append(cells)
    lines.extend(line.rstrip() for line in align(rows))
    lines.append("")
    lines.append(
        f"Windows: {summary.get('windows', 0)} (Successful {summary.get('successful', 0)}, Failed {summary.get('failed', 0)}, "
        f"Inconclusive {summary.get('inconclusive', 0)}, Error {summary.get('error', 0)})"
    )
    incidents = summary.get("incidents")
    if incidents:
        lines.append(f"Incidents: {incidents['marked']} marked; the template: {_score_text(incidents)}")
        for metric in incidents.get("metrics") or []:
            lines.append(f"  {clean(str(metric['name']))}: {_score_text(metric)}")
    thresholds = summary.get("thresholds") or []
    if thresholds:
        lines.append("Thresholds:")
        for item in thresholds:
            lines.extend(_threshold_lines(item))
    requests = document.get("requests") or {}
    total = int(requests.get("instant", 0)) + int(requests.get("range", 0))
    lines.append(
        f"Prometheus: {total} requests ({requests.get('instant', 0)} instant, {requests.get('range', 0)} range) "
        f"in {float(requests.get('seconds', 0.0)):.1f}s"
    )
    return "\n".join(lines) + "\n"


def _score_text(score: Mapping[str, Any]) -> str:
    text = f"{score['caught']} caught, {score['missed']} missed, {score['falseAlarms']} false alarms"
    details = []
    if score.get("missedIncidents"):
        details.append("missed " + ", ".join(score["missedIncidents"]))
    if score.get("falseAlarmWindows"):
        shown = list(score["falseAlarmWindows"])
        details.append("false alarms at " + ", ".join(shown[:5]) + (f" and {len(shown) - 5} more" if len(shown) > 5 else ""))
    return text + (f" ({'; '.join(details)})" if details else "")


def _threshold_lines(item: Mapping[str, Any]) -> list[str]:
    name = clean(str(item["metric"]))
    if not item.get("tunable") or item.get("reason"):
        why = clean_bounded(str(item.get("reason") or ""))
        if not item.get("tunable"):
            return [f"  {name}: not tuned: {why}"]
        return [f"  {name}: {why}"]
    lines = [f"  {name} ({clean_bounded(str(item['condition']))}, failureLimit {item['failureLimit']}):"]
    ranges = item.get("ranges") or []
    if ranges:
        verdict = "tell" if item.get("currentSeparates") else "do not tell"
        lines[0] += f" its constant and failureLimit {verdict} the incidents from the rest"
        groups: list[tuple[int, int, str]] = []  # (first limit, last limit, range) for runs of one range
        for r in ranges:
            limit, text = int(r["failureLimit"]), str(r["text"])
            if groups and groups[-1][2] == text and groups[-1][1] == limit - 1:
                groups[-1] = (groups[-1][0], limit, text)
            else:
                groups.append((limit, limit, text))
        for first, last, text in groups:
            limits = f"failureLimit {first}" if first == last else f"failureLimit {first} to {last}"
            lines.append(f"    {limits}: constants in {text} catch every incident with no false alarm")
        return lines
    lines[0] += " no constant and failureLimit catch every incident with no false alarm; the trade-offs:"
    table = [["FAILURELIMIT", "CONSTANT", "CAUGHT", "MISSED", "FALSE ALARMS"]]
    for t in item.get("tradeoffs") or []:
        table.append([str(t["failureLimit"]), _number_text(t["constant"]), str(t["caught"]), str(t["missed"]), str(t["falseAlarms"])])
    lines.extend("    " + line.rstrip() for line in align(table))
    return lines
