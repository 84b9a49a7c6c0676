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


def run_cell(name: str, command: str = "", fault: str = "", position: str = ""):  # type: ignore[no-untyped-def]
    if position:
        return _timeout_flag(position)
    column = READ_FAULTS[fault]
    with matrix.cluster(matrix.prometheus_url()) as srv:
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
    # A hang guard, not a speed target (cells run side by side on a shared 2-core box).
    assert seconds < 60
    assert sent == []


POSITIONS = {
    "before the command": (TIMEOUT_FLAG, "get", "rollout", "app-backend"),
    "after the command": ("get", "rollout", "app-backend", TIMEOUT_FLAG),
    "between group and command": ("get", TIMEOUT_FLAG, "rollout", "app-backend"),
}


def _timeout_flag(position: str):  # type: ignore[no-untyped-def]
    with matrix.cluster() as srv:
        # A minute late, so giving up at 0.5 s cannot be mistaken for waiting, however slow the box.
        srv.inject("GET", "/api", matrix.Fault.delay(60), prefix=True, times=None)
        started = time.monotonic()
        return run_cli(*POSITIONS[position], kubeconfig=srv.kubeconfig), time.monotonic() - started


@pytest.mark.parametrize("position", list(POSITIONS))
def test_request_timeout_is_honoured_wherever_it_is_given(batch, request, position: str) -> None:
    # The global flag was once ignored when given before the command (issue 9).
    result, seconds = batch.outcome(request)
    matrix.check(result, False, "did not answer within 0.5s")
    assert seconds < 30
