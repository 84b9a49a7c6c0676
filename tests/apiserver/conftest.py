"""Fixtures for the stand-in API server's own tests: a fresh server per test, a keep-alive
HTTP client, watch streams that are always closed, and a real-kubectl runner."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kubectl_rollouts_py.sandbox.apiserver import APIServer

from .support import Client, WatchStream


@pytest.fixture
def server() -> Iterator[APIServer]:
    with APIServer() as srv:
        yield srv


@pytest.fixture
def client(server: APIServer) -> Iterator[Client]:
    assert server.url
    c = Client(server.url)
    yield c
    c.close()


@pytest.fixture
def watch(server: APIServer) -> Iterator[Callable[..., WatchStream]]:
    """open(path, **query) -> WatchStream; every stream is closed after the test."""
    opened: list[WatchStream] = []

    def open_(path: str, **query: Any) -> WatchStream:
        assert server.url
        stream = WatchStream(server.url, path, **query)
        opened.append(stream)
        return stream

    yield open_
    for stream in opened:
        stream.close()


KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"


@pytest.fixture
def kubectl(server: APIServer, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """run(*args) runs the real kubectl against `server` with a private kubeconfig and cache."""
    if not os.access(KUBECTL, os.X_OK):
        pytest.skip("kubectl is not installed")
    kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig")
    env = dict(os.environ, KUBECONFIG=str(kubeconfig), HOME=str(tmp_path))

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [KUBECTL, "--cache-dir", str(tmp_path / "cache"), *args]
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=30)
        if check and result.returncode != 0:
            raise AssertionError(f"{cmd} failed ({result.returncode}): {result.stderr}")
        return result

    run.env = env  # type: ignore[attr-defined]  # for tests that start kubectl themselves
    run.cmd = [KUBECTL, "--cache-dir", str(tmp_path / "cache")]  # type: ignore[attr-defined]
    return run
