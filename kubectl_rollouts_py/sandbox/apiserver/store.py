"""Storage: objects by resource type, one global resourceVersion counter, the watch log,
and the rules every write follows (system metadata, generation, the status split)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import bad_request
from .jsondata import JSON, encode, json_equal
from .resources import BY_KIND, RESOURCES, ResourceType


@dataclass(frozen=True)
class Entry:
    """A stored object version. `obj` is never mutated; `raw` is its JSON, encoded once."""

    obj: JSON
    raw: bytes

    @property
    def rv(self) -> str:
        return str(self.obj["metadata"]["resourceVersion"])


@dataclass(frozen=True)
class Event:
    """One entry of the watch log. Every resourceVersion has exactly one event."""

    rv: int
    type: str  # ADDED, MODIFIED or DELETED
    rtype: ResourceType
    namespace: str
    obj: JSON
    raw: bytes
    prev: JSON | None  # the version before a MODIFIED, for selector enter/leave transitions


class Store:
    """Objects by resource type, one global resourceVersion counter and a bounded event log.

    Callers hold `cond` around every call. Writers hand over fresh dicts; the store encodes
    them once and keeps the *decoded* copy, so nothing a caller still holds aliases storage.
    """

    def __init__(self, window: int) -> None:
        self.cond = threading.Condition()
        self.rv = 0
        self.stopping = False
        self.watchers = 0  # open watch streams, so stop() can let them end cleanly
        self.waiting = 0  # watch streams asleep on `cond` until a change (tests wait for one)
        self._window = window
        self._objects: dict[ResourceType, dict[tuple[str, str], Entry]] = {r: {} for r in RESOURCES}
        self._log: list[Event] = []

    def get(self, rtype: ResourceType, namespace: str, name: str) -> Entry | None:
        return self._objects[rtype].get((namespace, name))

    def items(self, rtype: ResourceType, namespace: str | None, where: Callable[[JSON], bool] | None = None) -> list[Entry]:
        """Entries in etcd key order (namespace, then name); namespace None means all.
        `where(obj)` keeps only the entries it selects, before they are sorted (a label
        selector over 10,000 pods then sorts the few it selects, not all of them)."""
        bucket = self._objects[rtype]
        keys = sorted(k for k, e in bucket.items() if (namespace is None or k[0] == namespace) and (where is None or where(e.obj)))
        return [bucket[k] for k in keys]

    def namespaces_in_use(self) -> set[str]:
        return {ns for r, bucket in self._objects.items() if r.namespaced for ns, _ in bucket}

    def put(self, rtype: ResourceType, obj: JSON, event_type: str, prev: JSON | None) -> Entry:
        """Store `obj` (which the caller gives up) at a new resourceVersion and log the event."""
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        raw = encode(obj)
        entry = Entry(json.loads(raw), raw)
        key = (namespace_of(entry.obj), entry.obj["metadata"]["name"])
        self._objects[rtype][key] = entry
        self._append(Event(self.rv, event_type, rtype, key[0], entry.obj, raw, prev))
        return entry

    def remove(self, rtype: ResourceType, namespace: str, name: str) -> Entry:
        """Delete an object; the DELETED event carries its last state at the deletion's RV."""
        old = self._objects[rtype].pop((namespace, name))
        self.rv += 1
        final = dict(old.obj, metadata=dict(old.obj["metadata"], resourceVersion=str(self.rv)))
        raw = encode(final)
        entry = Entry(json.loads(raw), raw)
        self._append(Event(self.rv, "DELETED", rtype, namespace, entry.obj, raw, None))
        return entry

    @property
    def oldest_resumable(self) -> int:
        """The oldest resourceVersion a watch can resume from; older ones get 410 Expired."""
        return max(0, self.rv - self._window)

    def events_after(self, rv: int) -> list[Event]:
        if not self._log:
            return []
        start = max(0, rv + 1 - self._log[0].rv)  # the log is contiguous in rv
        return self._log[start:]

    def _append(self, event: Event) -> None:
        self._log.append(event)
        # Trim in batches so appends stay O(1) amortised; oldest_resumable, not the
        # physical length, decides what a watcher may replay.
        if len(self._log) > 2 * self._window:
            del self._log[: len(self._log) - self._window]
        self.cond.notify_all()


def namespace_of(obj: JSON) -> str:
    return str((obj.get("metadata") or {}).get("namespace") or "")


def spec_changed(rtype: ResourceType, old: JSON, new: JSON) -> bool:
    """Whether a write changes anything that bumps metadata.generation.

    With a status subresource only spec-like fields count; without one (most Argo kinds)
    status changes count too, as for a CRD without the subresource.
    """
    ignored = {"apiVersion", "kind", "metadata"} | ({"status"} if rtype.has_status else set())
    keys = (old.keys() | new.keys()) - ignored
    return any(not json_equal(old.get(k), new.get(k)) for k in keys)


# Metadata a client cannot set through an update: kept from the stored version.
_SYSTEM_METADATA = (
    "name", "namespace", "uid", "creationTimestamp", "deletionTimestamp",
    "deletionGracePeriodSeconds", "generation", "resourceVersion",
)


def fold_string_data(rtype: ResourceType, obj: JSON) -> None:
    # Secrets accept write-only stringData; the server folds it into base64 data.
    if rtype.kind == "Secret" and isinstance(obj.get("stringData"), dict):
        data = dict(obj.get("data") or {})
        for key, value in obj.pop("stringData").items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        obj["data"] = data


def _scale_selector(rtype: ResourceType, obj: JSON) -> str:
    status = obj.get("status") or {}
    if rtype.kind == "Rollout" and status.get("selector"):
        return str(status["selector"])
    labels = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


_SCALE_METADATA = ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")


def scale_view(rtype: ResourceType, obj: JSON) -> JSON:
    """The autoscaling/v1 Scale a real server derives for the /scale subresource."""
    meta = obj["metadata"]
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {k: meta[k] for k in _SCALE_METADATA if k in meta},
        "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 1)},
        "status": {"replicas": (obj.get("status") or {}).get("replicas", 0), "selector": _scale_selector(rtype, obj)},
    }


def identify(obj: Mapping[str, Any]) -> tuple[ResourceType, str, str]:
    rtype = BY_KIND.get((str(obj.get("apiVersion")), str(obj.get("kind"))))
    if rtype is None:
        raise ValueError(f"not a served kind: apiVersion={obj.get('apiVersion')!r} kind={obj.get('kind')!r}")
    meta = obj.get("metadata") or {}
    name = meta.get("name")
    if not name:
        raise ValueError(f"{rtype.kind} without metadata.name")
    namespace = (meta.get("namespace") or "default") if rtype.namespaced else ""
    return rtype, namespace, str(name)


def flatten_lists(objects: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    for obj in objects:
        if obj.get("kind") == "List" or (str(obj.get("kind", "")).endswith("List") and "items" in obj):
            yield from flatten_lists(obj.get("items") or [])
        else:
            yield obj


def check_body(rtype: ResourceType, namespace: str, body: Any) -> JSON:
    """Validate a POST/PUT body against the URL it was sent to; returns it with defaults."""
    if not isinstance(body, dict):
        raise bad_request("the request body must be a JSON object")
    if body.get("apiVersion", rtype.api_version) != rtype.api_version or body.get("kind", rtype.kind) != rtype.kind:
        raise bad_request(
            f"the API version in the data ({body.get('apiVersion')}) and kind ({body.get('kind')}) "
            f"do not match the expected {rtype.api_version} {rtype.kind}"
        )
    meta = body.setdefault("metadata", {})
    if not isinstance(meta, dict):
        raise bad_request("metadata must be an object")
    if rtype.namespaced and meta.get("namespace") and meta["namespace"] != namespace:
        raise bad_request("the namespace of the provided object does not match the namespace sent on the request")
    body["apiVersion"], body["kind"] = rtype.api_version, rtype.kind
    return body


def next_version(rtype: ResourceType, old: JSON, candidate: JSON, subresource: str | None) -> JSON:
    """The object an update stores: the status split and the immutable metadata enforced.

    /status takes only .status from the candidate; the main endpoint takes everything but
    .status (when the kind has the subresource) and the system metadata.
    """
    if subresource == "status":
        new = dict(old, metadata=dict(old["metadata"]))
        if "status" in candidate:
            new["status"] = candidate["status"]
        else:
            new.pop("status", None)
        return new
    new = dict(candidate)
    new["apiVersion"], new["kind"] = rtype.api_version, rtype.kind
    old_meta = old["metadata"]
    meta = dict(candidate["metadata"])
    for key in _SYSTEM_METADATA:
        if key in old_meta:
            meta[key] = old_meta[key]
        else:
            meta.pop(key, None)
    meta.pop("selfLink", None)
    new["metadata"] = meta
    if rtype.has_status:
        if "status" in old:
            new["status"] = old["status"]
        else:
            new.pop("status", None)
    fold_string_data(rtype, new)
    if spec_changed(rtype, old, new):
        meta["generation"] = old_meta.get("generation", 1) + 1
    return new
