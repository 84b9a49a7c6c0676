"""When a watch of a rollout may stop by itself (`--until-complete`), and with which outcome."""

from __future__ import annotations

from typing import Any

from kubectl_rollouts_py._frozen import frozen
from kubectl_rollouts_py.derive import rollout as derive_rollout


@frozen
class Verdict:
    """Why a live view stopped by itself: exit 0 (`error` None) or 1 with `error`."""

    error: str | None = None


def rollout_verdict(rollout: dict[str, Any]) -> Verdict | None:
    """--until-complete: 0 once the rollout is Healthy, 1 once it is Degraded or aborted."""
    state, message = derive_rollout.rollout_status(rollout)
    if state == "Degraded":
        return Verdict(f"The rollout is in a degraded state with message: {message}")
    status = rollout.get("status")
    if isinstance(status, dict) and status.get("abort") is True:
        return Verdict("The rollout was aborted")
    if state == "Healthy":
        return Verdict()
    return None
