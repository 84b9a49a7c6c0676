#!/usr/bin/env python3
"""Cost of the flight recorder (`kubectl-rollouts_py record -A`), a script, not a test.

Seeds the project's stand-in API server with N rollouts (default 500, spread over 10
namespaces), each with a ReplicaSet, two pods and an AnalysisRun, starts the installed
recorder on it, waits for its first lists to land, and then changes objects at a steady
rate (default 20 changes a second: rollout status 40%, pod status 30%, ReplicaSet status
15%, a new AnalysisRun measurement 15%) for the duration (default 10 minutes).

It prints the recorder process's CPU seconds and peak RSS (from /proc: the recorder alone,
not the server or this script), the database's size, and the figures extrapolated: CPU
seconds per hour, and database growth per day (retention and the size cap are off, so the
growth is the unbounded one).

    pip install . && python benchmarks/record_bench.py                 # 10 minutes
    python benchmarks/record_bench.py --duration 2m --rollouts 500 --rate 20

Linux only (/proc). Timings on a shared VM move by tens of percent between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SCRIPT = "kubectl-rollouts_py"
NAMESPACES = 10
IMAGE = "luciferstut/app-backend-for-ithome2024"


def find_cli() -> str:
    found = shutil.which(SCRIPT, path=os.path.dirname(sys.executable)) or shutil.which(SCRIPT)
    if not found:
        sys.exit(f"error: {SCRIPT} not found beside {sys.executable} or on PATH: run `pip install .` first")
    return found


def parse_seconds(text: str) -> float:
    from kubectl_rollouts_py.govalues import duration_seconds

    seconds = float(text) if text.replace(".", "", 1).isdigit() else duration_seconds(text)
    if not seconds or seconds <= 0:
        sys.exit(f"error: invalid --duration {text!r}")
    return seconds


# -- the objects


def owner(kind: str, name: str, uid: str) -> list[dict]:
    api = "argoproj.io/v1alpha1" if kind == "Rollout" else "apps/v1"
    return [{"apiVersion": api, "kind": kind, "name": name, "uid": uid, "controller": True, "blockOwnerDeletion": True}]


def objects_of(i: int) -> list[dict]:
    ns, name, h = f"team-{i % NAMESPACES}", f"app-{i}", f"{i:09x}"
    uid = f"ro-{i}"
    labels = {"app": name, "rollouts-pod-template-hash": h}
    container = {"name": name, "image": f"{IMAGE}:1.{i % 7}", "ports": [{"containerPort": 8080}],
                 "env": [{"name": "MODE", "value": "production"}, {"name": "REGION", "value": "eu-west-1"}],
                 "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                 "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 5}}
    rollout = {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": name, "namespace": ns, "uid": uid, "labels": {"app": name}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container]}},
                 "strategy": {"canary": {"steps": [{"setWeight": 10}, {"pause": {"duration": "5m"}}, {"setWeight": 50},
                                                   {"pause": {}}],
                                         "analysis": {"templates": [{"templateName": "success-rate"}]}}}},
        "status": {"currentPodHash": h, "stableRS": h, "currentStepIndex": 4, "replicas": 2, "readyReplicas": 2,
                   "availableReplicas": 2, "updatedReplicas": 2, "phase": "Healthy", "observedGeneration": "1",
                   "conditions": [{"type": "Available", "status": "True", "reason": "AvailableReason",
                                   "lastTransitionTime": "2026-12-01T08:00:00Z", "lastUpdateTime": "2026-12-01T08:00:00Z",
                                   "message": "Rollout has minimum availability"}]},
    }
    rs_name = f"{name}-{h}"
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
          "metadata": {"name": rs_name, "namespace": ns, "uid": f"rs-{i}", "labels": labels,
                       "annotations": {"rollout.argoproj.io/revision": "1"}, "ownerReferences": owner("Rollout", name, uid)},
          "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                   "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}},
          "status": {"replicas": 2, "readyReplicas": 2, "availableReplicas": 2, "observedGeneration": 1}}
    pods = [{"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": f"{rs_name}-{p}", "namespace": ns, "uid": f"pod-{i}-{p}", "labels": labels,
                          "ownerReferences": owner("ReplicaSet", rs_name, f"rs-{i}")},
             "spec": {"containers": [container], "nodeName": f"node-{i % 5}"},
             "status": {"phase": "Running", "podIP": f"10.0.{i % 250}.{p + 1}", "hostIP": "192.168.0.1",
                        "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-12-01T08:00:00Z"}],
                        "containerStatuses": [{"name": name, "ready": True, "restartCount": 0, "image": container["image"],
                                               "state": {"running": {"startedAt": "2026-12-01T08:00:00Z"}}}]}}
            for p in range(2)]
    run = {"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisRun",
           "metadata": {"name": f"{rs_name}-1", "namespace": ns, "uid": f"run-{i}",
                        "annotations": {"rollout.argoproj.io/revision": "1"}, "ownerReferences": owner("Rollout", name, uid)},
           "spec": {"metrics": [{"name": "success-rate", "interval": "1m", "failureLimit": 3,
                                 "successCondition": "result[0] >= 0.95",
                                 "provider": {"prometheus": {"address": "http://prometheus:9090",
                                                             "query": f'sum(rate(http_requests_total{{app="{name}",code!~"5.."}}[1m]))'}}}]},
           "status": {"phase": "Running", "startedAt": "2026-12-01T08:00:00Z",
                      "metricResults": [{"name": "success-rate", "phase": "Running", "count": 0, "successful": 0,
                                         "measurements": []}]}}
    return [rollout, rs, *pods, run]


class Churn:
    """One change of a random object of the cluster, as a controller would make it."""

    def __init__(self, srv, rollouts: int, seed: int = 1) -> None:  # type: ignore[no-untyped-def]
        self.srv = srv
        self.rollouts = rollouts
        self.random = random.Random(seed)
        self.tick = 0

    def once(self) -> None:
        self.tick += 1
        i = self.random.randrange(self.rollouts)
        ns, name, h = f"team-{i % NAMESPACES}", f"app-{i}", f"{i:09x}"
        pick = self.random.random()
        if pick < 0.40:
            obj = self.srv.get_object("rollouts", ns, name)
            obj["status"]["message"] = f"step {self.tick}"
            obj["status"]["currentStepIndex"] = self.tick % 5
        elif pick < 0.70:
            obj = self.srv.get_object("pods", ns, f"{name}-{h}-{self.tick % 2}")
            obj["status"]["containerStatuses"][0]["restartCount"] += 1
            obj["status"]["conditions"][0]["lastProbeTime"] = f"t{self.tick}"
        elif pick < 0.85:
            obj = self.srv.get_object("replicasets", ns, f"{name}-{h}")
            obj["status"]["readyReplicas"] = 1 + self.tick % 2
        else:
            obj = self.srv.get_object("analysisruns", ns, f"{name}-{h}-1")
            result = obj["status"]["metricResults"][0]
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            result["measurements"] = (result["measurements"] + [{"phase": "Successful", "value": f"[0.9{self.tick % 10}]",
                                                                 "startedAt": stamp, "finishedAt": stamp}])[-10:]
            result["count"] += 1
            result["successful"] += 1
        self.srv.apply_change(obj)


# -- measuring


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def db_bytes(db: Path) -> int:
    """The bytes the database's pages hold (what the file settles at once the write-ahead log
    is checkpointed; the log itself is reused, not grown, and free pages are reused)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        pages, free, size = (conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "freelist_count", "page_size"))
        return int((pages - free) * size)
    finally:
        conn.close()


def versions(db: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            return int(conn.execute("SELECT count(*) FROM versions").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", default="10m", help="how long to change objects (Go duration or seconds; default 10m)")
    parser.add_argument("--rollouts", type=int, default=500)
    parser.add_argument("--rate", type=float, default=20.0, help="changes a second (default 20)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    duration = parse_seconds(args.duration)
    from kubectl_rollouts_py.sandbox.apiserver import APIServer

    cli = find_cli()
    with tempfile.TemporaryDirectory() as tmp, APIServer(record_requests=False, event_window=100_000) as srv:
        for i in range(args.rollouts):
            srv.seed(objects_of(i))
        kubeconfig = srv.write_kubeconfig(Path(tmp) / "kubeconfig")
        db = Path(tmp) / "rollouts.db"
        env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
        started = time.monotonic()
        proc = subprocess.Popen([cli, "record", "-A", "--db", str(db), "--retain", "0", "--max-size", "0"], env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        seeded = args.rollouts * 5
        while versions(db) < seeded:
            if proc.poll() is not None:
                sys.exit(f"error: the recorder ended: {proc.stderr.read() if proc.stderr else ''}")
            time.sleep(0.2)
        first_list = time.monotonic() - started
        cpu0, bytes0, versions0 = cpu_seconds(proc.pid), db_bytes(db), versions(db)
        churn = Churn(srv, args.rollouts)
        stop = threading.Event()
        changes = 0
        begin = time.monotonic()
        while (now := time.monotonic()) < begin + duration:
            due = begin + changes / args.rate
            if due > now:
                time.sleep(due - now)
            churn.once()
            changes += 1
        elapsed = time.monotonic() - begin
        time.sleep(1.0)  # the last batches land
        cpu1, rss = cpu_seconds(proc.pid), peak_rss_kib(proc.pid)
        bytes1, versions1 = db_bytes(db), versions(db)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        stop.set()
    cpu = cpu1 - cpu0
    figures = {
        "rollouts": args.rollouts, "objects": seeded, "changes": changes, "seconds": round(elapsed, 1),
        "rate": round(changes / elapsed, 2), "first_list_seconds": round(first_list, 2),
        "first_list_cpu_seconds": round(cpu0, 2), "cpu_seconds": round(cpu, 2),
        "cpu_seconds_per_hour": round(cpu / elapsed * 3600, 1), "cpu_percent": round(cpu / elapsed * 100, 2),
        "peak_rss_mib": round(rss / 1024, 1), "db_bytes_after_first_list": bytes0, "db_bytes_end": bytes1,
        "versions_recorded": versions1 - versions0,
        "db_growth_per_day_mib": round((bytes1 - bytes0) / elapsed * 86400 / 2**20, 1),
        "bytes_per_version": round((bytes1 - bytes0) / max(1, versions1 - versions0)),
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(f"record -A: {args.rollouts} rollouts ({seeded} objects), {changes} changes in {elapsed:.0f} s "
          f"({figures['rate']}/s)")
    print(f"  first list: {first_list:.1f} s, {cpu0:.2f} CPU s; database {bytes0 / 2**20:.1f} MiB")
    print(f"  CPU: {cpu:.2f} s over the run = {figures['cpu_seconds_per_hour']} CPU s per hour "
          f"({figures['cpu_percent']}% of one core)")
    print(f"  peak RSS: {figures['peak_rss_mib']} MiB")
    print(f"  database: +{(bytes1 - bytes0) / 2**20:.2f} MiB for {versions1 - versions0} versions "
          f"({figures['bytes_per_version']} B each) = {figures['db_growth_per_day_mib']} MiB per day")


if __name__ == "__main__":
    main()
