"""The simulated controller, in process, on a fake clock: every pass is called by the test.

The stand-in API server, the demo app, the built-in Prometheus stand-in and the controller
all read the same fake clock, so a 3m pause or a 1m analysis interval costs no real time.
The controller still talks to the server over HTTP, through a kubeconfig, and the server
records every request, so the tests can check what was written where.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kubectl_rollouts_py.kube import source as kube_source
from kubectl_rollouts_py.kube.options import ConnectionOptions
from kubectl_rollouts_py.sandbox import controller as sim
from kubectl_rollouts_py.sandbox import objects as sim_objects
from kubectl_rollouts_py.sandbox import run, scenario
from kubectl_rollouts_py.sandbox.apiserver import APIServer
from kubectl_rollouts_py.sandbox.demoapp import DemoApp

NS = scenario.NAMESPACE
RO_PATH = f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/rollouts/app-backend"


class FakeClock:
    def __init__(self) -> None:
        self.t = 1_773_489_600.0  # 2026-03-14T12:00:00Z

    def seconds(self) -> float:
        return self.t

    def wall(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.t, dt.timezone.utc)


@dataclass
class World:
    clock: FakeClock
    server: APIServer
    app: DemoApp
    prometheus: run.BuiltinPrometheus
    source: Any
    controller: sim.Controller
    events: list[str]

    def settle(self) -> None:
        """Passes until one writes nothing (a real controller's watch would trigger them)."""
        for _ in range(50):
            before = self.server.resource_version
            self.controller.reconcile()
            if self.server.resource_version == before:
                return
        raise AssertionError("the controller does not settle:\n" + "\n".join(self.events[-20:]))

    def advance(self, seconds: float, *, step: float = 5.0) -> None:
        """Let `seconds` of (fake) wall time pass, scraping and reconciling every `step`."""
        end = self.clock.t + seconds
        while self.clock.t < end:
            self.clock.t = min(end, self.clock.t + step)
            self.prometheus.scrape()
            self.settle()

    def until(self, predicate: Any, *, limit: float = 900.0, step: float = 5.0) -> None:
        waited = 0.0
        while not predicate():
            if waited >= limit:
                raise AssertionError(f"not reached in {limit:g}s of simulated time:\n" + "\n".join(self.events[-30:]))
            self.advance(step, step=step)
            waited += step

    def rollout(self) -> dict[str, Any]:
        obj = self.server.get_object("rollouts", NS, "app-backend")
        assert obj is not None
        return obj

    def set_image(self, tag: str) -> None:
        patch = [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": scenario.image(tag)}]
        self.source.patch("rollouts", "app-backend", NS, patch, patch_type="json")
        self.settle()

    def replicasets(self) -> dict[str, dict[str, Any]]:
        return {rs["metadata"]["labels"][sim_objects.HASH_LABEL]: rs for rs in self.server.list_objects("replicasets", NS)}

    def pods(self, pod_hash: str) -> list[dict[str, Any]]:
        return [p for p in self.server.list_objects("pods", NS) if p["metadata"]["labels"].get(sim_objects.HASH_LABEL) == pod_hash]

    def run_of(self, pod_hash: str) -> dict[str, Any]:
        runs = [r for r in self.server.list_objects("analysisruns", NS) if r["metadata"]["labels"][sim_objects.HASH_LABEL] == pod_hash]
        assert len(runs) == 1, runs
        return runs[0]


def make_world(tmp_path: Path, speed: float = 1.0) -> World:
    clock = FakeClock()
    server = APIServer(clock=clock.wall)
    server.start()
    app = DemoApp([], clock=clock.seconds)
    # A scrape interval of an hour: the test scrapes by hand, on the fake clock.
    prometheus = run.BuiltinPrometheus(app, interval=3600, clock=clock.seconds)
    prometheus.start()
    server.seed(scenario.seed_objects(prometheus.url, now=clock.wall()))
    kubeconfig = tmp_path / "kubeconfig"
    server.write_kubeconfig(kubeconfig, namespace=NS)
    source = kube_source.open_source(ConnectionOptions(kubeconfig=str(kubeconfig)))
    events: list[str] = []
    controller = sim.Controller(source, NS, speed=speed, hooks=run.DemoTraffic(app), log=events.append, wall=clock.wall)
    world = World(clock, server, app, prometheus, source, controller, events)
    world.settle()
    return world


@pytest.fixture()
def world(tmp_path: Path) -> Iterator[World]:
    w = make_world(tmp_path)
    yield w
    w.source.close()
    w.server.stop()
    w.prometheus.stop()


def phase(world: World) -> tuple[str, str]:
    status = world.rollout()["status"]
    return status.get("phase", ""), status.get("message", "")


def test_seeded_rollout_is_adopted_as_a_first_deployment_and_is_healthy(world: World) -> None:
    status = world.rollout()["status"]
    stable = sim_objects.pod_template_hash(world.rollout()["spec"]["template"])
    assert (status["phase"], status["message"]) == ("Healthy", "")
    assert status["stableRS"] == status["currentPodHash"] == stable
    assert status["currentStepIndex"] == 4 and status["observedGeneration"] == "1"
    assert (status["replicas"], status["updatedReplicas"], status["availableReplicas"]) == (5, 5, 5)
    assert sorted(p.name for p in world.app.pods) == sorted(p["metadata"]["name"] for p in world.pods(stable))


def test_a_good_version_walks_the_steps_while_analysis_passes_then_becomes_stable(world: World) -> None:
    old = world.rollout()["status"]["stableRS"]
    world.set_image(scenario.GOOD_TAG)
    new = world.rollout()["status"]["currentPodHash"]
    assert new != old

    rs = world.replicasets()[new]
    owner = rs["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["uid"], owner["controller"]) == ("Rollout", world.rollout()["metadata"]["uid"], True)
    assert rs["metadata"]["annotations"][sim_objects.REVISION] == "2"
    assert rs["spec"]["template"]["metadata"]["labels"][sim_objects.HASH_LABEL] == new
    assert world.rollout()["metadata"]["annotations"][sim_objects.REVISION] == "2"

    # setWeight 10 -> 1 canary pod, 4 stable; then the 3m pause.
    status = world.rollout()["status"]
    assert status["currentStepIndex"] == 1 and status["pauseConditions"][0]["reason"] == "CanaryPauseStep"
    assert phase(world) == ("Paused", "CanaryPauseStep")
    assert (len(world.pods(new)), len(world.pods(old))) == (1, 4)
    services = {s["metadata"]["name"]: s for s in world.server.list_objects("services", NS)}
    assert services["app-backend-preview"]["spec"]["selector"][sim_objects.HASH_LABEL] == new
    assert services["app-backend-stable"]["spec"]["selector"][sim_objects.HASH_LABEL] == old

    analysis_run = world.run_of(new)
    assert analysis_run["metadata"]["name"] == f"app-backend-{new}-2"
    assert {a["name"]: a.get("value") for a in analysis_run["spec"]["args"]} == {"pod-name": "app-backend", "canary-hash": new}
    assert analysis_run["metadata"]["labels"]["rollout-type"] == "Background"

    world.advance(175)
    assert world.rollout()["status"]["currentStepIndex"] == 1  # the pause is 3m
    world.advance(10)
    assert world.rollout()["status"]["currentStepIndex"] == 3  # setWeight 33 done, second pause
    assert (len(world.pods(new)), len(world.pods(old))) == (2, 3)

    world.until(lambda: phase(world) == ("Healthy", ""))
    status = world.rollout()["status"]
    assert status["stableRS"] == status["currentPodHash"] == new
    assert world.replicasets()[old]["spec"]["replicas"] == 0 and world.pods(old) == []
    assert len(world.pods(new)) == 5

    result = world.run_of(new)["status"]
    assert result["phase"] == "Successful" and result["message"] == "Run Terminated"
    metric = result["metricResults"][0]
    assert metric["successful"] >= 5 and "failed" not in metric
    assert f'rollouts_pod_template_hash="{new}"' in metric["metadata"]["ResolvedPrometheusQuery"]
    assert all(0.95 <= float(m["value"].strip("[]")) <= 1 for m in metric["measurements"])


def test_a_bad_version_fails_its_analysis_and_is_aborted_back_to_stable(world: World) -> None:
    stable = world.rollout()["status"]["stableRS"]
    world.set_image(scenario.BAD_TAG)
    bad = world.rollout()["status"]["currentPodHash"]
    world.until(lambda: phase(world)[0] == "Degraded")
    expected = ('RolloutAborted: Rollout aborted update to revision 2: '
                'Metric "success-rate" assessed Failed due to failed (4) > failureLimit (3)')
    assert phase(world) == ("Degraded", expected)
    status = world.rollout()["status"]
    assert status["abort"] is True and status["currentStepIndex"] == 0 and "abortedAt" in status
    assert status["canary"]["currentBackgroundAnalysisRunStatus"]["status"] == "Failed"
    world.settle()
    assert world.replicasets()[bad]["spec"]["replicas"] == 0 and world.pods(bad) == []
    assert len(world.pods(stable)) == 5
    metric = world.run_of(bad)["status"]["metricResults"][0]
    assert (metric["phase"], metric["failed"]) == ("Failed", 4)
    assert all(float(m["value"].strip("[]")) < 0.95 for m in metric["measurements"])
    # Initial delay 1m, then every minute: aborted about four minutes after the update.
    started = dt.datetime.fromisoformat(world.run_of(bad)["status"]["startedAt"].replace("Z", "+00:00"))
    aborted = dt.datetime.fromisoformat(status["abortedAt"].replace("Z", "+00:00"))
    assert dt.timedelta(minutes=4) <= aborted - started <= dt.timedelta(minutes=4, seconds=15)


def test_status_is_written_only_through_the_status_subresource(world: World) -> None:
    world.server.clear_requests()
    world.set_image(scenario.BAD_TAG)
    world.until(lambda: phase(world)[0] == "Degraded")
    writes = [q for q in world.server.requests if q.method in ("PATCH", "PUT", "POST")]
    with_status = {"rollouts", "replicasets", "pods"}
    status_writes = 0
    for request in writes:
        parts = request.path.strip("/").split("/")
        kind = next((p for p in parts if p in with_status), None)
        if kind is None:
            continue
        if parts[-1] == "status":
            status_writes += 1
            continue
        body = json.loads(request.body) if request.body else None
        assert not (isinstance(body, dict) and "status" in body), f"{request.method} {request.path} carries status"
    assert status_writes > 10
    assert any(q.path == RO_PATH + "/status" for q in writes)


def test_promote_abort_retry_and_promote_full(world: World) -> None:
    world.set_image(scenario.GOOD_TAG)
    new = world.rollout()["status"]["currentPodHash"]
    # promote: the pause condition is cleared; the controller moves past the pause step.
    world.source.patch("rollouts", "app-backend", NS, {"status": {"pauseConditions": None}}, subresource="status")
    world.settle()
    assert world.rollout()["status"]["currentStepIndex"] == 3
    # abort: canary to 0, Degraded without an analysis message.
    world.source.patch("rollouts", "app-backend", NS, {"status": {"abort": True}}, subresource="status")
    world.settle()
    assert phase(world) == ("Degraded", "RolloutAborted: Rollout aborted update to revision 2")
    assert world.pods(new) == []
    assert world.run_of(new)["spec"]["terminate"] is True
    # retry: steps from 0, a second AnalysisRun.
    world.source.patch("rollouts", "app-backend", NS, {"status": {"abort": False}}, subresource="status")
    world.settle()
    assert phase(world) == ("Paused", "CanaryPauseStep")
    names = sorted(r["metadata"]["name"] for r in world.server.list_objects("analysisruns", NS))
    assert names == [f"app-backend-{new}-2", f"app-backend-{new}-2.1"]
    # promote --full: straight to stable.
    world.source.patch("rollouts", "app-backend", NS, {"status": {"promoteFull": True}}, subresource="status")
    world.settle()
    assert phase(world) == ("Healthy", "")
    assert "promoteFull" not in world.rollout()["status"]


def test_manual_pause_holds_the_steps_until_promoted(world: World) -> None:
    world.set_image(scenario.GOOD_TAG)
    world.source.patch("rollouts", "app-backend", NS, {"spec": {"paused": True}})
    world.settle()
    assert phase(world) == ("Paused", "manually paused")
    world.advance(600)
    assert world.rollout()["status"]["currentStepIndex"] == 1
    world.source.patch("rollouts", "app-backend", NS, {"status": {"pauseConditions": None}}, subresource="status")
    world.source.patch("rollouts", "app-backend", NS, {"spec": {"paused": False}})
    world.settle()
    assert world.rollout()["status"]["currentStepIndex"] == 3


def test_undo_to_the_stable_template_skips_the_steps_and_bumps_the_revision(world: World) -> None:
    stable = world.rollout()["status"]["stableRS"]
    old_template = world.replicasets()[stable]["spec"]["template"]
    world.set_image(scenario.BAD_TAG)
    del old_template["metadata"]["labels"][sim_objects.HASH_LABEL]
    world.source.patch("rollouts", "app-backend", NS, [{"op": "replace", "path": "/spec/template", "value": old_template}],
                       patch_type="json")
    world.settle()
    assert phase(world) == ("Healthy", "")
    assert world.rollout()["status"]["currentPodHash"] == stable
    assert world.replicasets()[stable]["metadata"]["annotations"][sim_objects.REVISION] == "3"


def test_restart_replaces_every_pod_then_records_restarted_at(world: World) -> None:
    stable = world.rollout()["status"]["stableRS"]
    before = {p["metadata"]["name"] for p in world.pods(stable)}
    at = sim_objects.timestamp(world.clock.wall())
    world.source.patch("rollouts", "app-backend", NS, {"spec": {"restartAt": at}})
    world.settle()
    after = {p["metadata"]["name"] for p in world.pods(stable)}
    assert len(after) == 5 and not before & after
    assert world.rollout()["status"]["restartedAt"] == at
    assert phase(world) == ("Healthy", "")
    assert sorted(p.name for p in world.app.pods) == sorted(after)  # the demo traffic followed


def test_at_speed_n_a_pause_lasts_duration_over_n_and_its_start_time_counts_down_right(tmp_path: Path) -> None:
    world = make_world(tmp_path, speed=10)
    try:
        world.set_image(scenario.GOOD_TAG)
        condition = world.rollout()["status"]["pauseConditions"][0]
        start = dt.datetime.fromisoformat(condition["startTime"].replace("Z", "+00:00"))
        # startTime + 3m is when the pause really ends: 18 s from now (within the second's truncation).
        ends = start + dt.timedelta(minutes=3)
        assert dt.timedelta(seconds=17) <= ends - world.clock.wall() <= dt.timedelta(seconds=18)
        world.advance(17, step=1)
        assert world.rollout()["status"]["currentStepIndex"] == 1
        world.advance(2, step=1)
        assert world.rollout()["status"]["currentStepIndex"] == 3
    finally:
        world.source.close()
        world.server.stop()
        world.prometheus.stop()


def test_promote_skip_current_step_and_skip_all_steps(world: World) -> None:
    world.set_image(scenario.GOOD_TAG)
    # `promote -c` on the first pause: the index moves on; the old pause condition is dropped
    # and the next pause gets its own full 3m.
    world.source.patch("rollouts", "app-backend", NS, {"status": {"currentStepIndex": 2}}, subresource="status")
    world.settle()
    status = world.rollout()["status"]
    assert status["currentStepIndex"] == 3 and phase(world) == ("Paused", "CanaryPauseStep")
    world.advance(170)
    assert world.rollout()["status"]["currentStepIndex"] == 3
    # `promote -a`: past the last step, then promoted.
    world.source.patch("rollouts", "app-backend", NS, {"status": {"currentStepIndex": 4}}, subresource="status")
    world.settle()
    status = world.rollout()["status"]
    assert phase(world) == ("Healthy", "")
    assert "pauseConditions" not in status and "controllerPause" not in status
