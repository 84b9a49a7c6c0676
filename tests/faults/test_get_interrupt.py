"""One Ctrl-C or SIGTERM ends `get rollout` or `explain` at once while one of its reads hangs (issue 20).

The stand-in API server holds back the answer to one of the reads the command sends
concurrently (the pods list, or the rollout itself); the signal arrives while the CLI waits
for it. Nothing may wait for the hung read on the way out: the process ends long before the
held-back answer would come (60 s), with the documented exit code and one Error line.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest

from kubectl_rollouts_py.sandbox.apiserver import APIServer, Fault
from tests.e2e.standin import NS, app_backend_objects, cli_path

PODS = f"/api/v1/namespaces/{NS}/pods"
ROLLOUT = f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/rollouts/app-backend"
CODES = {signal.SIGINT: (130, "interrupted"), signal.SIGTERM: (143, "interrupted by SIGTERM")}


@pytest.fixture()
def server(tmp_path) -> Iterator[APIServer]:
    with APIServer() as srv:
        srv.seed(app_backend_objects())
        srv.kubeconfig = tmp_path / "kubeconfig"  # type: ignore[attr-defined]
        srv.write_kubeconfig(srv.kubeconfig, namespace=NS)  # type: ignore[attr-defined]
        yield srv


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("hung", [PODS, ROLLOUT], ids=["pods-list", "rollout-get"])
@pytest.mark.parametrize("command", [["get", "rollout"], ["explain"]], ids=["get-rollout", "explain"])
def test_one_signal_ends_the_command_while_a_read_hangs(
        server: APIServer, sig: int, hung: str, command: list[str]) -> None:
    server.inject("GET", hung, Fault.delay(60), times=None)
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "NO_COLOR")}
    env["KUBECONFIG"] = str(server.kubeconfig)  # type: ignore[attr-defined]
    proc = subprocess.Popen([cli_path(), *command, "app-backend", "--request-timeout", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, stdin=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + 20
        while not any(q.method == "GET" and q.path == hung for q in server.requests):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the hung read never came"
            time.sleep(0.02)
        # Usually the CLI is asleep in its wait for the held-back answer by now; a signal
        # that comes earlier, while it still handles the other answers, must end it all the same.
        time.sleep(0.3)
        sent = time.monotonic()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        server.clear_faults()
    code, words = CODES[sig]
    assert proc.returncode == code, err
    assert took < 30, f"{took:.2f} s after the signal"  # a hang guard: waiting for the read would take 60 s
    assert "Traceback" not in err
    assert err.strip().splitlines() == [f"Error: {words}"] or err.strip().startswith(f"Error: {words}"), err
    assert len(err.strip().splitlines()) == 1, err
    assert out == ""
