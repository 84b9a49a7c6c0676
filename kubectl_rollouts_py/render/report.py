"""`report`: one revision of a rollout as a shareable account, from its RolloutRevision
document (`history --revision N -o json`).

- Markdown, for pull requests and chat: cluster strings escaped so that they cannot open
  links, tables or HTML.
- One self-contained HTML file (no script, no external resource) with an inline SVG chart
  of each metric's measurements: every cluster string escaped with html.escape.
- JUnit XML, for CI systems that show test results: one test case per metric of every
  run, a failure for each metric that failed (an error for Error), built with
  xml.etree, never by pasting strings.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from kubectl_rollouts_py.derive.views import numeric_values
from kubectl_rollouts_py.render.escape import clean
from kubectl_rollouts_py.render.history import items, mapping, outcome, step_cells, text, when

FORMATS = ("markdown", "html", "junit")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|<>~])")  # what could start a link, a table cell, HTML or emphasis
_BAD_PHASES = ("Failed", "Error", "Inconclusive")


def _md(value: Any) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text(value).replace("&", "&amp;"))


def _fence(lines: Sequence[str]) -> str:
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def _heading(document: Mapping[str, Any]) -> str:
    return f"Rollout {text(document.get('name'))}, revision {text(document.get('revision'))}: {outcome(document)}"


def _summary_rows(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [
        ("Namespace", text(document.get("namespace"))),
        ("Images", ", ".join(text(i) for i in document.get("images") or ()) or "-"),
        ("Started", when(document.get("startedAt"))),
        ("Ended", when(document.get("endedAt"))),
        ("Duration", text(document.get("duration")) or "-"),
        ("Source", text(document.get("source"))),
    ]


def _md_table(rows: Sequence[Sequence[str]]) -> list[str]:
    head, *body = rows
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(row) + " |" for row in body]


def render_markdown(document: Mapping[str, Any]) -> str:
    lines = [f"# {_md(_heading(document))}", ""]
    if document.get("explanation"):
        lines += [_md(document.get("explanation")), ""]
    lines += _md_table([("", "")] + [(name, _md(value)) for name, value in _summary_rows(document)]) + [""]
    steps = items(document, "steps")
    if steps:
        lines += ["## Steps", ""] + _md_table([("#", "Step", "Weight", "State", "Started", "Duration")]
                                               + [[_md(cell) for cell in step_cells(s)] for s in steps]) + [""]
    lines += ["## Analysis", ""]
    runs = items(document, "analysisRuns")
    if not runs:
        lines += ["No AnalysisRun.", ""]
    for run in runs:
        gone = f" (deleted from the cluster {_md(run.get('deletedAt'))})" if run.get("deletedAt") else ""
        lines += [f"### AnalysisRun {_md(run.get('name'))}: {_md(run.get('phase') or 'Pending')}{gone}", ""]
        if run.get("message"):
            lines += [_md(run.get("message")), ""]
        for metric in items(run, "metrics"):
            lines += [f"#### Metric {_md(metric.get('name'))}: {_md(metric.get('phase'))}", ""]
            lines += [f"- {_md(line)}" for line in _metric_facts(metric)] + [""]
            rows = [[_md(m.get("startedAt")) or "-", _md(m.get("finishedAt")) or "-", _md(m.get("phase")),
                     _md(m.get("value")) or "-", _md(m.get("message"))] for m in reversed(items(metric, "measurements"))]
            lines += _md_table([["Started", "Finished", "Phase", "Value", "Message"], *rows]) + [""]
    diff = [text(line) for line in document.get("templateDiff") or ()]
    if len(diff) > 2:
        fence = _fence(diff)
        lines += ["## Pod template changes", "", f"{fence}diff", *diff, fence, ""]
    return "\n".join(lines)


def _metric_facts(metric: Mapping[str, Any]) -> list[str]:
    counts, limits = mapping(metric, "counts"), mapping(metric, "limits")
    facts = []
    for key, label in (("successCondition", "Success condition"), ("failureCondition", "Failure condition"), ("query", "Query")):
        if metric.get(key):
            facts.append(f"{label}: {text(metric.get(key))}")
    facts.append(f"Measurements: {text(counts.get('count'))} counted, {text(counts.get('successful'))} successful, "
                 f"{text(counts.get('failed'))} failed (limit {text(limits.get('failureLimit'))}), "
                 f"{text(counts.get('inconclusive'))} inconclusive, {text(counts.get('error'))} errors")
    if metric.get("message"):
        facts.append(f"Message: {text(metric.get('message'))}")
    return facts


# -- HTML

_CSS = """body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;font-size:.9rem}
th{background:#f4f4f4}.Failed,.Error,.aborted{color:#b00020}.Successful,.promoted{color:#16794c}
.Inconclusive{color:#a15c00}pre{background:#f7f7f7;padding:.75rem;overflow:auto}.del{color:#b00020}.add{color:#16794c}
svg{background:#fafafa;border:1px solid #ddd}"""
_PHASE_COLOUR = {"Successful": "#16794c", "Failed": "#b00020", "Error": "#6a1b9a", "Inconclusive": "#a15c00"}


def _h(value: Any) -> str:
    return html.escape(text(value), quote=True)


def _number(value: str) -> float | None:
    """The first finite number of a measurement value, read as derive/ reads it."""
    numbers = numeric_values(value)
    return numbers[0] if numbers else None


def chart(metric: Mapping[str, Any], width: int = 560, height: int = 160) -> str:
    """An inline SVG of a metric's numeric measurements, oldest left, coloured by phase."""
    points = [(m, _number(text(m.get("value")))) for m in reversed(items(metric, "measurements"))]
    numeric = [(m, v) for m, v in points if v is not None]
    if not numeric:
        return "<p>No numeric measurement to chart.</p>"
    values = [v for _, v in numeric]
    low, high = min(values), max(values)
    if high == low:
        low, high = low - 1, high + 1
    pad = 24
    step = (width - 2 * pad) / max(1, len(numeric) - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return pad + i * step, height - pad - (v - low) / (high - low) * (height - 2 * pad)

    coords = [xy(i, v) for i, (_, v) in enumerate(numeric)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{_PHASE_COLOUR.get(text(m.get("phase")), "#555")}">'
        f"<title>{_h(m.get('startedAt'))} {_h(m.get('phase'))} {_h(m.get('value'))}</title></circle>"
        for (x, y), (m, _) in zip(coords, numeric))
    label = f'<text x="4" y="14" font-size="11">{html.escape(f"{high:g}")}</text>' \
            f'<text x="4" y="{height - 6}" font-size="11">{html.escape(f"{low:g}")}</text>'
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'aria-label="measurements of {_h(metric.get("name"))}">{label}'
            f'<polyline points="{path}" fill="none" stroke="#3367d6" stroke-width="2"/>{dots}</svg>')


def _html_table(rows: Sequence[Sequence[str]]) -> str:
    head, *body = rows
    return ("<table><tr>" + "".join(f"<th>{_h(c)}</th>" for c in head) + "</tr>"
            + "".join("<tr>" + "".join(f'<td class="{_h(c)}">{_h(c)}</td>' for c in row) + "</tr>" for row in body)
            + "</table>")


def render_html(document: Mapping[str, Any]) -> str:
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>{_h(_heading(document))}</title><style>{_CSS}</style></head><body>",
             f'<h1>{_h(_heading(document))}</h1>']
    if document.get("explanation"):
        parts.append(f'<p class="{_h(document.get("outcome"))}">{_h(document.get("explanation"))}</p>')
    parts.append("<table>" + "".join(f"<tr><th>{_h(k)}</th><td>{_h(v)}</td></tr>" for k, v in _summary_rows(document)) + "</table>")
    steps = items(document, "steps")
    if steps:
        parts.append("<h2>Steps</h2>" + _html_table([("#", "Step", "Weight", "State", "Started", "Duration")]
                                                      + [step_cells(s) for s in steps]))
    parts.append("<h2>Analysis</h2>")
    runs = items(document, "analysisRuns")
    if not runs:
        parts.append("<p>No AnalysisRun.</p>")
    for run in runs:
        phase = text(run.get("phase")) or "Pending"
        gone = f" (deleted from the cluster {_h(run.get('deletedAt'))})" if run.get("deletedAt") else ""
        parts.append(f'<h3>AnalysisRun {_h(run.get("name"))}: <span class="{_h(phase)}">{_h(phase)}</span>{gone}</h3>')
        if run.get("message"):
            parts.append(f"<p>{_h(run.get('message'))}</p>")
        for metric in items(run, "metrics"):
            parts.append(f'<h4>Metric {_h(metric.get("name"))}: <span class="{_h(metric.get("phase"))}">'
                         f'{_h(metric.get("phase"))}</span></h4>')
            parts.append("<ul>" + "".join(f"<li>{_h(fact)}</li>" for fact in _metric_facts(metric)) + "</ul>")
            parts.append(chart(metric))
            rows = [[when(m.get("startedAt")), when(m.get("finishedAt")), text(m.get("phase")), text(m.get("value")) or "-",
                     text(m.get("message"))] for m in reversed(items(metric, "measurements"))]
            parts.append(_html_table([["Started", "Finished", "Phase", "Value", "Message"], *rows]))
    diff = [text(line) for line in document.get("templateDiff") or ()]
    if len(diff) > 2:
        shown = "\n".join(f'<span class="{"del" if line.startswith("-") else "add"}">{html.escape(line)}</span>' for line in diff)
        parts.append(f"<h2>Pod template changes</h2><pre>{shown}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# -- JUnit XML


def _xml_text(value: Any) -> str:
    """Text XML 1.0 can hold: control characters shown as escapes (escape.clean), per line."""
    return "\n".join(clean(line) for line in (value if isinstance(value, str) else text(value)).split("\n"))


def _seconds(metric: Mapping[str, Any]) -> float:
    from datetime import datetime

    measurements = items(metric, "measurements")
    stamps = [text(m.get(k)) for m in measurements for k in ("startedAt", "finishedAt") if m.get(k)]
    if len(stamps) < 2:
        return 0.0
    parsed = []
    for stamp in stamps:
        try:
            moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            continue  # not RFC 3339 as the API writes it: no duration from it
        if moment.tzinfo is not None:
            parsed.append(moment)
    parsed.sort()
    return (parsed[-1] - parsed[0]).total_seconds() if len(parsed) > 1 else 0.0


def render_junit(document: Mapping[str, Any]) -> str:
    suites = ET.Element("testsuites", name=_xml_text(f"{text(document.get('namespace'))}/{text(document.get('name'))}"))
    suite = ET.SubElement(suites, "testsuite", name=_xml_text(f"{text(document.get('name'))} revision {text(document.get('revision'))}"))
    if document.get("startedAt"):
        suite.set("timestamp", _xml_text(document.get("startedAt")))
    properties = ET.SubElement(suite, "properties")
    for key, value in (("outcome", document.get("outcome")), ("images", ", ".join(text(i) for i in document.get("images") or ())),
                       ("explanation", document.get("explanation"))):
        ET.SubElement(properties, "property", name=key, value=_xml_text(value))
    tests = failures = errors = skipped = 0
    for run in items(document, "analysisRuns"):
        for metric in items(run, "metrics"):
            tests += 1
            phase = text(metric.get("phase"))
            case = ET.SubElement(suite, "testcase", classname=_xml_text(f"{text(document.get('name'))}.{text(run.get('name'))}"),
                                 name=_xml_text(metric.get("name")), time=f"{_seconds(metric):.3f}")
            counts, limits = mapping(metric, "counts"), mapping(metric, "limits")
            detail = "\n".join(f"{when(m.get('startedAt'))} {text(m.get('phase'))} {text(m.get('value'))} {text(m.get('message'))}".rstrip()
                               for m in reversed(items(metric, "measurements")))
            message = (f"metric {text(metric.get('name'))} {phase}: {text(counts.get('failed'))} failed of "
                       f"{text(counts.get('count'))} (limit {text(limits.get('failureLimit'))}), {text(counts.get('error'))} errors")
            if phase in ("Failed", "Inconclusive"):
                failures += 1
                failure = ET.SubElement(case, "failure", message=_xml_text(message), type=phase)
                failure.text = _xml_text(detail)
            elif phase == "Error":
                errors += 1
                error = ET.SubElement(case, "error", message=_xml_text(message), type=phase)
                error.text = _xml_text(detail)
            elif phase != "Successful":
                skipped += 1
                ET.SubElement(case, "skipped", message=_xml_text(f"metric {phase or 'Pending'} when recorded"))
            out = ET.SubElement(case, "system-out")
            out.text = _xml_text(detail)
    for element in (suite, suites):
        element.set("tests", str(tests))
        element.set("failures", str(failures))
        element.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def render_report(document: Mapping[str, Any], fmt: str) -> str:
    if fmt == "html":
        return render_html(document)
    if fmt == "junit":
        return render_junit(document)
    return render_markdown(document)
