"""Fixtures for the write operations: the stand-in API server seeded with the app-backend
canary, and a Source reading it (the cluster back end, as the CLI and the dashboard use)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kubectl_rollouts_py.kube.options import ConnectionOptions
from kubectl_rollouts_py.kube.source import Source, open_source
from kubectl_rollouts_py.sandbox.apiserver import APIServer
from tests.e2e.standin import NS, app_backend_objects


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[APIServer]:
    with APIServer() as srv:
        srv.seed(app_backend_objects())
        srv.kubeconfig = srv.write_kubeconfig(tmp_path / "kubeconfig", namespace=NS)  # type: ignore[attr-defined]
        srv.clear_requests()
        yield srv


@pytest.fixture()
def source(server: APIServer) -> Iterator[Source]:
    with open_source(ConnectionOptions(kubeconfig=str(server.kubeconfig))) as src:  # type: ignore[attr-defined]
        yield src
