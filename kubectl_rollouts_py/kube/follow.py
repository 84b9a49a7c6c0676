"""Follow changes with list-then-watch streams: no polling, no lost events.

Each stream runs in its own thread. It starts from its list's resourceVersion, resumes
from the last version it saw when the server ends the stream, lists again on 410 Expired,
and backs off (0.5 s doubling to 8 s) while the network or the server fails. A server
that ends every watch at once, empty (or answers every watch with 410), is failing too:
after the first such end in a row the stream backs off the same way, as client-go's
reflector does after a "very short watch", instead of reconnecting hundreds of times a
second.

What the threads see goes into one mailbox: a `queue.SimpleQueue` and a pipe that gets a
byte for every item. The caller's thread sleeps in poll() on the pipe (`Follower.get`), so a
quiet cluster costs no CPU at all: no timer, no polling. A signal handler in the caller's
thread may wake it with `wake()`.

Why a pipe rather than blocking on the queue: Python runs a signal's handler only between
bytecodes. A signal that arrives after the last check and before the thread sleeps in the
queue's lock wait is noted, but nothing wakes the sleeper, so the handler (and the `wake()`
in it) waits for the next item, maybe for ever: a watch that ignored SIGTERM. Inside
`waking_on_signals()` the pipe is also the interpreter's wakeup fd (signal.set_wakeup_fd),
which gets a byte when any handled signal arrives, whenever it arrives, so the poll()
returns and the handler runs.
"""

from __future__ import annotations

import os
import queue
import select
import signal
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.kube.source import ObjectList

WATCH_SECONDS = 300  # ask the server to end a stream now and then, as client-go does
BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0)
# A watch that ended sooner than this with no event in it was turned away, not served.
SHORT_WATCH_SECONDS = 1.0
# Failed attempts in a row before a stream says it is in trouble: one dropped connection that
# the next attempt restores is routine and not worth a word; two in a row (~0.5 s) are not.
TROUBLE_AFTER = 2

# One change: (resource, type, object). type is ADDED, MODIFIED or DELETED with the object,
# or LIST with {"items": [...]}: the complete current set of that stream (a first list or a
# relist after 410), which replaces whatever was known before.
Change = tuple[r.Resource, str, dict[str, Any]]


@dataclass(frozen=True)
class Stream:
    """One list-then-watch: a resource in a namespace (None: all), optionally selected.

    With `listed`, the stream starts from that list (one the caller already made) instead of
    listing again; it is handed over as the stream's first LIST all the same.
    """

    resource: r.Resource
    namespace: str | None
    label_selector: str | None = None
    field_selector: str | None = None
    listed: ObjectList | None = None


class Wakeup:
    """A token put in the queue by `Follower.wake`, carrying the caller's reason."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"Wakeup({self.reason!r})"


@dataclass(frozen=True)
class Trouble:
    """Put in the queue by a stream that keeps failing (TROUBLE_AFTER attempts in a row, then
    after every further one) and is still retrying: `error` is what the last attempt met.
    Not a change: `ObjectCache.apply` ignores it; a view shows it (watch/outage.py)."""

    resource: r.Resource
    error: str
    failures: int


@dataclass(frozen=True)
class Recovered:
    """Put in the queue by a stream that reported Trouble once a list or an event came."""

    resource: r.Resource


def _resource_version(obj: dict[str, Any]) -> str | None:
    metadata = obj.get("metadata")
    version = metadata.get("resourceVersion") if isinstance(metadata, dict) else None
    return version if isinstance(version, str) and version else None


_FATAL = (errors.Forbidden, errors.Unauthorized, errors.NotFound)
# 4xx answers that can change by themselves: a timeout, a conflict, an expired version (also
# handled above), throttling. Any other 4xx (400 BadRequest for a selector the server cannot
# parse, 422, 405...) says the request itself is wrong: asking again gets the same answer,
# so retrying it for ever would hang the view with nothing said (issue 9 follow-up).
_TRANSIENT_4XX = (408, 409, 410, 429)


def _is_fatal(exc: BaseException) -> bool:
    if isinstance(exc, _FATAL):
        return True
    status = getattr(exc, "status", 0)
    return isinstance(exc, errors.ApiError) and 400 <= status < 500 and status not in _TRANSIENT_4XX


class _Mailbox:
    """A SimpleQueue whose every `put` also writes a byte into a pipe, so that a reader can
    sleep in poll() (see the module's doc).

    Closing only marks it closed (a put after that is dropped: a stream thread ending late)
    and wakes a sleeping reader. The pipe's descriptors are closed when nothing refers to the
    mailbox any more, never while a thread may still read or write them: a descriptor closed
    under a reader in another thread gets its number reused by the next socket, and the
    reader's next read would take that socket's bytes (an HTTP answer cut in two)."""

    def __init__(self) -> None:
        self.items: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.read_fd, self.write_fd = os.pipe()
        weakref.finalize(self, _close_pipe, self.read_fd, self.write_fd)
        os.set_blocking(self.read_fd, False)
        os.set_blocking(self.write_fd, False)
        # Reentrant: a signal handler's put in the thread that is closing must not deadlock.
        self._lock = threading.RLock()
        self._closed = False

    def put(self, item: Any) -> None:
        with self._lock:
            if self._closed:
                return
            self.items.put(item)
            self._wake()

    def _wake(self) -> None:
        try:
            os.write(self.write_fd, b"\0")
        except BlockingIOError:
            pass  # the pipe is full of wake-ups already: the reader will look

    def take(self, timeout: float | None) -> Any:
        """The next item, waiting at most `timeout` seconds (None: for ever); raises
        queue.Empty when none came, or when the mailbox is closed and empty."""
        deadline = None if timeout is None else time.monotonic() + timeout
        poller = select.poll()
        poller.register(self.read_fd, select.POLLIN)
        while True:
            # Drain the wake-ups first, then look: an item put after the look leaves a byte.
            with self._lock:
                closed = self._closed
                try:
                    while os.read(self.read_fd, 4096):
                        pass
                except BlockingIOError:
                    pass
            try:
                return self.items.get_nowait()
            except queue.Empty:
                if closed:
                    raise
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise queue.Empty
            poller.poll(None if remaining is None else remaining * 1000)

    def get_nowait(self) -> Any:
        return self.items.get_nowait()

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._wake()  # a reader asleep in take() returns


def _close_pipe(*fds: int) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def _run_stream(source: Any, stream: Stream, stop: threading.Event, out: _Mailbox, max_failures: int | None,
                retry_first_list: bool) -> None:
    failures = 0  # errors in a row (max_failures counts these)
    troubled = False  # a Trouble was put and no Recovered yet
    short = 0  # watches in a row that ended at once, empty (cleanly or with 410)
    listed_once = stream.listed is not None
    version: str | None = None
    if stream.listed is not None:
        version = stream.listed.resource_version
        out.put((stream.resource, "LIST", {"items": stream.listed.items}))
    while not stop.is_set():
        started, served = time.monotonic(), False
        try:
            if version is None:
                listed = source.list(stream.resource, stream.namespace, label_selector=stream.label_selector,
                                     field_selector=stream.field_selector)
                version = listed.resource_version
                out.put((stream.resource, "LIST", {"items": listed.items}))
                # The caller owns the items now. Kept here for the whole watch, they were a
                # second copy of the kind beside a cache that keeps its equal older objects.
                del listed
                listed_once = True
                failures = 0
                if troubled:
                    out.put(Recovered(stream.resource))
                    troubled = False
            started = time.monotonic()
            for event in source.watch(
                stream.resource, stream.namespace, resource_version=version, label_selector=stream.label_selector,
                field_selector=stream.field_selector, timeout_seconds=WATCH_SECONDS, stop=stop,
            ):
                failures, short, served = 0, 0, True
                if troubled:
                    out.put(Recovered(stream.resource))
                    troubled = False
                version = _resource_version(event.object) or version
                if event.type != "BOOKMARK":
                    out.put((stream.resource, event.type, event.object))
        except errors.Expired:
            version = None  # our version fell out of the server's window: list again
        except (errors.ConnectionFailed, errors.ApiError) as exc:
            # The first list has had the client's read retries already (kube/client.py):
            # failing now, it fails as a plain read would, rather than leave the caller
            # waiting, with nothing to show and nothing said, for a list that may never come.
            first_list = not listed_once and not retry_first_list
            if _is_fatal(exc) or first_list or (max_failures is not None and failures >= max_failures):
                out.put(exc)
                return
            failures += 1
            if failures >= TROUBLE_AFTER:
                out.put(Trouble(stream.resource, str(exc), failures))
                # Reconnect with a list: it answers at once when the server is back, so the
                # view hears of the recovery then, not with the first event of a quiet
                # watch (maybe minutes later); the list also brings what the outage hid.
                troubled, version = True, None
            stop.wait(BACKOFF[min(failures - 1, len(BACKOFF) - 1)])
            continue
        except BaseException as exc:  # hand anything unexpected to the caller's thread
            out.put(exc)
            return
        if served or time.monotonic() - started >= SHORT_WATCH_SECONDS:
            short = 0
        else:
            # The first one is normal (a 410 for a version just compacted away, a server
            # restarting its watch cache): reconnect at once. More in a row: back off.
            short += 1
            if short > 1:
                stop.wait(BACKOFF[min(short - 2, len(BACKOFF) - 1)])


class Follower:
    """Several streams in threads, their changes handed over in the caller's thread.

    Use as a context manager, or call `start()` and `close()`. `get()` returns everything
    that arrived together, so a burst of events costs the caller one redraw.
    """

    def __init__(self, source: Any, streams: Sequence[Stream], *, stop: threading.Event | None = None,
                 max_failures: int | None = None, retry_first_list: bool = False) -> None:
        self.source = source
        self.streams = tuple(streams)
        self.stop = stop if stop is not None else threading.Event()
        self.max_failures = max_failures  # consecutive failures a stream survives (None: forever)
        # False: a stream whose first list fails (after the client's own retries) gives up,
        # its error raised by `get`; True: it backs off and lists again, like later failures.
        self.retry_first_list = retry_first_list
        self._queue = _Mailbox()
        self._threads: list[threading.Thread] = []

    def start(self) -> Follower:
        for stream in self.streams:
            self.add(stream)
        return self

    def add(self, stream: Stream) -> None:
        """Start one more stream (for instance once the first list told what to select)."""
        thread = threading.Thread(target=_run_stream, args=(self.source, stream, self.stop, self._queue, self.max_failures,
                                                            self.retry_first_list),
                                  name=f"follow-{stream.resource.plural}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def close(self) -> None:
        """Ask every stream to end; they do soon after (their threads are daemons)."""
        self.stop.set()
        self._queue.close()

    @contextmanager
    def waking_on_signals(self) -> Iterator[None]:
        """While inside, a signal with a Python handler wakes a `get` in the main thread
        whenever it arrives (the module's doc says why this is needed). Does nothing in
        another thread, where signals are not handled."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.set_wakeup_fd(self._queue.write_fd, warn_on_full_buffer=False)
        try:
            yield
        finally:
            signal.set_wakeup_fd(previous)

    def __enter__(self) -> Follower:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def wake(self, reason: str) -> None:
        """Make a blocked `get` return a `Wakeup(reason)`; safe from a signal handler."""
        self._queue.put(Wakeup(reason))

    def get(self, timeout: float | None = None) -> list[Change | Wakeup] | None:
        """Block until something arrives (or `timeout` seconds pass: None), then return it
        all. A stream's fatal error (403, 401, 404, another 4xx but 408/409/410/429, a failed
        first list, or an unexpected one) is raised here."""
        try:
            first = self._queue.take(timeout) if timeout is None or timeout > 0 else self._queue.get_nowait()
        except queue.Empty:
            return None
        batch = [first]
        while True:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        for item in batch:
            if isinstance(item, BaseException):
                raise item
        return batch

