"""One shared set of watch streams for every open tab, and the fan-out of its changes.

    watch.shared.SharedFollow (one list-then-watch stream per kind, one cache, health)
        ──▶ version += 1 ──▶ each subscriber's bounded queue ──▶ its SSE response

The following is the live engine's (watch/shared.py: streams, restarts with backoff, stale
kinds); the hub adds the subscribers and the documents.

Memory stays flat: the cache holds each object once, documents are memoised per cache
version in a small bounded map, and a subscriber whose queue is full (a client that does
not read) is marked dropped and its response ends; it reconnects and refetches.
"""

from __future__ import annotations

import datetime as dt
import queue
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from kubectl_rollouts_py.environment import utcnow
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.kube.source import Source
from kubectl_rollouts_py.watch.shared import SharedFollow

KINDS = (r.ROLLOUTS, r.REPLICASETS, r.PODS, r.ANALYSISRUNS, r.EXPERIMENTS)
QUEUE_SIZE = 16  # events a slow client may lag behind before it is dropped
MEMO_SIZE = 64


class Subscriber:
    def __init__(self) -> None:
        self.queue: queue.Queue[int | None] = queue.Queue(maxsize=QUEUE_SIZE)
        self.dropped = False


class Hub:
    def __init__(self, source: Source, namespace: str | None, *, clock: Callable[[], dt.datetime] | None = None,
                 renew_seconds: float | None = None) -> None:
        self.source = source
        self.namespace = namespace
        self.clock = clock or utcnow
        self._subscribers: set[Subscriber] = set()
        self._memo: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self.follow = SharedFollow(source, KINDS, namespace, on_change=self._memo.clear, on_news=self._publish,
                                   clock=self.clock, renew_seconds=renew_seconds, name="dashboard-hub")
        self.lock = self.follow.lock  # one lock for the cache, the memo and the subscribers

    # What the following keeps, as the server and the tests read it.

    @property
    def cache(self) -> Any:
        return self.follow.cache

    @property
    def version(self) -> int:
        return self.follow.version

    @property
    def follower(self) -> Any:
        return self.follow.follower

    @property
    def generations(self) -> int:
        return self.follow.generations

    @property
    def error(self) -> str | None:
        """The first stale kind's reason (the API's `error` field), or None."""
        return self.follow.error

    def health(self) -> dict[str, Any]:
        return self.follow.health()

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> Hub:
        self.follow.start()
        return self

    def close(self) -> None:
        self.follow.close()
        with self.lock:
            subscribers = list(self._subscribers)
        for sub in subscribers:
            sub.dropped = True
            try:
                sub.queue.put_nowait(None)
            except queue.Full:
                pass

    def wait_synced(self, timeout: float) -> bool:
        return self.follow.wait_synced(timeout)

    # ---------------------------------------------------------------- subscribers

    def subscribe(self) -> Subscriber:
        sub = Subscriber()
        with self.lock:
            self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self.lock:
            self._subscribers.discard(sub)

    def subscriber_count(self) -> int:
        with self.lock:
            return len(self._subscribers)

    def _publish(self) -> None:
        with self.lock:
            subscribers = list(self._subscribers)
            version = self.follow.version
        for sub in subscribers:
            try:
                sub.queue.put_nowait(version)
            except queue.Full:
                sub.dropped = True  # its response ends; the page reconnects and refetches
                self.unsubscribe(sub)

    # ---------------------------------------------------------------- documents

    def document(self, key: tuple[Any, ...], build: Callable[[Any, dt.datetime], Any]) -> tuple[int, Any]:
        """(version, build(cache, now)), memoised per version and key; `cache` is the
        following's object cache (kube.cache.ObjectCache)."""
        with self.lock:
            version = self.follow.version
            memo_key = (version, *key)
            if memo_key in self._memo:
                self._memo.move_to_end(memo_key)
                return version, self._memo[memo_key]
            value = build(self.follow.cache, self.clock())
            self._memo[memo_key] = value
            while len(self._memo) > MEMO_SIZE:
                self._memo.popitem(last=False)
            return version, value
