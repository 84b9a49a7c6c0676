"""The dashboard's HTTP surface against the stand-in API server: the JSON API, the event
stream on a cluster change, the origin and token checks, read-only, and the requests its
actions send (the CLI's own, byte for byte)."""

from __future__ import annotations

import copy
import http.client
import threading
import time

import pytest

from kubectl_rollouts_py.dashboard import hub as hub_module
from kubectl_rollouts_py.dashboard import model

from e2e.standin import NS
from dashboard.conftest import RO, post_action, request, writes


# ------------------------------------------------------------------ pages and JSON


def test_page_and_assets_are_served_with_the_token_and_a_strict_policy(dash) -> None:
    page = request(dash, "GET", "/")
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert f'content="{dash.token}"'.encode() in page.body
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert b"cdn" not in page.body.lower() and b"https://" not in page.body
    for asset, kind in (("app.js", "text/javascript"), ("app.css", "text/css")):
        got = request(dash, "GET", f"/static/{asset}")
        assert got.status == 200 and got.headers["content-type"].startswith(kind) and got.body
    assert b"innerHTML" not in request(dash, "GET", "/static/app.js").body  # cluster strings go in as text only
    assert request(dash, "GET", "/static/../server.py").status == 404
    assert request(dash, "HEAD", "/api/v1/events").status == 405  # HEAD never holds a stream open


def test_info_and_rollout_list(dash) -> None:
    info = request(dash, "GET", "/api/v1/info").json()
    assert info["namespace"] == NS and info["namespaces"] == [NS] and info["readOnly"] is False
    listed = request(dash, "GET", "/api/v1/rollouts").json()
    assert listed["kind"] == "RolloutList"
    (row,) = listed["items"]
    assert {k: row[k] for k in ("name", "namespace", "status", "strategy", "step", "setWeight", "actualWeight")} == {
        "name": "app-backend", "namespace": NS, "status": "Paused", "strategy": "Canary", "step": "1/4",
        "setWeight": 10, "actualWeight": 20}
    assert [i["tags"] for i in row["images"]] == [["stable"], ["canary"]]
    assert (row["replicas"]["ready"], row["replicas"]["desired"]) == (5, 5)
    assert request(dash, "GET", "/api/v1/rollouts?namespace=elsewhere").json()["items"] == []  # only the served namespace is watched


def test_rollout_view_has_steps_tree_containers_and_analysis_charts(dash) -> None:
    doc = request(dash, "GET", f"/api/v1/rollouts/{NS}/app-backend").json()
    assert doc["kind"] == "RolloutView" and doc["status"] == "Paused"
    assert [(s["text"], s["state"]) for s in doc["steps"]] == [
        ("setWeight 10", "done"), ("pause 3m", "current"), ("setWeight 33", "pending"), ("pause 3m", "pending")]
    assert [r["revision"] for r in doc["revisions"]] == [2, 1]
    assert [p["name"] for p in doc["revisions"][0]["replicaSets"][0]["pods"]] == ["app-backend-6d8f9c7b5-jx2vd"]
    assert doc["containers"] == [{"name": "app-backend", "image": "luciferstut/app-backend-for-ithome2024:2.0", "kind": "container"}]
    (run,) = doc["analysis"]
    (metric,) = run["metrics"]
    assert metric["chart"]["success"] == {"op": ">=", "value": 0.95}
    assert metric["chart"]["points"] == [{"time": "2026-11-20T08:00:00Z", "value": 0.99, "phase": "Successful"}]
    assert metric["query"] == "1" and metric["limits"]["failureLimit"] == 3
    analysis = request(dash, "GET", f"/api/v1/rollouts/{NS}/app-backend/analysis").json()
    assert analysis["kind"] == "AnalysisRunList" and analysis["items"] == doc["analysis"]
    missing = request(dash, "GET", f"/api/v1/rollouts/{NS}/nope")
    assert missing.status == 404 and "not found" in missing.json()["error"]


@pytest.mark.parametrize(("condition", "expected"), [
    ("result[0] >= 0.95", {"op": ">=", "value": 0.95}),
    ("isNaN(result[0]) || result[0] >= 0.95", {"op": ">=", "value": 0.95}),
    ("result < 100", {"op": "<", "value": 100.0}),
    ("0.9 <= result[0]", {"op": ">=", "value": 0.9}),
    ("result[0] > 1 && result[0] < 5", None),
    ("len(result) == 0", None),
    ("", None),
    # Beyond float range: inf would be written as `Infinity`, which JSON.parse refuses.
    ("result[0] >= 1e999", None),
    ("result[0] < " + "9" * 400, None),
])
def test_threshold_of_simple_comparisons_only(condition: str, expected) -> None:
    assert model.threshold(condition) == expected


# ------------------------------------------------------------------ live


def _read_event(sock_file, deadline: float) -> tuple[str, str]:
    event = data = ""
    while time.monotonic() < deadline:
        line = sock_file.readline().decode()
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data = line.split(":", 1)[1].strip()
        elif line == "\n" and event:
            return event, data
    raise AssertionError("no event before the deadline")


HANG_GUARD = 30.0  # seconds; a bound on a failure, not a measure (benchmarks/page_bench.py times changes)


def test_a_cluster_change_reaches_every_event_stream(dash, cluster) -> None:
    def watch_threads() -> int:
        return sum(t.name.startswith("follow-") for t in threading.enumerate())

    before = watch_threads()
    streams = []
    for _ in range(3):  # three tabs, one set of watches
        conn = http.client.HTTPConnection(str(dash.address), dash.port, timeout=HANG_GUARD)
        conn.request("GET", "/api/v1/events", headers={"Host": f"{dash.address}:{dash.port}"})
        resp = conn.getresponse()
        assert resp.status == 200 and resp.getheader("Content-Type") == "text/event-stream"
        first = _read_event(resp.fp, time.monotonic() + HANG_GUARD)
        streams.append((conn, resp, int(first[1])))
    assert dash.hub.subscriber_count() == 3
    assert watch_threads() == before and len(dash.hub.follower.streams) == len(hub_module.KINDS)  # not one per tab

    rollout = copy.deepcopy(cluster.get_object("rollouts", NS, "app-backend"))
    rollout["status"]["currentStepIndex"] = 2
    rollout["status"].pop("pauseConditions")
    cluster.apply_change(rollout)
    for conn, resp, version in streams:
        event, data = _read_event(resp.fp, time.monotonic() + HANG_GUARD)
        assert event == "change" and int(data) > version
        conn.close()
    doc = request(dash, "GET", f"/api/v1/rollouts/{NS}/app-backend").json()
    assert [s["state"] for s in doc["steps"]][2] == "current"


def test_a_client_that_does_not_read_is_dropped_and_memory_stays_bounded(dash) -> None:
    sub = dash.hub.subscribe()
    for _ in range(hub_module.QUEUE_SIZE + 5):
        dash.hub._publish()
    assert sub.dropped and sub.queue.qsize() == hub_module.QUEUE_SIZE
    assert dash.hub.subscriber_count() == 0


# ------------------------------------------------------------------ origin, host, token, read-only


def test_wrong_host_is_refused_even_for_reads(dash) -> None:
    for host in ("evil.example:3100", f"evil.example:{dash.port}", "127.0.0.1"):
        got = request(dash, "GET", "/api/v1/rollouts", headers={"Host": host})
        assert got.status == 403 and "Host" in got.json()["error"]
    assert request(dash, "GET", "/", headers={"Host": f"localhost:{dash.port}"}).status == 200


def test_cross_origin_and_tokenless_posts_are_refused_and_send_nothing(dash, cluster) -> None:
    assert post_action(dash, "promote", headers={"Origin": "http://evil.example"}).status == 403
    assert post_action(dash, "promote", headers={"Origin": "null"}).status == 403
    assert post_action(dash, "promote", headers={"Sec-Fetch-Site": "cross-site"}).status == 403
    assert post_action(dash, "promote", token="").status == 403
    assert post_action(dash, "promote", token="x" * 43).status == 403
    assert post_action(dash, "promote", token="\u00e9" * 43).status == 403  # not ASCII: still a plain refusal
    bad_length = request(dash, "POST", f"/api/v1/rollouts/{NS}/app-backend/promote", headers={
        "X-Rollouts-Token": dash.token, "Content-Length": "nope"})
    assert bad_length.status == 400
    assert request(dash, "OPTIONS", "/api/v1/rollouts").status in (403, 405, 501)  # no CORS preflight is ever granted
    assert writes(cluster) == []


def test_read_only_hides_and_refuses_actions(read_only_dash, cluster) -> None:
    dash = read_only_dash
    assert b'name="rollouts-read-only" content="true"' in request(dash, "GET", "/").body
    assert request(dash, "GET", "/api/v1/info").json()["readOnly"] is True
    got = post_action(dash, "promote")
    assert got.status == 403 and "read-only" in got.json()["error"]
    assert writes(cluster) == []


# ------------------------------------------------------------------ actions


def test_promote_sends_the_argo_plugins_request(dash, cluster) -> None:
    got = post_action(dash, "promote")
    assert (got.status, got.json()) == (200, {"message": "rollout 'app-backend' promoted"})
    assert writes(cluster) == [("PATCH", RO + "/status", "application/merge-patch+json", {"status": {"pauseConditions": None}})]
    assert [r.body for r in cluster.requests if r.method == "PATCH"] == [b'{"status":{"pauseConditions":null}}']


@pytest.mark.parametrize(("action", "expected", "line"), [
    ("promote-full", [("PATCH", RO + "/status", "application/merge-patch+json", {"status": {"promoteFull": True}})], "fully promoted"),
    ("abort", [("PATCH", RO + "/status", "application/merge-patch+json", {"status": {"abort": True}})], "aborted"),
    ("retry", [("PATCH", RO + "/status", "application/merge-patch+json", {"status": {"abort": False}})], "retried"),
    ("pause", [("PATCH", RO, "application/merge-patch+json", {"spec": {"paused": True}})], "paused"),
])
def test_status_and_spec_actions(dash, cluster, action, expected, line) -> None:
    got = post_action(dash, action)
    assert (got.status, got.json()) == (200, {"message": f"rollout 'app-backend' {line}"})
    assert writes(cluster) == expected


def test_restart_set_image_and_undo(dash, cluster) -> None:
    assert post_action(dash, "restart").status == 200
    (method, path, _, body), = writes(cluster)
    assert (method, path) == ("PATCH", RO) and "restartAt" in body["spec"]
    cluster.clear_requests()

    got = post_action(dash, "set-image", {"container": "app-backend", "image": "example/app:3.0"})
    assert (got.status, got.json()["message"]) == (200, 'rollout "app-backend" image updated')
    (method, path, _, body), = writes(cluster)
    assert (method, path) == ("PUT", RO) and body["spec"]["template"]["spec"]["containers"][0]["image"] == "example/app:3.0"
    cluster.clear_requests()

    assert post_action(dash, "set-image", {"container": "nope", "image": "x:1"}).status == 422
    assert post_action(dash, "set-image", {"container": "app-backend"}).status == 400
    assert writes(cluster) == []

    got = post_action(dash, "undo", {"revision": 1})
    assert got.status == 200, got.json()
    (method, path, content_type, body), = writes(cluster)
    assert (method, path, content_type) == ("PATCH", RO, "application/json-patch+json")
    assert body[0]["path"] == "/spec/template"
    assert body[0]["value"]["spec"]["containers"][0]["image"].endswith(":1.0")


def test_action_errors_are_json_and_unknown_actions_404(dash, cluster) -> None:
    assert post_action(dash, "promote", name="missing").status == 404
    assert post_action(dash, "explode").status == 404
    assert request(dash, "POST", f"/api/v1/rollouts/{NS}/app-backend/promote", headers={
        "X-Rollouts-Token": dash.token, "Content-Type": "application/json"}).status == 200


def test_the_server_binds_loopback_by_default() -> None:
    import inspect

    from kubectl_rollouts_py.cli.dashboard import dashboard
    from kubectl_rollouts_py.dashboard.server import Dashboard

    assert inspect.signature(Dashboard).parameters["address"].default == "127.0.0.1"
    assert {p.name: p.default for p in dashboard.params}["address"] == "127.0.0.1"


def test_list_rows_are_rederived_only_for_changed_rollouts(cluster) -> None:
    import datetime as dt

    from e2e.standin import app_backend_objects

    objs = [cluster.get_object(plural, NS, o["metadata"]["name"]) for o in app_backend_objects()
            for plural in [{"Rollout": "rollouts", "ReplicaSet": "replicasets", "Pod": "pods", "AnalysisRun": "analysisruns"}[o["kind"]]]]
    by = {kind: [o for o in objs if o["kind"] == kind] for kind in ("Rollout", "ReplicaSet", "Pod", "AnalysisRun")}
    objects = model.Objects(by["Rollout"], by["ReplicaSet"], by["Pod"], by["AnalysisRun"], [])
    now = dt.datetime(2026, 11, 29, tzinfo=dt.timezone.utc)
    memo: dict = {}
    first = model.rollout_list(objects, NS, now, memo)
    assert first == model.rollout_list(objects, NS, now)  # the same rows with and without the memo
    assert len(memo) == 1
    (row,) = memo.values()
    assert model.rollout_list(objects, NS, now, memo)["items"][0] is row  # reused, not derived again
    assert model.rollout_list(objects, "other", now, memo)["items"] == [] and memo == {}
    # Only objects owned (by uid) by the rollout or its ReplicaSets feed its view.
    assert sorted(k for k, v in objects.of(by["Rollout"][0]).items() if v) == ["analysis_runs", "pods", "replica_sets"]
    assert len(objects.of(by["Rollout"][0])["pods"]) == 5


def test_every_interface_accepts_the_machines_names_only(cluster) -> None:
    import socket

    from kubectl_rollouts_py.dashboard.server import Dashboard

    d = Dashboard(object(), NS, address="0.0.0.0", port=0)
    try:
        assert not d.loopback and d.url == f"http://127.0.0.1:{d.port}/"
        assert {f"localhost:{d.port}", f"127.0.0.1:{d.port}", f"{socket.gethostname()}:{d.port}"} <= d.allowed_hosts
        assert f"evil.example:{d.port}" not in d.allowed_hosts and f"0.0.0.0:{d.port}" in d.allowed_hosts
    finally:
        d.httpd.server_close()


def test_a_connection_reset_before_the_request_prints_no_traceback(dash, capfd) -> None:
    import socket
    import struct

    def handlers() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if "process_request_thread" in t.name}

    earlier = handlers()  # connections of earlier tests the server may still hold
    for _ in range(3):
        conn = socket.create_connection((str(dash.address), dash.port), timeout=5)
        conn.sendall(b"GET / HTTP/1.1\r\n")  # the handler waits for the rest of the request
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()  # linger 0: a reset (RST), as a browser dropping a kept-alive connection
    # Accepted after the three, so their handlers have started by the time this is answered.
    assert request(dash, "GET", "/api/v1/info").status == 200
    # Once those handlers are gone, a traceback they printed would be in the captured output.
    give_up = time.monotonic() + HANG_GUARD
    while handlers() - earlier:
        assert time.monotonic() < give_up, "the reset connections are still being handled"
        time.sleep(0.02)
    err = capfd.readouterr().err
    assert "Traceback" not in err and "ConnectionResetError" not in err, err
