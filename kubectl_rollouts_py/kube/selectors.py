"""Label selectors for the API's list and watch requests, written from the objects' own
LabelSelector maps."""

from __future__ import annotations

from typing import Any

from kubectl_rollouts_py._frozen import frozen


def label_selector(selector: Any) -> str | None:
    """A LabelSelector object as a label selector string; None if it selects everything or
    cannot be written as one."""
    if not isinstance(selector, dict):
        return None
    terms = []
    labels = selector.get("matchLabels") or {}
    if not isinstance(labels, dict):
        return None
    for key, value in sorted(labels.items()):
        if not isinstance(key, str) or not isinstance(value, str):
            return None
        terms.append(f"{key}={value}")
    for expression in selector.get("matchExpressions") or []:
        if not isinstance(expression, dict):
            return None
        key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
        if not isinstance(key, str) or not all(isinstance(v, str) for v in values):
            return None
        if operator in ("In", "NotIn") and values:
            terms.append(f"{key} {operator.lower()} ({','.join(values)})")
        elif operator == "Exists":
            terms.append(key)
        elif operator == "DoesNotExist":
            terms.append(f"!{key}")
        else:
            return None
    return ",".join(terms) or None


def _mapping(obj: Any, *path: str) -> dict[str, Any]:
    """The dict at `path` inside `obj`, or {} if any step is missing or not a dict."""
    for key in path:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj if isinstance(obj, dict) else {}


def _seq(obj: Any, *path: str) -> list[Any]:
    """The list at `path`, or [] if missing or not a list."""
    *head, last = path
    value = _mapping(obj, *head).get(last)
    return value if isinstance(value, list) else []


def rollout_pod_selector(rollout: dict[str, Any]) -> str | None:
    """What selects every ReplicaSet and pod a rollout's view can show: the rollout's own
    selector, unless an experiment step picks its own selector (then: None, everything)."""
    for step in _seq(rollout, "spec", "strategy", "canary", "steps"):
        if any(isinstance(t, dict) and t.get("selector") is not None for t in _seq(step, "experiment", "templates")):
            return None
    return label_selector(_mapping(rollout, "spec").get("selector"))



def _owned_by(obj: Any, uid: str) -> bool:
    return bool(uid) and any(isinstance(ref, dict) and ref.get("uid") == uid for ref in _seq(obj, "metadata", "ownerReferences"))


def _union(found: list[Any]) -> list[str] | None:
    """The distinct selectors in `found`, or None (read everything) if any is None: a
    selector that selects everything or cannot be written as a label selector."""
    if not found or any(s is None for s in found):
        return None
    return list(dict.fromkeys(found))


@frozen
class ViewSelectors:
    """Label selectors that together select every ReplicaSet (`replica_sets`) and every pod
    (`pods`) a view can show; None: list them all."""

    replica_sets: list[str] | None
    pods: list[str] | None


def rollout_view_selectors(
    rollout: dict[str, Any], deployment: dict[str, Any] | None, experiments: list[dict[str, Any]]
) -> ViewSelectors:
    """What selects every ReplicaSet and pod a rollout's tree can show (it keeps those owned
    by the rollout, by its experiments and by their ReplicaSets).

    The rollout's ReplicaSets carry its template's labels, which its selector (or its
    workloadRef Deployment's, which the Argo controller takes) selects. Pods carry their
    template's labels, which their ReplicaSet's selector must select: the rollout's, or an
    experiment template's. An experiment's ReplicaSets carry labels that depend on the Argo
    version (`experiment.argoproj.io/name` in older ones), so with experiments the
    ReplicaSets are listed whole."""
    found: list[Any] = []
    own = _mapping(rollout, "spec").get("selector")
    if own is not None or deployment is None:
        found.append(label_selector(own))
    if deployment is not None:
        found.append(label_selector(_mapping(deployment, "spec").get("selector")))
    uid = str(_mapping(rollout, "metadata").get("uid") or "")
    owned = [e for e in experiments if _owned_by(e, uid)]
    pods = list(found)
    for experiment in owned:
        pods.extend(_template_selectors(experiment))
    return ViewSelectors(None if owned else _union(found), _union(pods))


def _template_selectors(experiment: dict[str, Any]) -> list[str | None]:
    templates = _seq(experiment, "spec", "templates")
    return [label_selector(t.get("selector")) if isinstance(t, dict) else None for t in templates] or [None]


def experiment_view_selectors(experiment: dict[str, Any]) -> ViewSelectors:
    """What selects an experiment's pods: its templates' selectors (its ReplicaSets' labels
    depend on the Argo version, so they are listed whole)."""
    return ViewSelectors(None, _union(_template_selectors(experiment)))
