"""Fixtures for dashboard tests: the stand-in API server seeded with the app-backend canary, and
a dashboard served in-process on a free loopback port, reading that server."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubectl_rollouts_py.dashboard.server import Dashboard
from kubectl_rollouts_py.kube.options import ConnectionOptions
from kubectl_rollouts_py.kube.source import open_source
from kubectl_rollouts_py.sandbox.apiserver import APIServer

from e2e.standin import NS, app_backend_objects

RO = f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/rollouts/app-backend"


@pytest.fixture()
def cluster(tmp_path: Path) -> Iterator[APIServer]:
    with APIServer() as srv:
        srv.seed(app_backend_objects())
        srv.kubeconfig = srv.write_kubeconfig(tmp_path / "kubeconfig", namespace=NS)  # type: ignore[attr-defined]
        srv.clear_requests()
        yield srv


def serve(cluster: APIServer, *, read_only: bool = False, namespace: str | None = NS, renew_seconds: float | None = None) -> Dashboard:
    source = open_source(ConnectionOptions(kubeconfig=str(cluster.kubeconfig)), ())  # type: ignore[attr-defined]
    dash = Dashboard(source, namespace, address="127.0.0.1", port=0, read_only=read_only, renew_seconds=renew_seconds).start()
    assert dash.hub.wait_synced(10), "the dashboard's watches did not list within 10 s"
    dash.closing_source = source  # type: ignore[attr-defined]
    return dash


@pytest.fixture()
def dash(cluster: APIServer) -> Iterator[Dashboard]:
    d = serve(cluster)
    yield d
    d.close()
    d.closing_source.close()  # type: ignore[attr-defined]


@pytest.fixture()
def renewing_dash(cluster: APIServer) -> Iterator[Dashboard]:
    """A dashboard whose watches are renewed every 5 s, so that a fault injected for the
    next watch request meets it soon."""
    d = serve(cluster, renew_seconds=5)
    yield d
    d.close()
    d.closing_source.close()  # type: ignore[attr-defined]


@pytest.fixture()
def read_only_dash(cluster: APIServer) -> Iterator[Dashboard]:
    d = serve(cluster, read_only=True)
    yield d
    d.close()
    d.closing_source.close()  # type: ignore[attr-defined]


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


def request(dash: Dashboard, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Response:
    """One HTTP request to the dashboard; Host is the served address unless `headers` says otherwise."""
    conn = http.client.HTTPConnection(str(dash.address), dash.port, timeout=10)
    sent = {"Host": f"{dash.address}:{dash.port}"}
    sent.update(headers or {})
    data = json.dumps(body).encode() if body is not None else None
    if data is not None:
        sent.setdefault("Content-Type", "application/json")
        sent["Content-Length"] = str(len(data))
    conn.putrequest(method, path, skip_host=True)
    for key, value in sent.items():
        conn.putheader(key, value)
    conn.endheaders(data)
    resp = conn.getresponse()
    result = Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    conn.close()
    return result


def post_action(dash: Dashboard, action: str, body: Any = None, *, token: str | None = None, headers: dict[str, str] | None = None,
                name: str = "app-backend") -> Response:
    sent = {"X-Rollouts-Token": dash.token if token is None else token, "Origin": f"http://{dash.address}:{dash.port}"}
    sent.update(headers or {})
    return request(dash, "POST", f"/api/v1/rollouts/{NS}/{name}/{action}", body if body is not None else {}, sent)


def writes(srv: APIServer) -> list[tuple[str, str, str, Any]]:
    return [(r.method, r.path, r.content_type, json.loads(r.body) if r.body else None) for r in srv.requests if r.method != "GET"]
