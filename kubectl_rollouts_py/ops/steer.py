"""Steering a rollout: promote, abort, retry, pause, restart; retry and terminate of
experiments and AnalysisRuns.

Each function reads what its plan needs from the server (never from a cache: a plan is
made from the latest version), builds the plan with `patches.rollout` and carries it out
with the `Executor` (kube.apply, or nothing for a dry run). The requests are the Argo
Rollouts kubectl plugin's, byte for byte.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.govalues import duration_seconds
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.kube.source import Source
from kubectl_rollouts_py.ops.writes import Executor, Outcome, write
from kubectl_rollouts_py.patches import rollout as plans


@dataclass(frozen=True)
class Promotion:
    """How far to promote: the next step (default), every step (`full`), or the deprecated
    skip flags. Combinations the Argo Rollouts kubectl plugin rejects raise UsageError here,
    before anything is read."""

    full: bool = False
    skip_current: bool = False
    skip_all: bool = False

    def __post_init__(self) -> None:
        plans.check_promote_flags(skip_current=self.skip_current, skip_all=self.skip_all)


def promote(source: Source, namespace: str, name: str, promotion: Promotion = Promotion(), *,
            executor: Executor | None = None) -> Outcome:
    """Resume a paused step, or with `full` skip every remaining step and analysis."""
    rollout = source.get(r.ROLLOUTS, name, namespace)
    plan = plans.plan_promote(rollout, full=promotion.full, skip_current=promotion.skip_current, skip_all=promotion.skip_all)
    verb = "fully promoted" if promotion.full else "promoted"
    return write(source, executor, plan, name, lambda shown: f"rollout '{shown}' {verb}")


def abort(source: Source, namespace: str, name: str, *, executor: Executor | None = None) -> Outcome:
    """Scale the canary down and go back to the stable version (status.abort)."""
    return write(source, executor, plans.plan_abort(namespace, name), name, lambda shown: f"rollout '{shown}' aborted")


def retry(source: Source, namespace: str, name: str, *, executor: Executor | None = None) -> Outcome:
    """Retry an aborted rollout (status.abort=false)."""
    return write(source, executor, plans.plan_retry(namespace, name), name, lambda shown: f"rollout '{shown}' retried")


def pause(source: Source, namespace: str, name: str, *, executor: Executor | None = None) -> Outcome:
    """Pause a rollout (spec.paused)."""
    return write(source, executor, plans.plan_pause(namespace, name), name, lambda shown: f"rollout '{shown}' paused")


def restart_delay(text: str | None) -> float:
    """Seconds of a --in duration (None: now). The Argo Rollouts kubectl plugin panics on a
    bad one; this says what is wrong (UsageError)."""
    seconds = duration_seconds(text) if text is not None else 0.0
    if seconds is None or seconds < 0:
        raise errors.UsageError(f'invalid --in "{text}": use a duration such as 30s, 5m or 1h30m')
    return seconds


def restart(source: Source, namespace: str, name: str, *, now: dt.datetime, delay: str | None = None,
            executor: Executor | None = None) -> Outcome:
    """Restart the rollout's pods `delay` (a Go duration) after `now` (spec.restartAt)."""
    plan = plans.plan_restart(namespace, name, now=now, delay_seconds=restart_delay(delay))
    return write(source, executor, plan, name, lambda shown: f"rollout '{shown}' restarts in {delay or '0s'}")


def retry_experiment(source: Source, namespace: str, name: str, *, executor: Executor | None = None) -> Outcome:
    """Retry an experiment (clears its status)."""
    plan = plans.plan_retry_experiment(namespace, name)
    return write(source, executor, plan, name, lambda shown: f"experiment '{shown}' retried")


# The word each kind goes by in a terminate line.
TERMINABLE = {"AnalysisRun": "analysisRun", "Experiment": "experiment"}


def terminate(source: Source, namespace: str, name: str, *, kind: str, executor: Executor | None = None) -> Outcome:
    """Terminate a running AnalysisRun or Experiment (`kind`): spec.terminate.

    The Argo Rollouts kubectl plugin says "retried" for a terminated experiment; this says
    "terminated".
    """
    label = TERMINABLE[kind]
    plan = plans.plan_terminate(r.BY_KIND[kind], namespace, name)
    return write(source, executor, plan, name, lambda shown: f"{label} '{shown}' terminated")


def matching_rollouts(source: Source, namespace: str, selector: str) -> list[str]:
    """The names of the rollouts in `namespace` whose labels match `selector`; NotFound if none."""
    items = source.list(r.ROLLOUTS, namespace, label_selector=selector).items
    if not items:
        raise errors.NotFound(f'no rollouts match selector "{selector}" in namespace "{namespace}"')
    return [str(i["metadata"]["name"]) for i in items]
