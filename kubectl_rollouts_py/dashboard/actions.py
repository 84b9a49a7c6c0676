"""The dashboard's actions: the CLI's patch builders, sent by kube.apply, nothing else.

Each action reads what its plan needs from the cluster (not from the cache: a plan is made
from the server's latest version, as the CLI makes it), builds the plan with `patches`,
and hands it to `kube.apply.apply_plan`. Template rewrites retry on 409 Conflict.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import apply
from kubectl_rollouts_py.kube import resources as r

ACTIONS = ("promote", "promote-full", "abort", "retry", "restart", "pause", "set-image", "undo")
ATTEMPTS = 5


def _with_conflict_retry(attempt: Callable[[], str]) -> str:
    for _ in range(ATTEMPTS - 1):
        try:
            return attempt()
        except errors.Conflict:
            continue
    return attempt()


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise errors.UsageError(f'"{key}" is required (a non-empty string)')
    return value


def run(source: Any, namespace: str, name: str, action: str, body: dict[str, Any], *, now: dt.datetime) -> str:
    """Apply one action to rollout namespace/name; return the CLI's confirmation line."""
    from kubectl_rollouts_py.patches import rollout as plans

    if action in ("promote", "promote-full"):
        full = action == "promote-full"
        plan = plans.plan_promote(source.get(r.ROLLOUTS, name, namespace), full=full)
        apply.apply_plan(source, plan)
        return f"rollout '{name}' {'fully promoted' if full else 'promoted'}"
    if action in ("abort", "retry", "pause"):
        builder = {"abort": plans.plan_abort, "retry": plans.plan_retry, "pause": plans.plan_pause}[action]
        apply.apply_plan(source, builder(namespace, name))
        return f"rollout '{name}' {action}ed" if action != "abort" else f"rollout '{name}' aborted"
    if action == "restart":
        apply.apply_plan(source, plans.plan_restart(namespace, name, now=now))
        return f"rollout '{name}' restarts in 0s"
    if action == "set-image":
        return _set_image(source, namespace, name, _text(body, "container"), _text(body, "image"))
    if action == "undo":
        revision = body.get("revision", 0)
        if not isinstance(revision, int) or isinstance(revision, bool) or revision < 0:
            raise errors.UsageError('"revision" must be a whole number >= 0')
        return _undo(source, namespace, name, revision)
    raise errors.NotFound(f'unknown action "{action}"')


def _set_image(source: Any, namespace: str, name: str, container: str, image: str) -> str:
    from kubectl_rollouts_py.patches import images
    from kubectl_rollouts_py.patches.plan import Plan, Request

    def attempt() -> str:
        rollout = source.get(r.ROLLOUTS, name, namespace)
        ref = (rollout.get("spec") or {}).get("workloadRef")
        workload = ref.get("name") if isinstance(ref, dict) and isinstance(ref.get("name"), str) else None
        resource, target = (r.DEPLOYMENTS, source.get(r.DEPLOYMENTS, workload, namespace)) if workload else (r.ROLLOUTS, rollout)
        updated = images.with_image(target, container, image)
        target_name = str(updated["metadata"]["name"])
        apply.apply_plan(source, Plan(spec=Request("PUT", resource, namespace, target_name, json.dumps(updated))))
        return f'{resource.singular} "{target_name}" image updated'

    return _with_conflict_retry(attempt)


def _undo(source: Any, namespace: str, name: str, revision: int) -> str:
    from kubectl_rollouts_py.patches import undo as plans

    def attempt() -> str:
        rollout = source.get(r.ROLLOUTS, name, namespace)
        listed = source.list(r.REPLICASETS, namespace, label_selector=plans.label_selector(rollout) or None)
        plan = plans.plan_undo(rollout, listed.items, revision)
        if isinstance(plan, plans.Skip):
            return plan.message
        apply.apply_plan(source, plan)
        return f"rollout '{name}' undo"

    return _with_conflict_retry(attempt)
