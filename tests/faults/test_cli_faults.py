"""The fault matrix, reading commands: every command that only reads the cluster, under
every read fault, through the installed CLI (rows: READ_COMMANDS; columns:
matrix.READ_FAULTS). The writing commands are in test_matrix_writes.py, the watching ones
in test_matrix_watch.py, shell completion in test_matrix_completion.py.

The contract checked for every cell: exit 0 after retries, or exit 1 with exactly one
`Error: ` line that says what happened; never a traceback; nothing written.
"""

from __future__ import annotations

import time

import pytest

from tests.e2e.standin import run_cli
from tests.faults import matrix
from tests.faults.matrix import EXPERIMENT, READ_FAULTS, RUN, TEMPLATE, TIMEOUT_FLAG

READ_COMMANDS: dict[str, tuple[str, ...]] = {
    "get rollout": ("get", "rollout", "app-backend"),
    "get experiment": ("get", "experiment", EXPERIMENT),
    "get analysisrun": ("get", "analysisrun", RUN),
    "list rollouts": ("list", "rollouts"),
    "list experiments": ("list", "experiments"),
    "status --watch=false": ("status", "app-backend", "--watch=false"),
    # analyze reads its template (and with --rollout the rollout) from the cluster, then
    # asks Prometheus (a stub that always answers [0.99]); only the API server is faulty.
    "analyze": ("analyze", TEMPLATE, "--once", "--rollout", "app-backend"),
}

PROMETHEUS: matrix.Prometheus | None = None


@pytest.fixture(scope="module")
def batch(request: pytest.FixtureRequest):
    global PROMETHEUS
    PROMETHEUS = matrix.Prometheus()
    try:
        yield matrix.run_batch(request, run_cell)
    finally:
        PROMETHEUS.stop()


def run_cell(name: str, command: str, fault: str):  # type: ignore[no-untyped-def]
    column = READ_FAULTS[fault]
    assert PROMETHEUS is not None
    with matrix.cluster(PROMETHEUS.url) as srv:
        matrix.inject_reads(srv, column)
        started = time.monotonic()
        result = run_cli(*column.flags, *READ_COMMANDS[command], kubeconfig=srv.kubeconfig)
        return result, time.monotonic() - started, matrix.writes(srv), srv.fault_hits()


@pytest.mark.parametrize("fault", list(READ_FAULTS))
@pytest.mark.parametrize("command", list(READ_COMMANDS))
def test_read_commands_under_faults(batch, request, command: str, fault: str) -> None:
    result, seconds, sent, hits = batch.outcome(request)
    column = READ_FAULTS[fault]
    assert hits >= 1  # the fault met the command
    matrix.check(result, column.ok, column.error)
    if column.ok:
        assert result.out
    # Hang guards, not speed targets: the slowest cells retry for about 4 s.
    assert seconds < 20
    assert sent == []


def test_request_timeout_is_honoured_before_and_after_the_command() -> None:
    # The global flag was once ignored when given before the command (issue 9).
    with matrix.cluster() as srv:
        srv.inject("GET", "/api", matrix.Fault.delay(matrix.LATE), prefix=True, times=None)
        for args in ((TIMEOUT_FLAG, "get", "rollout", "app-backend"), ("get", "rollout", "app-backend", TIMEOUT_FLAG),
                     ("get", TIMEOUT_FLAG, "rollout", "app-backend")):
            started = time.monotonic()
            line = matrix.check(run_cli(*args, kubeconfig=srv.kubeconfig), False, "did not answer within 0.5s")
            assert time.monotonic() - started < matrix.LATE / 2, line
