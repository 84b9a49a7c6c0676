"""The flight recorder: list then watch the objects rollouts are made of, and write every
change into a recording (kubectl_rollouts_py.recording).

    Follower (kube.follow: a list-then-watch stream per kind, reconnecting, relisting on 410)
        ──▶ one batch of changes per wake-up ──▶ Recording.record (one transaction)

Followed: Rollouts, ReplicaSets, AnalysisRuns, Experiments and pods. Pods are recorded
trimmed to what the rollout tree shows (name, owner, labels, times, phase and container
readiness, restarts and states): `replay` draws the tree as it was, pod rows included,
while a pod's other churn (IPs, conditions' probe times, the resourceVersion alone) makes
no new version. Secrets are never followed, and the store refuses them anyway.

A restart lists first: what changed while the recorder was down is recorded then, and what
went away is recorded as deleted (the store compares each list with what it last knew).
While the API server cannot be reached the streams retry, and `notify` says so once, and
again when they are back. Nothing here prints: the caller decides how notices are shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubectl_rollouts_py._threads import threads_without_signals
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.kube.follow import Follower, Recovered, Stream, Trouble, Wakeup
from kubectl_rollouts_py.kube.source import Source
from kubectl_rollouts_py.recording.store import Change, Listed, Recording, Seen

FOLLOWED = (r.ROLLOUTS, r.REPLICASETS, r.ANALYSISRUNS, r.EXPERIMENTS, r.PODS)
PRUNE_EVERY = 600.0  # seconds between retention passes, done between batches
_POD_METADATA = ("name", "namespace", "uid", "labels", "ownerReferences", "creationTimestamp", "deletionTimestamp")
_CONTAINER_STATUS = ("name", "ready", "started", "restartCount", "state")


def _pick(source: Any, keys: Sequence[str]) -> dict[str, Any]:
    return {k: source[k] for k in keys if isinstance(source, Mapping) and k in source}


def trim_pod(pod: Mapping[str, Any]) -> dict[str, Any]:
    """A pod as the rollout tree reads it (derive/pods.py), and nothing else."""
    spec, status = pod.get("spec"), pod.get("status")
    spec = spec if isinstance(spec, Mapping) else {}
    status = status if isinstance(status, Mapping) else {}

    def containers(key: str, fields: Sequence[str]) -> list[dict[str, Any]]:
        found = spec.get(key) if key.endswith("ontainers") else status.get(key)
        return [_pick(c, fields) for c in found or () if isinstance(c, Mapping)] if isinstance(found, list) else []

    trimmed: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _pick(pod.get("metadata"), _POD_METADATA),
        "spec": {"containers": containers("containers", ("name", "image")),
                 "initContainers": containers("initContainers", ("name", "restartPolicy"))},
        "status": {**_pick(status, ("phase", "reason")),
                   "containerStatuses": containers("containerStatuses", _CONTAINER_STATUS),
                   "initContainerStatuses": containers("initContainerStatuses", _CONTAINER_STATUS)},
    }
    return trimmed


def as_recorded(resource: r.Resource, obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return trim_pod(obj) if resource is r.PODS else obj


def changes_of(item: tuple[r.Resource, str, dict[str, Any]], namespace: str | None) -> Change | None:
    """One change of the follower as the store takes it (None: nothing to record)."""
    resource, kind, obj = item
    if kind == "LIST":
        items = [as_recorded(resource, o) for o in obj.get("items") or () if isinstance(o, Mapping)]
        return Listed(resource.kind, namespace, items)
    if kind in ("ADDED", "MODIFIED", "DELETED"):
        return Seen(resource.kind, as_recorded(resource, obj), deleted=kind == "DELETED")
    return None


@dataclass
class Summary:
    """What a recorder's run did."""

    batches: int = 0
    versions: int = 0
    pruned: int = 0
    ended: str = "stopped"


class Recorder:
    """Follows the cluster (or one namespace) and records every change until `stop`."""

    def __init__(self, source: Source, store: Recording, namespace: str | None, *,
                 clock: Callable[[], dt.datetime], monotonic: Callable[[], float],
                 notify: Callable[[str], None] = lambda _text: None,
                 retain_seconds: float | None = None, max_bytes: int | None = None,
                 prune_every: float = PRUNE_EVERY) -> None:
        self.source = source
        self.store = store
        self.namespace = namespace
        self.clock = clock
        self.monotonic = monotonic
        self.notify = notify
        self.retain_seconds = retain_seconds
        self.max_bytes = max_bytes
        self.prune_every = prune_every
        # retry_first_list: a recorder started while the API server is down waits for it.
        self.follower = Follower(source, [Stream(res, namespace) for res in FOLLOWED], retry_first_list=True)
        self.summary = Summary()
        self._stopping: str | None = None
        self._troubled: set[str] = set()

    def stop(self, reason: str = "stopped") -> None:
        """End `run` once the batch in hand is committed; safe from a signal handler."""
        if self._stopping is None:
            self._stopping = reason
        self.follower.wake("stop")

    def prune(self) -> int:
        if self.retain_seconds is None and self.max_bytes is None:
            return 0
        before = self.clock() - dt.timedelta(seconds=self.retain_seconds) if self.retain_seconds else None
        removed = self.store.prune(before=before, max_bytes=self.max_bytes)
        self.summary.pruned += removed
        return removed

    def _outage(self, item: Trouble | Recovered) -> None:
        if isinstance(item, Trouble):
            if not self._troubled:
                self.notify(f"cannot reach the API server ({item.error}); retrying, and what changes "
                            "meanwhile is recorded once it is back")
            self._troubled.add(item.resource.plural)
        elif item.resource.plural in self._troubled:
            self._troubled.discard(item.resource.plural)
            if not self._troubled:
                self.notify("the API server is back: recording again")

    def run(self) -> Summary:
        """Record until `stop` (or a fatal error of the streams, raised: 401, 403...)."""
        scope = f"namespace {self.namespace}" if self.namespace else "all namespaces"
        self.store.begin_session(scope, self.clock())
        self.prune()
        next_prune = self.monotonic() + self.prune_every
        with threads_without_signals():
            self.follower.start()
        try:
            with self.follower.waking_on_signals():  # a stop signal wakes the wait at once
                while self._stopping is None:
                    batch = self.follower.get(max(0.0, next_prune - self.monotonic()))
                    changes: list[Change] = []
                    for item in batch or ():
                        if isinstance(item, Wakeup):
                            continue  # `stop` set the reason; the loop ends after this batch
                        if isinstance(item, (Trouble, Recovered)):
                            self._outage(item)
                            continue
                        change = changes_of(item, self.namespace)
                        if change is not None:
                            changes.append(change)
                    if changes:
                        self.summary.versions += self.store.record(changes, self.clock())
                        self.summary.batches += 1
                    if self.monotonic() >= next_prune:
                        self.prune()
                        next_prune = self.monotonic() + self.prune_every
        except BaseException as exc:
            self.summary.ended = f"failed: {type(exc).__name__}"
            raise
        else:
            self.summary.ended = self._stopping or "stopped"
        finally:
            self.follower.close()
            self.store.end_session(self.clock(), self.summary.ended)
        return self.summary
