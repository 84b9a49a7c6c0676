"""`create` and `create analysisrun`: the objects to POST."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.patches.plan import Request

CREATABLE = {k: r.BY_KIND[k] for k in ("Rollout", "Experiment", "AnalysisTemplate", "ClusterAnalysisTemplate", "AnalysisRun")}
INSTANCE_ID_LABEL = "argo-rollouts.argoproj.io/controller-instance-id"


def plan_create(obj: dict[str, Any], namespace: str) -> Request:
    """POST the object to its kind's collection; a ClusterAnalysisTemplate is cluster-scoped
    (the Argo Rollouts kubectl plugin posts it namespaced; fixed here)."""
    kind = obj.get("kind")
    group = str(obj.get("apiVersion") or "").partition("/")[0]
    resource = CREATABLE.get(kind) if group == r.ARGO else None  # type: ignore[arg-type]
    if resource is None:
        raise errors.RolloutsError(f"creates of {group}/{kind} unsupported")
    body = copy.deepcopy(obj)
    metadata = body.setdefault("metadata", {})
    if resource.namespaced:
        metadata["namespace"] = metadata.get("namespace") or namespace
    else:
        metadata.pop("namespace", None)
    return Request("POST", resource, metadata.get("namespace"), None, json.dumps(body))


def parse_arguments(pairs: Sequence[str]) -> list[tuple[str, str]]:
    """`NAME=VALUE` pairs, split on the first `=` (a value may contain `=`)."""
    parsed = []
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise errors.UsageError("arguments must be in the form NAME=VALUE")
        parsed.append((name, value))
    return parsed


def analysis_run_from_template(
    template: dict[str, Any],
    *,
    namespace: str,
    arguments: Sequence[tuple[str, str]] = (),
    name: str | None = None,
    generate_name: str | None = None,
    instance_id: str | None = None,
) -> dict[str, Any]:
    """An AnalysisRun built from an (Cluster)AnalysisTemplate, with CLI args merged in."""
    run = copy.deepcopy(template)
    run["kind"] = "AnalysisRun"
    metadata = run.setdefault("metadata", {})
    template_name = str(metadata.get("name") or "")
    for key in ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields"):
        metadata.pop(key, None)
    metadata["namespace"] = namespace
    if name:
        metadata["name"] = name
        metadata.pop("generateName", None)
    else:
        metadata.pop("name", None)
        metadata["generateName"] = generate_name or f"{template_name}-"
        if metadata["generateName"] == "-":
            raise errors.RolloutsError("name is invalid")
    if instance_id:
        metadata["labels"] = {INSTANCE_ID_LABEL: instance_id}
    spec = run.setdefault("spec", {})
    args = _merge_args(spec.get("args") or [], arguments)
    if args:
        spec["args"] = args
    else:
        spec.pop("args", None)
    run.pop("status", None)
    return run


def _merge_args(template_args: list[Any], cli_args: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    if not template_args:
        return [{"name": n, "value": v} for n, v in cli_args]
    given = dict(cli_args)
    merged = []
    for arg in template_args:
        arg = dict(arg) if isinstance(arg, dict) else {}
        if arg.get("name") in given:
            arg["value"] = given[arg["name"]]
            arg.pop("valueFrom", None)
        if "value" not in arg and "valueFrom" not in arg:
            raise errors.RolloutsError(f"args.{arg.get('name')} was not resolved")
        merged.append(arg)
    return merged
