"""Kinds followed once for many readers (the dashboard's tabs), kept current and healthy.

    kube.follow (one list-then-watch stream per kind) ──▶ kube.cache.ObjectCache
        ──▶ version += 1, on_change() ──▶ on_news() (the readers are told)

The readers read the cache and `version` under `lock`. A burst of events within COALESCE is
one update.

Health: the streams reach the API server through `_Observed`, which reports each list's and
watch's outcome. When a stream fails (the server is down, answers 500, forbids the
watch...), its kind is marked stale in an `Outage` (watch/outage.py, the record the CLI's
live views keep too), the readers are told, and a new generation of streams starts: each
lists its kind again, so the first list that succeeds proves that kind is current again
and clears its mark. A fresh list is also what makes a stream's failure lose nothing:
`Follower.get` raises a stream's fatal error in place of everything that arrived with it,
and the follow thread of a fatal error (403, 404, an unexpected one) ends; listing again
replaces all of it. Generations that keep failing are started with a growing backoff.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from kubectl_rollouts_py import errors
from kubectl_rollouts_py._threads import threads_without_signals
from kubectl_rollouts_py.environment import utcnow
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.kube.cache import ObjectCache
from kubectl_rollouts_py.kube.follow import WATCH_SECONDS, Follower, Stream, Wakeup
from kubectl_rollouts_py.kube.source import ObjectList, Source, WatchEvent
from kubectl_rollouts_py.watch import engine
from kubectl_rollouts_py.watch.outage import Outage

COALESCE = 0.1  # a burst of events within this long is one update
RESTART_BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0)  # between generations of streams that keep failing
HEALTHY_RESET = 60.0  # a generation this long without a failure resets the backoff
UNEXPECTED = "streams"  # the stale key of a failure that did not come from the API server
ERROR_LIMIT = 300  # characters of a stale kind's reason: it is shown to people, and may carry the server's words


class _Observed:
    """The source as one generation of streams sees it: every list and watch outcome is
    reported, and a watch is renewed after `renew` to twice that many seconds, at random as
    client-go's informers do. Renewed together, the kinds would also list again together
    when their versions have expired (410), and the lists decoded at the same moment, beside
    the cache, set the process's memory high-water mark.
    """

    def __init__(self, source: Source, renew: float, report: Callable[[r.Resource, BaseException | None], None]) -> None:
        self.source = source
        self.renew = renew
        self.report = report

    def list(self, resource: r.Resource, namespace: str | None, **kwargs: Any) -> ObjectList:
        try:
            listed = self.source.list(resource, namespace, **kwargs)
        except BaseException as exc:
            self.report(resource, exc)
            raise
        self.report(resource, None)
        return listed

    def watch(self, resource: r.Resource, namespace: str | None, *, timeout_seconds: int | None = None,
              **kwargs: Any) -> Iterator[WatchEvent]:
        timeout = int(self.renew * (1 + random.random()))  # noqa: S311 - spreading load, not a secret
        events = self.source.watch(resource, namespace, timeout_seconds=timeout, **kwargs)
        try:
            yield from events
        except BaseException as exc:
            self.report(resource, exc)
            raise


class SharedFollow:
    """`kinds` in `namespace` (None: all) followed into one cache by a thread of its own.

    on_change: called under `lock` when the cache changed (before `version` is read again).
    on_news: called outside the lock once the readers should look again: the cache changed
    (once every kind has listed) or the health did.
    """

    def __init__(self, source: Source, kinds: Sequence[r.Resource], namespace: str | None, *,
                 on_change: Callable[[], None], on_news: Callable[[], None],
                 clock: Callable[[], dt.datetime] = utcnow, renew_seconds: float | None = None,
                 name: str = "shared-follow") -> None:
        self.source = source
        self.kinds = tuple(kinds)
        self.namespace = namespace
        self.clock = clock
        self.renew_seconds = renew_seconds or WATCH_SECONDS  # how long a watch runs before it is renewed
        self.cache = ObjectCache(self.kinds)
        self.lock = threading.Lock()
        self.version = 0
        self.outage: Outage | None = None  # the stale kinds (plural) and why each is not current
        self.generations = 0  # how many sets of streams were started (1 + restarts)
        self._on_change = on_change
        self._on_news = on_news
        self._closed = threading.Event()
        self._synced = threading.Event()
        self.follower = self._new_follower()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> SharedFollow:
        engine.start(self.follower)
        # This thread starts the streams of later generations, which inherit its signal mask:
        # it must leave the stopping signals to the main thread as they do.
        with threads_without_signals():
            self._thread.start()
        return self

    def close(self) -> None:
        self._closed.set()
        with self.lock:
            follower = self.follower
        follower.close()
        follower.wake("stop")

    def wait_synced(self, timeout: float) -> bool:
        return self._synced.wait(timeout)

    def _new_follower(self) -> Follower:
        self._listed: set[str] = set()  # the kinds this generation has listed
        self.generations += 1
        generation = self.generations
        observed = _Observed(self.source, self.renew_seconds, lambda kind, exc: self._report(generation, kind, exc))
        # retry_first_list: a stream whose first list fails (the server is down) keeps trying
        # by itself, as it does later on; we hear of it through _Observed either way.
        return Follower(observed, [Stream(kind, self.namespace) for kind in self.kinds], retry_first_list=True)

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
        """Apply what the streams send until one fails ("restart") or we close ("stop")."""
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
                self._on_change()
        if changed and self._synced.is_set():
            self._on_news()
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
                    if len(self._listed) == len(self.kinds):  # a whole new generation listed: whatever failed before is past
                        cleared = outage.recover(UNEXPECTED) or cleared
                    if outage.over:
                        self.outage = None
            if cleared:
                self._on_news()
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
            self._on_news()
        return first

    @property
    def error(self) -> str | None:
        """The first stale kind's reason, as `kind: why`, or None."""
        with self.lock:
            stale = self.outage.errors if self.outage else {}
            return next((f"{kind}: {why}" for kind, why in sorted(stale.items())), None)

    def health(self) -> dict[str, Any]:
        """{"stale": {kind: why}, "staleSince": UTC time or None}."""
        with self.lock:
            outage = self.outage
            since = outage.since if outage else None
            return {"stale": dict(outage.errors) if outage else {},
                    "staleSince": since.strftime("%Y-%m-%dT%H:%M:%SZ") if since else None}
