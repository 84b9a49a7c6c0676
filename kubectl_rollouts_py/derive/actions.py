"""Which actions apply to a rollout now, and why the others do not.

Pure: the rollout object in, one `ActionState` per action out. The rules follow what the
Argo Rollouts kubectl plugin does with each command, so that a front end offers an action
exactly when the plugin would change something with it:

- promote: clears the pause conditions, unpauses, or moves a canary to its next step. It
  changes something only while the rollout is paused (spec.paused, a pause condition, or a
  controller pause) or a canary is between its steps; an aborted rollout is retried first.
- promote --full: sets status.promoteFull, which the plugin sends only while the current pod
  hash is not the stable ReplicaSet (an update is not complete), or unpauses a paused one.
- abort: sets status.abort; it means something while an update is in progress or paused, and
  not a second time.
- retry: clears status.abort, so only an aborted rollout can be retried.
- pause: sets spec.paused; not a second time.
- restart: sets spec.restartAt; not while a restart is still pending.
- undo (rollback): rolls the template back to an older revision; offered per revision by the
  page, and marked destructive here.

`destructive` marks the actions a page asks to confirm with their consequence spelt out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubectl_rollouts_py.derive import fields as f
from kubectl_rollouts_py.derive import rollout as derive_rollout

ACTIONS = ("promote", "promote-full", "abort", "retry", "pause", "restart", "undo")
DESTRUCTIVE = frozenset({"abort", "promote-full", "undo"})


@dataclass(frozen=True)
class ActionState:
    action: str
    enabled: bool
    reason: str  # why it is disabled ("" when enabled)
    destructive: bool

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "enabled": self.enabled, "reason": self.reason, "destructive": self.destructive}


@dataclass(frozen=True)
class Facts:
    """The facts of the rollout the rules read."""

    aborted: bool
    paused: bool  # spec.paused, a pause condition, or a controller pause
    manually_paused: bool  # spec.paused
    complete: bool  # the current pod hash is the stable ReplicaSet
    mid_steps: bool  # a canary with steps left to run
    restart_pending: bool
    status: str


def facts(rollout: dict[str, Any]) -> Facts:
    spec, status = f.mapping(rollout, "spec"), f.mapping(rollout, "status")
    manually = f.flag(spec.get("paused"))
    conditions = [c for c in f.seq(rollout, "status", "pauseConditions") if isinstance(c, dict)]
    current_hash, stable = f.text(status.get("currentPodHash")), f.text(status.get("stableRS"))
    steps = f.seq(rollout, "spec", "strategy", "canary", "steps")
    canary = isinstance(f.mapping(rollout, "spec", "strategy").get("canary"), dict)
    index = derive_rollout.current_step_index(rollout)
    mid_steps = canary and bool(steps) and (index or 0) < len(steps)
    restart_at = f.text(spec.get("restartAt"))
    return Facts(
        aborted=f.flag(status.get("abort")),
        paused=manually or bool(conditions) or f.flag(status.get("controllerPause")),
        manually_paused=manually,
        complete=bool(current_hash) and current_hash == stable,
        mid_steps=mid_steps,
        restart_pending=bool(restart_at) and restart_at != f.text(status.get("restartedAt")),
        status=derive_rollout.rollout_status(rollout)[0],
    )


def _promote(x: Facts) -> str:
    if x.aborted:
        return "the rollout is aborted: retry it first"
    if x.paused or x.mid_steps:
        return ""
    if x.complete:
        return "nothing to promote: the rollout is fully promoted"
    return "nothing to promote: the rollout is not paused and has no steps left"


def _promote_full(x: Facts) -> str:
    if x.aborted:
        return "the rollout is aborted: retry it first"
    if not x.complete or x.manually_paused:
        return ""
    return "the rollout is already fully promoted"


def _abort(x: Facts) -> str:
    if x.aborted:
        return "the rollout is already aborted"
    if x.complete:
        return "nothing to abort: no update is in progress"
    if x.status not in ("Progressing", "Paused"):
        return f"nothing to abort: the rollout is {x.status}, not progressing or paused"
    return ""


def _retry(x: Facts) -> str:
    return "" if x.aborted else "only an aborted rollout can be retried"


def _pause(x: Facts) -> str:
    return "the rollout is already paused" if x.manually_paused else ""


def _restart(x: Facts) -> str:
    return "a restart is already pending" if x.restart_pending else ""


def _undo(x: Facts) -> str:
    return ""


RULES: dict[str, Callable[[Facts], str]] = {"promote": _promote, "promote-full": _promote_full, "abort": _abort,
                                            "retry": _retry, "pause": _pause, "restart": _restart, "undo": _undo}


def rollout_actions(rollout: dict[str, Any]) -> list[ActionState]:
    """Every action of ACTIONS with whether it applies now and, if not, why."""
    x = facts(rollout)
    shown = []
    for action in ACTIONS:
        reason = RULES[action](x)
        shown.append(ActionState(action=action, enabled=not reason, reason=reason, destructive=action in DESTRUCTIVE))
    return shown
