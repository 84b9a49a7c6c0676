"""Experiments, and the experiment and analysis steps of Rollouts, beyond what Argo's lint checks.

An Experiment runs each template as a ReplicaSet, so each template needs a selector that
matches its pod template's labels and a valid pod template, as a Rollout does; the
template and analysis names must be unique (they name the ReplicaSets and AnalysisRuns);
the duration must be a Go duration. A Rollout's experiment step refers to its own pod
templates by `specRef` (`stable` or `canary`), and its analysis steps need template names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubectl_rollouts_py.lint import fields as f
from kubectl_rollouts_py.lint import names, pods, templates
from kubectl_rollouts_py.lint.fields import FieldError

SPEC_REFS = ("stable", "canary")
HASH_VALUES = ("Stable", "Latest")


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def validate(experiment: Mapping[str, Any]) -> list[FieldError]:
    spec = _dict(experiment.get("spec"))
    errs: list[FieldError] = []
    entries = _list(spec.get("templates"))
    if not entries:
        errs.append(f.required("spec.templates"))
    seen: set[str] = set()
    for i, raw in enumerate(entries):
        template = _dict(raw)
        path = f.index("spec.templates", i)
        errs.extend(_name(template.get("name"), f.child(path, "name"), seen))
        replicas = template.get("replicas")
        if isinstance(replicas, int) and not isinstance(replicas, bool) and replicas < 0:
            errs.append(f.invalid(f.child(path, "replicas"), replicas, "must be greater than or equal to 0"))
        selector = template.get("selector")
        if selector is None:
            errs.append(f.required(f.child(path, "selector")))
        else:
            errs.extend(names.validate_label_selector(selector, f.child(path, "selector")))
            if names.selector_is_empty(selector):
                errs.append(f.invalid(f.child(path, "selector"), names.go_label_selector(selector), "empty selector is invalid"))
        errs.extend(pods.validate_for_replicaset(template.get("template"), selector, f.child(path, "template")))
    duration = spec.get("duration")
    if isinstance(duration, str) and duration:
        errs.extend(templates.duration(duration, "spec.duration"))
    deadline = spec.get("progressDeadlineSeconds")
    if isinstance(deadline, int) and not isinstance(deadline, bool) and deadline < 0:
        errs.append(f.invalid("spec.progressDeadlineSeconds", deadline, "must be greater than or equal to 0"))
    errs.extend(_analyses(_list(spec.get("analyses")), "spec.analyses"))
    return errs


def _name(name: Any, path: str, seen: set[str]) -> list[FieldError]:
    if not name:
        return [f.required(path)]
    errs = [f.invalid(path, name, msg) for msg in names.dns1123_label(str(name))]
    if name in seen:
        errs.append(f.duplicate(path, name))
    seen.add(str(name))
    return errs


def _analyses(analyses: list[Any], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: set[str] = set()
    for i, raw in enumerate(analyses):
        analysis = _dict(raw)
        apath = f.index(path, i)
        name = analysis.get("name")
        if not name:
            errs.append(f.required(f.child(apath, "name")))
        elif name in seen:
            errs.append(f.duplicate(f.child(apath, "name"), name))
        seen.add(str(name or ""))
        if not analysis.get("templateName"):
            errs.append(f.required(f.child(apath, "templateName")))
    return errs


def validate_rollout_steps(rollout: Mapping[str, Any]) -> list[FieldError]:
    """A Rollout's analysis references and experiment steps (our checks, not Argo's lint)."""
    strategy = _dict(_dict(rollout.get("spec")).get("strategy"))
    canary = _dict(strategy.get("canary"))
    errs: list[FieldError] = []
    if canary.get("analysis") is not None:
        errs.extend(_analysis(_dict(canary["analysis"]), "spec.strategy.canary.analysis"))
    blue_green = _dict(strategy.get("blueGreen"))
    for part in ("prePromotionAnalysis", "postPromotionAnalysis"):
        if blue_green.get(part) is not None:
            errs.extend(_analysis(_dict(blue_green[part]), f"spec.strategy.blueGreen.{part}"))
    for i, raw in enumerate(_list(canary.get("steps"))):
        step = _dict(raw)
        path = f.index("spec.strategy.canary.steps", i)
        if step.get("analysis") is not None:
            errs.extend(_analysis(_dict(step["analysis"]), f.child(path, "analysis")))
        if step.get("experiment") is not None:
            errs.extend(_experiment_step(_dict(step["experiment"]), f.child(path, "experiment")))
    return errs


def _analysis(analysis: Mapping[str, Any], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    refs = _list(analysis.get("templates"))
    if not refs:
        errs.append(f.required(f.child(path, "templates"), "at least one template is needed"))
    for i, ref in enumerate(refs):
        if not _dict(ref).get("templateName"):
            errs.append(f.required(f.child(f.index(f.child(path, "templates"), i), "templateName")))
    errs.extend(_args(_list(analysis.get("args")), f.child(path, "args")))
    return errs


def _args(args: list[Any], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, raw in enumerate(args):
        arg = _dict(raw)
        apath = f.index(path, i)
        if not arg.get("name"):
            errs.append(f.required(f.child(apath, "name")))
        value_from = _dict(arg.get("valueFrom"))
        hash_value = value_from.get("podTemplateHashValue")
        if hash_value is not None and hash_value not in HASH_VALUES:
            errs.append(f.not_supported(f.child(apath, "valueFrom", "podTemplateHashValue"), hash_value, HASH_VALUES))
    return errs


def _experiment_step(step: Mapping[str, Any], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    entries = _list(step.get("templates"))
    if not entries:
        errs.append(f.required(f.child(path, "templates")))
    seen: set[str] = set()
    for i, raw in enumerate(entries):
        template = _dict(raw)
        tpath = f.index(f.child(path, "templates"), i)
        errs.extend(_name(template.get("name"), f.child(tpath, "name"), seen))
        ref = template.get("specRef")
        if ref not in SPEC_REFS:
            errs.append(f.not_supported(f.child(tpath, "specRef"), ref or "", SPEC_REFS))
        selector = template.get("selector")
        if selector is not None:
            errs.extend(names.validate_label_selector(selector, f.child(tpath, "selector")))
    duration = step.get("duration")
    if isinstance(duration, str) and duration:
        errs.extend(templates.duration(duration, f.child(path, "duration")))
    errs.extend(_analyses(_list(step.get("analyses")), f.child(path, "analyses")))
    for i, raw in enumerate(_list(step.get("analyses"))):
        errs.extend(_args(_list(_dict(raw).get("args")), f.child(f.index(f.child(path, "analyses"), i), "args")))
    return errs
