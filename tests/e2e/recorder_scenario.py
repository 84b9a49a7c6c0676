"""A canary that fails its analysis, written into the stand-in API server step by step as
Argo's controller would, for the flight recorder's end-to-end tests."""

from __future__ import annotations

import copy
import os
import signal
import subprocess
import time
from pathlib import Path

from kubectl_rollouts_py.sandbox.apiserver import APIServer

from .standin import IMAGE, NS, ROLLOUT_UID, _owner, _pod, _rs, cli_path

NAME = "app-backend"
OLD_HASH, NEW_HASH = "5c6b7d8f9", "6d8f9c7b5"
RUN = f"{NAME}-{NEW_HASH}-2"
STEPS = [{"setWeight": 10}, {"pause": {}}, {"setWeight": 50}, {"pause": {"duration": "3m"}}]


def template(image: str, env: str) -> dict:
    return {"metadata": {"labels": {"app": NAME}},
            "spec": {"containers": [{"name": NAME, "image": image, "env": [{"name": "MODE", "value": env}]}]}}


def stable_rollout() -> dict:
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": NAME, "namespace": NS, "uid": ROLLOUT_UID, "creationTimestamp": "2026-11-20T08:00:00Z"},
        "spec": {"replicas": 4, "selector": {"matchLabels": {"app": NAME}}, "template": template(f"{IMAGE}:1.0", "calm"),
                 "strategy": {"canary": {"steps": STEPS,
                                         "analysis": {"templates": [{"templateName": "success-rate"}], "startingStep": 1}}}},
        "status": {"currentPodHash": OLD_HASH, "stableRS": OLD_HASH, "currentStepIndex": len(STEPS), "replicas": 4,
                   "updatedReplicas": 4, "readyReplicas": 4, "availableReplicas": 4, "phase": "Healthy", "observedGeneration": "1"},
    }


def old_objects() -> list[dict]:
    rs = _rs(f"{NAME}-{OLD_HASH}", "rs-old", OLD_HASH, 1, f"{IMAGE}:1.0", 4)
    rs["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "MODE", "value": "calm"}]
    pods = [_pod(f"{NAME}-{OLD_HASH}-{i}", rs["metadata"]["name"], "rs-old", OLD_HASH, f"{IMAGE}:1.0") for i in "abcd"]
    return [stable_rollout(), rs, *pods]


def measurement(value: float, phase: str, minute: int) -> dict:
    stamp = f"2026-12-01T08:{minute:02d}:00Z"
    return {"phase": phase, "value": f"[{value}]", "startedAt": stamp, "finishedAt": stamp}


def analysis_run(measurements: list[dict], phase: str) -> dict:
    failed = sum(m["phase"] == "Failed" for m in measurements)
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisRun",
        "metadata": {"name": RUN, "namespace": NS, "uid": "run-uid", "creationTimestamp": "2026-12-01T08:00:00Z",
                     "annotations": {"rollout.argoproj.io/revision": "2"}, "ownerReferences": _owner("Rollout", NAME, ROLLOUT_UID)},
        "spec": {"metrics": [{"name": "success-rate", "interval": "1m", "failureLimit": 1,
                              "successCondition": "result[0] >= 0.95",
                              "provider": {"prometheus": {"address": "http://prometheus:9090", "query": "sum(rate(ok[1m]))"}}}]},
        "status": {"phase": phase, "startedAt": "2026-12-01T08:00:00Z",
                   "metricResults": [{"name": "success-rate", "phase": phase, "count": len(measurements),
                                      "successful": len(measurements) - failed, "failed": failed, "measurements": measurements}]},
    }


class Canary:
    """Drives the rollout through a failing canary; each step returns once written."""

    def __init__(self, srv: APIServer) -> None:
        self.srv = srv

    def rollout(self) -> dict:
        found = self.srv.get_object("rollouts", NS, NAME)
        assert found is not None
        return found

    def status(self, **changes: object) -> None:
        rollout = self.rollout()
        rollout["status"].update(changes)
        rollout["status"]["observedGeneration"] = str(rollout["metadata"]["generation"])  # the controller saw the spec
        for key in [k for k, v in changes.items() if v is None]:
            rollout["status"].pop(key)
        self.srv.apply_change(rollout)

    def start_revision_2(self) -> None:
        rollout = self.rollout()
        rollout["spec"]["template"] = template(f"{IMAGE}:2.0", "eager")
        self.srv.apply_change(rollout)
        self.status(currentPodHash=NEW_HASH, currentStepIndex=0, phase="Progressing", updatedReplicas=0)
        rs = _rs(f"{NAME}-{NEW_HASH}", "rs-new", NEW_HASH, 2, f"{IMAGE}:2.0", 1)
        rs["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "MODE", "value": "eager"}]
        self.srv.apply_change(rs)
        self.srv.apply_change(_pod(f"{NAME}-{NEW_HASH}-x", rs["metadata"]["name"], "rs-new", NEW_HASH, f"{IMAGE}:2.0"))

    def pause_with_analysis(self) -> None:
        self.status(currentStepIndex=1, phase="Paused", message="CanaryPauseStep", updatedReplicas=1,
                    pauseConditions=[{"reason": "CanaryPauseStep", "startTime": "2026-12-01T08:00:00Z"}])
        self.srv.apply_change(analysis_run([measurement(0.99, "Successful", 0)], "Running"))

    def fail_analysis(self) -> None:
        run = analysis_run([measurement(0.99, "Successful", 0), measurement(0.42, "Failed", 1), measurement(0.40, "Failed", 2)],
                           "Failed")
        run["status"]["message"] = "Metric \"success-rate\" assessed Failed due to failed (2) > failureLimit (1)"
        self.srv.apply_change(run)

    def abort(self) -> None:
        self.status(abort=True, pauseConditions=None, phase="Degraded",
                    message="RolloutAborted: Rollout aborted update to revision 2: Metric \"success-rate\" assessed Failed",
                    currentStepIndex=0)

    def delete_run(self) -> None:
        assert self.srv.delete_object("analysisruns", NS, RUN)


def start_recorder(kubeconfig: Path, db: Path, *args: str, stderr: Path | None = None) -> subprocess.Popen:
    """The recorder in a child process; its stderr to a pipe, or to the file `stderr` when
    a test must read its notices while it runs."""
    environ = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "NO_COLOR")}
    environ["KUBECONFIG"] = str(kubeconfig)
    if stderr is None:
        return subprocess.Popen([cli_path(), "record", "--db", str(db), *args], env=environ, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with stderr.open("w") as log:  # the child has its own copy of the descriptor
        return subprocess.Popen([cli_path(), "record", "--db", str(db), *args], env=environ, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=log, text=True)


def stop_recorder(proc: subprocess.Popen, signum: int = signal.SIGTERM) -> tuple[int, str]:
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=20)
    return proc.returncode, err


def wait_for(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def count_versions(db: Path, kind: str, name: str | None = None) -> int:
    import sqlite3

    if not db.exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        query = "SELECT count(*) FROM versions WHERE kind = ?" + (" AND name = ?" if name else "")
        return int(conn.execute(query, (kind, name) if name else (kind,)).fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


def copy_of(obj: dict) -> dict:
    return copy.deepcopy(obj)
