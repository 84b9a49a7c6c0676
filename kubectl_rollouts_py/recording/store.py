"""What the recording stores and answers, behind one small interface (`Recording`).

Objects are plain dicts shaped like the API's JSON. A version is identified by (kind,
namespace, name, uid, resourceVersion); a version whose content equals the last one
recorded for the same object is not stored again. Deletions are versions too (`deleted`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

NEVER_RECORDED = frozenset({"Secret"})  # credentials stay in the cluster


@dataclass(frozen=True)
class Seen:
    """One object as a watch event showed it; `deleted`: the event was a deletion."""

    kind: str
    obj: Mapping[str, Any]
    deleted: bool = False


@dataclass(frozen=True)
class Listed:
    """A complete list of one kind, in one namespace or (None) all of them: recorded objects
    of that kind and scope that are not in it were deleted meanwhile."""

    kind: str
    namespace: str | None
    items: Sequence[Mapping[str, Any]]


Change = Seen | Listed


@dataclass(frozen=True)
class Recorded:
    """The last recorded version of an object, when it was seen, and when it went (if it did)."""

    obj: dict[str, Any]
    seen: dt.datetime
    deleted: dt.datetime | None = None


@dataclass(frozen=True)
class RolloutEntry:
    """A rollout the recording knows."""

    namespace: str
    name: str
    first_seen: dt.datetime
    last_seen: dt.datetime
    deleted: bool


@dataclass(frozen=True)
class RolloutRecord:
    """What the recording holds about one rollout: its versions (oldest first) and the last
    version of every ReplicaSet, AnalysisRun and Experiment of its namespace (the caller
    picks those the rollout owns), deleted ones included."""

    versions: tuple[tuple[dt.datetime, dict[str, Any]], ...]
    replica_sets: tuple[Recorded, ...]
    analysis_runs: tuple[Recorded, ...]
    experiments: tuple[Recorded, ...]


class Recording(Protocol):
    """The store: written by the recorder, read by history, report and replay."""

    def record(self, changes: Sequence[Change], seen: dt.datetime) -> int:
        """Write a batch of changes in one transaction; return how many versions were new."""
        ...

    def begin_session(self, scope: str, started: dt.datetime) -> None:
        """Note that a recorder started following `scope`."""
        ...

    def end_session(self, stopped: dt.datetime, ended: str) -> None:
        """Note that the recorder stopped, and how (`stopped`, `interrupted`, `failed: ...`)."""
        ...

    def rollouts(self, namespace: str | None) -> list[RolloutEntry]:
        """The rollouts recorded in a namespace (None: all), by namespace and name."""
        ...

    def objects_at(self, namespace: str, at: dt.datetime) -> dict[str, list[dict[str, Any]]]:
        """Kind -> the objects of the namespace as they were at `at` (those alive then)."""
        ...

    def rollout_record(self, namespace: str, name: str) -> RolloutRecord | None:
        """One rollout's versions and its namespace's revisions and runs; None if never seen."""
        ...

    def change_times(self, namespace: str, since: dt.datetime | None = None) -> list[dt.datetime]:
        """The distinct moments something of the namespace changed, oldest first."""
        ...

    def prune(self, *, before: dt.datetime | None, max_bytes: int | None) -> int:
        """Drop what is older than `before` (keeping what reconstructs the state at that
        moment) and then the oldest history while the file is over `max_bytes`; return
        the number of versions removed."""
        ...

    def close(self) -> None:
        """Commit nothing further and release the file. Safe to call twice."""
        ...
