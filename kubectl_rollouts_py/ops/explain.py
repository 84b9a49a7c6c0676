"""`explain NAME`: read what the explanation needs through a Source and derive it.

The rollout (a missing one gives the same NotFound error as `get rollout`) and the objects
`get rollout` reads for its tree, read the same way (kube/fetch.py: the namespace's
AnalysisRuns and Experiments, the ReplicaSets and pods the rollout's selectors select, in
interruptible waits), and what only a read can tell: whether the workloadRef Deployment
exists (`get rollout` stops with an error when it does not; `explain` says so as a cause)
and which AnalysisTemplates exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.derive import explain as derive_explain
from kubectl_rollouts_py.kube import fetch
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.kube.source import Source


def _names(source: Source, resource: r.Resource, namespace: str | None) -> frozenset[str] | None:
    """The names of every object of `resource`, or None when they cannot be listed."""
    try:
        items = source.list(resource, namespace).items
    except errors.RolloutsError:
        return None
    return frozenset(n for n in (i.get("metadata", {}).get("name") if isinstance(i.get("metadata"), dict) else None
                                 for i in items if isinstance(i, dict)) if isinstance(n, str))


def _workload_missing(source: Source, rollout: dict[str, Any], namespace: str) -> str | None:
    spec = rollout.get("spec")
    ref = spec.get("workloadRef") if isinstance(spec, dict) else None
    name = ref.get("name") if isinstance(ref, dict) else None
    if not isinstance(name, str) or not name:
        return None
    try:
        source.get(r.DEPLOYMENTS, name, namespace)
    except errors.NotFound:
        return name
    return None


def read_lookups(source: Source, rollout: dict[str, Any], namespace: str) -> derive_explain.Lookups:
    """What explain needs beyond get rollout's objects: the workload and the templates."""
    failed: list[str] = []
    missing = _workload_missing(source, rollout, namespace)
    referenced = derive_explain.referenced_templates(rollout)
    templates = cluster_templates = None
    if any(not cluster for _, cluster in referenced):
        templates = _names(source, r.ANALYSISTEMPLATES, namespace)
        if templates is None:
            failed.append("AnalysisTemplates could not be listed: whether the rollout's templates exist is unknown")
    if any(cluster for _, cluster in referenced):
        cluster_templates = _names(source, r.CLUSTERANALYSISTEMPLATES, None)
        if cluster_templates is None:
            failed.append("ClusterAnalysisTemplates could not be listed: whether the rollout's templates exist is unknown")
    return derive_explain.Lookups(workload_missing=missing, templates=templates, cluster_templates=cluster_templates,
                                  failed_reads=tuple(failed))


def explain(source: Source, name: str, namespace: str, *, now: dt.datetime) -> derive_explain.Explanation:
    """Why rollout `name` in `namespace` is where it is.

    Raises the errors `get rollout` raises: NotFound (`rollout.argoproj.io "x" not found`),
    and the source's connection and permission errors.
    """
    rollout, objects = fetch.fetch_with_namespace(source, r.ROLLOUTS, name, namespace, missing_workload_ok=True)
    if not isinstance(rollout, dict):
        raise errors.InputError(f'rollout "{name}" is not an object')
    lookups = read_lookups(source, rollout, namespace)
    return derive_explain.explain_rollout(rollout, replica_sets=objects.replica_sets, pods=objects.pods,
                                          analysis_runs=objects.analysis_runs, experiments=objects.experiments,
                                          now=now, lookups=lookups)
