"""The demo traffic app (`sandbox.demoapp`) that the Prometheus tests and the sandbox scrape."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from kubectl_rollouts_py.sandbox.demoapp import CONTENT_TYPE, DemoApp, PodTraffic, main, parse_pod

from .promharness import find_tool


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def counts(app: DemoApp) -> dict[tuple[str, str], int]:
    """(pod, status) -> http_server_requests_seconds_count."""
    found = {}
    for line in app.render_metrics().splitlines():
        match = re.match(r'http_server_requests_seconds_count\{.*pod="([^"]+)".*status="(\d+)".*\} (\d+)$', line)
        if match:
            found[(match[1], match[2])] = int(match[3])
    return found


def test_counters_follow_elapsed_time() -> None:
    clock = Clock()
    app = DemoApp([PodTraffic("p1", "h1", rps=10, error_ratio=0.1), PodTraffic("p2", "h2", rps=0)], clock=clock)
    assert counts(app) == {("p1", "200"): 0, ("p1", "500"): 0, ("p2", "200"): 0, ("p2", "500"): 0}
    clock.now += 10
    assert counts(app) == {("p1", "200"): 90, ("p1", "500"): 10, ("p2", "200"): 0, ("p2", "500"): 0}


def test_changes_apply_from_now_and_counters_never_go_down() -> None:
    clock = Clock()
    app = DemoApp([PodTraffic("p", "h", rps=10, error_ratio=0.0)], clock=clock)
    clock.now += 10
    app.set_error_ratio("p", 1.0)
    clock.now += 5
    assert counts(app) == {("p", "200"): 100, ("p", "500"): 50}
    app.set_rps("p", 0)
    clock.now += 100
    assert counts(app) == {("p", "200"): 100, ("p", "500"): 50}


def test_pods_come_and_go() -> None:
    clock = Clock()
    app = DemoApp([PodTraffic("p", "h", rps=1)], clock=clock)
    clock.now += 3
    app.add_pod(PodTraffic("q", "h2", rps=2))
    clock.now += 1
    assert counts(app)[("p", "200")] == 4 and counts(app)[("q", "200")] == 2
    app.remove_pod("p")
    assert ("p", "200") not in counts(app)
    with pytest.raises(KeyError, match="no pod named 'p'"):
        app.set_error_ratio("p", 0.5)


def test_labels_of_a_series() -> None:
    app = DemoApp([PodTraffic("web-1", "abc123", rps=1)])
    line = next(x for x in app.render_metrics().splitlines() if x.startswith("http_server_requests_seconds_count"))
    assert line.startswith(
        'http_server_requests_seconds_count{method="GET",pod="web-1",rollouts_pod_template_hash="abc123",status="200",uri="/api/orders"} '
    )


@pytest.mark.parametrize("bad", [dict(rps=-1), dict(rps=float("inf")), dict(error_ratio=1.5), dict(error_ratio=-0.1)])
def test_invalid_traffic_is_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        PodTraffic("p", "h", **bad)


def test_duplicate_pod_names_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        DemoApp([PodTraffic("p", "h"), PodTraffic("p", "h2")])


def test_exposition_passes_promtool_check() -> None:
    promtool = find_tool("promtool")
    if not promtool:
        pytest.skip("no promtool binary (Debian package prometheus)")
    text = DemoApp([PodTraffic("p", "h", rps=5, error_ratio=0.2)]).render_metrics()
    proc = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_serves_metrics_over_http() -> None:
    with DemoApp([PodTraffic("p", "h", rps=1000)]) as app:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", app.url)
        with urllib.request.urlopen(app.url + "/metrics", timeout=5) as answer:
            first = answer.read().decode()
            assert answer.headers["Content-Type"] == CONTENT_TYPE
        time.sleep(0.05)
        with urllib.request.urlopen(app.url + "/metrics", timeout=5) as answer:
            second = answer.read().decode()
        assert app.scrapes == 2
        assert first != second  # the counters moved
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(app.url + "/nope", timeout=5)
        assert missing.value.code == 404
    app.stop()  # idempotent


def test_parse_pod_option() -> None:
    assert parse_pod("web-1:abc:20:0.25") == PodTraffic("web-1", "abc", 20.0, 0.25)
    assert parse_pod("web-1:abc") == PodTraffic("web-1", "abc", 10.0, 0.0)
    for bad in ("web-1", "web-1:abc:x", "web-1:abc:1:2", ":abc"):
        with pytest.raises(Exception):
            parse_pod(bad)


def test_cli_serves_until_terminated() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kubectl_rollouts_py.sandbox.demoapp", "--port", "0", "--pod", "w:h:10:0.5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        match = re.fullmatch(r"demo app serving (http://127\.0\.0\.1:\d+)/metrics\n", line)
        assert match, line + proc.stderr.read()  # type: ignore[union-attr]
        with urllib.request.urlopen(match[1] + "/metrics", timeout=5) as answer:
            assert 'rollouts_pod_template_hash="h"' in answer.read().decode()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_usage_error() -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--pod", "nonsense"])
    assert exit_.value.code == 2
