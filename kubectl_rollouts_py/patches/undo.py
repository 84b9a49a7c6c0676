"""`undo`: pick the ReplicaSet to roll back to and build the JSON patch."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.patches.plan import Plan, Request

HASH_LABEL = "rollouts-pod-template-hash"
REVISION_ANNOTATION = "rollout.argoproj.io/revision"
WORKLOAD_RESOURCES = {"Deployment": r.DEPLOYMENTS, "ReplicaSet": r.REPLICASETS}


@dataclass(frozen=True)
class Skip:
    """Nothing to do: the rollout already runs that template (message has no newline, as in Argo)."""

    message: str


def label_selector(rollout: dict[str, Any]) -> str:
    """The rollout's spec.selector as a label-selector string for a LIST.

    A selector of the wrong shape (Argo could not even decode such a rollout)
    is an error before anything is sent, not a string built from whatever repr() gives.
    """
    selector = ((rollout.get("spec") or {}).get("selector")) or {}
    if not isinstance(selector, dict):
        raise _invalid_selector(rollout, "spec.selector is not a map")
    labels = selector.get("matchLabels") or {}
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise _invalid_selector(rollout, "matchLabels must map strings to strings")
    parts = [f"{k}={v}" for k, v in sorted(labels.items())]
    expressions = selector.get("matchExpressions") or []
    if not isinstance(expressions, list):
        raise _invalid_selector(rollout, "matchExpressions is not a list")
    for expr in expressions:
        if not isinstance(expr, dict):
            raise _invalid_selector(rollout, "a matchExpressions entry is not a map")
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if not isinstance(key, str) or not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise _invalid_selector(rollout, "matchExpressions need a string key and a list of string values")
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


def _invalid_selector(rollout: dict[str, Any], why: str) -> errors.RolloutsError:
    name = (rollout.get("metadata") or {}).get("name")
    return errors.RolloutsError(f'rollout "{name}" has an invalid label selector: {why}')


def _controller_uid(obj: dict[str, Any]) -> str | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("controller") is True:
            return ref.get("uid")
    return None


def _revision(rs: dict[str, Any]) -> int | None:
    raw = ((rs.get("metadata") or {}).get("annotations") or {}).get(REVISION_ANNOTATION)
    if raw is None:
        return 0  # a missing annotation counts as revision 0, as in Argo
    try:
        return int(str(raw), 10)
    except ValueError:
        return None  # unparsable: Argo skips the ReplicaSet


def _without_hash(template: Any) -> dict[str, Any]:
    plain: dict[str, Any] = copy.deepcopy(template) if isinstance(template, dict) else {}
    labels = (plain.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(HASH_LABEL, None)
    return plain


def is_derivative(wanted: Any, actual: Any) -> bool:
    """apimachinery's Semantic.DeepDerivative: every field set in `wanted` equals `actual`;
    unset or empty fields of `wanted` are ignored (the RS template carries defaults)."""
    if wanted is None or wanted == "" or wanted == {} or wanted == []:
        return True
    if isinstance(wanted, dict):
        # Decoded JSON stands for Go structs here: a key holding an empty value is an
        # unset field, not a map entry that must exist on the other side.
        if not isinstance(actual, dict):
            return False
        return all(is_derivative(v, actual.get(k)) for k, v in wanted.items())
    if isinstance(wanted, list):
        if not isinstance(actual, list) or len(wanted) > len(actual):
            return False
        return all(is_derivative(w, a) for w, a in zip(wanted, actual))
    return type(wanted) is type(actual) and wanted == actual


def plan_undo(rollout: dict[str, Any], replica_sets: list[dict[str, Any]], to_revision: int = 0) -> Plan | Skip:
    """Roll the rollout (or its workloadRef) back to the template of a previous revision."""
    metadata = rollout.get("metadata") or {}
    uid, name, namespace = metadata.get("uid"), metadata.get("name"), metadata.get("namespace")
    history = []
    for rs in replica_sets:
        revision = _revision(rs)
        if revision is not None and uid and _controller_uid(rs) == uid:
            history.append((revision, rs))
    if to_revision > 0:
        chosen = next((rs for revision, rs in history if revision == to_revision), None)
        if chosen is None:
            raise errors.RolloutsError(f"unable to find specified revision {to_revision} in history")
    else:
        revisions = sorted({revision for revision, _ in history}, reverse=True)
        if len(revisions) < 2:
            raise errors.RolloutsError(f'no revision found for rollout "{name}"')
        chosen = next(rs for revision, rs in history if revision == revisions[1])
    target = _without_hash((chosen.get("spec") or {}).get("template"))
    spec = rollout.get("spec") or {}
    workload = spec.get("workloadRef")
    if not isinstance(workload, dict):
        if is_derivative(_without_hash(spec.get("template")), target):
            return Skip(f"skipped rollback (current template already matches revision {to_revision})")
        resource, target_name = r.ROLLOUTS, name
    else:
        kind = workload.get("kind")
        if kind == "PodTemplate":
            resource = r.Resource("", "v1", "podtemplates", "PodTemplate")
        elif kind in WORKLOAD_RESOURCES:
            resource = WORKLOAD_RESOURCES[kind]
        else:
            raise errors.RolloutsError(f"workload of type {kind} is not supported")
        target_name = workload.get("name")
    body = json.dumps([{"op": "replace", "path": "/spec/template", "value": target}], separators=(",", ":"))
    return Plan(spec=Request("PATCH", resource, namespace, str(target_name), body, patch_type="json"))
