"""Fixtures for the Prometheus adapter tests: one real Prometheus per session, and stubs.

The session's Prometheus (Debian's 2.42, started by `promharness.PrometheusServer`) holds two
kinds of data:

* live: it scrapes a `DemoApp` every second. Pods (by `rollouts_pod_template_hash`):
  `stable` and `good` answer 1% 5xx, `bad` answers 50%, `idle` serves nothing (its counters
  exist and stay 0); no pod has hash `gone`. The fixture returns once every series has two
  samples, so `rate(...[10s])` has data: about 6-7 s after start, most of it Prometheus
  2.42's fixed 5 s delay before it hands new targets to the scraper.
* backfilled (promtool, before start): `demo_ratio` gauges at fixed times around
  `BACKFILL_T0`, for exact values at a given evaluation time.

Without a `prometheus` binary the real-Prometheus tests are skipped, except under CI
(`CI` set), where that is a failure: `.ci/run` installs it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubectl_rollouts_py.sandbox.demoapp import DemoApp, PodTraffic

from .promharness import PrometheusServer, StubServer, backfill, find_tool

BACKFILL_T0 = 1_700_000_000  # 2023-11-14T22:13:20Z
BACKFILL = f"""\
# HELP demo_ratio Success ratio written by promtool backfill.
# TYPE demo_ratio gauge
demo_ratio{{pod="a"}} 0.987 {BACKFILL_T0}
demo_ratio{{pod="a"}} 0.5 {BACKFILL_T0 + 10}
demo_ratio{{pod="b"}} NaN {BACKFILL_T0}
demo_ratio{{pod="b"}} +Inf {BACKFILL_T0 + 10}
# EOF
"""

DEMO_PODS = (
    PodTraffic("web-stable-1", "stable", rps=50.0, error_ratio=0.01),
    PodTraffic("web-stable-2", "stable", rps=50.0, error_ratio=0.01),
    PodTraffic("web-good-1", "good", rps=50.0, error_ratio=0.01),
    PodTraffic("web-bad-1", "bad", rps=50.0, error_ratio=0.5),
    PodTraffic("web-idle-1", "idle", rps=0.0),
)


def tool_or_skip(name: str) -> str:
    path = find_tool(name)
    if path:
        return path
    reason = f"no `{name}` binary on PATH: install Debian's prometheus package (apt-get install -y prometheus; .ci/run does)"
    if os.environ.get("CI"):
        pytest.fail(reason + " — CI must run these tests", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def demo_app() -> Iterator[DemoApp]:
    with DemoApp(DEMO_PODS) as app:
        yield app


@pytest.fixture(scope="session")
def prom_server(demo_app: DemoApp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """A running Prometheus with backfilled and live (demo app) data, shared by the session."""
    binary = tool_or_skip("prometheus")
    promtool = tool_or_skip("promtool")
    workdir = tmp_path_factory.mktemp("prometheus")
    # Backfilled blocks are years old: a 100-year retention keeps them.
    server = PrometheusServer(binary, workdir, targets={"demoapp": [demo_app.address]}, interval=1.0, retention="100y")
    backfill(BACKFILL, server.storage, promtool=promtool, workdir=workdir)
    began = time.monotonic()
    server.start()
    try:
        expected = 2 * len(DEMO_PODS)  # a 200 and a 500 series per pod
        server.wait_for(
            "count_over_time(http_server_requests_seconds_count[10s])",
            lambda result: len(result) == expected and all(float(s["value"][1]) >= 2 for s in result),
            deadline=time.monotonic() + 30,
        )
        server.data_ready_in = time.monotonic() - began  # type: ignore[attr-defined]
        yield server
    finally:
        server.stop()


@pytest.fixture
def stub() -> Iterator[StubServer]:
    server = StubServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """(cert, key) for 127.0.0.1, made with the openssl CLI."""
    openssl = find_tool("openssl")
    if not openssl:
        pytest.skip("no openssl binary to make a test certificate")
    import subprocess

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key
