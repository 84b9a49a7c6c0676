#!/usr/bin/env python3
"""Live-view benchmark of the installed `kubectl-rollouts_py watch` (a script, not a test).

Runs `kubectl-rollouts_py watch ROLLOUT` in a pseudo-terminal (120x40, as a user's terminal)
against the project's stand-in API server, in a thread of this process, and measures:

1. Event-to-screen latency with 500 pods in the namespace: the time from a change stored in
   the server (a pod's restartCount patched) to the moment the CLI has written the new text
   to the terminal. The changes come at random intervals of 0.25-0.6 s (a rollout's pace,
   not a burst). Target: p95 <= 200 ms.
2. Idle CPU over 10 s: the CLI's user+system CPU time (/proc/PID/stat) while nothing in the
   cluster changes, as a share of one core, with the redraws it made meanwhile. Target:
   <= 2 % of one core. Measured for several screens (see --help).

    pip install . && python benchmarks/live_bench.py
    python benchmarks/live_bench.py --pods 500 --changes 200 --idle 10

Timings on a shared 2-core VM move by +-30% between runs. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import os
import random
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

NS = "bench"
NAME = "app"
SCRIPT = "kubectl-rollouts_py"
LATENCY_P95_TARGET_MS = 200.0
IDLE_TARGET_PERCENT = 2.0


def find_cli(explicit: str | None) -> str:
    found = explicit or shutil.which(SCRIPT, path=os.path.dirname(sys.executable)) or shutil.which(SCRIPT)
    if not found:
        sys.exit(f"error: {SCRIPT} not found beside {sys.executable} or on PATH: run `pip install .` first")
    return os.path.abspath(found)


# -- the namespace ----------------------------------------------------------------------------


def rfc3339(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def seed(pods: int, *, timed_pause: bool, age: dt.timedelta, foreign: int) -> list[dict]:
    """A canary rollout paused at step 1 (a 10 min pause, or an indefinite one), a stable
    ReplicaSet with most of `pods` and a canary one with a tenth of them, all created `age`
    ago; plus `foreign` pods of another app in the same namespace."""
    now = dt.datetime.now(dt.timezone.utc)
    created = rfc3339(now - age)
    uid = "ro-uid"
    canary_pods = max(1, pods // 10)

    def owner(kind: str, name: str, owner_uid: str) -> list[dict]:
        api = "argoproj.io/v1alpha1" if kind == "Rollout" else "apps/v1"
        return [{"apiVersion": api, "kind": kind, "name": name, "uid": owner_uid, "controller": True}]

    def replica_set(pod_hash: str, revision: int, replicas: int) -> dict:
        labels = {"app": NAME, "rollouts-pod-template-hash": pod_hash}
        return {
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": f"{NAME}-{pod_hash}", "namespace": NS, "uid": f"rs-{pod_hash}", "creationTimestamp": created,
                         "generation": 1, "labels": labels, "annotations": {"rollout.argoproj.io/revision": str(revision)},
                         "ownerReferences": owner("Rollout", NAME, uid)},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": f"app:{revision}"}]}}},
            "status": {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas, "observedGeneration": 1},
        }

    def pod(name: str, labels: dict, owners: list[dict]) -> dict:
        return {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": NS, "uid": f"pod-{name}", "creationTimestamp": created, "labels": labels,
                         "ownerReferences": owners},
            "spec": {"containers": [{"name": "app", "image": "app"}]},
            "status": {"phase": "Running", "containerStatuses": [
                {"name": "app", "ready": True, "restartCount": 0, "state": {"running": {"startedAt": created}}}]},
        }

    stable, canary = replica_set("5c6b7d8f9", 1, pods - canary_pods), replica_set("6d8f9c7b5", 2, canary_pods)
    pause = {"duration": "10m"} if timed_pause else {}
    rollout = {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": NAME, "namespace": NS, "uid": uid, "creationTimestamp": created, "generation": 1},
        "spec": {"replicas": pods, "selector": {"matchLabels": {"app": NAME}},
                 "template": {"metadata": {"labels": {"app": NAME}}, "spec": {"containers": [{"name": "app", "image": "app:2"}]}},
                 "strategy": {"canary": {"steps": [{"setWeight": 10}, {"pause": pause}, {"setWeight": 50}]}}},
        "status": {"observedGeneration": "1", "currentStepIndex": 1, "currentPodHash": "6d8f9c7b5", "stableRS": "5c6b7d8f9",
                   "replicas": pods, "updatedReplicas": canary_pods, "readyReplicas": pods, "availableReplicas": pods,
                   "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": rfc3339(now)}],
                   "phase": "Paused", "message": "CanaryPauseStep"},
    }
    objects = [rollout, stable, canary]
    for rs, count in ((canary, canary_pods), (stable, pods - canary_pods)):
        labels = rs["metadata"]["labels"]
        objects += [pod(f"{rs['metadata']['name']}-{i:05d}", labels, owner("ReplicaSet", rs["metadata"]["name"], rs["metadata"]["uid"]))
                    for i in range(count)]
    objects += [pod(f"other-{i:05d}", {"app": "other"}, []) for i in range(foreign)]
    return objects


# -- the CLI in a terminal ----------------------------------------------------------------------


class Terminal:
    """The CLI on the slave side of a pty; everything it writes is read and kept."""

    def __init__(self, argv: list[str], env: dict[str, str], *, cols: int = 120, rows: int = 40) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True, start_new_session=True)
        os.close(slave)
        self.master = master
        self.output = bytearray()
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                chunk = b""
            with self.cond:
                if not chunk:
                    self.cond.notify_all()
                    return
                self.output += chunk
                self.cond.notify_all()

    def mark(self) -> int:
        with self.cond:
            return len(self.output)

    def wait_for(self, needle: bytes, since: int, timeout: float) -> float | None:
        """perf_counter() when `needle` appeared after offset `since`; None on timeout."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while needle not in self.output[since:]:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    return None
                self.cond.wait(left)
            return time.perf_counter()

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.reader.join(2)
        os.close(self.master)


def start(cli: str, kubeconfig: Path, extra: list[str] | None = None) -> Terminal:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"), "TERM": "xterm-256color",
           "KUBECONFIG": str(kubeconfig), "LANG": "C.UTF-8"}
    term = Terminal([cli, "watch", NAME, *(extra or [])], env)
    if term.wait_for(b"revision:2", 0, 30) is None:
        term.close()
        sys.exit("error: the first frame did not appear within 30 s:\n" + term.output.decode(errors="replace")[-2000:])
    return term


# -- measurements -------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def measure_latency(server: object, term: Terminal, changes: int) -> list[float]:
    """ms from a stored change of a visible pod to its new text in the terminal output."""
    pod_name = f"{NAME}-6d8f9c7b5-00000"  # the newest revision's first pod: always on screen
    pod = server.get_object("pods", NS, pod_name)  # type: ignore[attr-defined]
    rng = random.Random(4)
    latencies = []
    for i in range(1, changes + 1):
        time.sleep(rng.uniform(0.25, 0.6))
        pod["status"]["containerStatuses"][0]["restartCount"] = i
        since = term.mark()
        started = time.perf_counter()
        server.apply_change(pod)  # type: ignore[attr-defined]
        seen = term.wait_for(f"restarts:{i}\x1b[K".encode(), since, 5.0)
        if seen is None:
            sys.exit(f"error: change {i} not on screen within 5 s")
        latencies.append((seen - started) * 1000)
    return latencies


def measure_idle(term: Terminal, seconds: float) -> tuple[float, int, int]:
    """(% of one core, redraws, bytes written) over `seconds` with no change in the cluster."""
    time.sleep(1.5)  # let the first frames and the streams settle
    cpu0, mark0, t0 = term.cpu_seconds(), term.mark(), time.monotonic()
    time.sleep(seconds)
    cpu1, mark1, t1 = term.cpu_seconds(), term.mark(), time.monotonic()
    written = bytes(term.output[mark0:mark1])
    return 100 * (cpu1 - cpu0) / (t1 - t0), written.count(b"\x1b[?2026h"), len(written)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cli", help="the console script (default: beside this Python, else on PATH)")
    parser.add_argument("--pods", type=int, default=500, help="pods of the rollout (default 500)")
    parser.add_argument("--changes", type=int, default=100, help="changes timed for the latency (default 100)")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of each idle measurement (default 10)")
    args = parser.parse_args()

    from kubectl_rollouts_py.sandbox.apiserver import APIServer

    cli = find_cli(args.cli)
    print(f"cli            : {cli}")
    print(f"python         : {sys.version.split()[0]}  cpus: {os.cpu_count()}  load: {os.getloadavg()[0]:.2f}")
    print(f"terminal       : pty 120x40, TERM=xterm-256color; stand-in API server in a thread of this process")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        kubeconfig = Path(tmp) / "kubeconfig"

        def server_with(objects: list[dict]) -> APIServer:
            srv = APIServer(record_requests=False)
            srv.start()
            srv.seed(objects)
            srv.write_kubeconfig(kubeconfig, namespace=NS)
            return srv

        # 1. latency
        srv = server_with(seed(args.pods, timed_pause=True, age=dt.timedelta(hours=2), foreign=0))
        term = start(cli, kubeconfig)
        try:
            latencies = measure_latency(srv, term, args.changes)
        finally:
            term.close()
            srv.stop()
        p50, p95, worst = statistics.median(latencies), percentile(latencies, 95), max(latencies)
        verdict = "ok" if p95 <= LATENCY_P95_TARGET_MS else "MISSED"
        ok &= p95 <= LATENCY_P95_TARGET_MS
        print(f"\n1. event-to-screen latency, {args.pods} pods of the rollout, {args.changes} changes")
        print(f"   median {p50:6.1f} ms   p95 {p95:6.1f} ms   max {worst:6.1f} ms   "
              f"(target p95 <= {LATENCY_P95_TARGET_MS:.0f} ms: {verdict})")

        # 2. idle CPU, several screens
        print(f"\n2. idle CPU over {args.idle:.0f} s (nothing changes in the cluster)")
        cases = [
            (f"{args.pods} pods, 2 h old, indefinite pause (ages change by the minute)", args.pods, False, dt.timedelta(hours=2), 0),
            (f"{args.pods} pods, 2 h old, 10 min timed pause (countdown ticks each second)", args.pods, True, dt.timedelta(hours=2), 0),
            (f"{args.pods} pods, 1 min old (ages tick each second)", args.pods, False, dt.timedelta(minutes=1), 0),
            (f"5 pods + {args.pods} pods of another app, 2 h old, indefinite pause", 5, False, dt.timedelta(hours=2), args.pods),
        ]
        for label, pods, timed, age, foreign in cases:
            srv = server_with(seed(pods, timed_pause=timed, age=age, foreign=foreign))
            term = start(cli, kubeconfig)
            try:
                percent, redraws, written = measure_idle(term, args.idle)
            finally:
                term.close()
                srv.stop()
            verdict = "ok" if percent <= IDLE_TARGET_PERCENT else "over"
            print(f"   {percent:5.2f} % of a core, {redraws:2d} redraws, {written:7d} bytes  {label}  [{verdict}]")
    print(f"\n(target: idle <= {IDLE_TARGET_PERCENT:.0f} % of one core)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
