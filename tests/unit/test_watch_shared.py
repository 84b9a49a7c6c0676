"""watch/shared.py in-process: kinds followed once for many readers (the dashboard's hub),
with a fake source; the stand-in API server tests are in tests/dashboard/test_health.py."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from typing import Any, cast

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.kube.source import ObjectList, Source, WatchEvent
from kubectl_rollouts_py.watch.shared import SharedFollow

NOW = dt.datetime(2026, 11, 29, 8, 0, 0, tzinfo=dt.timezone.utc)


def pod(version: int) -> dict[str, Any]:
    return {"metadata": {"name": "p", "namespace": "ns", "resourceVersion": str(version)}}


class Source_:
    """Lists fail `failures` times (HTTP 500) before they answer; the first watch sends `burst`."""

    namespace = "ns"

    def __init__(self, failures: int = 0, burst: int = 0) -> None:
        self.failures = failures
        self.burst = burst
        self.lists = 0

    def list(self, resource: r.Resource, namespace: str | None, **kwargs: Any) -> ObjectList:
        self.lists += 1
        if self.failures > 0:
            self.failures -= 1
            raise errors.ApiError("etcdserver: request\ntimed out", status=500)
        return ObjectList([pod(1)], "1")

    def watch(self, resource: r.Resource, namespace: str | None, *, stop: threading.Event | None = None,
              timeout_seconds: int | None = None, **kwargs: Any) -> Iterator[WatchEvent]:
        for version in range(2, 2 + self.burst):
            yield WatchEvent("MODIFIED", pod(version))
        self.burst = 0
        assert stop is not None
        stop.wait(timeout_seconds)


def wait_for(check: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.01)
    return value


def follow(source: Source_, news: list[dict[str, Any]]) -> SharedFollow:
    """A SharedFollow of pods whose news (each a health report) is appended to `news`."""
    shared = SharedFollow(cast(Source, source), [r.PODS], "ns", on_change=lambda: None,
                          on_news=lambda: news.append(shared.health()), clock=lambda: NOW, renew_seconds=300)
    return shared


def version_of_the_pod(shared: SharedFollow) -> str:
    return str(((shared.cache.get(r.PODS, "p", "ns") or {}).get("metadata") or {}).get("resourceVersion"))


def test_a_burst_of_events_is_one_update() -> None:
    shared = follow(Source_(burst=50), []).start()
    try:
        assert shared.wait_synced(5)
        wait_for(lambda: version_of_the_pod(shared) == "51")
        assert shared.version <= 3  # the list, then the burst in one or two updates, not fifty
        assert shared.health() == {"stale": {}, "staleSince": None} and shared.error is None
    finally:
        shared.close()


def test_a_failing_kind_is_stale_until_a_new_generation_lists_it() -> None:
    seen: list[dict[str, Any]] = []
    shared = follow(Source_(failures=1), seen).start()
    try:
        assert shared.wait_synced(10)
        wait_for(lambda: shared.health()["stale"] == {})
        stale = [h for h in seen if h["stale"]]
        assert stale and stale[0] == {"stale": {"pods": "etcdserver: request timed out"},  # one line
                                      "staleSince": "2026-11-29T08:00:00Z"}
        assert shared.generations == 2  # the first failure started the streams again
    finally:
        shared.close()
