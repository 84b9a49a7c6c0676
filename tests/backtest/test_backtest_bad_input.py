"""`analyze --backtest` given what it cannot do: one clear line, the right exit status, no traceback."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from e2e.standin import assert_one_error_line, run_cli
from kubectl_rollouts_py.sandbox import backfill, scenario
from kubectl_rollouts_py.sandbox.prometheus import PrometheusProcess

from .conftest import CANARY_ARGS, END, INCIDENT, START, rfc, write_template

SPAN = ("--from", rfc(START), "--to", rfc(END), "--step", "20m", "--window", "10m")


def backtest(template: str, *extra: str) -> object:
    return run_cli("analyze", "-f", template, *CANARY_ARGS, "--backtest", *extra, timeout=120)


def test_from_after_to(story_template: str) -> None:
    result = backtest(story_template, "--from", rfc(END), "--to", rfc(START), "--step", "20m", "--window", "10m")
    line = assert_one_error_line(result, 2)  # type: ignore[arg-type]
    assert line == f"Error: --from {rfc(END)} is after --to {rfc(START)}"


def test_a_step_of_zero(story_template: str) -> None:
    result = backtest(story_template, "--from", rfc(START), "--to", rfc(END), "--step", "0", "--window", "10m")
    assert assert_one_error_line(result, 2) == "Error: --step must be positive, not 0s"  # type: ignore[arg-type]


def test_the_window_cap(story_template: str) -> None:
    result = backtest(story_template, "--from", rfc(START), "--to", rfc(END), "--step", "10s", "--window", "10m")
    line = assert_one_error_line(result, 2)  # type: ignore[arg-type]
    assert line == (
        "Error: the backtest would take 19,449 measurements (2,161 windows × 9 per window), more than the cap of 10,000: "
        "narrow --from/--to, take a longer --step, or raise --max-queries"
    )
    raised = backtest(story_template, "--from", rfc(START), "--to", rfc(END), "--step", "1m", "--window", "10m", "--max-queries", "100")
    assert "more than the cap of 100:" in assert_one_error_line(raised, 2)  # type: ignore[arg-type]


def test_a_metric_without_count_needs_a_window(story_template: str) -> None:
    result = backtest(story_template, "--from", rfc(START), "--to", rfc(END), "--step", "20m")
    assert "give --window DURATION" in assert_one_error_line(result, 2)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (("--from", "yesterday", "--step", "1h", "--window", "10m"), "Error: invalid --from: 'yesterday' is not a time"),
        (("--from", "-1h", "--step", "soon", "--window", "10m"), "Error: invalid --step 'soon'"),
        (("--from", "-1h", "--step", "1h", "--window", "10m", "--incident", "-2h"), "Error: invalid --incident '-2h': use FROM/TO"),
        (("--from", "-1h", "--step", "1h", "--window", "10m", "--incident", "-1h/-2h"), "Error: invalid --incident '-1h/-2h': it ends"),
        (("--from", "-1h", "--step", "1h", "--window", "10m", "--once"), "Error: --once cannot be used with --backtest"),
    ],
)
def test_bad_flags(story_template: str, flags: tuple[str, ...], expected: str) -> None:
    assert assert_one_error_line(backtest(story_template, *flags), 2).startswith(expected)  # type: ignore[arg-type]


def test_backtest_flags_need_backtest(story_template: str) -> None:
    result = run_cli("analyze", "-f", story_template, *CANARY_ARGS, "--step", "1h")
    assert assert_one_error_line(result, 2) == "Error: --step is a --backtest flag: add --backtest"


# --------------------------------------------------------------------------- Prometheus down mid-run


class Fuse:
    """A proxy to Prometheus that forwards `budget` requests, then stops listening (later
    requests are refused, one in flight is cut)."""

    def __init__(self, target: str, budget: int) -> None:
        self.budget = budget
        self.lock = threading.Lock()
        target_parts = urlsplit(target)
        fuse = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                with fuse.lock:
                    fuse.budget -= 1
                    blown = fuse.budget < 0
                if blown:
                    threading.Thread(target=fuse.server.shutdown, daemon=True).start()
                    self.close_connection = True
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                upstream = http.client.HTTPConnection(target_parts.hostname, target_parts.port, timeout=10)
                upstream.request("POST", self.path, body, {"Content-Type": self.headers.get("Content-Type") or ""})
                answer = upstream.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.server.serve_forever(poll_interval=0.05)
        self.server.server_close()  # from now on: connection refused


@pytest.fixture
def fuse(story_prometheus: PrometheusProcess) -> Iterator[Fuse]:
    proxy = Fuse(story_prometheus.url, budget=40)
    yield proxy
    proxy.server.shutdown()


def test_prometheus_down_mid_run(tmp_path: Path, fuse: Fuse) -> None:
    template = write_template(tmp_path, scenario.success_rate_template(fuse.url))
    result = backtest(template, *SPAN, "--query-mode", "instant", "-o", "json")
    assert result.code == 5, result.err  # type: ignore[attr-defined]
    assert "Traceback" not in result.err  # type: ignore[attr-defined]
    err = result.err.splitlines()  # type: ignore[attr-defined]
    assert len(err) == 1 and err[0].startswith('Error: backtest of "success-rate": 19 windows: '), err
    assert "; first error: " in err[0] and "127.0.0.1" in err[0]
    doc = json.loads(result.out)  # type: ignore[attr-defined]
    phases = [w["phase"] for w in doc["windows"]]
    assert "Successful" in phases and phases[-1] == "Error"  # (4 windows at a time: which ones came first varies)
    last = doc["windows"][-1]
    assert last["message"].startswith('Metric "success-rate" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4)')
    errors = last["metrics"][0]["measurements"]
    # Argo retries an Error measurement 10 s later
    assert [m["at"][-6:] for m in errors[:2]] == ["01:00Z", "01:10Z"]
    assert all(m["phase"] == "Error" and m["value"] == "" for m in errors)


# --------------------------------------------------------------------------- a matrix


def test_a_query_returning_a_matrix(tmp_path: Path, story_prometheus: PrometheusProcess) -> None:
    metric = {
        "name": "raw-counts",
        "count": 2,
        "interval": "1m",
        "successCondition": "result[0] >= 0",
        "provider": {"prometheus": {"address": story_prometheus.url,
                                    "query": f'http_server_requests_seconds_count{{rollouts_pod_template_hash="{backfill.CANARY_HASH}",status="500"}}[1m]'}},
    }
    obj = {"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate", "metadata": {"name": "raw"}, "spec": {"metrics": [metric]}}
    template = write_template(tmp_path, obj)
    result = run_cli("analyze", "-f", template, "--backtest", "--from", rfc(INCIDENT[0]), "--to", rfc(INCIDENT[1]), "--step", "30m",
                     "-o", "json", timeout=60)
    assert result.code == 0, result.err
    assert result.err.splitlines() == [
        'Warning: metric "raw-counts": the query returns a matrix (a range vector): each measurement sees every point of every '
        "series, flattened, as Argo does"
    ]
    doc = json.loads(result.out)
    assert doc["metrics"][0]["queries"] == "instant (the query returns a matrix)"
    value = doc["windows"][0]["metrics"][0]["measurements"][0]["value"]
    assert value.startswith("[") and value.count(",") >= 2  # four points a minute, flattened


def test_no_window_ends_before_now(story_template: str) -> None:
    line = assert_one_error_line(backtest(story_template, "--from", "-5m", "--step", "20m", "--window", "10m"), 2)  # type: ignore[arg-type]
    assert line.startswith("Error: --from ") and line.endswith("leaves no window that ends before now: a run lasts 9m (give --from earlier)")
