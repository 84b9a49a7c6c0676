"""Fetch everything a view needs in as few round trips as possible."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kubectl_rollouts_py import errors
from kubectl_rollouts_py._threads import threads_without_signals
from kubectl_rollouts_py.kube import resources as r

if TYPE_CHECKING:
    from kubectl_rollouts_py.kube.source import Source


@dataclass(frozen=True)
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


def fetch_with_namespace(source: Source, resource: r.Resource, name: str, namespace: str) -> tuple[dict[str, Any], NamespaceObjects]:
    """The named object plus the namespace's RSs, pods, runs and experiments, concurrently.

    One GET and four LISTs are sent at once, so the wall time is about one round trip.
    """
    plurals = (r.REPLICASETS, r.PODS, r.ANALYSISRUNS, r.EXPERIMENTS)
    with ThreadPoolExecutor(max_workers=1 + len(plurals)) as pool:
        # The pool starts its workers in submit(): started with the stopping signals blocked,
        # they leave Ctrl-C/SIGTERM/SIGHUP to the main thread, which acts on it at once
        # instead of when the five reads end (term/signals.py says why).
        with threads_without_signals():
            target: Future[dict[str, Any]] = pool.submit(fetch_object, source, resource, name, namespace)
            lists = [pool.submit(source.list, plural, namespace) for plural in plurals]
        obj = target.result()
        items = [future.result().items for future in lists]
    if resource is r.ROLLOUTS:
        check_workload_ref(source, obj, namespace)
    return obj, NamespaceObjects(*items)


def check_workload_ref(source: Source, rollout: dict[str, Any], namespace: str) -> None:
    # As in the Argo Rollouts kubectl plugin, a Rollout whose workloadRef names a missing Deployment is an error.
    ref = (rollout.get("spec") or {}).get("workloadRef") if isinstance(rollout.get("spec"), dict) else None
    if isinstance(ref, dict) and isinstance(ref.get("name"), str) and ref["name"]:
        fetch_object(source, r.DEPLOYMENTS, ref["name"], namespace)
