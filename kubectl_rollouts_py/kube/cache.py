"""An informer-like store: the objects of a few kinds, kept current by watch events.

`ObjectCache.apply(batch)` takes what `follow.Follower.get()` returns. An event updates one
object; a LIST (first list, or relist after 410 Expired) replaces one kind's whole set, so
objects deleted while a stream was down disappear too. Views are then rebuilt from memory:
nothing is fetched per event.

Objects are kept as the API sent them and must be treated as read-only by callers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from kubectl_rollouts_py.kube import resources as r

Key = tuple[str, str]  # (namespace, name)


def _key(obj: dict[str, Any]) -> Key | None:
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str):
        return None
    namespace = metadata.get("namespace")
    return (namespace if isinstance(namespace, str) else "", metadata["name"])


def _version(obj: dict[str, Any]) -> Any:
    metadata = obj.get("metadata")
    return metadata.get("resourceVersion") if isinstance(metadata, dict) else None


def _same(old: dict[str, Any] | None, new: dict[str, Any]) -> bool:
    """The same object state: equal resourceVersions when both have one, else equal content."""
    if old is None:
        return False
    old_version, new_version = _version(old), _version(new)
    if old_version and new_version:
        return bool(old_version == new_version)
    return old == new


class ObjectCache:
    """Objects per kind, keyed by namespace/name, for the kinds given at construction."""

    def __init__(self, resources: Iterable[r.Resource]) -> None:
        self._objects: dict[r.Resource, dict[Key, dict[str, Any]]] = {res: {} for res in resources}
        self._listed: set[r.Resource] = set()
        self._sorted: dict[r.Resource, list[dict[str, Any]]] = {}
        self.changes = 0  # how many times the content changed; for callers that compare

    @property
    def synced(self) -> bool:
        """Every kind has been listed at least once (the first view may be built)."""
        return len(self._listed) == len(self._objects)

    def apply(self, batch: Iterable[Any]) -> bool:
        """Apply a batch of (resource, type, object) changes; other items are ignored.

        Returns whether anything changed. An event for an object already known at the same
        resourceVersion (a replay after a reconnect) changes nothing.
        """
        changed = False
        for item in batch:
            if not isinstance(item, tuple) or len(item) != 3 or item[0] not in self._objects:
                continue
            resource, kind, obj = item
            if self._apply_one(resource, kind, obj):
                changed = True
                self._sorted.pop(resource, None)
        if changed:
            self.changes += 1
        return changed

    def _apply_one(self, resource: r.Resource, kind: str, obj: dict[str, Any]) -> bool:
        store = self._objects[resource]
        if kind == "LIST":
            fresh = {key: item for item in obj.get("items", []) if isinstance(item, dict) and (key := _key(item))}
            first = resource not in self._listed
            self._listed.add(resource)
            if not first and fresh.keys() == store.keys() and all(_same(store[k], v) for k, v in fresh.items()):
                return False
            self._objects[resource] = fresh
            return True
        key = _key(obj) if isinstance(obj, dict) else None
        if key is None:
            return False
        if kind == "DELETED":
            return store.pop(key, None) is not None
        if kind in ("ADDED", "MODIFIED"):
            if _same(store.get(key), obj):
                return False
            store[key] = obj
            return True
        return False

    def items(self, resource: r.Resource) -> list[dict[str, Any]]:
        """The objects of one kind in namespace/name order, as a LIST returns them."""
        cached = self._sorted.get(resource)
        if cached is None:
            store = self._objects[resource]
            cached = [store[k] for k in sorted(store)]
            self._sorted[resource] = cached
        return list(cached)

    def get(self, resource: r.Resource, name: str, namespace: str | None) -> dict[str, Any] | None:
        return self._objects[resource].get((namespace or "", name))

    def kinds(self) -> Sequence[r.Resource]:
        return tuple(self._objects)
