"""Rewriting a rollout's pod template: `set image` and `undo`, retrying on conflicts.

Both read the object, build the change from what they read and send it; a 409 Conflict
(the object changed in between) starts over from a fresh read, at most
writes.ATTEMPTS times.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.kube.source import Source
from kubectl_rollouts_py.ops.writes import Executor, Outcome, with_conflict_retry, write
from kubectl_rollouts_py.patches import images
from kubectl_rollouts_py.patches import undo as undo_plans
from kubectl_rollouts_py.patches.plan import Plan, Request


@dataclass(frozen=True)
class ImageChange:
    """Which containers (`*`: every one) get which image."""

    container: str
    image: str

    @classmethod
    def parse(cls, text: str) -> ImageChange:
        """`CONTAINER=IMAGE`, as the Argo Rollouts kubectl plugin takes it (UsageError otherwise)."""
        container, image = images.parse_assignment(text)
        return cls(container, image)


def _workload_name(rollout: dict[str, Any]) -> str | None:
    spec = rollout.get("spec")
    ref = spec.get("workloadRef") if isinstance(spec, dict) else None
    if not isinstance(ref, dict):
        return None
    name = ref.get("name")
    if not isinstance(name, str):
        raise errors.RolloutsError(f"spec.workloadRef.name is not a string: {name}")
    return name


def set_image(source: Source, namespace: str, name: str, change: ImageChange, *, executor: Executor | None = None) -> Outcome:
    """PUT the rollout (or the Deployment its workloadRef names) with the new image."""
    executor = executor or Executor()

    def attempt() -> Outcome:
        rollout = source.get(r.ROLLOUTS, name, namespace)
        workload = _workload_name(rollout)
        # A workloadRef rollout takes its template from a Deployment: update that.
        resource, target = (r.DEPLOYMENTS, source.get(r.DEPLOYMENTS, workload, namespace)) if workload else (r.ROLLOUTS, rollout)
        updated = images.with_image(target, change.container, change.image)
        target_name = workload or name  # as asked (or as the rollout names its Deployment), never as answered
        plan = Plan(spec=Request("PUT", resource, namespace, target_name, json.dumps(updated)))
        return write(source, executor, plan, target_name, lambda shown: f'{resource.singular} "{shown}" image updated')

    return with_conflict_retry(f'{r.ROLLOUTS.qualified} "{name}"', attempt)


def undo(source: Source, namespace: str, name: str, *, to_revision: int = 0, executor: Executor | None = None) -> Outcome:
    """Go back to the pod template of revision `to_revision` (0: the previous one).

    When the rollout already runs that template nothing is sent: the outcome is `skipped`
    and its message says so (the Argo Rollouts kubectl plugin's words; it ends that line
    without a newline).
    """
    executor = executor or Executor()

    def attempt() -> Outcome:
        rollout = source.get(r.ROLLOUTS, name, namespace)
        listed = source.list(r.REPLICASETS, namespace, label_selector=undo_plans.label_selector(rollout) or None)
        plan = undo_plans.plan_undo(rollout, listed.items, to_revision)
        if isinstance(plan, undo_plans.Skip):
            return Outcome(plan.message, name, None, executor.dry_run, skipped=True)
        # A workloadRef rollout's template is patched in the Deployment (or other workload) it names.
        target_name = plan.spec.name if plan.spec is not None and plan.spec.name else name
        try:
            return write(source, executor, plan, target_name, lambda _shown: f"rollout '{name}' undo")
        except errors.Conflict:
            raise
        except errors.ApiError as exc:
            raise errors.ApiError(f"failed restoring revision {to_revision}: {exc.message}", status=exc.status, reason=exc.reason) from exc
        except errors.RolloutsError as exc:
            raise errors.RolloutsError(f"failed restoring revision {to_revision}: {exc.message}") from exc

    return with_conflict_retry(f'{r.ROLLOUTS.qualified} "{name}"', attempt)
