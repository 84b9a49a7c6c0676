"""AnalysisTemplates and ClusterAnalysisTemplates: what would make a run fail before it measures.

The Argo Rollouts kubectl plugin does not look at templates; the controller finds their
mistakes only when a run starts (an AnalysisRun in phase Error, or a metric erroring on
every measurement). Checked here, with the project's own analysis engine:

* arguments: named, unique, not both `value` and `valueFrom`, Secret references complete;
  every `{{args.NAME}}` placeholder in a metric names a declared argument (Argo's
  `failed to resolve {{args.x}}`), and none is left unterminated;
* metrics: named, unique, one provider, limits and counts as Argo's ValidateMetrics wants
  them (failureLimit >= -1, consecutiveSuccessLimit >= 0, count >= the limits, an interval
  when count > 1), integer fields that are integers, durations that are Go durations;
* conditions parse and type-check in Argo's expression language (placeholders stand in
  as `0`), rangeQuery start/end expressions too;
* providers: Prometheus has a query and an address (or the controller's default address),
  a web metric a URL, a Job a valid pod template (restartPolicy OnFailure or Never);
* dryRun and measurementRetention rules match a metric.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from kubectl_rollouts_py import govalues
from kubectl_rollouts_py.analysis import args as analysis_args
from kubectl_rollouts_py.analysis import conditions, evaluate
from kubectl_rollouts_py.lint import fields as f
from kubectl_rollouts_py.lint import pods
from kubectl_rollouts_py.lint.fields import FieldError

PROMETHEUS_ADDRESS_ENV = "ARGO_ROLLOUTS_PROMETHEUS_ADDRESS"
_LIMITS = ("count", "failureLimit", "inconclusiveLimit", "consecutiveErrorLimit", "consecutiveSuccessLimit")
_DURATIONS = ("interval", "initialDelay")
_TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(path, text) of every string under value, depth first."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for k in sorted(value, key=str):
            yield from _strings(value[k], f.child(path, str(k)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f.index(path, i))


def has_placeholder(value: Any) -> bool:
    return isinstance(value, str) and "{{" in value


def _stand_ins(declared: set[str]) -> dict[str, str]:
    return {name: "0" for name in declared}


def validate(template: Mapping[str, Any], *, prometheus_default: str | None) -> list[FieldError]:
    """Every problem of one (Cluster)AnalysisTemplate, in field order."""
    spec = _dict(template.get("spec"))
    errs: list[FieldError] = []
    declared = _arguments(spec.get("args"), errs)
    metrics = spec.get("metrics")
    metrics = metrics if isinstance(metrics, list) else []
    if not metrics and not spec.get("templates"):
        errs.append(f.required("spec.metrics", "no metrics specified"))
    seen: set[str] = set()
    for i, metric in enumerate(metrics):
        errs.extend(_metric(_dict(metric), f.index("spec.metrics", i), declared, seen, prometheus_default))
    metric_names = [str(_dict(m).get("name") or "") for m in metrics]
    for part in ("dryRun", "measurementRetention"):
        for i, rule in enumerate(spec.get(part) or []):
            pattern = str(_dict(rule).get("metricName") or "")
            try:
                evaluate.dry_run_metric_names([pattern], metric_names)
            except evaluate.AnalysisSpecInvalid:
                errs.append(f.invalid(f.child(f.index(f.child("spec", part), i), "metricName"), pattern,
                                      "Rule didn't match any metric name(s)"))
    return errs


def _arguments(args: Any, errs: list[FieldError]) -> set[str]:
    declared: set[str] = set()
    for i, arg in enumerate(args if isinstance(args, list) else []):
        arg = _dict(arg)
        path = f.index("spec.args", i)
        name = arg.get("name")
        if not name:
            errs.append(f.required(f.child(path, "name")))
            continue
        if name in declared:
            errs.append(f.duplicate(f.child(path, "name"), name))
        declared.add(str(name))
        value_from = arg.get("valueFrom")
        if value_from is not None and arg.get("value") is not None:
            errs.append(f.invalid(path, name, f"arg '{name}' has both Value and ValueFrom fields"))
        secret = _dict(value_from).get("secretKeyRef")
        if secret is not None:
            for part in ("name", "key"):
                if not _dict(secret).get(part):
                    errs.append(f.required(f.child(path, "valueFrom", "secretKeyRef", part)))
    return declared


def _placeholders(metric: Mapping[str, Any], path: str, declared: set[str]) -> list[FieldError]:
    errs: list[FieldError] = []
    values = _stand_ins(declared)
    for where, text in _strings(metric, path):
        if "{{" not in text:
            continue
        try:
            analysis_args.substitute(text, values)
        except analysis_args.ArgsError as exc:
            errs.append(f.invalid(where, text, exc.message))
    return errs


def _substituted(text: str, declared: set[str]) -> str | None:
    try:
        return analysis_args.substitute(text, _stand_ins(declared))
    except analysis_args.ArgsError:
        return None  # reported by _placeholders


def _metric(metric: Mapping[str, Any], path: str, declared: set[str], seen: set[str], prometheus_default: str | None) -> list[FieldError]:
    errs: list[FieldError] = []
    name = metric.get("name")
    if not name:
        errs.append(f.required(f.child(path, "name")))
    elif name in seen:
        errs.append(f.duplicate(f.child(path, "name"), name))
    seen.add(str(name or ""))
    errs.extend(_placeholders(metric, path, declared))
    checked = dict(metric)
    for part in _LIMITS:
        value = metric.get(part)
        if isinstance(value, str):
            if has_placeholder(value):
                checked.pop(part)
            elif govalues.go_atoi(value.strip()) is None:
                errs.append(f.invalid(f.child(path, part), value, "must be an integer"))
                checked.pop(part)
    for part in _DURATIONS:
        value = metric.get(part)
        if isinstance(value, str) and value:
            # Checked here, where the message can name the field; a valid stand-in goes on,
            # so that "interval must be specified" still means what it says.
            checked[part] = "1s"
            if not has_placeholder(value):
                errs.extend(duration(value, f.child(path, part)))
    try:
        analysis_args.validate_metric(checked)
    except evaluate.AnalysisSpecInvalid as exc:
        errs.append(f.invalid(path, str(name or ""), exc.message))
    for part in ("successCondition", "failureCondition"):
        text = metric.get(part)
        if isinstance(text, str) and text.strip():
            source = _substituted(text, declared)
            if source is not None:
                try:
                    conditions.compile_condition(source)
                except conditions.ConditionError as exc:
                    errs.append(f.invalid(f.child(path, part), text, exc.message))
    errs.extend(_provider(_dict(metric.get("provider")), f.child(path, "provider"), declared, prometheus_default))
    return errs


def _provider(provider: Mapping[str, Any], path: str, declared: set[str], prometheus_default: str | None) -> list[FieldError]:
    errs: list[FieldError] = []
    if provider.get("prometheus") is not None:
        prometheus = _dict(provider["prometheus"])
        ppath = f.child(path, "prometheus")
        if not str(prometheus.get("query") or "").strip():
            errs.append(f.required(f.child(ppath, "query")))
        if not prometheus.get("address") and not prometheus_default:
            errs.append(f.required(f.child(ppath, "address"),
                                   f"no address, and {PROMETHEUS_ADDRESS_ENV} is not set for the controller"))
        address = prometheus.get("address")
        if isinstance(address, str) and address and not has_placeholder(address) and not re.match(r"^https?://[^/\s]", address):
            errs.append(f.invalid(f.child(ppath, "address"), address, "must be an http:// or https:// URL"))
        timeout = prometheus.get("timeout")
        if isinstance(timeout, int) and not isinstance(timeout, bool) and timeout < 0:
            errs.append(f.invalid(f.child(ppath, "timeout"), timeout, "must be greater than or equal to 0"))
        range_query = prometheus.get("rangeQuery")
        if range_query is not None:
            rpath = f.child(ppath, "rangeQuery")
            for part in ("start", "end"):
                text = _dict(range_query).get(part)
                if not isinstance(text, str) or not text.strip():
                    errs.append(f.required(f.child(rpath, part)))
                    continue
                source = _substituted(text, declared)
                if source is not None:
                    try:
                        conditions.compile_range_expression(source)
                    except conditions.ConditionError as exc:
                        errs.append(f.invalid(f.child(rpath, part), text, exc.message))
            step = _dict(range_query).get("step")
            if not isinstance(step, str) or not step:
                errs.append(f.required(f.child(rpath, "step")))
            elif not has_placeholder(step):
                errs.extend(duration(step, f.child(rpath, "step")))
    if provider.get("web") is not None and not _dict(provider["web"]).get("url"):
        errs.append(f.required(f.child(path, "web", "url")))
    if provider.get("job") is not None:
        job_spec = _dict(_dict(provider["job"]).get("spec"))
        errs.extend(pods.validate_for_job(job_spec.get("template"), f.child(path, "job", "spec", "template")))
    return errs


def duration(text: str, path: str) -> list[FieldError]:
    """A Go duration, or Go's message."""
    try:
        govalues.parse_go_duration(text)
    except ValueError as exc:
        return [f.invalid(path, text, str(exc))]
    return []
