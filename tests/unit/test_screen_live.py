"""The live loop (watch.engine.run) on a simulated clock: coalescing, clock ticks, exits, sinks."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest

from kubectl_rollouts_py.derive.verdict import Verdict, rollout_verdict
from kubectl_rollouts_py.environment import Environment
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.kube.cache import ObjectCache
from kubectl_rollouts_py.kube.follow import Wakeup
from kubectl_rollouts_py.kube.selectors import rollout_pod_selector
from kubectl_rollouts_py.render.output import document_text
from kubectl_rollouts_py.watch import engine
from kubectl_rollouts_py.watch.frames import Frame
from kubectl_rollouts_py.watch.sinks import Printer

T0 = dt.datetime(2026, 11, 29, 8, 0, 0, tzinfo=dt.timezone.utc)


class SimulatedFollower:
    """Delivers scripted batches at scripted times on a simulated monotonic clock."""

    def __init__(self, script: list[tuple[float, list[Any]]]) -> None:
        self.script = sorted(script, key=lambda item: item[0])
        self.now = 0.0
        self.waits: list[float | None] = []

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> dt.datetime:
        return T0 + dt.timedelta(seconds=self.now)

    def get(self, timeout: float | None = None) -> list[Any] | None:
        self.waits.append(timeout)
        if self.script and (timeout is None or self.script[0][0] <= self.now + timeout):
            at, batch = self.script.pop(0)
            self.now = max(self.now, at)
            return batch
        if timeout is None:
            raise AssertionError("blocked forever: nothing left to deliver")
        self.now += timeout
        return None


class Recorder:
    ticks = True

    def __init__(self) -> None:
        self.frames: list[tuple[float, str]] = []
        self.refits = 0
        self.clock = lambda: 0.0

    def show(self, frame: Frame) -> bool:
        self.frames.append((self.clock(), frame.text))
        return True

    def refit(self) -> None:
        self.refits += 1


def pods(version: int) -> tuple:
    return (r.PODS, "MODIFIED", {"metadata": {"name": "p", "namespace": "ns", "resourceVersion": str(version)}})


def listed() -> tuple:
    return (r.PODS, "LIST", {"items": []})


def by_version(cache: ObjectCache, now: dt.datetime) -> Frame:
    items = cache.items(r.PODS)
    return Frame(items[0]["metadata"]["resourceVersion"] if items else "empty")


def run(script: list[tuple[float, list[Any]]], build: Any = by_version, **kwargs: Any) -> tuple[engine.Ended, Recorder, SimulatedFollower]:
    follower = SimulatedFollower(script)
    sink = Recorder()
    sink.clock = follower.monotonic
    env = Environment(io.StringIO(), io.StringIO(), io.StringIO(), clock=follower.wall, monotonic=follower.monotonic)
    ended = engine.run(follower, ObjectCache([r.PODS]), build, sink, env, **kwargs)  # type: ignore[arg-type]
    return ended, sink, follower


def test_first_frame_once_listed_then_a_change_is_drawn_at_once() -> None:
    ended, sink, _ = run([(0.5, [listed()]), (3.0, [pods(1)]), (9.0, [Wakeup("stop")])])
    assert sink.frames == [(0.5, "empty"), (3.0, "1")]
    assert ended == engine.Ended("signal")


def test_bursts_are_coalesced_to_five_redraws_a_second() -> None:
    burst = [(1.0 + i * 0.01, [pods(i + 1)]) for i in range(200)]  # 100 events a second for 2 s
    ended, sink, _ = run([(0.0, [listed()]), *burst, (5.0, [Wakeup("stop")])])
    times = [t for t, _ in sink.frames]
    assert all(b - a >= engine.MIN_INTERVAL - 1e-9 for a, b in zip(times, times[1:]))
    assert len(sink.frames) <= 2 * 5 + 2
    assert sink.frames[-1][1] == "200"  # the last state is always drawn


def test_idle_waits_without_a_timeout_when_nothing_depends_on_the_clock() -> None:
    _, _, follower = run([(0.0, [listed()]), (1.0, [pods(1)]), (100.0, [Wakeup("stop")])])
    assert follower.waits[-1] is None  # blocked on the streams alone: no timer, no polling


def test_the_clock_redraws_only_when_the_text_would_change_and_at_most_once_a_second() -> None:
    def ticking(cache: ObjectCache, now: dt.datetime) -> Frame:
        # Changes at the next full 5 s, then (artificially) 0.1 s later: capped at 1 s.
        seconds = (now - T0).total_seconds()
        return Frame(str(int(seconds // 5)), wake_at=now + dt.timedelta(seconds=0.1 if seconds >= 10 else 5 - seconds % 5))

    _, sink, _ = run([(0.0, [listed()]), (13.0, [Wakeup("stop")])], build=ticking)
    times = [round(t, 3) for t, _ in sink.frames]
    assert times[:3] == [0.0, 5.0, 10.0]
    assert times[3:] == [11.0, 12.0]


def test_timeout_and_resize() -> None:
    ended, sink, _ = run([(0.0, [listed()]), (1.0, [Wakeup("resize")])], timeout=2.5)
    assert ended == engine.Ended("timeout")
    assert sink.refits == 1


def test_a_frame_can_end_the_loop_with_a_verdict() -> None:
    verdict = Verdict("degraded")
    ended, _, _ = run([(0.0, [listed()])], build=lambda cache, now: Frame("x", done=verdict))
    assert ended == engine.Ended("done", verdict)


def test_nothing_is_drawn_while_the_object_is_missing() -> None:
    _, sink, _ = run([(0.0, [listed()]), (1.0, [Wakeup("stop")])], build=lambda cache, now: None)
    assert sink.frames == []


def test_printer_prints_changed_frames_with_separators() -> None:
    out = io.StringIO()
    printer = Printer(Environment(io.StringIO(), out, io.StringIO()), separator=lambda: "--\n")
    assert printer.show(Frame("a\n", key="k1"))
    assert not printer.show(Frame("a (ticked)\n", key="k1"))  # only the clock changed
    assert printer.show(Frame("b\n", key="k2"))
    assert out.getvalue() == "a\n--\nb\n"


def test_machine_output_of_live_views_is_one_line_per_document() -> None:
    assert document_text({"a": [1, "é"]}, "json") == '{"a":[1,"\\u00e9"]}\n'
    assert document_text({"a": 1}, "yaml") == "---\na: 1\n"


@pytest.mark.parametrize(("selector", "expected"), [
    ({"matchLabels": {"app": "web", "tier": "x"}}, "app=web,tier=x"),
    ({"matchExpressions": [{"key": "app", "operator": "In", "values": ["a", "b"]}, {"key": "canary", "operator": "DoesNotExist"},
                           {"key": "env", "operator": "Exists"}, {"key": "z", "operator": "NotIn", "values": ["q"]}]},
     "app in (a,b),!canary,env,z notin (q)"),
    ({}, None),
    ({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]}, None),
    ("app=web", None),
])
def test_rollout_selector_becomes_a_label_selector(selector: Any, expected: str | None) -> None:
    assert rollout_pod_selector({"spec": {"selector": selector}}) == expected


def test_an_experiment_step_with_its_own_selector_watches_every_pod() -> None:
    steps = [{"experiment": {"templates": [{"name": "t", "specRef": "canary", "selector": {"matchLabels": {"x": "y"}}}]}}]
    rollout = {"spec": {"selector": {"matchLabels": {"app": "web"}}, "strategy": {"canary": {"steps": steps}}}}
    assert rollout_pod_selector(rollout) is None
    steps[0]["experiment"]["templates"][0].pop("selector")
    assert rollout_pod_selector(rollout) == "app=web"


def test_until_complete_verdicts() -> None:
    healthy = {"status": {"phase": "Healthy"}}
    assert rollout_verdict(healthy) == Verdict()
    assert rollout_verdict({"status": {"phase": "Paused", "message": "x"}}) is None
    assert rollout_verdict({"status": {"phase": "Degraded", "message": "m"}}) == Verdict(
        "The rollout is in a degraded state with message: m")
    assert rollout_verdict({"status": {"phase": "Progressing", "abort": True}}) == Verdict("The rollout was aborted")
