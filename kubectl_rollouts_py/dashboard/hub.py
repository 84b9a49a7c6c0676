"""One shared set of watch streams for every open tab, and the fan-out of its changes.

    kube.follow (one list-then-watch stream per kind) ──▶ kube.cache.ObjectCache
        ──▶ Hub.version += 1 ──▶ each subscriber's bounded queue ──▶ its SSE response

Memory stays flat: the cache holds each object once, documents are memoised per cache
version in a small bounded map, and a subscriber whose queue is full (a client that does
not read) is marked dropped and its response ends; it reconnects and refetches.

Health: the streams reach the API server through `_Observed`, which tells the hub each
list's and watch's outcome. When a stream fails (the server is down, answers 500, forbids
the watch...), the kind is marked stale, the pages are told (`stale` in /api/v1/info, shown
as a banner), and the hub starts a new generation of streams: each lists its kind again,
so the first list that succeeds proves that kind is current again and clears its mark. A
fresh list is also what makes a stream's failure lose nothing: `Follower.get` raises a
stream's fatal error in place of everything that arrived with it, and the follow thread
of a fatal error (403, 404, an unexpected one) ends; listing again replaces all of it.

The following is the CLI's live views' own: kube.follow's streams, started by
watch.engine (their threads leave the stopping signals to the main thread), and the stale
kinds are a watch.outage.Outage, the same record of troubled streams the views keep.
"""

from __future__ import annotations

import datetime as dt
import queue
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from kubectl_rollouts_py import errors
from kubectl_rollouts_py._threads import threads_without_signals
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.kube.cache import ObjectCache
from kubectl_rollouts_py.kube.follow import WATCH_SECONDS, Follower, Stream, Wakeup
from kubectl_rollouts_py.kube.source import Source
from kubectl_rollouts_py.watch import engine
from kubectl_rollouts_py.watch.outage import Outage

KINDS = (r.ROLLOUTS, r.REPLICASETS, r.PODS, r.ANALYSISRUNS, r.EXPERIMENTS)
COALESCE = 0.1  # a burst of events within this long is one update
QUEUE_SIZE = 16  # events a slow client may lag behind before it is dropped
MEMO_SIZE = 64
RESTART_BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0)  # between generations of streams that keep failing
UNEXPECTED = "streams"  # the stale key of a failure that did not come from the API server
HEALTHY_RESET = 60.0  # a generation this long without a failure resets the backoff
ERROR_LIMIT = 300  # characters of a stale kind's reason: it is shown on the page, and may carry the server's words


class Subscriber:
    def __init__(self) -> None:
        self.queue: queue.Queue[int | None] = queue.Queue(maxsize=QUEUE_SIZE)
        self.dropped = False


class _Observed:
    """The source as one generation of the hub's streams sees it: every list and watch
    outcome is reported to the hub, and a watch is renewed after `renew` to twice that many
    seconds, at random as client-go's informers do. Renewed together, the kinds would also
    list again together when their versions have expired (410), and the lists decoded at
    the same moment, beside the cache, set the process's memory high-water mark.
    """

    def __init__(self, source: Source, renew: float, report: Callable[[r.Resource, BaseException | None], None]) -> None:
        self.source = source
        self.renew = renew
        self.report = report

    def list(self, resource: r.Resource, namespace: str | None, **kwargs: Any) -> Any:
        try:
            listed = self.source.list(resource, namespace, **kwargs)
        except BaseException as exc:
            self.report(resource, exc)
            raise
        self.report(resource, None)
        return listed

    def watch(self, resource: r.Resource, namespace: str | None, *, timeout_seconds: int | None = None, **kwargs: Any) -> Iterator[Any]:
        timeout = int(self.renew * (1 + random.random()))  # noqa: S311 - spreading load, not a secret
        events = self.source.watch(resource, namespace, timeout_seconds=timeout, **kwargs)
        try:
            yield from events
        except BaseException as exc:
            self.report(resource, exc)
            raise


class Hub:
    def __init__(self, source: Source, namespace: str | None, *, clock: Callable[[], dt.datetime] | None = None,
                 renew_seconds: float | None = None) -> None:
        self.source = source
        self.namespace = namespace
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.renew_seconds = renew_seconds or WATCH_SECONDS  # how long a watch runs before it is renewed
        self.cache = ObjectCache(KINDS)
        self.lock = threading.Lock()
        self.version = 0
        self.outage: Outage | None = None  # the stale kinds (plural) and why each is not current
        self.generations = 0  # how many sets of streams were started (1 + restarts)
        self._closed = threading.Event()
        self._synced = threading.Event()
        self._subscribers: set[Subscriber] = set()
        self._memo: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self.follower = self._new_follower()
        self._thread = threading.Thread(target=self._loop, name="dashboard-hub", daemon=True)

    @property
    def error(self) -> str | None:
        """The first stale kind's reason (the API's `error` field), or None."""
        with self.lock:
            stale = self.outage.errors if self.outage else {}
            return next((f"{kind}: {why}" for kind, why in sorted(stale.items())), None)

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> Hub:
        engine.start(self.follower)
        # The hub's thread starts the streams of later generations, which inherit its signal
        # mask: it must leave the stopping signals to the main thread as they do.
        with threads_without_signals():
            self._thread.start()
        return self

    def close(self) -> None:
        self._closed.set()
        with self.lock:
            follower = self.follower
            subscribers = list(self._subscribers)
        follower.close()
        follower.wake("stop")
        for sub in subscribers:
            sub.dropped = True
            try:
                sub.queue.put_nowait(None)
            except queue.Full:
                pass

    def wait_synced(self, timeout: float) -> bool:
        return self._synced.wait(timeout)

    def _new_follower(self) -> Follower:
        self._listed: set[str] = set()  # the kinds this generation has listed
        self.generations += 1
        generation = self.generations
        observed = _Observed(self.source, self.renew_seconds, lambda kind, exc: self._report(generation, kind, exc))
        # retry_first_list: a stream whose first list fails (the server is down) keeps trying
        # by itself, as it does later on; the hub hears of it through _Observed either way.
        return Follower(observed, [Stream(kind, self.namespace) for kind in KINDS], retry_first_list=True)

    def _loop(self) -> None:
        failures = 0
        while not self._closed.is_set():
            started = time.monotonic()
            if self._follow(self.follower) == "stop" or self._closed.is_set():
                return
            self.follower.close()
            failures = 0 if time.monotonic() - started > HEALTHY_RESET else failures
            if self._closed.wait(RESTART_BACKOFF[min(failures, len(RESTART_BACKOFF) - 1)]):
                return
            failures += 1
            with self.lock:
                if self._closed.is_set():
                    return
                self.follower = self._new_follower()
            engine.start(self.follower)

    def _follow(self, follower: Follower) -> str:
        """Apply what the streams send until one fails ("restart") or the hub closes ("stop")."""
        while True:
            try:
                # Not kept in a local across the next wait: a LIST's items would stay alive
                # beside the cache's equal objects until the next event.
                outcome = self._apply(self._collect(follower))
            except Exception as exc:  # a stream's fatal error: reported already when it came from the API
                if not isinstance(exc, errors.RolloutsError):
                    self._mark(UNEXPECTED, f"{type(exc).__name__}: {exc}")
                return "restart"
            if outcome:
                return outcome

    @staticmethod
    def _collect(follower: Follower) -> list[Any]:
        """What arrived, and whatever follows within COALESCE: one update for a burst."""
        batch: list[Any] = []
        while not batch:
            batch = follower.get() or []
        deadline = time.monotonic() + COALESCE
        while (left := deadline - time.monotonic()) > 0:
            batch += follower.get(left) or []
        return batch

    def _apply(self, batch: list[Any]) -> str | None:
        """Apply one batch; "stop" or "restart" when a wakeup asks for it."""
        wakeups = {item.reason for item in batch if isinstance(item, Wakeup)}
        if "stop" in wakeups:
            return "stop"
        with self.lock:
            changed = self.cache.apply(batch)
            if self.cache.synced:
                self._synced.set()
            if changed:
                self.version += 1
                self._memo.clear()
        if changed and self._synced.is_set():
            self._publish()
        return "restart" if "restart" in wakeups else None

    # ---------------------------------------------------------------- health

    def _report(self, generation: int, resource: r.Resource, exc: BaseException | None) -> None:
        """A stream's list or watch outcome (from its thread). Expired is routine (the
        stream lists again by itself); any other failure marks the kind stale and, the first
        time, restarts the streams; a list that succeeds clears the mark."""
        if generation != self.generations or isinstance(exc, (errors.Expired, GeneratorExit)):
            return
        if exc is None:
            with self.lock:
                self._listed.add(resource.plural)
                outage, cleared = self.outage, False
                if outage is not None:
                    cleared = outage.recover(resource.plural)
                    if len(self._listed) == len(KINDS):  # a whole new generation listed: whatever failed before is past
                        cleared = outage.recover(UNEXPECTED) or cleared
                    if outage.over:
                        self.outage = None
            if cleared:
                self._publish()
            return
        message = exc.message if isinstance(exc, errors.RolloutsError) else f"{type(exc).__name__}: {exc}"
        if self._mark(resource.plural, message):
            self.follower.wake("restart")

    def _mark(self, kind: str, message: str) -> bool:
        """Mark `kind` stale; whether it was the first stale kind (then the streams restart)."""
        with self.lock:
            first = self.outage is None
            if self.outage is None:
                self.outage = Outage(since=self.clock(), limit=ERROR_LIMIT)
            changed = self.outage.trouble(kind, message)
        if changed:
            self._publish()
        return first

    def health(self) -> dict[str, Any]:
        with self.lock:
            outage = self.outage
            since = outage.since if outage else None
            return {"stale": dict(outage.errors) if outage else {},
                    "staleSince": since.strftime("%Y-%m-%dT%H:%M:%SZ") if since else None}

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
