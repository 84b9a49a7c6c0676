"""`lint --require-references --cluster-lookup` against the stand-in API server, through the
installed CLI: what the files do not hold is looked up in the kubeconfig's cluster."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from kubectl_rollouts_py.sandbox.apiserver import APIServer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "app-backend-canary.yaml"
NS = "ithome"


def _service(role: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"app-backend-{role}", "namespace": NS},
            "spec": {"selector": {"app": "app-backend"}, "ports": [{"port": 80, "targetPort": 8080}]}}


SUCCESS_RATE = {
    "apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate",
    "metadata": {"name": "success-rate", "namespace": NS},
    "spec": {"args": [{"name": "canary-hash"}], "metrics": [{
        "name": "success-rate", "interval": "1m", "successCondition": "result[0] >= 0.95",
        "provider": {"prometheus": {"address": "http://prometheus:9090", "query": "vector(1)"}}}]},
}


def lint(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["kubectl-rollouts_py", "lint", "-f", str(EXAMPLE), "--require-references", "--cluster-lookup",
                           "--kubeconfig", str(kubeconfig), *args], capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture()
def cluster(tmp_path: Path):
    with APIServer() as server:
        server.seed([_service("canary"), _service("stable")])
        kubeconfig = tmp_path / "kubeconfig"
        server.write_kubeconfig(kubeconfig, namespace=NS)
        yield server, kubeconfig


def test_references_found_in_the_cluster(cluster: Any) -> None:
    server, kubeconfig = cluster
    result = lint(kubeconfig)
    assert result.returncode == 1
    assert result.stdout.startswith('rollout/app-backend: spec.strategy.canary.analysis.templates[0].templateName: '
                                    'Not found: "success-rate": no AnalysisTemplate "success-rate" in the files or in http')
    server.seed([SUCCESS_RATE])
    result = lint(kubeconfig)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_another_namespace_does_not_hold_them(cluster: Any) -> None:
    _, kubeconfig = cluster
    server_ns = lint(kubeconfig, "-n", "elsewhere")
    # The example's Rollout says namespace ithome: its references are looked up there, not in -n.
    assert server_ns.stdout.count("Not found") == 1


def test_an_unreachable_cluster_is_one_error(tmp_path: Path) -> None:
    with APIServer() as server:
        kubeconfig = tmp_path / "kubeconfig"
        server.write_kubeconfig(kubeconfig, namespace=NS)
    result = lint(kubeconfig)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
