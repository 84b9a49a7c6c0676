"""The stand-in API server's fault-injecting mode (APIServer.inject), over raw HTTP."""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from kubectl_rollouts_py.sandbox.apiserver import APIServer, Fault

ROLLOUTS = "/apis/argoproj.io/v1alpha1/namespaces/default/rollouts"


def _rollout(name: str) -> dict:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": name, "namespace": "default"}, "spec": {}}


@pytest.fixture
def server() -> Iterator[APIServer]:
    with APIServer() as srv:
        srv.seed([_rollout("r0"), _rollout("r1"), _rollout("r2")])
        yield srv


def _get(srv: APIServer, path: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(srv.url + path, timeout=5) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_error_with_retry_after_is_bounded_by_times(server: APIServer) -> None:
    server.inject("GET", ROLLOUTS, Fault.error(429, retry_after=0.05), times=2)
    answers = [_get(server, ROLLOUTS) for _ in range(3)]
    assert [a[0] for a in answers] == [429, 429, 200]
    assert answers[0][1]["Retry-After"] == "0.05"
    assert json.loads(answers[0][2])["reason"] == "TooManyRequests"
    assert server.fault_hits() == 2
    assert len(server.requests) == 3  # faulted requests are still recorded


@pytest.mark.parametrize("code,reason", [(500, "InternalError"), (503, "ServiceUnavailable"), (504, "Timeout")])
def test_server_errors(server: APIServer, code: int, reason: str) -> None:
    server.inject("GET", ROLLOUTS + "/r0", Fault.error(code))
    status, headers, body = _get(server, ROLLOUTS + "/r0")
    assert status == code and json.loads(body)["reason"] == reason and "Retry-After" not in headers


def test_prefix_regex_and_any_method_matching(server: APIServer) -> None:
    server.inject("*", "/apis/argoproj.io/", Fault.error(503), prefix=True)
    assert _get(server, ROLLOUTS + "/r1")[0] == 503
    assert _get(server, ROLLOUTS + "/r1")[0] == 200
    server.inject("GET", re.compile(r".*/rollouts/r[12]"), Fault.error(500), times=None)
    assert [_get(server, f"{ROLLOUTS}/r{i}")[0] for i in range(3)] == [200, 500, 500]
    server.clear_faults()
    assert _get(server, ROLLOUTS + "/r1")[0] == 200


def test_malformed_json(server: APIServer) -> None:
    server.inject("GET", ROLLOUTS, Fault.malformed())
    status, _, body = _get(server, ROLLOUTS)
    assert status == 200
    with pytest.raises(ValueError):
        json.loads(body)


def test_delay_holds_the_answer_back(server: APIServer) -> None:
    server.inject("GET", ROLLOUTS, Fault.delay(0.3))
    started = time.monotonic()
    assert _get(server, ROLLOUTS)[0] == 200
    assert time.monotonic() - started >= 0.3


def test_drop_mid_body_after_a_write_was_applied(server: APIServer) -> None:
    server.inject("PATCH", ROLLOUTS + "/r0", Fault.drop())
    conn = http.client.HTTPConnection(server.url.split("//")[1], timeout=5)
    conn.request("PATCH", ROLLOUTS + "/r0", body=b'{"spec":{"paused":true}}',
                 headers={"Content-Type": "application/merge-patch+json"})
    response = conn.getresponse()
    assert response.status == 200
    with pytest.raises(http.client.IncompleteRead):
        response.read()
    assert server.get_object("rollouts", "default", "r0")["spec"]["paused"] is True


def test_drop_before_processing_applies_nothing(server: APIServer) -> None:
    server.inject("PATCH", ROLLOUTS + "/r0", Fault.drop(after_processing=False))
    conn = http.client.HTTPConnection(server.url.split("//")[1], timeout=5)
    conn.request("PATCH", ROLLOUTS + "/r0", body=b'{"spec":{"paused":true}}',
                 headers={"Content-Type": "application/merge-patch+json"})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        conn.getresponse()
    assert "paused" not in server.get_object("rollouts", "default", "r0")["spec"]


def test_watch_faults_only_meet_watches(server: APIServer) -> None:
    server.inject("GET", ROLLOUTS, Fault.watch_close(events=2))
    assert _get(server, ROLLOUTS)[0] == 200 and server.fault_hits() == 0  # a LIST is not a watch
    _, _, body = _get(server, ROLLOUTS + "?watch=true&resourceVersion=0")
    assert [json.loads(line)["type"] for line in body.splitlines()] == ["ADDED", "ADDED"]

    server.inject("GET", ROLLOUTS, Fault.watch_expired())
    _, _, body = _get(server, ROLLOUTS + "?watch=true&resourceVersion=1")
    event = json.loads(body)
    assert event["type"] == "ERROR" and event["object"]["code"] == 410


def test_inject_is_thread_safe_and_exact_in_count(server: APIServer) -> None:
    server.inject("GET", ROLLOUTS + "/r0", Fault.error(503), times=25)
    codes: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            code = _get(server, ROLLOUTS + "/r0")[0]
            with lock:
                codes.append(code)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes.count(503) == 25 and codes.count(200) == 55


def test_times_must_be_positive(server: APIServer) -> None:
    with pytest.raises(ValueError):
        server.inject("GET", ROLLOUTS, Fault.error(500), times=0)


def test_an_error_fault_also_meets_a_watch(server: APIServer) -> None:
    server.inject("GET", ROLLOUTS, Fault.error(410))
    assert _get(server, ROLLOUTS + "?watch=true&resourceVersion=1")[0] == 410


def _watch_status(srv: APIServer) -> int:
    """The status of a watch's answer, without waiting for the stream to end."""
    conn = http.client.HTTPConnection(srv.url.split("//", 1)[1], timeout=5)
    try:
        conn.request("GET", ROLLOUTS + "?watch=true&resourceVersion=1")
        return conn.getresponse().status
    finally:
        conn.close()


def test_an_error_aimed_at_the_relist_skips_the_first_list_and_every_watch(server: APIServer) -> None:
    # What a list-then-watch client sends: list, watch (410), re-list, re-list again.
    server.inject("GET", ROLLOUTS, Fault.error(503), watch=False, skip=1)
    assert _get(server, ROLLOUTS)[0] == 200  # the first list is let through
    assert _watch_status(server) == 200  # a watch never matches
    assert _get(server, ROLLOUTS)[0] == 503  # the re-list meets it
    assert _get(server, ROLLOUTS)[0] == 200  # times=1: used up
    assert server.fault_hits() == 1


def test_a_watch_only_error(server: APIServer) -> None:
    server.inject("GET", ROLLOUTS, Fault.error(503), watch=True)
    assert _get(server, ROLLOUTS)[0] == 200
    assert _watch_status(server) == 503


def test_contradictory_rules_are_refused(server: APIServer) -> None:
    with pytest.raises(ValueError):
        server.inject("GET", ROLLOUTS, Fault.watch_close(), watch=False)
    with pytest.raises(ValueError):
        server.inject("GET", ROLLOUTS, Fault.malformed(), watch=True)
    with pytest.raises(ValueError):
        server.inject("GET", ROLLOUTS, Fault.error(500), skip=-1)


def test_watch_drop_cuts_the_connection_mid_event(server: APIServer) -> None:
    server.inject("GET", ROLLOUTS, Fault.watch_drop(events=2))
    conn = http.client.HTTPConnection(server.url.split("//", 1)[1], timeout=5)
    try:
        conn.request("GET", ROLLOUTS + "?watch=true&resourceVersion=0")
        response = conn.getresponse()
        assert response.status == 200
        with pytest.raises(http.client.IncompleteRead) as cut:
            response.read()
    finally:
        conn.close()
    # The two events came whole; the third chunk was cut short, so the body never ended.
    lines = cut.value.partial.split(b"\n")
    assert [json.loads(line)["type"] for line in lines[:2]] == ["ADDED", "ADDED"] and lines[2:] == [b""]
