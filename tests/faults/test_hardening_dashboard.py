"""Hardening of the dashboard's server (issue 20): names, JSON depth, idle and too many
connections, the listen backlog, and its confirmation lines."""

from __future__ import annotations

import http.client
import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubectl_rollouts_py.dashboard import server
from kubectl_rollouts_py.dashboard.server import Dashboard
from kubectl_rollouts_py.kube.options import ConnectionOptions
from kubectl_rollouts_py.kube.source import open_source
from kubectl_rollouts_py.sandbox.apiserver import APIServer
from tests.e2e.standin import NS, app_backend_objects


@pytest.fixture()
def cluster(tmp_path: Path) -> Iterator[APIServer]:
    with APIServer() as srv:
        srv.seed(app_backend_objects())
        srv.kubeconfig = srv.write_kubeconfig(tmp_path / "kubeconfig", namespace=NS)  # type: ignore[attr-defined]
        yield srv


def _serve(cluster: APIServer, namespace: str | None = None) -> Dashboard:
    source = open_source(ConnectionOptions(kubeconfig=str(cluster.kubeconfig)), ())  # type: ignore[attr-defined]
    dash = Dashboard(source, namespace, address="127.0.0.1", port=0).start()
    assert dash.hub.wait_synced(10)
    dash.closing_source = source  # type: ignore[attr-defined]
    return dash


@pytest.fixture()
def dash(cluster: APIServer) -> Iterator[Dashboard]:
    d = _serve(cluster)
    yield d
    d.close()
    d.closing_source.close()  # type: ignore[attr-defined]


def _request(dash: Dashboard, method: str, path: str, body: bytes | None = None, token: bool = True) -> tuple[int, Any]:
    conn = http.client.HTTPConnection(str(dash.address), dash.port, timeout=10)
    headers = {"Host": f"{dash.address}:{dash.port}", "Content-Type": "application/json"}
    if token:
        headers[server.TOKEN_HEADER] = dash.token
    conn.request(method, path, body=body, headers=headers)
    answer = conn.getresponse()
    data = answer.read()
    conn.close()
    return answer.status, json.loads(data) if data else None


BAD = ["a%2Fb", "..", "App-Backend", "x%3Fy%3D1", "a%00b", "%2E%2E"]


@pytest.mark.parametrize("name", BAD)
def test_a_name_that_is_no_kubernetes_name_is_a_400_and_reaches_no_api_path(dash, cluster, name: str) -> None:
    cluster.clear_requests()
    for method, path in (("GET", f"/api/v1/rollouts/{NS}/{name}"), ("GET", f"/api/v1/rollouts/{NS}/{name}/analysis"),
                         ("POST", f"/api/v1/rollouts/{NS}/{name}/abort"), ("GET", f"/api/v1/rollouts/{name}/app-backend"),
                         ("POST", f"/api/v1/rollouts/{name}/app-backend/pause")):
        status, doc = _request(dash, method, path, b"{}" if method == "POST" else None)
        assert status == 400, (method, path, doc)
        assert doc["error"].startswith("invalid ") and "\x00" not in doc["error"]
    status, doc = _request(dash, "GET", f"/api/v1/rollouts?namespace={name}")
    assert status == 400
    assert [r.method for r in cluster.requests if r.method != "GET"] == []


def test_a_deeply_nested_body_is_a_400(dash, cluster) -> None:
    body = b"[" * 30_000 + b"]" * 30_000
    status, doc = _request(dash, "POST", f"/api/v1/rollouts/{NS}/app-backend/set-image", body)
    assert status == 400 and doc["error"] == "the body is nested too deeply"
    status, doc = _request(dash, "POST", f"/api/v1/rollouts/{NS}/app-backend/set-image", b'{"a":' * 10_000 + b"1" + b"}" * 10_000)
    assert status == 400


def test_the_pause_line_says_paused(dash, cluster) -> None:
    status, doc = _request(dash, "POST", f"/api/v1/rollouts/{NS}/app-backend/pause", b"{}")
    assert status == 200 and doc["message"] == "rollout 'app-backend' paused"


def test_the_listen_backlog_is_not_the_standard_librarys_five(dash) -> None:
    assert dash.httpd.request_queue_size >= 128


HANG_GUARD = 30.0  # seconds; a bound on a failure, not a measure of speed


def _dash_with(cluster: APIServer, monkeypatch: pytest.MonkeyPatch, idle: float) -> Iterator[Dashboard]:
    monkeypatch.setattr(server, "IDLE_TIMEOUT", idle)
    monkeypatch.setattr(server, "MAX_CONNECTIONS", 8)
    d = _serve(cluster)
    yield d
    d.close()
    d.closing_source.close()  # type: ignore[attr-defined]


@pytest.fixture()
def small_dash(cluster: APIServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Dashboard]:
    yield from _dash_with(cluster, monkeypatch, idle=1.0)


@pytest.fixture()
def capped_dash(cluster: APIServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Dashboard]:
    # Idle connections last 3s here, so only a server stalled for many seconds could let
    # more than a few rounds of eight in before it has answered the rest.
    yield from _dash_with(cluster, monkeypatch, idle=3.0)


def _wait_until(check: Any, what: str) -> None:
    give_up = time.monotonic() + HANG_GUARD
    while not check():
        assert time.monotonic() < give_up, f"never: {what}"
        time.sleep(0.02)


def test_idle_connections_are_closed(small_dash) -> None:
    # The client's own timeout is only a hang guard: a server that kept the silent connection
    # open would make recv raise TimeoutError instead of returning the end of the stream.
    sock = socket.create_connection((str(small_dash.address), small_dash.port), timeout=HANG_GUARD)
    started = time.monotonic()
    assert sock.recv(1) == b""  # the server closed it, having heard nothing
    assert time.monotonic() - started >= 0.5  # not at once: after its idle timeout (1s)
    sock.close()


def test_connections_beyond_the_cap_are_refused_and_threads_stay_bounded(capped_dash) -> None:
    before = threading.active_count()
    socks = [socket.create_connection((str(capped_dash.address), capped_dash.port), timeout=HANG_GUARD) for _ in range(200)]
    try:
        # Wait until the server has dealt with all but the eight it serves: their answers
        # (a 503 and the end of the stream) are waiting to be read.
        poller = select.poll()
        for sock in socks:
            poller.register(sock, select.POLLIN)
        peak = [threading.active_count()]

        def answered() -> bool:
            peak[0] = max(peak[0], threading.active_count())  # a thread per connection would show here
            return len(poller.poll(0)) >= 200 - 8

        _wait_until(answered, "the connections over the cap were answered")
        assert max(peak[0], threading.active_count()) - before <= 8
        # The ones over the cap were answered 503 and closed; the others, served but
        # silent, were closed when idle (and let a few waiting ones in).
        answers = [sock.recv(200) for sock in socks]
        assert all(a == b"" or a.startswith(b"HTTP/1.1 503 ") for a in answers)
        assert sum(a.startswith(b"HTTP/1.1 503 ") for a in answers) >= 150
    finally:
        for sock in socks:
            sock.close()
    # Once they are gone, the dashboard serves again.
    _wait_until(lambda: _request(capped_dash, "GET", "/api/v1/info")[0] == 200, "the dashboard serves again")
