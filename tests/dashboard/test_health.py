"""The dashboard when the API server fails: the kinds it cannot follow are reported as stale
(`stale` in /api/v1/info, the page's banner), and it recovers by itself, changes made
meanwhile included, when the server answers again. Against the stand-in API server: stopped
and started again on the same port, answering 500 to one kind, and forbidding a watch."""

from __future__ import annotations

import copy
import time
from typing import Any
from urllib.parse import urlsplit

from kubectl_rollouts_py.sandbox.apiserver import Fault

from e2e.standin import NS
from dashboard.conftest import request

PATIENCE = 40.0  # the streams back off up to 8 s between tries, the hub up to 30 s between restarts


def wait_for(check: Any, what: str, timeout: float = PATIENCE) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        time.sleep(0.1)


def info(dash) -> dict[str, Any]:
    return request(dash, "GET", "/api/v1/info").json()


def step_shown(dash) -> int | None:
    doc = request(dash, "GET", f"/api/v1/rollouts/{NS}/app-backend").json()
    return next((s["index"] for s in doc["steps"] if s["state"] == "current"), None)


def move_to_step_2(cluster) -> None:
    rollout = copy.deepcopy(cluster.get_object("rollouts", NS, "app-backend"))
    rollout["status"]["currentStepIndex"] = 2
    rollout["status"].pop("pauseConditions")
    cluster.apply_change(rollout)


def test_api_server_down_is_reported_and_the_dashboard_recovers_with_what_changed_meanwhile(dash, cluster) -> None:
    assert info(dash)["stale"] == {} and step_shown(dash) == 1
    port = urlsplit(cluster.url).port
    cluster.stop()
    try:
        stale = wait_for(lambda: info(dash)["stale"], "the stopped API server is reported")
        assert set(stale) <= {"rollouts", "replicasets", "pods", "analysisruns", "experiments"}
        assert info(dash)["staleSince"] and info(dash)["error"]
        move_to_step_2(cluster)  # in the store while nobody can watch it
    finally:
        cluster.start(port=port)
    wait_for(lambda: info(dash)["stale"] == {}, "the stale mark is cleared once the server answers")
    assert info(dash)["staleSince"] is None and info(dash)["error"] is None
    wait_for(lambda: step_shown(dash) == 2, "the change made while the server was down is shown")


def test_a_kind_answering_500_is_stale_until_it_answers_again(renewing_dash, cluster) -> None:
    pods = f"/api/v1/namespaces/{NS}/pods"
    # The pods' open watch meets the fault when it is renewed (every 5 s here), lists too.
    cluster.inject("GET", pods, Fault.error(500, message="etcdserver: request timed out"), times=None)
    stale = wait_for(lambda: info(renewing_dash)["stale"], "the failing kind is reported")
    assert "pods" in stale and "etcdserver: request timed out" in stale["pods"]
    move_to_step_2(cluster)  # other kinds stay live meanwhile
    wait_for(lambda: step_shown(renewing_dash) == 2, "the rollouts stream keeps following")
    cluster.clear_faults()
    wait_for(lambda: info(renewing_dash)["stale"] == {}, "the kind recovers when the server answers again")


def test_a_forbidden_watch_ends_its_stream_and_the_hub_starts_it_again(renewing_dash, cluster) -> None:
    # A 403 is fatal to a follow stream: its thread ends, and Follower.get raises the error
    # in place of everything that arrived with it. The hub must start the streams again.
    cluster.forbid("watch", "analysisruns")  # the open watch is refused when it is renewed
    run = copy.deepcopy(cluster.get_object("analysisruns", NS, "app-backend-6d8f9c7b5-2"))
    run["status"]["message"] = "first change"
    cluster.apply_change(run)
    stale = wait_for(lambda: info(renewing_dash)["stale"].get("analysisruns"), "the forbidden watch is reported")
    assert "forbidden" in stale.lower()
    wait_for(lambda: renewing_dash.hub.generations >= 2, "the streams are started again (and again, with backoff)")
    cluster.clear_forbidden()
    run = copy.deepcopy(cluster.get_object("analysisruns", NS, "app-backend-6d8f9c7b5-2"))
    run["status"]["message"] = "measured after the 403"
    cluster.apply_change(run)

    def run_message() -> str:
        doc = request(renewing_dash, "GET", f"/api/v1/rollouts/{NS}/app-backend/analysis").json()
        return str(doc["items"][0]["message"])

    wait_for(lambda: run_message() == "measured after the 403", "the AnalysisRun stream follows again")
    wait_for(lambda: info(renewing_dash)["stale"] == {}, "the stale mark is cleared")
