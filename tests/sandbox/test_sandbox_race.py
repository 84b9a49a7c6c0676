"""The sandbox never races its own metrics (issue 20): simulated time covers scraping.

At a high --speed, a canary's measurements fall due on the simulated clock before
Prometheus (scraping on the wall clock, never more often than every 0.2 s) has samples of
its new pods; five "no data" Errors in a row aborted a good version. The controller now
holds simulated time while a due measurement waits for those samples.

* SimClock's holds, on a fake wall clock;
* the story on a fake clock at 600x with scrapes every 0.2 s (deterministic, no real time);
* the story through the real sandbox process and CLI, the image set as soon as the
  sandbox reports ready, at --speed 10 and 60 (the built-in Prometheus; and at 60 a
  real one when installed). At --speed 1 the story takes about twelve minutes: it was run
  by hand (see the notes of issue 20), not here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kubectl_rollouts_py.sandbox import scenario
from kubectl_rollouts_py.sandbox.demoapp import DemoApp, PodTraffic
from kubectl_rollouts_py.sandbox.objects import SimClock

from .conftest import REPO, SandboxProcess, prometheus_or_skip
from .test_controller_sim import make_world, phase

ABORTED_11 = ('RolloutAborted: Rollout aborted update to revision 3: '
              'Metric "success-rate" assessed Failed due to failed (4) > failureLimit (3)')


class Wall:
    def __init__(self) -> None:
        self.t = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.t

    def tick(self, seconds: float) -> None:
        self.t += dt.timedelta(seconds=seconds)


def test_a_held_clock_stands_still_and_converts_both_ways() -> None:
    wall = Wall()
    clock = SimClock(60, wall)
    origin = clock.origin
    wall.tick(1)
    assert clock.sim() == origin + dt.timedelta(minutes=1)
    clock.hold()
    wall.tick(2)
    assert clock.holding and clock.held_for() == 2.0
    assert clock.sim() == origin + dt.timedelta(minutes=1)  # stood still
    clock.release()
    assert not clock.holding
    wall.tick(1)
    assert clock.sim() == origin + dt.timedelta(minutes=2)
    # Wall times before, during and after the hold; simulated instants back to wall times.
    assert clock.to_sim(origin + dt.timedelta(seconds=0.5)) == origin + dt.timedelta(seconds=30)
    assert clock.to_sim(origin + dt.timedelta(seconds=2)) == origin + dt.timedelta(minutes=1)
    assert clock.to_wall(origin + dt.timedelta(seconds=30)) == origin + dt.timedelta(seconds=0.5)
    assert clock.to_wall(origin + dt.timedelta(minutes=1)) == origin + dt.timedelta(seconds=3)  # the hold's end
    assert clock.to_wall(origin + dt.timedelta(minutes=2)) == wall.t
    clock.release()  # idempotent
    assert clock.sim() == origin + dt.timedelta(minutes=2)


def test_the_demo_app_says_which_versions_no_scrape_has_seen_enough() -> None:
    app = DemoApp([PodTraffic("a-1", "old")])
    app.render_metrics()
    app.add_pod(PodTraffic("b-1", "new"))
    assert app.unscraped_hashes(2) == ["old", "new"]
    app.render_metrics()
    assert app.unscraped_hashes(2) == ["new"]
    app.add_pod(PodTraffic("a-2", "old"))  # one pod of a version with data is enough
    app.render_metrics()
    assert app.unscraped_hashes(2) == []


def _errors(world) -> int:  # type: ignore[no-untyped-def]
    return sum(m.get("phase") == "Error" for run in world.server.list_objects("analysisruns", scenario.NAMESPACE)
               for m in ((run.get("status") or {}).get("metricResults") or [{}])[0].get("measurements") or [])


def _run_until(world, predicate, *, limit: float, scrape_every: float = 0.2, tick: float = 0.01) -> None:  # type: ignore[no-untyped-def]
    """Fake wall time in ticks, reconciling every tick and scraping every `scrape_every`
    (the real Prometheus' floor), until `predicate()`."""
    next_scrape = world.clock.t + scrape_every
    end = world.clock.t + limit
    while not predicate():
        assert world.clock.t < end, "\n".join(world.events[-30:])
        world.clock.t += tick
        if world.clock.t >= next_scrape:
            world.prometheus.scrape()
            next_scrape += scrape_every
        world.settle()


def test_the_story_holds_at_600x_on_a_fake_clock(tmp_path: Path) -> None:
    world = make_world(tmp_path, speed=600)
    try:
        _run_until(world, lambda: world.app.scrapes >= 3, limit=5)
        world.set_image(scenario.GOOD_TAG)  # at once: its first measurements come 0.1 s later
        good = world.rollout()["status"]["currentPodHash"]
        _run_until(world, lambda: world.rollout()["status"].get("stableRS") == good and phase(world)[0] == "Healthy", limit=30)
        assert _errors(world) == 0, world.events[-30:]
        world.set_image(scenario.BAD_TAG)
        _run_until(world, lambda: phase(world)[0] == "Degraded", limit=30)
        assert phase(world)[1].endswith('Metric "success-rate" assessed Failed due to failed (4) > failureLimit (3)')
        assert _errors(world) == 0
    finally:
        world.source.close()
        world.server.stop()
        world.prometheus.stop()


def _story(box: SandboxProcess) -> None:
    """1.2 set at once after the sandbox is up: Healthy; then 1.1: Degraded, by its analysis."""
    # The image is set as the very first thing once the sandbox reports ready (nothing runs
    # in between). How soon that is depends on the machine, so it is not asserted: a late
    # set image could only make the story easier, never fail it.
    assert box.cli("set", "image", "app-backend", f"app-backend={REPO}:1.2").code == 0
    result = box.cli("status", "app-backend", "--timeout", "300s", timeout=400)
    assert result.code == 0 and result.out.splitlines()[-1] == "Healthy", (result, box.output[-3000:])
    assert box.cli("set", "image", "app-backend", f"app-backend={REPO}:1.1").code == 0
    result = box.cli("status", "app-backend", "--timeout", "300s", timeout=400)
    assert result.code == 1 and result.out.splitlines()[-1] == f"Degraded - {ABORTED_11}", (result, box.output[-3000:])
    for run in box.runs():
        metric = run["status"]["metricResults"][0]
        assert not metric.get("error"), run["status"]


@pytest.mark.parametrize("speed", ["10", "60"])
def test_the_story_holds_when_the_image_is_set_at_once_builtin(start_sandbox, speed: str) -> None:
    _story(start_sandbox("--speed", speed, "--prometheus", "builtin"))


def test_the_story_holds_when_the_image_is_set_at_once_real_prometheus(start_sandbox) -> None:
    prometheus_or_skip()
    _story(start_sandbox("--speed", "60", "--prometheus", "auto"))
