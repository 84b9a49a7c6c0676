"""Helpers for end-to-end tests: seed objects, a stand-in API server, and running the
*installed* CLI as a subprocess (never in-process, never with a patched client)."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

NS = "ithome"
ROLLOUT_UID = "5b1f0c3e-2c8e-4a59-9d1e-000000000001"
STABLE_RS_UID = "5b1f0c3e-2c8e-4a59-9d1e-000000000002"
CANARY_RS_UID = "5b1f0c3e-2c8e-4a59-9d1e-000000000003"
CREATED = "2026-11-20T08:00:00Z"
IMAGE = "luciferstut/app-backend-for-ithome2024"


def _owner(kind: str, name: str, uid: str) -> list[dict]:
    api = "argoproj.io/v1alpha1" if kind == "Rollout" else "apps/v1"
    return [{"apiVersion": api, "kind": kind, "name": name, "uid": uid, "controller": True}]


def _rs(name: str, uid: str, pod_hash: str, revision: int, image: str, replicas: int) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name, "namespace": NS, "uid": uid, "creationTimestamp": CREATED, "generation": 1,
            "labels": {"app": "app-backend", "rollouts-pod-template-hash": pod_hash},
            "annotations": {"rollout.argoproj.io/revision": str(revision)},
            "ownerReferences": _owner("Rollout", "app-backend", ROLLOUT_UID),
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "app-backend", "rollouts-pod-template-hash": pod_hash}},
            "template": {"metadata": {"labels": {"app": "app-backend", "rollouts-pod-template-hash": pod_hash}},
                         "spec": {"containers": [{"name": "app-backend", "image": image}]}},
        },
        "status": {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas, "observedGeneration": 1},
    }


def _pod(name: str, rs_name: str, rs_uid: str, pod_hash: str, image: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name, "namespace": NS, "uid": f"pod-{name}", "creationTimestamp": CREATED,
            "labels": {"app": "app-backend", "rollouts-pod-template-hash": pod_hash},
            "ownerReferences": _owner("ReplicaSet", rs_name, rs_uid),
        },
        "spec": {"containers": [{"name": "app-backend", "image": image}]},
        "status": {"phase": "Running", "containerStatuses": [
            {"name": "app-backend", "ready": True, "restartCount": 0, "state": {"running": {"startedAt": CREATED}}}]},
    }


def app_backend_objects() -> list[dict]:
    """The app-backend canary, paused on its first pause step with analysis running."""
    rollout = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "app-backend", "namespace": NS, "uid": ROLLOUT_UID, "creationTimestamp": CREATED, "generation": 2},
        "spec": {
            "replicas": 5,
            "selector": {"matchLabels": {"app": "app-backend"}},
            "template": {"metadata": {"labels": {"app": "app-backend"}},
                         "spec": {"containers": [{"name": "app-backend", "image": f"{IMAGE}:2.0"}]}},
            "strategy": {"canary": {
                "stableService": "app-backend-stable", "canaryService": "app-backend-preview",
                "analysis": {"templates": [{"templateName": "success-rate"}], "startingStep": 1},
                "steps": [{"setWeight": 10}, {"pause": {"duration": "3m"}}, {"setWeight": 33}, {"pause": {"duration": "3m"}}],
            }},
        },
        "status": {
            "observedGeneration": "2", "currentStepIndex": 1, "currentPodHash": "6d8f9c7b5",
            "stableRS": "5c6b7d8f9", "replicas": 5, "updatedReplicas": 1, "readyReplicas": 5, "availableReplicas": 5,
            "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2026-11-29T08:00:00Z"}],
            "phase": "Paused", "message": "CanaryPauseStep",
        },
    }
    stable = _rs("app-backend-5c6b7d8f9", STABLE_RS_UID, "5c6b7d8f9", 1, f"{IMAGE}:1.0", 4)
    canary = _rs("app-backend-6d8f9c7b5", CANARY_RS_UID, "6d8f9c7b5", 2, f"{IMAGE}:2.0", 1)
    pods = [_pod(f"app-backend-5c6b7d8f9-{s}", stable["metadata"]["name"], STABLE_RS_UID, "5c6b7d8f9", f"{IMAGE}:1.0")
            for s in ("4x7kq", "8bzlm", "c2m9w", "q7r5t")]
    pods.append(_pod("app-backend-6d8f9c7b5-jx2vd", canary["metadata"]["name"], CANARY_RS_UID, "6d8f9c7b5", f"{IMAGE}:2.0"))
    run = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisRun",
        "metadata": {"name": "app-backend-6d8f9c7b5-2", "namespace": NS, "uid": "run-1", "creationTimestamp": CREATED,
                     "annotations": {"rollout.argoproj.io/revision": "2"},
                     "ownerReferences": _owner("Rollout", "app-backend", ROLLOUT_UID)},
        "spec": {"metrics": [{"name": "success-rate", "interval": "1m", "failureLimit": 3,
                              "successCondition": "isNaN(result[0]) || result[0] >= 0.95",
                              "provider": {"prometheus": {"address": "http://prometheus:9090", "query": "1"}}}]},
        "status": {"phase": "Running", "metricResults": [{"name": "success-rate", "phase": "Running", "count": 2, "successful": 2,
                   "measurements": [{"phase": "Successful", "value": "[0.99]", "startedAt": CREATED, "finishedAt": CREATED}]}]},
    }
    return [rollout, stable, canary, *pods, run]


@dataclass
class Result:
    code: int
    out: str
    err: str


def cli_path() -> str:
    """The installed console script; tests exercise what users install."""
    found = shutil.which("kubectl-rollouts_py")
    if not found:
        raise RuntimeError("kubectl-rollouts_py is not on PATH: install the package first (pip install .)")
    return found


def run_cli(*args: str, kubeconfig: Path | str | None = None, env: dict[str, str] | None = None, timeout: float = 30) -> Result:
    environ = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "NO_COLOR")}
    environ["HOME"] = environ.get("HOME", "/tmp")
    if kubeconfig is not None:
        environ["KUBECONFIG"] = str(kubeconfig)
    environ.update(env or {})
    proc = subprocess.run([cli_path(), *args], capture_output=True, text=True, env=environ, timeout=timeout, stdin=subprocess.DEVNULL)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def assert_one_error_line(result: Result, code: int = 1) -> str:
    """The bad-input contract: exit code, nothing on stdout, one `Error: ` line, no traceback."""
    assert result.code == code, (result.code, result.err)
    assert "Traceback" not in result.err
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.err
    return lines[0]


