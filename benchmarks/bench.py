#!/usr/bin/env python3
"""Wall-time benchmark of the installed `kubectl-rollouts_py` (a script, not a test).

Every figure is also given as a ratio to kubectl on the same stand-in API server:
`kubectl get rollouts.argoproj.io NAME -o json` with a warm discovery cache (B), timed
interleaved with each measured command so that machine noise hits both alike.

1. Start-up: `--help`, `version` and completion of the command names
   (`kubectl_complete-rollouts_py ""`); median ms (target: <= 60 ms each) and ratio to B.
2. `get rollout NAME` (A) against B on the same server, seeded with a canary rollout, its
   ReplicaSets, pods and an AnalysisRun: median of the per-pair ratios A/B (target: <= 1.5;
   stretch 1.0).
3. Namespace scale: the same objects beside 10,000 foreign pods and 500 foreign ReplicaSets
   (other applications' objects in the same namespace), on a second server: `get rollout`
   there against the quiet server (target: median ratio <= 1.3, identical output, text
   and JSON) and against B on the busy server.
4. For reference: the start-up floors of the CLI's Python (`python -c pass`, `import click`, ...).

Run it with the Python that has the package installed (not editable), from anywhere:

    pip install . && python benchmarks/bench.py
    python benchmarks/bench.py --runs 30 --pairs 30 --server process

Timings on a shared 2-core VM move by +-30% between runs: compare medians of several runs.
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "app-backend-canary.yaml"
SCRIPT = "kubectl-rollouts_py"
COMPLETE_SCRIPT = "kubectl_complete-rollouts_py"
START_TARGET_MS = 60.0
RATIO_TARGET = 1.5
RATIO_STRETCH = 1.0
SCALE_TARGET = 1.3
FOREIGN_PODS = 10_000
FOREIGN_REPLICA_SETS = 500


# -- what is being measured --------------------------------------------------------------------


def find_cli(explicit: str | None) -> str:
    """The console script beside this interpreter (a venv's bin/), else the one on PATH."""
    found: str | None
    if explicit:
        found = shutil.which(explicit) or explicit
    else:
        found = shutil.which(SCRIPT, path=os.path.dirname(sys.executable)) or shutil.which(SCRIPT)
    if not found or not os.access(found, os.X_OK):
        sys.exit(f"error: {SCRIPT} not found beside {sys.executable} or on PATH: run `pip install .` first")
    return os.path.abspath(found)


def find_kubectl(explicit: str | None) -> str:
    for candidate in (explicit, "/usr/bin/kubectl", shutil.which("kubectl")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    sys.exit("error: no kubectl (give --kubectl PATH)")


def script_python(cli: str) -> str | None:
    """The interpreter named in the console script's shebang (None for a shim or a binary)."""
    try:
        with open(cli, "rb") as f:
            first = f.readline().decode("utf-8", "replace").strip()
    except OSError:
        return None
    if not first.startswith("#!"):
        return None
    words = first[2:].split()
    if not words:
        return None
    if os.path.basename(words[0]) == "env":
        return shutil.which(words[1]) if len(words) > 1 else None
    return words[0] if "python" in os.path.basename(words[0]) else None


_PROBE = r"""
import importlib.metadata as md, json, sys
import kubectl_rollouts_py as p
info = {"python": sys.version.split()[0], "executable": sys.executable, "file": p.__file__,
        "version": p.__version__, "editable": None}
try:
    dist = md.distribution("kubectl-rollouts-py")
    direct = json.loads(dist.read_text("direct_url.json") or "{}")
    info["editable"] = bool(direct.get("dir_info", {}).get("editable"))
    info["dist_version"] = dist.version
except md.PackageNotFoundError:
    pass
print(json.dumps(info))
"""


def describe_environment(cli: str, kubectl: str, server_mode: str) -> list[str]:
    """Lines about the machine and the install; warnings end with '(!)'."""
    lines = [
        f"bench python   : {platform.python_version()} ({sys.executable})",
        f"machine        : {platform.machine()}, {os.cpu_count()} cpus, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        f"cli            : {cli}" + (f" -> {os.path.realpath(cli)}" if os.path.islink(cli) else ""),
    ]
    python = script_python(cli)
    if python is None:
        lines.append("cli python     : unknown: the script is not a python console script (a pyenv shim?); "
                     "its own start-up is included in the timings (!)")
    else:
        probe = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True, cwd=tempfile.gettempdir())
        if probe.returncode != 0:
            lines.append(f"cli python     : {python}: cannot import kubectl_rollouts_py: {probe.stderr.strip()[-200:]} (!)")
        else:
            info = json.loads(probe.stdout)
            lines.append(f"cli python     : {info['python']} ({info['executable']})")
            lines.append(f"package        : kubectl_rollouts_py {info['version']} from {os.path.dirname(info['file'])}")
            if info["editable"]:
                lines.append("install        : EDITABLE (pip install -e) (!) -- benchmark a real install: `pip install .`; "
                             "an editable checkout has no compiled bytecode"
                             + (" and PYTHONDONTWRITEBYTECODE is set, so every start recompiles it" if os.environ.get("PYTHONDONTWRITEBYTECODE") else ""))
            elif info["editable"] is None:
                lines.append("install        : no distribution metadata found (running from a source tree?) (!)")
            else:
                lines.append("install        : regular (not editable)")
    version = subprocess.run([kubectl, "version", "--client"], capture_output=True, text=True)
    first = (version.stdout.splitlines() or ["?"])[0]
    lines.append(f"kubectl        : {kubectl}" + (f" -> {os.path.realpath(kubectl)}" if os.path.islink(kubectl) else "") + f" ({first})")
    lines.append(f"api server     : stand-in (kubectl_rollouts_py.sandbox.apiserver) in {server_mode}")
    return lines


# -- the seed ----------------------------------------------------------------------------------


def built_in_seed(namespace: str, name: str) -> list[dict]:
    """A canary paused at its first pause step: 2 ReplicaSets, 5 pods, a running AnalysisRun."""
    created = "2026-11-20T08:00:00Z"
    image = "luciferstut/app-backend-for-ithome2024"
    rollout_uid = "bench-rollout-uid"

    def owner(kind: str, owner_name: str, uid: str) -> list[dict]:
        api = "argoproj.io/v1alpha1" if kind == "Rollout" else "apps/v1"
        return [{"apiVersion": api, "kind": kind, "name": owner_name, "uid": uid, "controller": True}]

    def replica_set(pod_hash: str, revision: int, tag: str, replicas: int) -> dict:
        labels = {"app": name, "rollouts-pod-template-hash": pod_hash}
        return {
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": f"{name}-{pod_hash}", "namespace": namespace, "uid": f"rs-{pod_hash}",
                         "creationTimestamp": created, "labels": labels,
                         "annotations": {"rollout.argoproj.io/revision": str(revision)},
                         "ownerReferences": owner("Rollout", name, rollout_uid)},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": name, "image": f"{image}:{tag}"}]}}},
            "status": {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas},
        }

    def pod(pod_hash: str, suffix: str, tag: str) -> dict:
        return {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"{name}-{pod_hash}-{suffix}", "namespace": namespace, "uid": f"pod-{pod_hash}-{suffix}",
                         "creationTimestamp": created, "labels": {"app": name, "rollouts-pod-template-hash": pod_hash},
                         "ownerReferences": owner("ReplicaSet", f"{name}-{pod_hash}", f"rs-{pod_hash}")},
            "spec": {"containers": [{"name": name, "image": f"{image}:{tag}"}]},
            "status": {"phase": "Running", "containerStatuses": [
                {"name": name, "ready": True, "restartCount": 0, "state": {"running": {"startedAt": created}}}]},
        }

    rollout = {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": name, "namespace": namespace, "uid": rollout_uid, "creationTimestamp": created, "generation": 2},
        "spec": {
            "replicas": 5, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                         "spec": {"containers": [{"name": name, "image": f"{image}:2.0"}]}},
            "strategy": {"canary": {
                "stableService": f"{name}-stable", "canaryService": f"{name}-preview",
                "analysis": {"templates": [{"templateName": "success-rate"}], "startingStep": 1},
                "steps": [{"setWeight": 10}, {"pause": {"duration": "3m"}}, {"setWeight": 33}, {"pause": {"duration": "3m"}}],
            }},
        },
        "status": {
            "observedGeneration": "2", "currentStepIndex": 1, "currentPodHash": "6d8f9c7b5", "stableRS": "5c6b7d8f9",
            "replicas": 5, "updatedReplicas": 1, "readyReplicas": 5, "availableReplicas": 5,
            "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": created}],
            "phase": "Paused", "message": "CanaryPauseStep",
        },
    }
    run = {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisRun",
        "metadata": {"name": f"{name}-6d8f9c7b5-2", "namespace": namespace, "uid": "bench-run-uid",
                     "creationTimestamp": created, "annotations": {"rollout.argoproj.io/revision": "2"},
                     "ownerReferences": owner("Rollout", name, rollout_uid)},
        "spec": {"metrics": [{"name": "success-rate", "interval": "1m", "failureLimit": 3,
                              "successCondition": "result[0] >= 0.95",
                              "provider": {"prometheus": {"address": "http://prometheus:9090", "query": "1"}}}]},
        "status": {"phase": "Running", "metricResults": [{"name": "success-rate", "phase": "Running", "count": 2, "successful": 2,
                   "measurements": [{"phase": "Successful", "value": "[0.99]", "startedAt": created, "finishedAt": created}]}]},
    }
    return [
        rollout,
        replica_set("5c6b7d8f9", 1, "1.0", 4),
        replica_set("6d8f9c7b5", 2, "2.0", 1),
        *(pod("5c6b7d8f9", s, "1.0") for s in ("4x7kq", "8bzlm", "c2m9w", "q7r5t")),
        pod("6d8f9c7b5", "jx2vd", "2.0"),
        run,
    ]


def foreign_objects(namespace: str, pods: int = FOREIGN_PODS, replica_sets: int = FOREIGN_REPLICA_SETS) -> list[dict]:
    """Other applications' objects in the rollout's namespace: `replica_sets` ReplicaSets
    (labels app=other-N) and `pods` pods spread over them, each owned by its ReplicaSet."""
    created = "2026-11-20T08:00:00Z"
    objects: list[dict] = []
    for i in range(replica_sets):
        labels = {"app": f"other-{i}", "pod-template-hash": f"h{i:05d}"}
        objects.append({
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": f"other-{i}-h{i:05d}", "namespace": namespace, "uid": f"foreign-rs-{i}",
                         "creationTimestamp": created, "labels": labels},
            "spec": {"replicas": pods // replica_sets, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "app", "image": f"example/other-{i}:1.0"}]}}},
            "status": {"replicas": pods // replica_sets, "readyReplicas": pods // replica_sets},
        })
    for j in range(pods):
        i = j % replica_sets
        labels = {"app": f"other-{i}", "pod-template-hash": f"h{i:05d}"}
        objects.append({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"other-{i}-h{i:05d}-p{j:05d}", "namespace": namespace, "uid": f"foreign-pod-{j}",
                         "creationTimestamp": created, "labels": labels,
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"other-{i}-h{i:05d}",
                                              "uid": f"foreign-rs-{i}", "controller": True}]},
            "spec": {"containers": [{"name": "app", "image": f"example/other-{i}:1.0"}]},
            "status": {"phase": "Running", "containerStatuses": [
                {"name": "app", "ready": True, "restartCount": 0, "state": {"running": {"startedAt": created}}}]},
        })
    return objects


def load_seed(seed_paths: Sequence[str], name: str, namespace: str) -> tuple[list[dict], str, str]:
    """Objects to serve, the rollout's namespace, and where they came from."""
    paths = list(seed_paths) or ([str(EXAMPLE)] if EXAMPLE.is_file() else [])
    if not paths:
        return built_in_seed(namespace, name), namespace, "built-in (examples/app-backend-canary.yaml not found)"
    from kubectl_rollouts_py.sandbox.apiserver import load_seed_documents

    objects = load_seed_documents(paths)
    for obj in objects:
        if obj.get("kind") == "Rollout" and obj.get("metadata", {}).get("name") == name:
            namespace = obj["metadata"].get("namespace") or namespace
            break
    else:
        sys.exit(f"error: no Rollout named {name!r} in {', '.join(paths)} (give --rollout NAME)")
    for obj in objects:  # the stand-in needs a namespace on every namespaced object
        obj.setdefault("metadata", {}).setdefault("namespace", namespace)
    return objects, namespace, ", ".join(paths)


# -- the server --------------------------------------------------------------------------------


class Server:
    """The stand-in API server, in a thread of this process or in a child process."""

    def __init__(self, mode: str, objects: list[dict], namespace: str, workdir: Path) -> None:
        self.mode = mode
        self.kubeconfig = workdir / "kubeconfig"
        self._srv = None
        self._proc: subprocess.Popen[str] | None = None
        if mode == "thread":
            from kubectl_rollouts_py.sandbox.apiserver import APIServer

            self._srv = APIServer(record_requests=False)
            self._srv.seed(objects)
            self.url = self._srv.start(port=0)
            self._srv.write_kubeconfig(self.kubeconfig, namespace=namespace)
        else:
            seed = workdir / "seed.json"
            seed.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "kubectl_rollouts_py.sandbox.apiserver", "--port", "0", "--seed", str(seed),
                 "--kubeconfig", str(self.kubeconfig), "--namespace", namespace],
                stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, cwd=tempfile.gettempdir(),
            )
            assert self._proc.stdout is not None
            self.url = self._proc.stdout.readline().strip()
            if not self.url.startswith("http"):
                self.stop()
                sys.exit("error: the stand-in API server process did not start")

    def describe(self) -> str:
        if self.mode == "thread":
            return f"{self.url}, a thread of this process (it shares the GIL only with this idle timing loop)"
        assert self._proc is not None
        return f"{self.url}, process {self._proc.pid}"

    def stop(self) -> None:
        if self._srv is not None:
            self._srv.stop()
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()


# -- timing ------------------------------------------------------------------------------------


def timed(argv: Sequence[str], env: dict[str, str]) -> float:
    """Wall time in ms of one run; output goes to a pipe, as in a script. Fails loudly."""
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    elapsed = (time.perf_counter() - start) * 1000
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()
        sys.exit(f"error: `{' '.join(argv)}` exited {proc.returncode}: {err[-500:]}")
    if not proc.stdout:
        sys.exit(f"error: `{' '.join(argv)}` printed nothing")
    return elapsed


def output_of(argv: Sequence[str], env: dict[str, str]) -> str:
    done = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    return f"exit {done.returncode}\n{done.stdout}{done.stderr}"


def interleaved(commands: Sequence[Sequence[str]], env: dict[str, str], rounds: int, warmup: int) -> list[list[float]]:
    """Each command run `rounds` times, one of each per round (after `warmup` rounds)."""
    for _ in range(warmup):
        for argv in commands:
            timed(argv, env)
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(rounds):
        for i, argv in enumerate(commands):
            times[i].append(timed(argv, env))
    return times


def ratio_line(label: str, ours: Sequence[float], theirs: Sequence[float]) -> tuple[str, float]:
    ratios = [a / b for a, b in zip(ours, theirs)]
    ratio = statistics.median(ratios)
    return f"  {label}: median of per-round ratios {ratio:.2f}   (min {min(ratios):.2f}, max {max(ratios):.2f})", ratio


def summary(values: Sequence[float]) -> str:
    return f"median {statistics.median(values):7.1f} ms   min {min(values):7.1f}   max {max(values):7.1f}   (n={len(values)})"


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER TARGET"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="rounds of each start-up command (default 20)")
    parser.add_argument("--pairs", type=int, default=20, help="rounds of get rollout/kubectl, and of the scale case (default 20)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed rounds first (default 2)")
    parser.add_argument("--server", choices=("thread", "process"), default="thread",
                        help="run the stand-in API servers in threads of this process (default) or child processes")
    parser.add_argument("--cli", help=f"the {SCRIPT} to time (default: beside this python, else on PATH)")
    parser.add_argument("--kubectl", help="the kubectl to compare with (default: /usr/bin/kubectl)")
    parser.add_argument("--rollout", default="app-backend", help="rollout name (default: app-backend)")
    parser.add_argument("--namespace", default="ithome", help="namespace when the seed does not say (default: ithome)")
    parser.add_argument("--seed", action="append", default=[], metavar="PATH",
                        help="YAML/JSON objects to serve (default: examples/app-backend-canary.yaml, else built in)")
    parser.add_argument("--skip-scale", action="store_true", help="leave out section 3 (the namespace-scale case)")
    parser.add_argument("--foreign-pods", type=int, default=FOREIGN_PODS, help=f"section 3's foreign pods (default {FOREIGN_PODS})")
    parser.add_argument("--foreign-replicasets", type=int, default=FOREIGN_REPLICA_SETS,
                        help=f"section 3's foreign ReplicaSets (default {FOREIGN_REPLICA_SETS})")
    parser.add_argument("--show", action="store_true", help="print one output of each timed command first")
    parser.add_argument("--import-runs", type=int, default=5,
                        help="runs of the start-up floors in section 4 (0 leaves them out; default 5)")
    args = parser.parse_args(argv)

    cli = find_cli(args.cli)
    complete = shutil.which(COMPLETE_SCRIPT, path=os.path.dirname(cli)) or COMPLETE_SCRIPT
    kubectl = find_kubectl(args.kubectl)
    print("# environment")
    for line in describe_environment(cli, kubectl, f"a {args.server}"):
        print("  " + line)
    verdicts: list[str] = []

    with tempfile.TemporaryDirectory(prefix="rollouts-py-bench-") as tmp:
        work = Path(tmp)
        home = work / "home"
        home.mkdir()
        env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "NO_COLOR", "XDG_CACHE_HOME")}
        env["HOME"] = str(home)  # a fresh cache directory: the warm-up rounds fill it, as a user's first run does

        objects, namespace, origin = load_seed(args.seed, args.rollout, args.namespace)
        server = Server(args.server, objects, namespace, work)
        try:
            env["KUBECONFIG"] = str(server.kubeconfig)
            ours = [cli, "get", "rollout", args.rollout, "-n", namespace]
            theirs = [kubectl, "get", "rollouts.argoproj.io", args.rollout, "-n", namespace, "-o", "json",
                      "--cache-dir", str(work / "kube-cache")]
            print(f"\n  server : {server.describe()}")
            print(f"  seed   : {len(objects)} objects from {origin}")
            print(f"  B      : {' '.join(theirs)}  (discovery cache warmed by the warm-up)")
            if args.show:
                for argv_ in (ours, theirs):
                    print(f"\n  --- output of {os.path.basename(argv_[0])} ---")
                    print("  " + output_of(argv_, env).rstrip().replace("\n", "\n  "))

            print(f"\n# 1. start-up, {args.runs} rounds after {args.warmup} warm-up, each round with one B")
            starts = {"--help": [cli, "--help"], "version": [cli, "version"], "completion": [complete, ""]}
            times = interleaved([*starts.values(), theirs], env, args.runs, args.warmup)
            kubectl_times = times[-1]
            for (label, _), mine in zip(starts.items(), times):
                ok = statistics.median(mine) <= START_TARGET_MS
                line, ratio = ratio_line("ratio to B", mine, kubectl_times)
                print(f"  {label:<11} {summary(mine)}   {ratio:.2f}x B   target <= {START_TARGET_MS:.0f} ms: {verdict(ok)}")
                verdicts.append(f"{label} median {statistics.median(mine):.1f} ms ({ratio:.2f}x kubectl): {verdict(ok)}")
            print(f"  B          {summary(kubectl_times)}")

            print(f"\n# 2. get rollout (A) vs kubectl (B), {args.pairs} interleaved pairs after {args.warmup} warm-up")
            print(f"  A      : {' '.join(ours)}")
            a_times, b_times = interleaved([ours, theirs], env, args.pairs, max(args.warmup, 1))
            print(f"  A ours    {summary(a_times)}")
            print(f"  B kubectl {summary(b_times)}")
            line, ratio = ratio_line("ratio A/B", a_times, b_times)
            print(line)
            print(f"  target: ratio <= {RATIO_TARGET:.1f} (stretch {RATIO_STRETCH:.1f}): {verdict(ratio <= RATIO_TARGET)}"
                  + (" (stretch met)" if ratio <= RATIO_STRETCH else ""))
            verdicts.append(f"get rollout / kubectl median ratio {ratio:.2f}: {verdict(ratio <= RATIO_TARGET)}")

            if not args.skip_scale:
                crowd = foreign_objects(namespace, args.foreign_pods, args.foreign_replicasets)
                print(f"\n# 3. namespace scale: the same objects beside {args.foreign_pods} foreign pods and "
                      f"{args.foreign_replicasets} foreign ReplicaSets, {args.pairs} rounds after {args.warmup} warm-up")
                busy_dir = work / "busy"
                busy_dir.mkdir()
                started = time.perf_counter()
                busy = Server(args.server, objects + crowd, namespace, busy_dir)
                print(f"  busy server: {busy.describe()} (seeded in {time.perf_counter() - started:.1f} s)")
                try:
                    busy_env = dict(env, KUBECONFIG=str(busy.kubeconfig))
                    same = all(output_of([*ours, *extra], env) == output_of([*ours, *extra], busy_env)
                               for extra in ([], ["-o", "json"]))
                    busy_theirs = [*theirs[:-1], str(work / "kube-cache-busy")]
                    for _ in range(max(args.warmup, 1)):
                        timed(busy_theirs, busy_env)
                    quiet_t: list[float] = []
                    busy_t: list[float] = []
                    busy_b: list[float] = []
                    for _ in range(args.pairs):
                        quiet_t.append(timed(ours, env))
                        busy_t.append(timed(ours, busy_env))
                        busy_b.append(timed(busy_theirs, busy_env))
                    print(f"  quiet ours   {summary(quiet_t)}")
                    print(f"  busy ours    {summary(busy_t)}")
                    print(f"  busy kubectl {summary(busy_b)}")
                    line, scale = ratio_line("ratio busy/quiet", busy_t, quiet_t)
                    print(line)
                    line, busy_ratio = ratio_line("ratio busy ours / busy kubectl", busy_t, busy_b)
                    print(line)
                    print(f"  output identical to the quiet namespace's (text and -o json): {'yes' if same else 'NO'}")
                    ok = scale <= SCALE_TARGET and same
                    print(f"  target: ratio <= {SCALE_TARGET:.1f} and identical output: {verdict(ok)}")
                    verdicts.append(f"namespace scale busy/quiet {scale:.2f} ({busy_ratio:.2f}x kubectl), "
                                    f"identical output {'yes' if same else 'NO'}: {verdict(ok)}")
                finally:
                    busy.stop()
            reference = statistics.median(b_times)
        finally:
            server.stop()

        python = script_python(cli)
        if args.import_runs > 0 and python:
            print(f"\n# 4. for reference: start-up floors of the CLI's python ({args.import_runs} runs each; "
                  f"ratio to B's median {reference:.1f} ms)")
            for label, code in (("python -c pass", "pass"),
                                ("import click", "import click"),
                                ("import yaml", "import yaml"),
                                ("import kubernetes.client", "import kubernetes.client")):
                env.pop("KUBECONFIG", None)
                times_ = [timed([python, "-c", code + "; print()"], env) for _ in range(args.import_runs)]
                print(f"  {label:<32} {summary(times_)}   {statistics.median(times_) / reference:.2f}x B")
    print("\n# verdicts")
    for line in verdicts:
        print("  " + line)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
