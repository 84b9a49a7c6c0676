"""Plans for the rollout verbs, with the exact bodies of the Argo Rollouts kubectl plugin."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.patches.plan import Plan, merge_patch

# Argo's patch templates, byte for byte (its tests compare raw bytes).
UNPAUSE = '{"spec":{"paused":false}}'
CLEAR_PAUSE_CONDITIONS = '{"status":{"pauseConditions":null}}'
UNPAUSE_AND_CLEAR = '{"spec":{"paused":false},"status":{"pauseConditions":null}}'
PROMOTE_FULL = '{"status":{"promoteFull":true}}'
UNPAUSE_AND_PROMOTE_FULL = '{"spec":{"paused":false},"status":{"promoteFull":true}}'
SET_STEP = '{"status":{"currentStepIndex":%d}}'
CLEAR_AND_CONTROLLER_UNPAUSE_WITH_STEP = '{"status":{"pauseConditions":null, "controllerPause":false, "currentStepIndex":%d}}'
CLEAR_WITH_STEP = '{"status":{"pauseConditions":null, "currentStepIndex":%d}}'
UNPAUSE_AND_CLEAR_WITH_STEP = '{"spec":{"paused":false},"status":{"pauseConditions":null, "currentStepIndex":%d}}'
ABORT = '{"status":{"abort":true}}'
RETRY = '{"status":{"abort":false}}'
PAUSE = '{"spec":{"paused":true}}'
RESTART = '{\n\t"spec": {\n\t\t"restartAt": "%s"\n\t}\n}'
TERMINATE = '{"spec":{"terminate":true}}'
RETRY_EXPERIMENT = '{"status":null}'


def _meta(obj: dict[str, Any]) -> tuple[str | None, str]:
    raw = obj.get("metadata")
    metadata: dict[str, Any] = raw if isinstance(raw, dict) else {}
    return metadata.get("namespace"), str(metadata.get("name") or "")


def _strategy(rollout: dict[str, Any]) -> dict[str, Any]:
    raw = rollout.get("spec")
    spec: dict[str, Any] = raw if isinstance(raw, dict) else {}
    strategy = spec.get("strategy")
    return strategy if isinstance(strategy, dict) else {}


def _steps(rollout: dict[str, Any]) -> list[Any] | None:
    """The canary steps, or None when the rollout is not a canary."""
    canary = _strategy(rollout).get("canary")
    if not isinstance(canary, dict):
        return None
    steps = canary.get("steps")
    return steps if isinstance(steps, list) else []


def _status(rollout: dict[str, Any]) -> dict[str, Any]:
    status = rollout.get("status")
    return status if isinstance(status, dict) else {}


def _next_step(rollout: dict[str, Any]) -> int | None:
    """The step index after the current one, never past the end; None without canary steps."""
    steps = _steps(rollout)
    if not steps:
        return None
    index = _status(rollout).get("currentStepIndex")
    index = index if isinstance(index, int) and not isinstance(index, bool) else 0
    return index + 1 if index < len(steps) else index


def _status_first(rollout: dict[str, Any], body: str) -> Plan:
    namespace, name = _meta(rollout)
    return Plan(
        status=merge_patch(r.ROLLOUTS, namespace, name, body, subresource="status"),
        fallback=merge_patch(r.ROLLOUTS, namespace, name, body),
    )


def check_promote_flags(*, skip_current: bool, skip_all: bool) -> None:
    """Flag combinations Argo rejects before reading the rollout."""
    if skip_current and skip_all:
        raise errors.UsageError("Cannot use skip-current-step and skip-all-steps flags at the same time")


def plan_promote(rollout: dict[str, Any], *, full: bool = False, skip_current: bool = False, skip_all: bool = False) -> Plan:
    """promote / promote --full / -c / -a, as Argo's getPatches."""
    check_promote_flags(skip_current=skip_current, skip_all=skip_all)
    steps = _steps(rollout)
    if skip_current or skip_all:
        if isinstance(_strategy(rollout).get("blueGreen"), dict):
            raise errors.RolloutsError("Cannot skip steps of a bluegreen rollout. Run without a flags")
        if steps is not None and not steps:
            raise errors.RolloutsError("Cannot skip steps of a rollout without steps")
        if skip_all and steps is None:
            # Argo dereferences the missing canary strategy and panics here.
            raise errors.RolloutsError("Cannot skip steps of a rollout without steps")
    spec_paused = _spec_paused(rollout)
    status = _status(rollout)
    status_body = spec_body = None
    unified = UNPAUSE_AND_CLEAR
    next_step = _next_step(rollout)
    if skip_current:
        if next_step is not None:
            status_body = unified = SET_STEP % next_step
    elif skip_all:
        status_body = unified = SET_STEP % len(steps or [])
    elif full:
        if status.get("currentPodHash") != status.get("stableRS"):
            status_body = PROMOTE_FULL
        spec_body = UNPAUSE if spec_paused else None
        unified = UNPAUSE_AND_PROMOTE_FULL
    else:
        spec_body = UNPAUSE if spec_paused else None
        pause_conditions = status.get("pauseConditions")
        has_conditions = isinstance(pause_conditions, list) and len(pause_conditions) > 0
        if steps is not None and _step_analysis_inconclusive(status) and has_conditions and status.get("controllerPause") is True:
            # Inconclusive step analysis: unpause the controller and move on.
            if next_step is not None:
                status_body = CLEAR_AND_CONTROLLER_UNPAUSE_WITH_STEP % next_step
        elif has_conditions:
            status_body = CLEAR_PAUSE_CONDITIONS
        elif steps is not None and next_step is not None:
            # No pause condition (an analysis or experiment step, or only spec.paused):
            # promote means go to the next step.
            status_body = CLEAR_WITH_STEP % next_step
            unified = UNPAUSE_AND_CLEAR_WITH_STEP % next_step
    namespace, name = _meta(rollout)
    return Plan(
        status=merge_patch(r.ROLLOUTS, namespace, name, status_body, subresource="status") if status_body else None,
        spec=merge_patch(r.ROLLOUTS, namespace, name, spec_body) if spec_body else None,
        fallback=merge_patch(r.ROLLOUTS, namespace, name, unified),
    )


def _spec_paused(rollout: dict[str, Any]) -> bool:
    spec = rollout.get("spec")
    return isinstance(spec, dict) and spec.get("paused") is True


def _step_analysis_inconclusive(status: dict[str, Any]) -> bool:
    canary = status.get("canary")
    run = canary.get("currentStepAnalysisRunStatus") if isinstance(canary, dict) else None
    return isinstance(run, dict) and run.get("status") == "Inconclusive"


def plan_abort(namespace: str, name: str) -> Plan:
    return _status_first({"metadata": {"namespace": namespace, "name": name}}, ABORT)


def plan_retry(namespace: str, name: str) -> Plan:
    return _status_first({"metadata": {"namespace": namespace, "name": name}}, RETRY)


def plan_pause(namespace: str, name: str) -> Plan:
    return Plan(spec=merge_patch(r.ROLLOUTS, namespace, name, PAUSE))


def plan_restart(namespace: str, name: str, *, now: dt.datetime, delay_seconds: float = 0.0) -> Plan:
    """restartAt = now + delay, RFC 3339 with whole seconds (the fraction is truncated)."""
    at = (now + dt.timedelta(seconds=delay_seconds)).astimezone(dt.timezone.utc).replace(microsecond=0)
    return Plan(spec=merge_patch(r.ROLLOUTS, namespace, name, RESTART % at.strftime("%Y-%m-%dT%H:%M:%SZ")))


def plan_terminate(resource: r.Resource, namespace: str, name: str) -> Plan:
    return Plan(spec=merge_patch(resource, namespace, name, TERMINATE))


def plan_retry_experiment(namespace: str, name: str) -> Plan:
    # Experiment has no status subresource, so clearing status through the main
    # resource works, as in Argo.
    return Plan(spec=merge_patch(r.EXPERIMENTS, namespace, name, RETRY_EXPERIMENT))
