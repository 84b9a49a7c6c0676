"""Prometheus faults through the installed `analyze` CLI (issue #9, scope 2).

Each fault is met twice where that is possible: a real Prometheus 2.42 that is down or hung
(SIGSTOP: the kernel still accepts the connection, nothing answers), and a stub (stdlib
http.server, `promharness.StubServer`) for the answers a real one will not give on demand.
Every case checks the contract of the analysis issue: the measurement is Error with a
one-line message (no raw control character, bounded length: a 10 MB page is never echoed),
the run follows consecutiveErrorLimit, exit code 5, no traceback, and time and memory stay
bounded (the enormous answers are refused at `prometheus.MAX_RESPONSE_BYTES`).

The metric's consecutiveErrorLimit is 0 unless a test says otherwise, so the first Error
measurement ends the run: with Argo's default (4) each case would take five attempts 10 s
apart. `test_errors_are_retried_every_10s_until_the_limit` checks the limit itself.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e.standin import Result, cli_path
from kubectl_rollouts_py.analysis import prometheus as adapter

from .analyze_objects import success_rate_metric, template
from .conftest import tool_or_skip
from .promharness import PrometheusServer, StubServer, free_port

MESSAGE_BOUND = adapter.MAX_MESSAGE_CHARS + 200  # the provider's bound plus Argo's own words around it


def write_template(tmp_path: Path, **metric: Any) -> str:
    """The documented success-rate template with `metric` changes, consecutiveErrorLimit 0 by default."""
    metric.setdefault("consecutiveErrorLimit", 0)
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template(args=[{"name": "canary-hash", "value": "good"}], metrics=[success_rate_metric(**metric)])))
    return str(path)


# Runs the command and reports its peak RSS: a child's ru_maxrss includes what it was forked
# from, so the CLI is started from this small process rather than from pytest (large: it
# holds the test answers).
LAUNCHER = """
import resource, subprocess, sys
code = subprocess.call(sys.argv[2:], stdin=subprocess.DEVNULL)
with open(sys.argv[1], "w") as out:
    out.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code)
"""


def analyze(tmp_path: Path, address: str, *extra: str, timeout: float = 120, **metric: Any) -> tuple[Result, float, int]:
    """Run `analyze -o json` against `address`; (result, seconds, peak RSS of the CLI in KiB)."""
    argv = [cli_path(), "analyze", "-f", write_template(tmp_path, **metric), "--prometheus", address, "-o", "json", *extra]
    environ = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "NO_COLOR", "ARGO_ROLLOUTS_PROMETHEUS_ADDRESS")}
    rss = tmp_path / "rss"
    began = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", LAUNCHER, str(rss), *argv], capture_output=True, text=True, env=environ, timeout=timeout)
    took = time.monotonic() - began
    return Result(proc.returncode, proc.stdout, proc.stderr), took, int(rss.read_text())


def final_measurements(result: Result) -> list[dict[str, Any]]:
    """The measurements of the last `-o json` document (one compact document per reconcile)."""
    last = json.loads(result.out.splitlines()[-1])
    [metric] = last["metrics"]
    return metric["measurements"]


def assert_error_run(result: Result, message: str | None = None) -> str:
    """Exit 5, one Error line naming the limit, an Error measurement; returns its message."""
    assert result.code == 5, (result.code, result.err[-2000:])
    assert "Traceback" not in result.err
    [line] = result.err.splitlines()
    assert line.startswith(
        'Error: analysis "success-rate" ended in phase Error: Metric "success-rate" assessed Error due to '
        'consecutiveErrors (1) > consecutiveErrorLimit (0): "Error Message: '
    ), line
    assert len(line) < MESSAGE_BOUND + 200
    [measurement] = final_measurements(result)
    assert measurement["phase"] == "Error" and measurement["value"] == ""
    text = measurement["message"]
    assert_clean(text)
    if message is not None:
        assert text == message
    assert line.endswith(f'"Error Message: {text}"')
    return str(text)


def assert_clean(text: str) -> None:
    """One line, no raw control character, bounded."""
    assert text
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or c in "\u2028\u2029" for c in text), repr(text[:200])
    assert len(text) <= MESSAGE_BOUND, len(text)


@pytest.fixture
def lone_prometheus(tmp_path: Path) -> Iterator[PrometheusServer]:
    """A real Prometheus of our own (no targets), which a test may stop or freeze."""
    workdir = tmp_path / "prometheus"
    workdir.mkdir()
    server = PrometheusServer(tool_or_skip("prometheus"), workdir)
    server.start()
    try:
        yield server
    finally:
        if server.process is not None:
            os.kill(server.process.pid, signal.SIGCONT)
        server.stop()


# --------------------------------------------------------------------------- a real Prometheus


def test_real_prometheus_answers_then_goes_down(lone_prometheus: PrometheusServer, tmp_path: Path) -> None:
    url = lone_prometheus.url
    up, _, _ = analyze(tmp_path, url, "--once", provider={"prometheus": {"address": url, "query": "vector(1)"}}, successCondition="result[0] == 1")
    assert up.code == 0, up.err
    lone_prometheus.stop()
    result, took, _ = analyze(tmp_path, url)
    assert_error_run(result, f'Post "{url}/api/v1/query": dial tcp {url[len("http://"):]}: connect: connection refused')
    assert took < 30


def test_real_prometheus_hung_past_the_provider_timeout(lone_prometheus: PrometheusServer, tmp_path: Path) -> None:
    assert lone_prometheus.process is not None
    os.kill(lone_prometheus.process.pid, signal.SIGSTOP)  # accepts connections (kernel backlog), answers nothing
    url = lone_prometheus.url
    provider = {"prometheus": {"address": url, "query": "vector(1)", "timeout": 1}}
    result, took, _ = analyze(tmp_path, url, provider=provider)
    assert_error_run(result, f'Post "{url}/api/v1/query": context deadline exceeded')
    assert took < 30  # the 1 s provider timeout, not Argo's default 30 s


def test_real_prometheus_rejects_bad_promql(lone_prometheus: PrometheusServer, tmp_path: Path) -> None:
    url = lone_prometheus.url
    result, _, _ = analyze(tmp_path, url, provider={"prometheus": {"address": url, "query": "sum(rate(x[1m]"}})
    message = assert_error_run(result)
    assert message.startswith('bad_data: invalid parameter "query": ')


def test_an_outer_deadline_cuts_a_query_short(stub: StubServer) -> None:
    # For `analyze --timeout`: the run's end bounds a query whose own timeout (30 s) is later.
    stub.reply(200, b"{}", delay=20)
    began = time.monotonic()
    with pytest.raises(adapter.ProviderError) as caught:
        adapter.query({"address": stub.url, "query": "up"}, deadline=began + 0.5)
    assert str(caught.value) == f'Post "{stub.url}/api/v1/query": context deadline exceeded'
    assert time.monotonic() - began < 10
    with pytest.raises(adapter.ProviderError):
        adapter.query({"address": stub.url, "query": "up"}, deadline=time.monotonic() - 1)  # already past: no request
    assert len(stub.seen) == 1


def test_run_timeout_is_not_held_up_by_a_hung_prometheus(stub: StubServer, tmp_path: Path) -> None:
    stub.reply(200, b"{}", delay=60)
    result, took, _ = analyze(tmp_path, stub.url, "--timeout", "2s", consecutiveErrorLimit=None)
    assert took < 30, took  # a hang guard: waiting for the answer would take 60 s
    # `--timeout` terminates the run as `terminate analysisrun` would: a metric whose errors
    # stayed within consecutiveErrorLimit is assessed Successful.
    assert result.code == 0, result.err
    [measurement] = final_measurements(result)
    assert (measurement["phase"], measurement["message"]) == ("Error", f'Post "{stub.url}/api/v1/query": context deadline exceeded')


# --------------------------------------------------------------------------- wrong answers (stub)

TEN_MB_PAGE = b"<!DOCTYPE html><html><body>" + b"<p>Sign in to continue</p>\n" * 400_000 + b"</body></html>"
NOISY_ERROR = "\x1b]0;pwned\x07\x1b[31mquery failed\r\nsecond line\u2028" + "x" * 20_000


@pytest.mark.parametrize(
    ("status", "body", "content_type", "message"),
    [
        (200, TEN_MB_PAGE, "text/html", "bad_response: invalid character '<' looking for beginning of value"),
        (503, TEN_MB_PAGE, "text/html", "server_error: server error: 503"),
        (502, b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>", "text/html", "server_error: server error: 502"),
        (400, {"status": "error", "errorType": "bad_data", "error": 'invalid parameter "query": 1:5: parse error: unexpected end of input'},
         "application/json", 'bad_data: invalid parameter "query": 1:5: parse error: unexpected end of input'),
        (200, {"status": "error", "errorType": "execution", "error": "query processing would load too many samples into memory"},
         "application/json", "execution: query processing would load too many samples into memory"),
        (422, {"status": "error", "errorType": "execution", "error": "many-to-many matching not allowed"}, "application/json",
         "execution: many-to-many matching not allowed"),
        (503, {"status": "error", "errorType": "timeout", "error": "query timed out in expression evaluation"}, "application/json",
         "server_error: server error: 503"),
        (200, b'{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0.99"]}],}}', "application/json",
         "bad_response: invalid character '}' looking for beginning of object key string"),
        (200, b'{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"val', "application/json",
         "bad_response: unexpected end of JSON input"),
        (200, b'{"status":"success","data":{"resultType":"vector","result":[{"value":[1,NaN]}]}}', "application/json",
         "bad_response: invalid character 'N' looking for beginning of value"),
        (200, b"\xef\xbb\xbf{}", "application/json", "bad_response: invalid character '\u00ef' looking for beginning of value"),
    ],
    ids=["html-200-10MB", "proxy-503-10MB", "proxy-502", "error-400", "error-200", "error-422", "error-503", "invalid-json",
         "cut-json", "nan-literal", "utf8-bom"],
)
def test_wrong_answer_is_an_error_measurement(stub: StubServer, tmp_path: Path, status: int, body: Any, content_type: str, message: str) -> None:
    stub.reply(status, body, content_type=content_type)
    result, took, _ = analyze(tmp_path, stub.url)
    assert_error_run(result, message)
    assert took < 30


def test_error_text_from_the_server_is_one_bounded_line(stub: StubServer, tmp_path: Path) -> None:
    stub.reply(400, {"status": "error", "errorType": "bad_data", "error": NOISY_ERROR})
    result, _, _ = analyze(tmp_path, stub.url)
    message = assert_error_run(result)
    assert message.startswith("bad_data: \\x1b]0;pwned\\x07\\x1b[31mquery failed\\x0d\\x0asecond line\\u2028xxx")
    assert message.endswith(" more characters)")


def test_body_cut_short_by_the_server(stub: StubServer, tmp_path: Path) -> None:
    # Content-Length promises more than is sent, then the connection closes (a proxy dying mid-answer).
    stub.reply(200, b'{"status":"success","data":{"resultType":"vector","result":[', truncate_to=20)
    result, _, _ = analyze(tmp_path, stub.url)
    assert_error_run(result, "unexpected EOF")


def test_redirect_loop(stub: StubServer, tmp_path: Path) -> None:
    stub.reply(302, b"", headers={"Location": "/api/v1/query"})
    result, took, _ = analyze(tmp_path, stub.url)
    # Go's client sends 10 requests (POST becomes GET after a 302), then gives up, naming the
    # first request's method.
    assert_error_run(result, f'Post "{stub.url}/api/v1/query": stopped after 10 redirects')
    assert [s.method for s in stub.seen] == ["POST"] + ["GET"] * 9 and took < 30


def test_warnings_leave_the_measurement_successful(stub: StubServer, tmp_path: Path) -> None:
    # Argo records warnings in the measurement's metadata and assesses the value as usual.
    stub.reply(200, {"status": "success", "warnings": ["PromQL info: metric might not be a counter", NOISY_ERROR],
                     "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, "0.99"]}]}})
    result, _, _ = analyze(tmp_path, stub.url, "--once")
    assert result.code == 0, result.err
    # The warnings are told on stderr (tests/analysis/test_analyze_warnings.py), escaped.
    lines = result.err.splitlines()
    assert len(lines) == 2 and all(line.startswith('Warning: metric "success-rate": Prometheus warned: ') for line in lines), result.err
    for line in lines:
        assert_clean(line)
    doc = json.loads(result.out)
    [measurement] = doc["metrics"][0]["measurements"]
    assert (measurement["phase"], measurement["value"]) == ("Successful", "[0.99]")
    # The view shows no metadata; the adapter's, which a stored run would hold, is bounded too.
    warned = adapter.query({"address": stub.url, "query": "up"}, timeout=10).metadata["warnings"]
    assert warned.startswith('"PromQL info: metric might not be a counter", "\\x1b]0;pwned')
    assert_clean(warned)


# --------------------------------------------------------------------------- enormous answers


def matrix_body(series: int, points: int) -> bytes:
    """A range-query answer: `series` series of `points` points each (labels like a real pod series)."""
    values = ",".join(f'[{1_700_000_000 + i},"{i % 97 / 100}"]' for i in range(points))
    one = '{"metric":{"__name__":"http_server_requests_seconds_count","pod":"web-%05d","status":"200"},"values":[' + values + "]}"
    return ('{"status":"success","data":{"resultType":"matrix","result":[' + ",".join(one % i for i in range(series)) + "]}}").encode()


def vector_body(series: int) -> bytes:
    one = '{"metric":{"__name__":"http_server_requests_seconds_count","namespace":"prod","pod":"web-7d9f8c6b5-%06d","status":"200"},"value":[1700000000.123,"0.99"]}'
    return ('{"status":"success","data":{"resultType":"vector","result":[' + ",".join(one % i for i in range(series)) + "]}}").encode()


TOO_LARGE = (
    f"bad_response: the answer is larger than {adapter.MAX_RESPONSE_BYTES // (1024 * 1024)} MiB, the most rollouts-py reads "
    "from Prometheus: narrow the query (aggregate it, e.g. with sum())"
)


@pytest.mark.parametrize(
    ("make", "chunked"),
    [(lambda: matrix_body(2000, 1000), False), (lambda: vector_body(100_000), False), (lambda: vector_body(100_000), True)],
    ids=["matrix-2000x1000", "vector-100k", "vector-100k-chunked"],
)
def test_enormous_answer_is_refused_quickly(stub: StubServer, tmp_path: Path, make: Callable[[], bytes], chunked: bool) -> None:
    body = make()  # made here, not at collection: tens of MB
    assert len(body) > adapter.MAX_RESPONSE_BYTES
    stub.reply(200, body, chunked=chunked)  # chunked: no Content-Length, so the cap is met while reading
    result, took, rss_kib = analyze(tmp_path, stub.url)
    assert_error_run(result, TOO_LARGE)
    print(f"\n{len(body) / 1e6:.1f} MB answer: {took:.2f} s, peak RSS {rss_kib / 1024:.0f} MiB")
    # Generous hang/bloat guards (a loaded 2-core box); measured: under 1 s and 35 MiB.
    assert took < 30
    assert rss_kib < 200 * 1024


def test_large_answer_under_the_cap_is_measured_in_bounded_time(stub: StubServer, tmp_path: Path) -> None:
    body = vector_body(40_000)  # ~6 MiB, under the cap
    assert len(body) < adapter.MAX_RESPONSE_BYTES
    stub.reply(200, body)
    result, took, rss_kib = analyze(tmp_path, stub.url, "--once", successCondition="len(result) == 40000 && all(result, # == 0.99)")
    assert result.code == 0, result.err[-2000:]
    [measurement] = json.loads(result.out)["metrics"][0]["measurements"]
    assert measurement["phase"] == "Successful"
    print(f"\n{len(body) / 1e6:.1f} MB answer: {took:.2f} s, peak RSS {rss_kib / 1024:.0f} MiB")
    # Measured: about 1.5 s and 90 MiB.
    assert took < 60
    assert rss_kib < 500 * 1024


# --------------------------------------------------------------------------- the limit


def test_errors_are_retried_every_10s_until_the_limit(tmp_path: Path) -> None:
    # consecutiveErrorLimit 1: the first Error keeps the run going and the next attempt comes
    # 10 s later (Argo's error retry, whatever the interval); the second ends it.
    down = f"http://127.0.0.1:{free_port()}"
    result, took, _ = analyze(tmp_path, down, consecutiveErrorLimit=1)
    assert result.code == 5
    assert "consecutiveErrors (2) > consecutiveErrorLimit (1)" in result.err
    docs = [json.loads(line) for line in result.out.splitlines()]
    assert [d["phase"] for d in docs] == ["Running", "Error"]
    assert [m["phase"] for m in docs[-1]["metrics"][0]["measurements"]] == ["Error", "Error"]
    assert took >= 10  # the retry waited Argo's 10 s, not the 1 s interval (analyze's 120 s timeout is the hang guard)


def test_an_error_between_good_answers_does_not_fail_the_run(stub: StubServer, tmp_path: Path) -> None:
    # Argo's default consecutiveErrorLimit (4): one Error measurement is retried, not fatal.
    stub.reply(200, {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, "0.99"]}]}})
    stub.reply(200, TEN_MB_PAGE, content_type="text/html", once=True)
    result, took, _ = analyze(tmp_path, stub.url, consecutiveErrorLimit=None, count=2, failureLimit=0)
    assert result.code == 0, result.err
    measurements = final_measurements(result)
    assert [m["phase"] for m in measurements] == ["Successful", "Successful", "Error"]  # newest first
    assert measurements[-1]["message"] == "bad_response: invalid character '<' looking for beginning of value"
    assert took >= 10  # the Error was retried after 10 s (analyze's 120 s timeout is the hang guard)
