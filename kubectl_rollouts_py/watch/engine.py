"""The follow loop of the live views.

    watch streams (kube.follow, one thread each) ──▶ ObjectCache (kube.cache, in memory)
        ──▶ build a Frame from memory (derive ─▶ render) ──▶ a sink (a Screen or printed frames)

The main thread blocks on the streams' queue. It wakes for a change, for the clock only when
something on screen would read differently (derive.clock), for the timeout, or for a signal
(SIGTERM, SIGWINCH, SIGHUP: only the main thread can take them, see term.signals); with
nothing to do it costs no CPU. Bursts are coalesced to at most one redraw per MIN_INTERVAL,
and a frame is drawn only when its text changed.
"""

from __future__ import annotations

import datetime as dt
import errno
import math
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.derive.verdict import Verdict
from kubectl_rollouts_py.environment import Environment
from kubectl_rollouts_py.kube.cache import ObjectCache
from kubectl_rollouts_py.kube.follow import Follower, Stream, Wakeup
from kubectl_rollouts_py.kube.source import Source
from kubectl_rollouts_py.watch.frames import Frame
from kubectl_rollouts_py.watch.outage import Outage, track_outage
from kubectl_rollouts_py.watch.sinks import Sink

MIN_INTERVAL = 0.2  # at most five redraws a second for bursts of events
CLOCK_INTERVAL = 1.0  # at most one redraw a second for ages and countdowns

Build = Callable[[ObjectCache, dt.datetime], "Frame | None"]


class Feed(Protocol):
    """What the loop reads: a Follower's `get` (everything that arrived, or None on timeout)."""

    def get(self, timeout: float | None = None) -> list[Any] | None: ...


@dataclass(frozen=True)
class Ended:
    """How `run` ended: "done" (a frame said so: see `verdict`), "timeout" or "signal";
    `outage`: the streams could not reconnect when it ended."""

    reason: str
    verdict: Verdict | None = None
    outage: Outage | None = None


def start(follower: Follower) -> Follower:
    """Start the follower's stream threads so that they cannot take the stopping signals
    (term.signals: a thread that took SIGHUP left the main thread asleep, and the view
    outlived its terminal)."""
    from kubectl_rollouts_py._threads import threads_without_signals

    with threads_without_signals():
        follower.start()
    return follower


@contextmanager
def following(source: Source, streams: Sequence[Stream]) -> Iterator[Follower]:
    """A started Follower of `streams` (see `start`), closed on the way out."""
    follower = start(Follower(source, streams))
    try:
        yield follower
    finally:
        follower.close()


class Signals:
    """What `signals_wake` caught: the stopping signal, if any, or the closed pipe, re-raised
    by `raise_caught()` once the loop has ended and the terminal is restored."""

    def __init__(self) -> None:
        self.caught: int | None = None
        self.reader_gone = False

    def raise_caught(self) -> None:
        if self.caught is not None:
            raise errors.Interrupted(self.caught)
        if self.reader_gone:
            raise BrokenPipeError(errno.EPIPE, "the reader of stdout is gone")  # exit 0, quietly


@contextmanager
def signals_wake(follower: Follower) -> Iterator[Signals]:
    """SIGTERM and SIGHUP stop the loop (then `raise_caught()` ends the command like Ctrl-C:
    exit 143 or 129), SIGWINCH refits the screen; signals set to be ignored stay ignored.
    (SIGINT keeps raising KeyboardInterrupt: exit 130.) Waking the loop rather than raising
    inside it lets the screen be restored outside any half-done write. Only the main thread
    can take signals. The reader of a piped stdout going away stops the loop too (exit 0)."""
    from kubectl_rollouts_py.term.signals import when_stdout_reader_goes

    signals = Signals()

    def reader_gone() -> None:
        signals.reader_gone = True
        follower.wake("stop")

    if threading.current_thread() is not threading.main_thread():
        with when_stdout_reader_goes(reader_gone):
            yield signals
        return

    def stop(signum: int, _frame: object) -> None:
        if signals.caught is None:
            signals.caught = signum
        follower.wake("stop")

    def resize(_signum: int, _frame: object) -> None:
        follower.wake("resize")

    wanted = {signal.SIGTERM: stop, signal.SIGHUP: stop, signal.SIGWINCH: resize}
    previous = {}
    for signum, handler in wanted.items():
        if signal.getsignal(signum) is signal.SIG_IGN:
            continue  # e.g. SIGHUP under nohup: keep ignoring it
        previous[signum] = signal.signal(signum, handler)
    try:
        with follower.waking_on_signals(), when_stdout_reader_goes(reader_gone):
            yield signals
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def run(feed: Feed, cache: ObjectCache, build: Build, sink: Sink, env: Environment, *,
        timeout: float | None = None) -> Ended:
    """Feed the follower's changes into the cache and show frames until done, timeout or signal.

    The first frame is built once every stream has listed. After that a change is drawn at
    once if the last draw of a change is MIN_INTERVAL old, else at the end of that interval
    together with whatever else arrived (a clock tick in between does not delay it). Clock
    ticks come when the last frame said its text would change, at most once a CLOCK_INTERVAL.
    `build` returning None shows nothing (e.g. the object is gone). The clocks are the
    environment's: `env.now()` for what frames show, `env.monotonic()` for the waits.
    """
    monotonic = env.monotonic
    deadline = monotonic() + timeout if timeout else None
    outage: Outage | None = None
    dirty = False
    last_change_draw = -math.inf  # bursts are coalesced after draws of changes, not of clock ticks
    clock_due: float | None = None
    while True:
        now = monotonic()
        due = [t for t in (deadline, last_change_draw + MIN_INTERVAL if dirty else None, clock_due) if t is not None]
        batch = feed.get(max(0.0, min(due) - now) if due else None)
        for item in batch or ():
            if isinstance(item, Wakeup):
                if item.reason == "stop":
                    return Ended("signal")
                if item.reason == "resize":
                    sink.refit()
        outage = track_outage(outage, batch or (), sink, monotonic)
        if batch and cache.apply(batch):
            dirty = True
        now = monotonic()
        if deadline is not None and now >= deadline:
            return Ended("timeout", outage=outage)
        if not cache.synced:
            continue
        if (dirty and now >= last_change_draw + MIN_INTERVAL) or (clock_due is not None and now >= clock_due):
            wall = env.now()
            frame = build(cache, wall)
            if dirty:
                dirty, last_change_draw = False, now
            clock_due = None
            if frame is None:
                continue
            sink.show(frame)
            if frame.done is not None:
                return Ended("done", frame.done)
            if sink.ticks and frame.wake_at is not None:
                clock_due = max(now + (frame.wake_at - wall).total_seconds(), now + CLOCK_INTERVAL)
