"""Fixtures for the secrets tests: the sentinel PKI, the hostile echo server, and a stand-in
API server that demands the sentinel token (so a run that succeeds really sent it)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from e2e.standin import NS, app_backend_objects
from kubectl_rollouts_py.sandbox.apiserver import APIServer
from tests.kube.support import PKI, make_pki

from . import support


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    """A test PKI whose client key is watched for: any piece of it in output is a leak."""
    try:
        made = make_pki(tmp_path_factory.mktemp("pki"))
    except FileNotFoundError:
        pytest.fail("openssl is needed to make the client key these tests look for", pytrace=False)
    for path in (made.client_key, made.server_key):
        support.watch_key(Path(path).read_text(), Path(path).name)
    return made


@pytest.fixture
def echo() -> Iterator[Callable[..., support.EchoServer]]:
    """`echo(status, style)`: a hostile server; all are stopped after the test."""
    servers: list[support.EchoServer] = []

    def start(status: int = 500, style: str = "status", answers: dict | None = None) -> support.EchoServer:
        server = support.EchoServer(status=status, style=style, answers=dict(answers or {}))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def secret_object(name: str, data: dict[str, str]) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": NS}, "type": "Opaque",
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}


def analysis_run_with_secret_arg() -> dict:
    """An AnalysisRun as the controller stores it: a secretKeyRef arg names its Secret only."""
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisRun",
        "metadata": {"name": "app-backend-secret-run", "namespace": NS, "uid": "run-secret", "creationTimestamp": "2026-11-20T08:00:00Z",
                     "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "app-backend",
                                          "uid": "5b1f0c3e-2c8e-4a59-9d1e-000000000001", "controller": True}]},
        "spec": {"args": [{"name": "token", "valueFrom": {"secretKeyRef": {"name": "prom-auth", "key": "token"}}}],
                 "metrics": [{"name": "m", "provider": {"prometheus": {"address": "http://p:9090", "query": "up",
                              "headers": [{"key": "Authorization", "value": "Bearer {{args.token}}"}]}}}]},
        "status": {"phase": "Running", "metricResults": [{"name": "m", "phase": "Running", "count": 1, "successful": 1,
                   "measurements": [{"phase": "Successful", "value": "[1]", "startedAt": "2026-11-20T08:00:00Z",
                                     "finishedAt": "2026-11-20T08:00:00Z"}]}]},
    }  # fmt: skip


def cluster_objects() -> list[dict]:
    """The app-backend canary, a Secret holding the sentinel, and a run whose arg refers to it."""
    return [*app_backend_objects(), secret_object("prom-auth", {"token": support.SECRET_VALUE, "password": support.PROM_PASSWORD}),
            analysis_run_with_secret_arg()]


@pytest.fixture
def standin() -> Iterator[APIServer]:
    """A stand-in API server that answers only `Bearer TOKEN` (else 401)."""
    with APIServer(token=support.TOKEN) as server:
        server.seed(cluster_objects())
        yield server
