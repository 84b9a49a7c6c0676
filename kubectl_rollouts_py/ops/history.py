"""The history use cases: a rollout's revisions and one revision in detail, from a live
Source (what the cluster still holds) or from a recording (everything the recorder saw,
deleted AnalysisRuns and ReplicaSets included), and the objects of a namespace as they were
at a moment (`replay`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.derive import history as derive_history
from kubectl_rollouts_py.derive import fields as f
from kubectl_rollouts_py.kube import fetch
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.kube.fetch import NamespaceObjects
from kubectl_rollouts_py.kube.source import Source
from kubectl_rollouts_py.recording.store import Recording

Kept = tuple[dict[str, Any], "dt.datetime | None"]  # an object, and when the cluster deleted it


@dataclass(frozen=True)
class Evidence:
    """What a history is built from: the rollout's versions (oldest first; one, untimed,
    from a live source) and the namespace's ReplicaSets and AnalysisRuns."""

    source: str  # cluster, files or recording
    versions: tuple[derive_history.Version, ...]
    replica_sets: tuple[Kept, ...]
    analysis_runs: tuple[Kept, ...]

    @property
    def rollout(self) -> dict[str, Any]:
        return self.versions[-1][1]


def from_source(source: Source, name: str, namespace: str, *, kind: str = "cluster") -> Evidence:
    """What still exists: the rollout, its namespace's ReplicaSets and AnalysisRuns."""
    rollout, objs = fetch.fetch_with_namespace(source, r.ROLLOUTS, name, namespace)
    return Evidence(kind, ((None, rollout),), tuple((rs, None) for rs in objs.replica_sets),
                    tuple((run, None) for run in objs.analysis_runs))


def _never_recorded(name: str, namespace: str) -> errors.NotFound:
    return errors.NotFound(f'rollout "{name}" was never recorded in namespace "{namespace}"')


def from_recording(store: Recording, name: str, namespace: str) -> Evidence:
    """Everything recorded: every version of the rollout, the last version of every
    ReplicaSet and AnalysisRun of its namespace (deleted ones with the time they went)."""
    record = store.rollout_record(namespace, name)
    if record is None:
        raise _never_recorded(name, namespace)
    return Evidence("recording", record.versions, tuple((k.obj, k.deleted) for k in record.replica_sets),
                    tuple((k.obj, k.deleted) for k in record.analysis_runs))


def history(evidence: Evidence, *, now: dt.datetime) -> derive_history.HistoryView:
    return derive_history.build_history(evidence.versions, evidence.replica_sets, evidence.analysis_runs,
                                        source=evidence.source, now=now)


def revision(evidence: Evidence, number: int | None, *, now: dt.datetime) -> derive_history.RevisionDetailView:
    """Revision `number` in detail (None: the newest). Raises NotFound for a revision the
    evidence does not hold."""
    view = history(evidence, now=now)
    if not view.revisions:
        raise errors.NotFound(f'rollout "{view.name}" has no revisions to show')
    wanted = view.revisions[0].revision if number is None else number
    detail = derive_history.build_revision_detail(view, wanted, evidence.replica_sets, evidence.analysis_runs,
                                                  f.uid_of(evidence.rollout), now=now)
    if detail is None:
        known = ", ".join(str(e.revision) for e in view.revisions)
        raise errors.NotFound(f'rollout "{view.name}" has no revision {wanted} (it has: {known})')
    return detail


def state_at(store: Recording, name: str, namespace: str, at: dt.datetime) -> tuple[dict[str, Any], NamespaceObjects]:
    """The rollout and its namespace's objects as they were at `at`, for the `get rollout` view."""
    objects = store.objects_at(namespace, at)
    rollout = next((o for o in objects.get("Rollout", ()) if f.name_of(o) == name), None)
    if rollout is None:
        if store.rollout_record(namespace, name) is None:
            raise _never_recorded(name, namespace)
        raise errors.NotFound(f'rollout "{name}" did not exist at {f.rfc3339(at)} (as recorded)')
    return rollout, NamespaceObjects(objects.get("ReplicaSet", []), objects.get("Pod", []),
                                     objects.get("AnalysisRun", []), objects.get("Experiment", []))


def change_times(store: Recording, name: str, namespace: str) -> list[dt.datetime]:
    """The recorded moments the namespace changed while the rollout existed, oldest first."""
    record = store.rollout_record(namespace, name)
    if record is None:
        raise _never_recorded(name, namespace)
    first = record.versions[0][0]
    return store.change_times(namespace, since=first)
