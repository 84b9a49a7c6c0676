"""A Rollout's analyses against the AnalysisTemplates in the same files.

What the controller checks when it validates a Rollout's referenced templates
(ValidateAnalysisTemplatesWithType), done here whenever every template an analysis names
is in the files:

* every argument the templates declare without a value gets one from the Rollout
  (`args.NAME was not resolved` otherwise, the run would fail at once);
* an analysis a step waits for (a step's, or blue-green's pre- and post-promotion) has no
  metric that runs forever: one with an interval and no count never lets the step finish.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kubectl_rollouts_py.analysis import args as analysis_args
from kubectl_rollouts_py.analysis import evaluate
from kubectl_rollouts_py.lint import fields as f
from kubectl_rollouts_py.lint.fields import FieldError

BACKGROUND = "background"
WAITED_FOR = "waited for"


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def usages(rollout: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
    """(field path of its templates, BACKGROUND or WAITED_FOR, the analysis) of each analysis."""
    strategy = _dict(_dict(rollout.get("spec")).get("strategy"))
    canary, blue_green = _dict(strategy.get("canary")), _dict(strategy.get("blueGreen"))
    found: list[tuple[str, str, Mapping[str, Any]]] = []
    if canary.get("analysis") is not None:
        found.append(("spec.strategy.canary.analysis.templates", BACKGROUND, _dict(canary["analysis"])))
    for i, step in enumerate(canary.get("steps") or []):
        if _dict(step).get("analysis") is not None:
            found.append((f"spec.strategy.canary.steps[{i}].analysis.templates", WAITED_FOR, _dict(_dict(step)["analysis"])))
    for part in ("prePromotionAnalysis", "postPromotionAnalysis"):
        if blue_green.get(part) is not None:
            found.append((f"spec.strategy.blueGreen.{part}.templates", WAITED_FOR, _dict(blue_green[part])))
    return found


def _incoming(args: Any) -> list[analysis_args.Argument]:
    """The Rollout's arguments; a valueFrom (pod template hash, field) counts as a value."""
    found = []
    for arg in args if isinstance(args, list) else []:
        arg = _dict(arg)
        value = arg.get("value")
        if value is None and arg.get("valueFrom") is not None:
            value = "dummy-value"
        found.append(analysis_args.Argument(str(arg.get("name") or ""), None if value is None else str(value)))
    return found


def validate(rollout: Mapping[str, Any], templates: Mapping[tuple[str, str], Mapping[str, Any]]) -> list[FieldError]:
    """Problems of the Rollout's analyses whose templates are all in `templates`
    ((kind, name) -> template, kind AnalysisTemplate or ClusterAnalysisTemplate)."""
    errs: list[FieldError] = []
    for path, usage, analysis in usages(rollout):
        refs = [_dict(ref) for ref in analysis.get("templates") or []]
        chosen: list[Mapping[str, Any]] = []
        for ref in refs:
            kind = "ClusterAnalysisTemplate" if ref.get("clusterScope") else "AnalysisTemplate"
            template = templates.get((kind, str(ref.get("templateName") or "")))
            if template is None or _dict(template.get("spec")).get("templates"):
                chosen = []  # not all here, or nested templates: the controller's business
                break
            chosen.append(template)
        if not chosen:
            continue
        errs.extend(_check(chosen, path, usage, analysis))
    return errs


def _names(templates: Sequence[Mapping[str, Any]]) -> str:
    """Go's %s of a []string: `[a b]`."""
    return "[" + " ".join(str(_dict(t.get("metadata")).get("name") or "") for t in templates) + "]"


def _check(templates: Sequence[Mapping[str, Any]], path: str, usage: str, analysis: Mapping[str, Any]) -> list[FieldError]:
    declared: list[analysis_args.Argument] = []
    for template in templates:
        for arg in _dict(template.get("spec")).get("args") or []:
            parsed = analysis_args.Argument.from_dict(_dict(arg))
            if all(existing.name != parsed.name for existing in declared):
                declared.append(parsed)
    value = f"templateNames: {_names(templates)}"
    try:
        analysis_args.merge_args(_incoming(analysis.get("args")), declared)
    except analysis_args.ArgsError as exc:
        return [f.invalid(path, value, exc.message)]
    if usage == BACKGROUND:
        return []
    errs: list[FieldError] = []
    for template in templates:
        name = str(_dict(template.get("metadata")).get("name") or "")
        for metric in _dict(template.get("spec")).get("metrics") or []:
            metric = _dict(metric)
            if evaluate.MetricSpec.from_dict(metric).effective_count is None:
                count = metric.get("count")
                shown = "<nil>" if count is None else str(count)
                errs.append(f.invalid(path, name, f"AnalysisTemplate {name} has metric {metric.get('name')} which runs "
                                                  f"indefinitely. Invalid value for count: {shown}"))
    return errs
