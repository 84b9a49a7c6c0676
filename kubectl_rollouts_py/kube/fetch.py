"""Fetch everything a view needs in few round trips, reading what scales with the rollout.

`fetch_with_namespace` reads the named object and, concurrently, the namespace's
AnalysisRuns and Experiments; then the ReplicaSets and pods that the object's selectors
select (a rollout's, or its workloadRef Deployment's, and its experiments' own: see
kube/selectors.py), again concurrently. Which of them belong to the view is still decided by owner uid afterwards
(derive/), so the view is the one a full namespace listing gives; the label selection only
keeps other applications' objects off the wire.

AnalysisRuns and Experiments are listed whole: the labels Argo puts on them
(`rollouts-pod-template-hash`, `rollout-type`) name one revision, not the rollout, so no
selector picks every run or experiment a rollout's tree shows. They are few (Argo's own
kinds), unlike pods.

The reads run in the calling thread and in daemon threads that block the stopping signals;
the main thread waits for them in interruptible waits, so Ctrl-C, SIGTERM and SIGHUP end
the command at once even while a read hangs (nothing waits for a hung worker on the way out).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from kubectl_rollouts_py._frozen import frozen
from kubectl_rollouts_py import errors
from kubectl_rollouts_py._threads import threads_without_signals
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.kube import selectors

if TYPE_CHECKING:
    from kubectl_rollouts_py.kube.source import Source

T = TypeVar("T")


@frozen
class NamespaceObjects:
    """The objects of one namespace that rollout and experiment views are built from."""

    replica_sets: list[dict[str, Any]]
    pods: list[dict[str, Any]]
    analysis_runs: list[dict[str, Any]]
    experiments: list[dict[str, Any]]


def _not_found_singular(resource: r.Resource, name: str) -> errors.NotFound:
    # The Argo Rollouts kubectl plugin looks objects up in an informer cache, so its message names the
    # resource in the singular (`rollout.argoproj.io "x" not found`); keep that wording.
    return errors.NotFound(f'{resource.qualified_singular} "{name}" not found')


def fetch_object(source: Source, resource: r.Resource, name: str, namespace: str) -> dict[str, Any]:
    """One object, with the Argo Rollouts kubectl plugin's not-found wording."""
    try:
        return source.get(resource, name, namespace)
    except errors.NotFound as exc:
        raise _not_found_singular(resource, name) from exc


class _Call(Generic[T]):
    """One read in a daemon thread; `result()` waits for it in an interruptible wait."""

    def __init__(self, fn: Callable[[], T]) -> None:
        self._fn = fn
        self._done = threading.Event()
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="rollouts-py-read", daemon=True)

    def _run(self) -> None:
        try:
            self._value = self._fn()
        except BaseException as exc:  # handed to the main thread by result()
            self._error = exc
        finally:
            self._done.set()

    def start(self) -> None:
        self._thread.start()

    def result(self) -> T:
        # Event.wait() without a timeout is a lock acquisition, which a signal interrupts
        # (its handler's exception propagates); the worker is a daemon, so nothing joins it.
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def concurrently(*calls: Callable[[], T]) -> list[T]:
    """Run the calls at once and return their results in order: the first in this thread,
    each other one in its own daemon thread. The first failure in that order is raised as
    soon as it is known (the later reads are abandoned, not waited for)."""
    started = [_Call(call) for call in calls[1:]]
    # Started with the stopping signals blocked, the workers leave Ctrl-C/SIGTERM/SIGHUP to
    # the main thread, which acts on it at once (term/signals.py says why); a read in the
    # main thread is interrupted by the signal itself.
    with threads_without_signals():
        for call in started:
            call.start()
    results = [calls[0]()] if calls else []
    return results + [call.result() for call in started]


def _listed(source: Source, resource: r.Resource, namespace: str, chosen: Sequence[str] | None) -> list[dict[str, Any]]:
    """The items of `resource` that any of the label selectors `chosen` selects (None:
    every item of the namespace), concurrently when there are several."""
    if chosen is None:
        return source.list(resource, namespace).items
    if len(chosen) == 1:
        return source.list(resource, namespace, label_selector=chosen[0]).items
    lists = concurrently(*(_bind_list(source, resource, namespace, s) for s in chosen))
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for items in lists:
        for item in items:
            meta = item.get("metadata") or {}
            merged.setdefault((str(meta.get("uid") or ""), str(meta.get("name") or "")), item)
    return sorted(merged.values(), key=lambda item: str((item.get("metadata") or {}).get("name") or ""))


def _bind_list(source: Source, resource: r.Resource, namespace: str, selector: str | None) -> Callable[[], list[dict[str, Any]]]:
    return lambda: source.list(resource, namespace, label_selector=selector).items


def _early(source: Source, resource: r.Resource, namespace: str, chosen: Sequence[str] | None) -> list[dict[str, Any]] | None:
    """A read on a hint: its failure is not the command's (None: read again, as without a hint)."""
    try:
        return _listed(source, resource, namespace, chosen)
    except errors.RolloutsError:
        return None


class Hints(Protocol):
    """Where the selectors of a view's last read are kept (kube/view_hints.py)."""

    def get(self, key: str) -> selectors.ViewSelectors | None: ...

    def put(self, key: str, chosen: selectors.ViewSelectors) -> None: ...


def fetch_with_namespace(source: Source, resource: r.Resource, name: str, namespace: str, *,
                         missing_workload_ok: bool = False, hints: Hints | None = None) -> tuple[dict[str, Any], NamespaceObjects]:
    """The named object (a rollout or an experiment) with the ReplicaSets, pods,
    AnalysisRuns and Experiments its view is built from.

    First the object, the AnalysisRuns and the Experiments at once (and the workloadRef's
    Deployment, for a rollout that has one); then the ReplicaSets and pods its selectors
    select, at once: two round trips (three with a workloadRef). With `hints` that know this
    view's selectors from an earlier read, the ReplicaSets and pods go out with the first
    round, and only a changed selector sends them again. A workloadRef naming a
    missing Deployment raises NotFound, unless `missing_workload_ok` (explain reports it as
    a cause): then the rollout's own selector, or none, chooses what is read.
    """
    key = f"{source.describe()}|{resource.plural}|{namespace}|{name}" if hints is not None else ""
    predicted = hints.get(key) if hints is not None else None
    reads: list[Callable[[], Any]] = [
        lambda: fetch_object(source, resource, name, namespace),
        lambda: source.list(r.ANALYSISRUNS, namespace).items,
        lambda: source.list(r.EXPERIMENTS, namespace).items,
    ]
    if predicted is not None:
        reads += [lambda: _early(source, r.REPLICASETS, namespace, predicted.replica_sets),
                  lambda: _early(source, r.PODS, namespace, predicted.pods)]
    obj, runs, experiments, *early = concurrently(*reads)
    assert isinstance(obj, dict) and isinstance(runs, list) and isinstance(experiments, list)
    if resource is r.ROLLOUTS:
        try:
            deployment = check_workload_ref(source, obj, namespace)
        except errors.NotFound:
            if not missing_workload_ok:
                raise
            deployment = None
        chosen = selectors.rollout_view_selectors(obj, deployment, experiments)
    elif resource is r.EXPERIMENTS:
        chosen = selectors.experiment_view_selectors(obj)
    else:
        chosen = selectors.ViewSelectors(None, None)
    if early and chosen == predicted and None not in early:
        replica_sets, pods = early
    else:
        replica_sets, pods = concurrently(
            lambda: _listed(source, r.REPLICASETS, namespace, chosen.replica_sets),
            lambda: _listed(source, r.PODS, namespace, chosen.pods),
        )
        if hints is not None:
            hints.put(key, chosen)
    return obj, NamespaceObjects(replica_sets, pods, runs, experiments)


def check_workload_ref(source: Source, rollout: dict[str, Any], namespace: str) -> dict[str, Any] | None:
    """The Deployment a rollout's workloadRef names (None without one). As in the Argo
    Rollouts kubectl plugin, a workloadRef naming a missing Deployment is an error."""
    ref = (rollout.get("spec") or {}).get("workloadRef") if isinstance(rollout.get("spec"), dict) else None
    if isinstance(ref, dict) and isinstance(ref.get("name"), str) and ref["name"]:
        return fetch_object(source, r.DEPLOYMENTS, ref["name"], namespace)
    return None
