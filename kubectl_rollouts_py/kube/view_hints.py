"""What a view's label selectors were last time, so `get rollout` can send all its reads in
one round trip.

The ReplicaSets and pods a rollout's view shows are read by label selectors that come from
the rollout itself (kube/selectors.py), so they can only be known after the rollout is read:
two round trips, where kubectl's `get` takes one. They rarely change, so the selectors of
the last run are kept, per server, namespace, kind and name, in the user's cache directory
(`view-selectors.json` beside the kubeconfig cache: kube/config_cache.py, same privacy and
atomic writes), and the next run sends those lists together with the first round. When the
object says otherwise, the lists are sent again with the right selectors (and the hint is
replaced), so a wrong hint costs a round trip, never a wrong view.

The file holds label selectors and the servers' URLs, nothing else; at most MAX_ENTRIES.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from typing import Any

from kubectl_rollouts_py.kube import config_cache
from kubectl_rollouts_py.kube.selectors import ViewSelectors

FILE = "view-selectors.json"
FORMAT = 1
MAX_ENTRIES = 64


def _selectors(value: Any) -> list[str] | None | bool:
    """A stored selector list (None: read everything); False if malformed."""
    if value is None:
        return None
    if isinstance(value, list) and value and all(isinstance(s, str) for s in value):
        return value
    return False


class ViewHints:
    """The selectors last used per view; reads the file at most once per process."""

    def __init__(self, environ: Mapping[str, str], cache_dir: str | None = None) -> None:
        """`cache_dir` is --cache-dir: the hints are kept beside the kubeconfig cache, wherever it is."""
        self._directory = config_cache.cache_directory(environ, cache_dir)
        self._entries: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        if self._entries is None:
            self._entries = {}
            if self._directory is not None and config_cache.private_directory(self._directory, create=False):
                stored = config_cache.read_private(os.path.join(self._directory, FILE))
                if isinstance(stored, dict) and stored.get("format") == FORMAT and isinstance(stored.get("entries"), dict):
                    self._entries = stored["entries"]
        return self._entries

    def get(self, key: str) -> ViewSelectors | None:
        entry = self._load().get(key)
        if not isinstance(entry, dict):
            return None
        replica_sets, pods = _selectors(entry.get("replica_sets")), _selectors(entry.get("pods"))
        if replica_sets is False or pods is False:
            return None
        return ViewSelectors(replica_sets, pods)  # type: ignore[arg-type]

    def put(self, key: str, chosen: ViewSelectors) -> None:
        if self._directory is None:
            return
        entries = dict(self._load())
        entries[key] = {"replica_sets": chosen.replica_sets, "pods": chosen.pods, "at": int(time.time())}
        if len(entries) > MAX_ENTRIES:
            newest = sorted(entries, key=lambda k: entries[k].get("at", 0) if isinstance(entries[k], dict) else 0)
            entries = {k: entries[k] for k in newest[-MAX_ENTRIES:]}
        self._entries = entries
        text = json.dumps({"format": FORMAT, "entries": entries}, separators=(",", ":"))
        config_cache.write_private(self._directory, os.path.join(self._directory, FILE), text)
