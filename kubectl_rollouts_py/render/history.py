"""`history NAME` and `history NAME --revision N` as text.

Laid out from the machine-readable documents (`-o json`: kinds RolloutHistory and
RolloutRevision), so the text and the JSON cannot say different things. Every string of a
document passes through escape.clean: names, images, messages and values come from the
cluster.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kubectl_rollouts_py.render.escape import clean
from kubectl_rollouts_py.render.tabwriter import align

SOURCES = {"cluster": "from the cluster (what it still holds)", "files": "from saved files",
           "recording": "from the recording"}


def text(value: Any) -> str:
    """A document's string, made safe for the terminal; None and others are empty."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return clean(value) if isinstance(value, str) else ""


def items(document: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    found = document.get(key)
    return [item for item in found if isinstance(item, Mapping)] if isinstance(found, list) else []


def mapping(document: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    found = document.get(key)
    return found if isinstance(found, Mapping) else {}


def when(value: Any) -> str:
    return text(value) or "-"


def title(document: Mapping[str, Any]) -> str:
    source = SOURCES.get(text(document.get("source")), text(document.get("source")))
    return f"Rollout {text(document.get('name'))} in namespace {text(document.get('namespace'))}, {source}"


def outcome(revision: Mapping[str, Any]) -> str:
    words = text(revision.get("outcome"))
    return f"{words} (current)" if revision.get("current") and words != "current" else words


def step_cells(step: Mapping[str, Any]) -> list[str]:
    weight = step.get("weight")
    index = step.get("index")
    return [str(index + 1) if isinstance(index, int) else "?", text(step.get("step")),
            "-" if weight is None else f"{text(weight)}%", text(step.get("state")), when(step.get("startedAt")),
            text(step.get("duration")) or "-"]


def metric_words(metric: Mapping[str, Any]) -> str:
    last = text(metric.get("lastValue")) or "no value"
    return f"{text(metric.get('name'))}={last} ({text(metric.get('phase'))})"


def run_line(run: Mapping[str, Any]) -> str:
    metrics = ", ".join(metric_words(m) for m in items(run, "metrics"))
    gone = f" [deleted from the cluster {text(run.get('deletedAt'))}]" if run.get("deletedAt") else ""
    return f"{text(run.get('name'))}  {text(run.get('phase')) or 'Pending'}{gone}" + (f": {metrics}" if metrics else "")


def _revision_block(revision: Mapping[str, Any]) -> list[str]:
    lines = [f"Revision {text(revision.get('revision'))}  {outcome(revision)}"]
    images = ", ".join(text(i) for i in revision.get("images") or ()) or "-"
    lines.append(f"  Images:    {images}")
    span = f"{when(revision.get('startedAt'))} -> {when(revision.get('endedAt'))}"
    if revision.get("duration"):
        span += f" ({text(revision.get('duration'))})"
    lines.append(f"  Time:      {span}")
    steps = items(revision, "steps")
    if steps:
        shown = [f"{text(s.get('step'))}" + (f" {text(s.get('duration'))}" if s.get("duration") else "")
                 + ("" if s.get("state") == "done" else f" [{text(s.get('state'))}]") for s in steps]
        lines.append("  Steps:     " + " | ".join(shown))
    for index, run in enumerate(items(revision, "analysisRuns")):
        lines.append(("  Analysis:  " if index == 0 else "             ") + run_line(run))
    if revision.get("explanation"):
        lines.append(f"  {text(revision.get('explanation'))}")
    return lines


def render_history(document: Mapping[str, Any]) -> str:
    """The revisions, newest first, one block each."""
    lines = [title(document), ""]
    revisions = items(document, "revisions")
    if not revisions:
        lines.append("No revisions.")
    for revision in revisions:
        lines += _revision_block(revision) + [""]
    return "\n".join(lines).rstrip("\n") + "\n"


def measurement_rows(metric: Mapping[str, Any]) -> list[list[str]]:
    rows = [["STARTED", "FINISHED", "PHASE", "VALUE", "MESSAGE"]]
    for m in reversed(items(metric, "measurements")):  # oldest first
        rows.append([when(m.get("startedAt")), when(m.get("finishedAt")), text(m.get("phase")), text(m.get("value")) or "-",
                     text(m.get("message"))])
    return rows


def metric_heading(metric: Mapping[str, Any]) -> str:
    counts, limits = mapping(metric, "counts"), mapping(metric, "limits")
    condition = text(metric.get("successCondition")) or text(metric.get("failureCondition"))
    return (f"Metric {text(metric.get('name'))}: {text(metric.get('phase'))}; "
            f"{text(counts.get('successful'))} successful, {text(counts.get('failed'))} failed "
            f"(limit {text(limits.get('failureLimit'))}), {text(counts.get('error'))} errors"
            + (f"; condition {condition}" if condition else ""))


def _indent(lines: Sequence[str], by: str) -> list[str]:
    return [by + line if line else line for line in lines]


def render_revision(document: Mapping[str, Any]) -> str:
    """One revision: outcome and explanation, the step timeline, every measurement of every
    run, and the pod template's difference from the revision before."""
    lines = [title(document), ""]
    lines.append(f"Revision {text(document.get('revision'))}  {outcome(document)}")
    if document.get("explanation"):
        lines.append(text(document.get("explanation")))
    lines.append(f"Images:   {', '.join(text(i) for i in document.get('images') or ()) or '-'}")
    lines.append(f"Started:  {when(document.get('startedAt'))}")
    lines.append(f"Ended:    {when(document.get('endedAt'))}" + (f" ({text(document.get('duration'))})" if document.get("duration") else ""))
    steps = items(document, "steps")
    if steps:
        lines += ["", "Steps:"] + _indent(align([["#", "STEP", "WEIGHT", "STATE", "STARTED", "DURATION"]]
                                               + [step_cells(s) for s in steps]), "  ")
    runs = items(document, "analysisRuns")
    lines += ["", "Analysis runs:" if runs else "Analysis runs: none"]
    for run in runs:
        gone = f" (deleted from the cluster {text(run.get('deletedAt'))})" if run.get("deletedAt") else ""
        lines.append(f"  {text(run.get('name'))}: {text(run.get('phase')) or 'Pending'}{gone}")
        if run.get("message"):
            lines.append(f"    {text(run.get('message'))}")
        for metric in items(run, "metrics"):
            lines.append(f"    {metric_heading(metric)}")
            lines += _indent(align(measurement_rows(metric)), "      ")
    diff = [text(line) for line in document.get("templateDiff") or ()]
    if diff:
        lines += ["", "Pod template:"] + _indent(diff if len(diff) > 2 else diff + ["(no change)"], "  ")
    return "\n".join(lines) + "\n"
