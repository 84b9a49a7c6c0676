"""The dashboard Deployments of deploy/ run: the installed `kubectl-rollouts_py` started with
each Deployment's own arguments (its port made 0 and its address loopback, so that the test
takes a free port and listens nowhere else), against the stand-in API server.

The kubelet's probes, which name the pod's address in Host and come from outside the pod,
get 200 from the liveness and readiness paths; any other request such as a probe's is
refused as deployed (the default set: a Host other than the dashboard's own; behind
oauth2-proxy: no X-Forwarded-User), while a port-forward's (Host localhost) or the sidecar's
(naming the person) is served; SIGTERM stops it with exit 0. (That a peer other than
127.0.0.1 is refused behind the proxy is tests/dashboard's to show: here every peer is local.)
"""

from __future__ import annotations

import http.client
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubectl_rollouts_py.sandbox.apiserver import APIServer

from .standin import NS, app_backend_objects
from .test_deploy_manifests import MANIFESTS, project_containers

KUBELET_HOST = "10.244.1.7:3100"  # what a probe names: the pod's address (never connected to)
DASHBOARDS = [(where, c) for where, c in project_containers(MANIFESTS) if c["args"][0] == "dashboard"]


def _as_tested(args: list[str]) -> list[str]:
    """The Deployment's args with --port 0 and --address 127.0.0.1."""
    out = list(args)
    for flag, value in (("--port", "0"), ("--address", "127.0.0.1")):
        out[out.index(flag) + 1] = value
    return out


def _get(port: int, path: str, headers: dict[str, str]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


@pytest.fixture()
def cluster(tmp_path: Path) -> Iterator[Path]:
    with APIServer(record_requests=False) as srv:
        srv.seed(app_backend_objects())
        yield srv.write_kubeconfig(tmp_path / "kubeconfig", namespace=NS)


@pytest.mark.parametrize(("where", "container"), DASHBOARDS, ids=[w for w, _ in DASHBOARDS])
def test_the_deployments_dashboard_serves_its_probes_and_refuses_the_rest(console_script: str, cluster: Path, tmp_path: Path,
                                                                            where: str, container: dict[str, Any]) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "KUBECONFIG": str(cluster)}
    log = (tmp_path / "stderr").open("w")  # its access log: a file, which never fills up as a pipe would
    proc = subprocess.Popen([console_script, *_as_tested(container["args"])], stdout=subprocess.PIPE, stderr=log,
                            stdin=subprocess.DEVNULL, text=True, env=env)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("Dashboard for all namespaces"), (first, (tmp_path / "stderr").read_text())
        port = int(first.rsplit(":", 1)[1].split("/")[0])
        probes = {c: container[c]["httpGet"]["path"] for c in ("livenessProbe", "readinessProbe")}
        kubelet = {"Host": KUBELET_HOST, "User-Agent": "kube-probe/1.32"}
        assert _get(port, probes["livenessProbe"], kubelet) == 200
        deadline = time.monotonic() + 60  # ready once every kind is listed: wait for that, up to a minute
        while (status := _get(port, probes["readinessProbe"], kubelet)) != 200 and time.monotonic() < deadline:
            assert status == 503
            time.sleep(0.1)
        assert status == 200
        root = probes["livenessProbe"].removesuffix("/healthz")
        refused = _get(port, f"{root}/api/v1/rollouts", kubelet)  # from outside, as a pod on the network would ask
        assert refused in (401, 403), refused
        if "--auth" in container["args"]:  # the sidecar's own requests name the person
            assert _get(port, f"{root}/api/v1/rollouts", {"Host": "rollouts.example.com", "X-Forwarded-User": "ana@example.com"}) == 200
        else:  # a port-forward names localhost:3100; here the port is the test's
            assert _get(port, f"{root}/api/v1/rollouts", {"Host": f"localhost:{port}"}) == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        log.close()
