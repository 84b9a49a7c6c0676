"""Watch streams that end early or expire: `status` (which follows the rollout) reconnects,
re-lists after a 410, and still sees the change, through the installed CLI."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from kubectl_rollouts_py.sandbox.apiserver import APIServer, Fault
from tests.e2e.standin import NS, app_backend_objects, cli_path

ROLLOUTS = f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/rollouts"


@pytest.fixture()
def server(tmp_path: Path):
    with APIServer() as srv:
        srv.seed(app_backend_objects())
        srv.kubeconfig = tmp_path / "kubeconfig"  # type: ignore[attr-defined]
        srv.write_kubeconfig(srv.kubeconfig, namespace=NS)  # type: ignore[attr-defined]
        yield srv


def _watches(server: APIServer) -> int:
    return sum(1 for r in server.requests if r.path.startswith(ROLLOUTS) and r.query.get("watch") in ("true", "1"))


@pytest.mark.parametrize("faults", [
    [Fault.watch_close(events=0), Fault.watch_close(events=0)],
    [Fault.watch_expired()],
    [Fault.watch_close(events=0), Fault.watch_expired(), Fault.error(503)],
], ids=["closed-twice", "expired", "closed-expired-503"])
def test_status_follows_through_watch_faults(server, faults) -> None:
    for fault in faults:
        server.inject("GET", ROLLOUTS, fault, prefix=True, times=1)
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env["KUBECONFIG"] = str(server.kubeconfig)
    proc = subprocess.Popen([cli_path(), "status", "app-backend", "--timeout", "20s"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, stdin=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "Paused - CanaryPauseStep\n"
        deadline = time.monotonic() + 15
        while server.fault_hits() < len(faults):
            assert time.monotonic() < deadline, f"only {server.fault_hits()} of {len(faults)} faults met"
            time.sleep(0.05)
        rollout = server.get_object("rollouts", NS, "app-backend")
        rollout["status"].update(phase="Healthy", message="", stableRS="6d8f9c7b5", pauseConditions=None)
        server.apply_change(rollout)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert (proc.returncode, out, err) == (0, "Healthy\n", "")
    # Every watch fault ended one stream, and a later stream saw the change (a Fault.error
    # may meet the re-list instead of a watch).
    assert _watches(server) > sum(1 for f in faults if f.for_watch)
