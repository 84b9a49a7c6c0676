"""The fault matrix, slow senders: servers that send their headers at once and then the body
one byte a second. A socket timeout restarts with every byte, so only a deadline for the
whole exchange (connect, headers and body together) ends these commands in time: against
the API server `--request-timeout 3s` ends `get rollout`, `promote` and `list` with one
`Error:` line (through both transports: http.client, and the kubernetes library's urllib3
pool that exec plugins choose), and a Prometheus provider's `timeout: 3` ends `analyze`
with the Error phase. Every command here ran for 40 to over 100 seconds before.

What proves the deadline is the outcome: a socket timeout never fires against a sender of a
byte a second, so "did not answer within 3s" (or Prometheus' "context deadline exceeded")
can only come from the deadline for the whole exchange, and without it the commands would
run on for 40 s or more. How soon they end is the machine's business (the cells run side by
side on a shared 2-core box, where a CLI can take seconds just to start), so the only upper
bound is a hang guard of ten times the timeout, still short of a drip that runs to its end;
each cell prints its measured time (`pytest -s` shows them).
"""

from __future__ import annotations

import time

import pytest

from kubectl_rollouts_py.sandbox.apiserver import Fault
from tests.e2e.standin import run_cli
from tests.faults import matrix
from tests.faults.matrix import TEMPLATE

COMMANDS: dict[str, tuple[str, ...]] = {
    "get rollout": ("get", "rollout", "app-backend"),
    "promote": ("promote", "app-backend"),
    "list": ("list", "rollouts"),
}

TRANSPORTS = ("http.client", "kubernetes")

# A hang guard: ten times the 3 s timeout (see the module doc), not a measure of speed.
ENDS_WITHIN = 30.0


def run_cell(name: str, command: str = "", transport: str = ""):  # type: ignore[no-untyped-def]
    if name == "test_analyze_with_a_dripping_prometheus_ends_at_the_provider_timeout":
        return _analyze()
    with matrix.cluster(transport=transport) as srv:
        srv.inject("*", "/api", Fault.drip(1.0), prefix=True, times=None)
        started = time.monotonic()
        result = run_cli("--request-timeout", "3s", *COMMANDS[command], kubeconfig=srv.kubeconfig, timeout=120)
        return result, time.monotonic() - started, matrix.writes(srv), srv.fault_hits()


def _analyze():  # type: ignore[no-untyped-def]
    prometheus = matrix.DrippingPrometheus(1.0)
    try:
        with matrix.cluster(prometheus.url) as srv:
            template = matrix.analysis_template(prometheus.url)
            template["spec"]["metrics"][0]["provider"]["prometheus"]["timeout"] = 3
            srv.apply_change(template)
            started = time.monotonic()
            result = run_cli("analyze", TEMPLATE, "--once", "--rollout", "app-backend", kubeconfig=srv.kubeconfig,
                             timeout=120)
            return result, time.monotonic() - started
    finally:
        prometheus.stop()


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_dripping_api_server_is_cut_off_at_the_request_timeout(batch, request, command: str, transport: str) -> None:
    result, seconds, sent, hits = batch.outcome(request)
    print(f"{command} via {transport}: ended after {seconds:.2f}s")
    assert hits >= 1
    matrix.check(result, False, "did not answer within 3s")
    assert sent == []  # promote gave up at its first read: nothing written
    assert seconds < ENDS_WITHIN


def test_analyze_with_a_dripping_prometheus_ends_at_the_provider_timeout(batch, request) -> None:
    result, seconds = batch.outcome(request)
    print(f"analyze: ended after {seconds:.2f}s")
    assert "Traceback" not in result.err
    assert result.code == 5, (result.code, result.err)  # the analysis ended in phase Error
    assert "context deadline exceeded" in result.out
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "ended in phase Error" in lines[0], result.err
    assert seconds < ENDS_WITHIN


def test_the_prometheus_adapter_ends_a_dripping_answer_at_its_timeout() -> None:
    # In-process, without a CLI to start.
    from kubectl_rollouts_py.analysis import prometheus

    server = matrix.DrippingPrometheus(1.0)
    try:
        started = time.monotonic()
        with pytest.raises(prometheus.ProviderError, match="context deadline exceeded"):
            prometheus.query({"address": server.url, "query": "success_rate", "timeout": 3})
        seconds = time.monotonic() - started
    finally:
        server.stop()
    print(f"adapter: ended after {seconds:.2f}s")
    assert 2.5 < seconds < ENDS_WITHIN  # not well before the 3 s timeout; the upper bound is a hang guard
