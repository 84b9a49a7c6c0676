"""Label selectors for the API's list and watch requests, written from the objects' own
LabelSelector maps."""

from __future__ import annotations

from typing import Any


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
