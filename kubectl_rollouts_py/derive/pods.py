"""Pod status the way `kubectl get pods` (and the Argo Rollouts kubectl plugin) shows it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kubectl_rollouts_py.derive import fields as f
from kubectl_rollouts_py.derive.humantime import age
from kubectl_rollouts_py.derive.views import PodView


def _terminated_reason(state: dict[str, Any], prefix: str) -> str:
    reason = f.text(state.get("reason"))
    if reason:
        return prefix + reason
    signal = f.count(state.get("signal"))
    if signal != 0:
        return f"{prefix}Signal:{signal}"
    return f"{prefix}ExitCode:{f.count(state.get('exitCode'))}"


def _sidecar_names(pod: dict[str, Any]) -> set[str]:
    """Init containers with restartPolicy Always are native sidecars (Kubernetes 1.28+)."""
    return {
        f.text(c.get("name"))
        for c in f.seq(pod, "spec", "initContainers")
        if isinstance(c, dict) and c.get("restartPolicy") == "Always"
    }


def pod_status(pod: dict[str, Any]) -> tuple[str, int, int]:
    """(reason, ready containers, restarts) per Argo's port of kubectl's printPod."""
    status = f.mapping(pod, "status")
    reason = f.text(status.get("reason")) or f.text(status.get("phase"))
    restarts = 0
    ready = 0
    initializing = False
    init_specs = f.seq(pod, "spec", "initContainers")
    sidecars = _sidecar_names(pod)
    for index, container in enumerate(f.seq(pod, "status", "initContainerStatuses")):
        if not isinstance(container, dict):
            continue
        restarts += f.count(container.get("restartCount"))
        state = f.mapping(container, "state")
        terminated, waiting = f.mapping(state, "terminated"), f.mapping(state, "waiting")
        is_terminated = isinstance(state.get("terminated"), dict)
        if is_terminated and f.count(terminated.get("exitCode")) == 0:
            continue
        if is_terminated:
            reason = _terminated_reason(terminated, "Init:")
        elif f.text(container.get("name")) in sidecars and f.flag(container.get("started")):
            # A running native sidecar does not hold up initialisation once it is ready.
            if f.flag(container.get("ready")):
                continue
            break
        elif f.text(waiting.get("reason")) and waiting.get("reason") != "PodInitializing":
            reason = "Init:" + f.text(waiting.get("reason"))
        else:
            reason = f"Init:{index}/{len(init_specs)}"
        initializing = True
        break
    if not initializing:
        restarts = 0
        has_running = False
        for container in reversed(f.seq(pod, "status", "containerStatuses")):
            if not isinstance(container, dict):
                continue
            restarts += f.count(container.get("restartCount"))
            state = f.mapping(container, "state")
            terminated_set = isinstance(state.get("terminated"), dict)
            terminated, waiting = f.mapping(state, "terminated"), f.mapping(state, "waiting")
            if f.text(waiting.get("reason")):
                reason = f.text(waiting.get("reason"))
            elif terminated_set:
                reason = _terminated_reason(terminated, "")
            elif f.flag(container.get("ready")) and isinstance(state.get("running"), dict):
                has_running = True
                ready += 1
        # A pod whose last container completed but another still runs is shown as Running.
        if reason == "Completed" and has_running:
            reason = "Running"
    if f.mapping(pod, "metadata").get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return reason, ready, restarts


def build_pod_view(pod: dict[str, Any], now: dt.datetime) -> PodView:
    reason, ready, restarts = pod_status(pod)
    created = f.created_of(pod)
    return PodView(
        name=f.name_of(pod),
        status=reason,
        ready=ready,
        total=len(f.seq(pod, "spec", "containers")),
        restarts=restarts,
        created=created,
        age=age(created, now),
    )
