"""The watching commands' live views, as functions the CLI calls: `get rollout|experiment|
analysisrun NAME -w` and `watch NAME` (`watch_view`), `status NAME` (`watch_status`) and
`list rollouts -w` (`watch_rows`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.derive.verdict import Verdict, rollout_verdict
from kubectl_rollouts_py.environment import Environment
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.kube.cache import ObjectCache
from kubectl_rollouts_py.kube.follow import Stream
from kubectl_rollouts_py.kube.source import ObjectList, Source
from kubectl_rollouts_py.watch.engine import following, run, signals_wake
from kubectl_rollouts_py.watch.frames import Frame, Memo
from kubectl_rollouts_py.watch.sinks import Printer, sink_for

# frame(obj, objects, output, now=..., live=memo): one frame of a view, built from memory
# (objects: a kube.fetch.NamespaceObjects).
FrameFunction = Callable[..., Frame]

# What each kind of view is built from, besides the object itself (all in its namespace).
RELATED = {
    r.ROLLOUTS: (r.REPLICASETS, r.PODS, r.ANALYSISRUNS, r.EXPERIMENTS),
    r.EXPERIMENTS: (r.REPLICASETS, r.PODS, r.ANALYSISRUNS),
}


def watch_view(
    env: Environment,
    source: Source,
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
    `frame(obj, objects, output, now=..., live=memo)` builds each frame from memory
    (objects: a fetch.NamespaceObjects, empty lists for kinds not watched); it derives its
    view through `memo.view(...)`, so clock ticks re-age the last view.
    """
    from kubectl_rollouts_py.kube import fetch
    from kubectl_rollouts_py.kube.selectors import rollout_pod_selector

    namespace = source.namespace
    obj = fetch.fetch_object(source, target, name, namespace)  # fails fast, with the Argo plugin's words
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
            return None  # deleted: keep showing the last frame, as the Argo plugin does
        objects = fetch.NamespaceObjects(*(cache.items(kind) if kind in kinds else []
                                           for kind in (r.REPLICASETS, r.PODS, r.ANALYSISRUNS, r.EXPERIMENTS)))
        memo.version = cache.changes
        shown = frame(current, objects, output, now=now, live=memo)
        if until_complete and is_rollout:
            shown = dataclasses.replace(shown, done=rollout_verdict(current))
        return shown

    with following(source, streams) as follower, signals_wake(follower) as signals, sink_for(env, output) as sink:
        ended = run(follower, cache, build, sink, env, timeout=timeout)
    signals.raise_caught()
    if ended.verdict is not None and ended.verdict.error is not None:
        raise errors.RolloutsError(ended.verdict.error)
    if until_complete and ended.reason != "done":
        why = "timed out" if ended.reason == "timeout" else "stopped"
        note = ended.outage.note() if ended.outage is not None else ""
        raise errors.RolloutsError(f'rollout "{name}" did not complete: {why} while waiting{note}')


def watch_status(
    env: Environment,
    source: Source,
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

    printer = Printer(env)
    printer.show(Frame(printed))
    with following(source, [stream]) as follower, signals_wake(follower) as signals:
        ended = run(follower, cache, build, printer, env, timeout=timeout)
    signals.raise_caught()
    return (*state, ended.outage.note() if ended.outage is not None else "")


def watch_rows(
    env: Environment,
    source: Source,
    listed: ObjectList,
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
        run(follower, cache, build, Printer(env), env)
    signals.raise_caught()
