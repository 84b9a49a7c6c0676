"""Issue 9 follow-ups: watching commands whose stream can never succeed, or cannot reconnect.

Each runs the installed CLI against its own stand-in API server (tests/faults/matrix.py).
"""

from __future__ import annotations

import copy
import subprocess
import time

import pytest

from kubectl_rollouts_py.sandbox.apiserver import Fault
from tests.e2e.standin import assert_one_error_line, run_cli
from tests.faults import matrix

# A selector value no label selector can carry: the pods' LIST answers 400 BadRequest
# ("unable to parse requirement"), as a real API server does.
BAD_LABEL = "app backend"


def _bad_selector_cluster(srv) -> None:  # type: ignore[no-untyped-def]
    rollout = copy.deepcopy(matrix.get(srv, "rollouts", "app-backend"))
    assert rollout is not None
    rollout["spec"]["selector"] = {"matchLabels": {"app": BAD_LABEL}}
    del rollout["metadata"]["resourceVersion"]
    srv.seed([rollout])


@pytest.mark.parametrize("command", [("get", "rollout", "app-backend", "-w"), ("watch", "app-backend")])
def test_watch_of_a_rollout_whose_selector_the_server_refuses_ends_with_one_error(command) -> None:
    # Once retried for ever with backoff: no output at all, no end (C-hostile item 1).
    with matrix.cluster() as srv:
        _bad_selector_cluster(srv)
        started = time.monotonic()
        result = run_cli(*command, kubeconfig=srv.kubeconfig, timeout=60)
    line = assert_one_error_line(result)
    assert "unable to parse requirement" in line
    assert time.monotonic() - started < 60  # a hang guard (run_cli's timeout raises first)


@pytest.mark.parametrize("status", [400, 422])
@pytest.mark.parametrize("command", [("get", "rollout", "app-backend", "-w"), ("watch", "app-backend")])
def test_a_watch_the_server_refuses_after_the_first_list_ends_with_one_error(command, status: int) -> None:
    # The first list succeeds (a failing first list already ended the command); the watch is
    # then answered 400/422 every time: a request the server will never accept. Once retried
    # for ever with backoff, the view said nothing and never ended.
    with matrix.cluster() as srv:
        srv.inject("GET", "/api/v1/namespaces/ithome/pods", Fault.error(status, message="watch refused here"),
                   times=None, watch=True)
        result = run_cli(*command, kubeconfig=srv.kubeconfig, timeout=60)
    assert result.code == 1, result.err
    assert "Traceback" not in result.err
    assert result.err.splitlines() == ["Error: watch refused here"], result.err


@pytest.mark.parametrize("status", [429, 503])
def test_a_watch_answered_with_a_transient_error_is_still_retried(status: int) -> None:
    # The other side of the line drawn above: throttling and a server in trouble are retried.
    with matrix.cluster() as srv:
        srv.inject("GET", "/api/v1/namespaces/ithome/pods", Fault.error(status, retry_after=0.01), times=2, watch=True)
        result = run_cli("get", "rollout", "app-backend", "-w", "--timeout", "4s",
                         kubeconfig=srv.kubeconfig, timeout=60)
        hits = srv.fault_hits()
    assert hits == 2
    assert "app-backend" in result.out
    assert "watch refused" not in result.err
