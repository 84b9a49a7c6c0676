"""Watching commands whose stream can never succeed (the server refuses it) or cannot reconnect.

Each runs the installed CLI against its own stand-in API server (tests/faults/matrix.py).
"""

from __future__ import annotations

import copy
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


# ------------------------------------------------------------------ a view that cannot reconnect


def test_status_says_the_api_server_was_unreachable_when_it_times_out_in_an_outage() -> None:
    # Once: nothing while the server was down, then "exceeded timeout", blaming the rollout.
    with matrix.cluster() as srv:
        with matrix.running(srv, "status", "app-backend", "--timeout", "10s") as (proc, out, err):
            out.wait_for(lambda text: "Paused" in text, 60, "the first status line")
            srv.stop()
            code = proc.wait(60)
    lines = err.text.splitlines()
    assert code == 1, err.text
    assert len(lines) == 2, err.text
    assert lines[0].startswith("Warning: reconnecting: cannot reach the Kubernetes API at http://127.0.0.1:"), lines
    assert lines[1].startswith("Error: Rollout status watch exceeded timeout; the API server was unreachable for the last "), lines
    assert "connection refused" in lines[1]


@pytest.mark.parametrize("command", [("status", "app-backend", "--timeout", "10s"), ("list", "rollouts", "-w")])
def test_a_server_failing_every_relist_is_reported_once(command) -> None:
    # The first GET (the command's own read, which the watch starts from) is answered; every
    # later one (the watch, then the relists) gets a 503.
    with matrix.cluster() as srv:
        srv.inject("GET", "/apis", Fault.error(503, retry_after=0.01), prefix=True, times=None, skip=1)
        with matrix.running(srv, *command) as (proc, out, err):
            err.wait_for(lambda text: "Warning: reconnecting:" in text, 60, "the warning")
            if command[0] == "list":
                # Several more failed attempts after the warning: still one warning.
                failed = srv.fault_hits()
                deadline = time.monotonic() + 60  # a bound on a failure only
                while srv.fault_hits() < failed + 3:
                    assert time.monotonic() < deadline and proc.poll() is None, err.text
                    time.sleep(0.05)
                proc.terminate()
            code = proc.wait(60)
    lines = err.text.splitlines()
    assert lines[0].startswith("Warning: reconnecting: "), lines
    assert "503" in lines[0] or "Service Unavailable" in lines[0], lines
    if command[0] == "status":
        assert code == 1
        assert len(lines) == 2 and "the API server was unreachable for the last" in lines[1], lines
    else:
        assert code == 143
        assert [line for line in lines if line.startswith("Warning:")] == lines[:1], lines


def test_a_watch_says_when_it_reconnects_and_shows_what_changed_meanwhile() -> None:
    with matrix.cluster() as srv:
        port = int(str(srv.url).rsplit(":", 1)[1])
        with matrix.running(srv, "get", "rollout", "app-backend", "-w") as (proc, out, err):
            out.wait_for(lambda text: "app-backend" in text, 60, "the first frame")
            srv.stop()
            err.wait_for(lambda text: "Warning: reconnecting:" in text, 60, "the warning")
            pod = copy.deepcopy(srv.get_object("pods", matrix.NS, "app-backend-6d8f9c7b5-jx2vd"))
            pod["status"]["containerStatuses"][0]["ready"] = False  # made while the view cannot see it
            del pod["metadata"]["resourceVersion"]
            srv.seed([pod])
            srv.start(port=port)
            err.wait_for(lambda text: "Warning: reconnected" in text, 60, "the recovery")
            out.wait_for(lambda text: "ready:0/1" in text, 60, "the change")
            proc.terminate()
            code = proc.wait(60)
    lines = err.text.splitlines()
    assert code == 143
    assert lines[0].startswith("Warning: reconnecting: cannot reach the Kubernetes API"), lines
    assert lines[1].startswith("Warning: reconnected to the API server after "), lines
