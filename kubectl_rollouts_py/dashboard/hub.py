"""One shared set of watch streams for every open tab, and the fan-out of its changes.

    kube.follow (one list-then-watch stream per kind) ──▶ kube.cache.ObjectCache
        ──▶ Hub.version += 1 ──▶ each subscriber's bounded queue ──▶ its SSE response

Memory stays flat: the cache holds each object once, documents are memoised per cache
version in a small bounded map, and a subscriber whose queue is full (a client that does
not read) is marked dropped and its response ends; it reconnects and refetches.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.kube.cache import ObjectCache
from kubectl_rollouts_py.kube.follow import Follower, Stream

KINDS = (r.ROLLOUTS, r.REPLICASETS, r.PODS, r.ANALYSISRUNS, r.EXPERIMENTS)
COALESCE = 0.1  # a burst of events within this long is one update
QUEUE_SIZE = 16  # events a slow client may lag behind before it is dropped
MEMO_SIZE = 64


class Subscriber:
    def __init__(self) -> None:
        self.queue: queue.Queue[int | None] = queue.Queue(maxsize=QUEUE_SIZE)
        self.dropped = False


class Hub:
    def __init__(self, source: Any, namespace: str | None, *, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.source = source
        self.namespace = namespace
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.cache = ObjectCache(KINDS)
        self.follower = Follower(source, [Stream(kind, namespace) for kind in KINDS])
        self.lock = threading.Lock()
        self.version = 0
        self.error: str | None = None
        self._synced = threading.Event()
        self._subscribers: set[Subscriber] = set()
        self._memo: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._thread = threading.Thread(target=self._loop, name="dashboard-hub", daemon=True)

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> Hub:
        self.follower.start()
        self._thread.start()
        return self

    def close(self) -> None:
        self.follower.close()
        self.follower.wake("stop")
        with self.lock:
            subscribers = list(self._subscribers)
        for sub in subscribers:
            sub.dropped = True
            try:
                sub.queue.put_nowait(None)
            except queue.Full:
                pass

    def wait_synced(self, timeout: float) -> bool:
        return self._synced.wait(timeout)

    def _loop(self) -> None:
        while True:
            try:
                batch = self.follower.get()
                if batch is None:
                    continue
                deadline = time.monotonic() + COALESCE
                while (left := deadline - time.monotonic()) > 0:
                    more = self.follower.get(left)
                    if more:
                        batch += more
            except Exception as exc:  # a stream's fatal error (403, 404...): say so, keep the rest
                self.error = str(exc)
                self._publish()
                continue
            if any(getattr(item, "reason", None) == "stop" for item in batch):
                return
            with self.lock:
                changed = self.cache.apply(batch)
                if self.cache.synced:
                    self._synced.set()
                if changed:
                    self.version += 1
                    self._memo.clear()
            if changed and self._synced.is_set():
                self._publish()

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
            version = self.version
        for sub in subscribers:
            try:
                sub.queue.put_nowait(version)
            except queue.Full:
                sub.dropped = True  # its response ends; the page reconnects and refetches
                self.unsubscribe(sub)

    # ---------------------------------------------------------------- documents

    def document(self, key: tuple[Any, ...], build: Callable[[ObjectCache, dt.datetime], Any]) -> tuple[int, Any]:
        """(version, build(cache, now)), memoised per version and key."""
        with self.lock:
            version = self.version
            memo_key = (version, *key)
            if memo_key in self._memo:
                self._memo.move_to_end(memo_key)
                return version, self._memo[memo_key]
            value = build(self.cache, self.clock())
            self._memo[memo_key] = value
            while len(self._memo) > MEMO_SIZE:
                self._memo.popitem(last=False)
            return version, value
