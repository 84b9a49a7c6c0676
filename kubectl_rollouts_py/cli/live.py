"""Live views: `get rollout -w`, `watch`, `get experiment -w`, `status` and `list rollouts -w`.

One machine for all of them:

    watch streams (kube.follow, one thread each) ──▶ ObjectCache (kube.cache, in memory)
        ──▶ build a Frame from memory (derive ─▶ render) ──▶ a sink (a Screen or printed frames)

The main thread blocks on the streams' queue. It wakes for a change, for the clock only when
something on screen would read differently (derive.clock), for the timeout, or for a signal
(SIGTERM, SIGWINCH, SIGHUP: only the main thread can take them, see term.signals); with
nothing to do it costs no CPU. Bursts are coalesced to at
most one redraw per MIN_INTERVAL, and a frame is drawn only when its text changed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import json
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.kube.cache import ObjectCache
from kubectl_rollouts_py.kube.follow import Follower, Recovered, Stream, Trouble, Wakeup

MIN_INTERVAL = 0.2  # at most five redraws a second for bursts of events
CLOCK_INTERVAL = 1.0  # at most one redraw a second for ages and countdowns


@dataclass(frozen=True)
class Verdict:
    """Why a live view stopped by itself: exit 0 (`error` None) or 1 with `error`."""

    error: str | None = None


@dataclass(frozen=True)
class Frame:
    """One state of a live view.

    text: what to show. key: what counts as a change when frames are printed rather than
    drawn (default: the text; views pass their clock-free document so that ticking ages alone
    print nothing). wake_at: when the text would change with the clock alone. done: stop
    after showing this frame, with this verdict.
    """

    text: str
    key: str | Callable[[], str] | None = None  # a callable is only called when needed
    wake_at: dt.datetime | None = None
    done: Verdict | None = None

    def change_key(self) -> str:
        key = self.key() if callable(self.key) else self.key
        return self.text if key is None else key


class Memo:
    """The last view of a live frame, kept while the cluster does not change: a clock tick
    then re-ages it (derive.clock.reaged) instead of deriving it again from every object.

    The loop sets `version` (the cache's change count) before each frame is built.
    """

    def __init__(self) -> None:
        self.version = 0
        self._built_for: int | None = None
        self._view: Any = None

    def view(self, build: Callable[[], Any], now: dt.datetime) -> Any:
        from kubectl_rollouts_py.derive import clock

        if self._view is not None and self._built_for == self.version:
            self._view = clock.reaged(self._view, now)
        else:
            self._view, self._built_for = build(), self.version
        return self._view


# --------------------------------------------------------------------------- frames of views


def document_text(document: Any, output: str) -> str:
    """One machine-readable document of a live view: compact one-line JSON (NDJSON) or a
    YAML document starting with `---`."""
    if output == "json":
        return json.dumps(document, separators=(",", ":"), ensure_ascii=True) + "\n"
    from kubectl_rollouts_py.render.output import yaml_text  # libyaml where it writes the same bytes

    return "---\n" + yaml_text(document)


def with_countdown(view: Any) -> Any:
    """The view with a timed pause's time left added to its message (live views only)."""
    remaining = getattr(view, "pause_remaining", None)
    if not remaining:
        return view
    message = f"{view.message} ({remaining} left)" if view.message else f"{remaining} left"
    return dataclasses.replace(view, message=message)


def view_frame(view: Any, output: str, now: dt.datetime, render: Callable[[Any], str], *, live: bool) -> Frame:
    """The frame of a rollout or experiment view: `render(view)` for text, else the view's
    document. Live frames add the pause countdown and know when the clock changes them."""
    from kubectl_rollouts_py.render.output import serialise

    if output != "text":
        return Frame(document_text(view.to_dict(), output) if live else serialise(view.to_dict(), output))
    if not live:
        return Frame(render(view))
    from kubectl_rollouts_py.derive import clock

    def key() -> str:  # the clock-free content: what counts as a change for printed frames
        return json.dumps(view.to_dict(), sort_keys=True, ensure_ascii=True)

    return Frame(render(with_countdown(view)), key=key, wake_at=clock.next_change(view, now))


# --------------------------------------------------------------------------- sinks


class Printer:
    """Frames as a stream of text: each changed frame printed in full (pipes, files, `-o json`).

    `separator()` gives the line printed before every frame but the first (None: nothing).
    """

    ticks = False  # printed frames do not follow the clock

    def __init__(self, write: Callable[[str], None], separator: Callable[[], str] | None = None,
                 warn: Callable[[str], None] | None = None) -> None:
        self._write = write
        self._separator = separator
        self._warn = warn
        self._last: str | None = None

    def show(self, frame: Frame) -> bool:
        key = frame.change_key()
        if key == self._last:
            return False
        if self._last is not None and self._separator is not None:
            self._write(self._separator())
        self._last = key
        self._write(frame.text)
        return True

    def refit(self) -> None:
        """Nothing to do: printed frames do not depend on the terminal's size."""

    def trouble(self, outage: Outage) -> None:
        """A `Warning:` line on stderr (stdout stays the frames alone) when an outage starts
        and when it ends; not for every failed attempt in between."""
        if self._warn is None:
            return
        if outage.ended:
            self._warn(f"Warning: reconnected to the API server after {outage.seconds():.0f}s")
        elif outage.new:
            self._warn(f"Warning: reconnecting: {outage.error}")


class ScreenSink:
    """Frames drawn in place on a terminal (term.screen.Screen), fitted to its height."""

    ticks = True

    def __init__(self, screen: Any) -> None:
        self.screen = screen
        self._text: str | None = None
        self._status = ""  # a line above the frame while the streams cannot reconnect

    def show(self, frame: Frame) -> bool:
        self._text = frame.text
        return self._draw()

    def refit(self) -> None:
        self.screen.refit()

    def trouble(self, outage: Outage) -> None:
        # On top, so that fitting a tall frame to the terminal cannot cut it off.
        self._status = "" if outage.ended else f"reconnecting: {outage.error}\n\n"
        if self._text is not None:
            self._draw()

    def _draw(self) -> bool:
        assert self._text is not None
        return bool(self.screen.show(self._status + self._text))


def on_terminal() -> bool:
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb"


def frame_separator(clock: Callable[[], dt.datetime]) -> Callable[[], str]:
    """Between printed frames: an empty line and `--- <UTC time>`."""
    return lambda: f"\n--- {clock().strftime('%Y-%m-%dT%H:%M:%SZ')}\n"


@contextmanager
def sink_for(app: Any, output: str) -> Iterator[Printer | ScreenSink]:
    """A Screen for text on a terminal; otherwise printed frames (NDJSON for -o json)."""
    if output == "text" and on_terminal():
        from kubectl_rollouts_py.render.fold import fit_height
        from kubectl_rollouts_py.term.screen import Screen

        with Screen(sys.stdout, fit=fit_height) as screen:
            yield ScreenSink(screen)
    else:
        yield Printer(app.write, frame_separator(app.now) if output == "text" else None, app.warn)


# --------------------------------------------------------------------------- the loop


class Outage:
    """The streams' trouble reconnecting (kube.follow.Trouble), from the first report until
    every troubled stream has recovered."""

    def __init__(self, started: float, monotonic: Callable[[], float]) -> None:
        self.started = started
        self._monotonic = monotonic
        self.error = ""
        self.troubled: set[Any] = set()
        self.new = True  # the first report of this outage (set by `run`)
        self.ended = False

    def seconds(self) -> float:
        return self._monotonic() - self.started

    def note(self) -> str:
        """What a timeout message adds: the API server, not the rollout, may be why."""
        return f"; the API server was unreachable for the last {self.seconds():.0f}s ({self.error})"


@dataclass(frozen=True)
class Ended:
    """How `run` ended: "done" (a frame said so: see `verdict`), "timeout" or "signal";
    `outage`: the streams could not reconnect when it ended."""

    reason: str
    verdict: Verdict | None = None
    outage: Outage | None = None


def _clean_error(text: str) -> str:
    from kubectl_rollouts_py.render.escape import clean

    return clean(" ".join(text.split()))  # the server's words: one line, nothing raw


@contextmanager
def following(source: Any, streams: Sequence[Stream]) -> Iterator[Follower]:
    """A started Follower whose threads cannot take the stopping signals (term.signals: a
    thread that took SIGHUP left the main thread asleep, and the view outlived its
    terminal)."""
    from kubectl_rollouts_py.term.signals import threads_without_signals

    follower = Follower(source, streams)
    with threads_without_signals():
        follower.start()
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

    wanted = {signal.SIGTERM: stop, signal.SIGHUP: stop, signal.SIGWINCH: lambda *_: follower.wake("resize")}
    previous = {}
    for signum, handler in wanted.items():
        if signal.getsignal(signum) is signal.SIG_IGN:
            continue  # e.g. SIGHUP under nohup: keep ignoring it
        previous[signum] = signal.signal(signum, handler)
    try:
        with when_stdout_reader_goes(reader_gone):
            yield signals
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def run(
    follower: Follower,
    cache: ObjectCache,
    build: Callable[[ObjectCache, dt.datetime], Frame | None],
    sink: Printer | ScreenSink,
    *,
    timeout: float | None = None,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc),
    monotonic: Callable[[], float] = time.monotonic,
) -> Ended:
    """Feed the follower's changes into the cache and show frames until done, timeout or signal.

    The first frame is built once every stream has listed. After that a change is drawn at
    once if the last draw of a change is MIN_INTERVAL old, else at the end of that interval
    together with whatever else arrived (a clock tick in between does not delay it). Clock
    ticks come when the last frame said its text would change, at most once a CLOCK_INTERVAL.
    `build` returning None shows nothing (e.g. the object is gone).
    """
    deadline = monotonic() + timeout if timeout else None
    outage: Outage | None = None
    dirty = False
    last_change_draw = -math.inf  # bursts are coalesced after draws of changes, not of clock ticks
    clock_due: float | None = None
    while True:
        now = monotonic()
        due = [t for t in (deadline, last_change_draw + MIN_INTERVAL if dirty else None, clock_due) if t is not None]
        batch = follower.get(max(0.0, min(due) - now) if due else None)
        for item in batch or ():
            if isinstance(item, Wakeup):
                if item.reason == "stop":
                    return Ended("signal")
                if item.reason == "resize":
                    sink.refit()
        outage = _track_outage(outage, batch or (), sink, monotonic)
        if batch and cache.apply(batch):
            dirty = True
        now = monotonic()
        if deadline is not None and now >= deadline:
            return Ended("timeout", outage=outage)
        if not cache.synced:
            continue
        if (dirty and now >= last_change_draw + MIN_INTERVAL) or (clock_due is not None and now >= clock_due):
            wall = clock()
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


def _track_outage(outage: Outage | None, batch: Sequence[Any], sink: Printer | ScreenSink,
                  monotonic: Callable[[], float]) -> Outage | None:
    """Follow the streams' Trouble and Recovered reports; tell the sink when an outage starts,
    when its error changes (a status line only) and when it ends. Returns the outage going on."""
    changed = False
    for item in batch:
        if isinstance(item, Trouble):
            if outage is None:
                outage = Outage(monotonic(), monotonic)
            error = _clean_error(item.error)
            changed = changed or error != outage.error or item.resource not in outage.troubled
            outage.error = error
            outage.troubled.add(item.resource)
        elif isinstance(item, Recovered) and outage is not None:
            outage.troubled.discard(item.resource)
            changed = True
    if outage is None or not changed:
        return outage
    if not outage.troubled:
        outage.ended = True
        sink.trouble(outage)
        return None
    sink.trouble(outage)
    outage.new = False
    return outage


# --------------------------------------------------------------------------- rollout and experiment views


def _label_selector(selector: Any) -> str | None:
    """A LabelSelector object as a label selector string; None if it selects everything or
    cannot be written as one."""
    if not isinstance(selector, dict):
        return None
    terms = []
    labels = selector.get("matchLabels") or {}
    if not isinstance(labels, dict):
        return None
    for key, value in sorted(labels.items()):
        if not isinstance(key, str) or not isinstance(value, str):
            return None
        terms.append(f"{key}={value}")
    for expression in selector.get("matchExpressions") or []:
        if not isinstance(expression, dict):
            return None
        key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
        if not isinstance(key, str) or not all(isinstance(v, str) for v in values):
            return None
        if operator in ("In", "NotIn") and values:
            terms.append(f"{key} {operator.lower()} ({','.join(values)})")
        elif operator == "Exists":
            terms.append(key)
        elif operator == "DoesNotExist":
            terms.append(f"!{key}")
        else:
            return None
    return ",".join(terms) or None


def rollout_pod_selector(rollout: dict[str, Any]) -> str | None:
    """What selects every ReplicaSet and pod a rollout's view can show: the rollout's own
    selector, unless an experiment step picks its own selector (then: None, everything)."""
    from kubectl_rollouts_py.derive import fields as f

    for step in f.seq(rollout, "spec", "strategy", "canary", "steps"):
        if any(isinstance(t, dict) and t.get("selector") is not None for t in f.seq(step, "experiment", "templates")):
            return None
    return _label_selector(f.mapping(rollout, "spec").get("selector"))


def rollout_verdict(rollout: dict[str, Any]) -> Verdict | None:
    """--until-complete: 0 once the rollout is Healthy, 1 once it is Degraded or aborted."""
    from kubectl_rollouts_py.derive import rollout as derive_rollout

    state, message = derive_rollout.rollout_status(rollout)
    if state == "Degraded":
        return Verdict(f"The rollout is in a degraded state with message: {message}")
    status = rollout.get("status")
    if isinstance(status, dict) and status.get("abort") is True:
        return Verdict("The rollout was aborted")
    if state == "Healthy":
        return Verdict()
    return None


FrameFunction = Callable[..., Frame]


# What each kind of view is built from, besides the object itself (all in its namespace).
RELATED = {
    r.ROLLOUTS: (r.REPLICASETS, r.PODS, r.ANALYSISRUNS, r.EXPERIMENTS),
    r.EXPERIMENTS: (r.REPLICASETS, r.PODS, r.ANALYSISRUNS),
}


def watch_view(
    app: Any,
    source: Any,
    target: r.Resource,
    name: str,
    frame: FrameFunction,
    output: str,
    *,
    timeout: float | None = None,
    until_complete: bool = False,
    related: Sequence[r.Resource] | None = None,
) -> None:
    """`get rollout|experiment NAME -w` and `watch NAME` until timeout, a signal or, with
    `until_complete`, the rollout's verdict (raised as an error when it is a failure).

    One stream watches the object itself (field-selected by name) and one each kind in
    `related` (default: RELATED[target]; () for a view of the object alone, such as an
    AnalysisRun's). ReplicaSets and pods of a rollout are label-selected by its selector.
    `frame(app, obj, objects, output, now=..., live=memo)` builds each frame from memory
    (objects: a fetch.NamespaceObjects, empty lists for kinds not watched); it derives its
    view through `memo.view(...)`, so clock ticks re-age the last view.
    """
    from kubectl_rollouts_py.kube import fetch

    namespace = source.namespace
    obj = fetch.fetch_object(source, target, name, namespace)  # fails fast, with the reference's words
    is_rollout = target is r.ROLLOUTS
    if is_rollout:
        fetch.check_workload_ref(source, obj, namespace)
    pods = rollout_pod_selector(obj) if is_rollout else None
    kinds = tuple(RELATED.get(target, ()) if related is None else related)
    streams = [Stream(target, namespace, field_selector=f"metadata.name={name}")]
    streams += [Stream(kind, namespace, label_selector=pods if kind in (r.REPLICASETS, r.PODS) else None)
                for kind in kinds if kind is not target]
    cache = ObjectCache(s.resource for s in streams)
    memo = Memo()

    def build(cache: ObjectCache, now: dt.datetime) -> Frame | None:
        current = cache.get(target, name, namespace)
        if current is None:
            return None  # deleted: keep showing the last frame, as the reference does
        objects = fetch.NamespaceObjects(*(cache.items(kind) if kind in kinds else []
                                           for kind in (r.REPLICASETS, r.PODS, r.ANALYSISRUNS, r.EXPERIMENTS)))
        memo.version = cache.changes
        shown = frame(app, current, objects, output, now=now, live=memo)
        if until_complete and is_rollout:
            shown = dataclasses.replace(shown, done=rollout_verdict(current))
        return shown

    with following(source, streams) as follower, signals_wake(follower) as signals, sink_for(app, output) as sink:
        ended = run(follower, cache, build, sink, timeout=timeout, clock=app.now)
    signals.raise_caught()
    if ended.verdict is not None and ended.verdict.error is not None:
        raise errors.RolloutsError(ended.verdict.error)
    if until_complete and ended.reason != "done":
        why = "timed out" if ended.reason == "timeout" else "stopped"
        note = ended.outage.note() if ended.outage is not None else ""
        raise errors.RolloutsError(f'rollout "{name}" did not complete: {why} while waiting{note}')


# --------------------------------------------------------------------------- status


def watch_status(
    app: Any,
    source: Any,
    rollout: dict[str, Any],
    line: Callable[[str, str], str],
    *,
    timeout: float | None,
    settled: Sequence[str],
    printed: str,
) -> tuple[str, str, str]:
    """`status NAME` (watching): print `line(status, message)` whenever it changes, until the
    status is one of `settled`, the timeout or a signal; return the last (status, message)
    and what a timeout message should add ("" unless the API server was unreachable).

    `rollout` is the object the first line (`printed`) was made from; the watch starts at
    its resourceVersion, so no change after it is missed.
    """
    from kubectl_rollouts_py.derive import rollout as derive_rollout
    from kubectl_rollouts_py.kube.source import ObjectList

    metadata = rollout.get("metadata") or {}
    name, namespace = str(metadata.get("name") or ""), source.namespace
    version = str(metadata.get("resourceVersion") or "")
    stream = Stream(r.ROLLOUTS, namespace, field_selector=f"metadata.name={name}",
                    listed=ObjectList([rollout], version) if version else None)
    cache = ObjectCache([r.ROLLOUTS])
    state = derive_rollout.rollout_status(rollout)

    def build(cache: ObjectCache, now: dt.datetime) -> Frame:
        nonlocal state
        current = cache.get(r.ROLLOUTS, name, namespace)
        if current is None:
            raise errors.NotFound(f'rollout.argoproj.io "{name}" not found')
        state = derive_rollout.rollout_status(current)
        return Frame(line(*state), done=Verdict() if state[0] in settled else None)

    printer = Printer(app.write, warn=app.warn)
    printer.show(Frame(printed))
    with following(source, [stream]) as follower, signals_wake(follower) as signals:
        ended = run(follower, cache, build, printer, timeout=timeout, clock=app.now)
    signals.raise_caught()
    return (*state, ended.outage.note() if ended.outage is not None else "")


# --------------------------------------------------------------------------- list rollouts -w


def watch_rows(
    app: Any,
    source: Any,
    listed: Any,
    namespace: str | None,
    field_selector: str | None,
    row_of: Callable[[dict[str, Any]], Any],
    show: Callable[[list[Any]], str],
) -> None:
    """`list rollouts -w`: after the table made from `listed`, print `show(rows)` for the rows
    that differ from the last printed ones, until a signal (or Ctrl-C)."""
    printed = {(row.namespace, row.name): row for row in map(row_of, listed.items)}
    stream = Stream(r.ROLLOUTS, namespace, field_selector=field_selector, listed=listed)
    cache = ObjectCache([r.ROLLOUTS])
    count = 0

    def build(cache: ObjectCache, now: dt.datetime) -> Frame | None:
        nonlocal count
        changed = []
        for item in cache.items(r.ROLLOUTS):
            row = row_of(item)
            if printed.get((row.namespace, row.name)) != row:
                printed[(row.namespace, row.name)] = row
                changed.append(row)
        if not changed:
            return None
        count += 1
        return Frame(show(changed), key=str(count))

    with following(source, [stream]) as follower, signals_wake(follower) as signals:
        run(follower, cache, build, Printer(app.write, warn=app.warn), clock=app.now)
    signals.raise_caught()
