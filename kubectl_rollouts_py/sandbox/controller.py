"""A SIMULATED Argo Rollouts controller for the sandbox. It is not Argo Rollouts.

It acts like Argo's controller closely enough to show the brief's canary story and to
test the CLI against it: it reads and writes through the Kubernetes API over HTTP, with a
kubeconfig like any controller (`kube.source.Source`: list, watch, create, patch), and
writes status only through the `/status` subresource of the kinds that have one
(Rollout, ReplicaSet, Pod). AnalysisRun has no status subresource, so its status is
patched on the object itself, as Argo does.

What it simulates, in one single-threaded, level-triggered loop (every change seen on a
watch, and every timer that falls due, runs one pass over everything in the namespace):

* the Rollout controller, canary strategy without traffic routing:
  - a pod-template change creates the new ReplicaSet (hash label, revision annotation,
    owner reference) or reuses the one whose template matches (`undo`), bumping its
    revision; going back to the stable ReplicaSet's template skips the steps;
  - it walks `setWeight` and `pause` steps (timed and indefinite); other step kinds are
    passed over (logged once);
  - the background analysis (`strategy.canary.analysis`) becomes an AnalysisRun built from
    the templates with the project's own argument code (`analysis.args`), named
    `<rollout>-<hash>-<revision>` as Argo names it; Failed or Error aborts the rollout with
    the run's message, Inconclusive pauses it (`InconclusiveAnalysisRun`);
  - it reacts to what the CLI writes: `promote` (pause conditions cleared, or
    `currentStepIndex` moved), `promote --full` (`status.promoteFull`), `abort`
    (`status.abort`: canary to 0, stable back to full, Degraded with
    `RolloutAborted: Rollout aborted update to revision N[: <analysis message>]`),
    `retry` (`status.abort` false again: steps from 0 with a new AnalysisRun), `pause`
    (`spec.paused`: steps stop), `undo` (a template change) and `restart`
    (`spec.restartAt`: pods replaced one at a time, then `status.restartedAt`);
  - at the end of the steps the canary is scaled to full, becomes stable, the old
    ReplicaSets are scaled to 0 and the background run is terminated;
  - status phase and message come from the same function the views use
    (`derive.rollout.rollout_status`), which is the reference's GetRolloutPhase;
* the ReplicaSet controller: pods are created and deleted to match `spec.replicas`, and
  are Running and ready at once;
* the AnalysisRun controller, for every run in the namespace (also ones made with
  `create analysisrun`): measurements on the metric's schedule, assessed by the project's
  analysis engine (`analysis.evaluate`) with the Prometheus adapter (`analysis.prometheus`).

Simplifications, on purpose: replica counts for a weight are `ceil(replicas × weight /
100)` canary pods and the rest stable (no maxSurge/maxUnavailable arithmetic); pods start
ready; no traffic routing, blue-green, experiments, HPA, or progress deadlines; old
AnalysisRuns are not garbage-collected. Services named by `canaryService`/`stableService`
get their `rollouts-pod-template-hash` selector, as Argo sets it.

Time: with `speed` N every duration the spec names (pauses, analysis intervals and
initial delays, the 10 s error retry) passes N times faster. The analysis engine runs on a
simulated clock that goes N times faster than the wall clock since the controller started;
every timestamp written is a real (wall-clock) time. A timed pause's `startTime` is
written as `now + D/N − D`, so that views counting down `startTime + D` show the real time
left.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.analysis import args as analysis_args
from kubectl_rollouts_py.analysis import durations, evaluate, prometheus
from kubectl_rollouts_py.derive import rollout as derive_rollout
from kubectl_rollouts_py.kube import follow
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.kube.source import Source

JSON = dict[str, Any]

HASH_LABEL = "rollouts-pod-template-hash"
REVISION = "rollout.argoproj.io/revision"
DESIRED_REPLICAS = "rollout.argoproj.io/desired-replicas"
SERVICES = r.Resource("", "v1", "services", "Service")
SECRETS = r.Resource("", "v1", "secrets", "Secret")
WATCHED = (r.ROLLOUTS, r.REPLICASETS, r.PODS, r.ANALYSISRUNS)
TERMINAL = ("Successful", "Failed", "Error", "Inconclusive")

RESYNC_SECONDS = 5.0  # a pass at least this often, whatever the watches say
RETRY_SECONDS = 0.2  # after a conflict or a failed request
MEASUREMENT_TIMEOUT = 10.0  # seconds, for a provider without its own timeout
DEFAULT_MAX_UNAVAILABLE = 0.25

# Kubernetes' rand.SafeEncodeString alphabet: no vowels, no look-alike characters.
_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"


# ------------------------------------------------------------------------------ helpers


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def timestamp(moment: dt.datetime) -> str:
    """RFC 3339 with whole seconds, as metav1.Time is written."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(text: Any) -> dt.datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _fnv32a(data: bytes) -> int:
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def pod_template_hash(template: Mapping[str, Any]) -> str:
    """The `rollouts-pod-template-hash` of a pod template, shaped like Argo's.

    Argo hashes its Go printout of the template with FNV-32a and encodes the decimal digits
    with SafeEncodeString; we hash the canonical JSON (without the hash label) the same
    way, so equal templates get equal hashes and the text looks the same (`7d9f8c6b5`).
    """
    copy = json.loads(json.dumps(template))
    labels = (copy.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(HASH_LABEL, None)
    data = json.dumps(copy, sort_keys=True, separators=(",", ":")).encode()
    return "".join(_ALPHANUMS[b % len(_ALPHANUMS)] for b in str(_fnv32a(data)).encode())


def steps_hash(steps: Any) -> str:
    data = json.dumps(steps or [], sort_keys=True, separators=(",", ":")).encode()
    return "".join(_ALPHANUMS[b % len(_ALPHANUMS)] for b in str(_fnv32a(data)).encode())


def random_suffix(seed: str, length: int = 5) -> str:
    """Five characters from the generateName alphabet, derived from `seed` (deterministic)."""
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(_ALPHANUMS[b % len(_ALPHANUMS)] for b in digest[:length])


def merge_patch_diff(old: Any, new: Any) -> Any:
    """The JSON merge patch that turns `old` into `new` (None values in `new` are not allowed)."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return new
    patch: JSON = {}
    for key in old.keys() - new.keys():
        patch[key] = None
    for key, value in new.items():
        if key not in old:
            patch[key] = value
        elif not _same_json(old[key], value):
            patch[key] = merge_patch_diff(old[key], value) if isinstance(old[key], dict) and isinstance(value, dict) else value
    return patch


def _same_json(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _meta(obj: Mapping[str, Any]) -> JSON:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _name(obj: Mapping[str, Any]) -> str:
    return str(_meta(obj).get("name") or "")


def _labels(obj: Mapping[str, Any]) -> JSON:
    labels = _meta(obj).get("labels")
    return labels if isinstance(labels, dict) else {}


def _annotations(obj: Mapping[str, Any]) -> JSON:
    annotations = _meta(obj).get("annotations")
    return annotations if isinstance(annotations, dict) else {}


def _owned_by(obj: Mapping[str, Any], uid: str) -> bool:
    refs = _meta(obj).get("ownerReferences") or []
    return any(isinstance(ref, dict) and ref.get("uid") == uid and ref.get("controller") for ref in refs)


def _revision(rs: Mapping[str, Any]) -> int:
    try:
        return int(str(_annotations(rs).get(REVISION, "0")))
    except ValueError:
        return 0


def _int(value: Any, default: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return int(value)


def owner_reference(owner: Mapping[str, Any]) -> JSON:
    return {
        "apiVersion": owner.get("apiVersion", ""),
        "kind": owner.get("kind", ""),
        "name": _name(owner),
        "uid": _meta(owner).get("uid", ""),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def replicas_for_weight(replicas: int, weight: int) -> tuple[int, int]:
    """(canary, stable) pods for a canary weight: ceil of the canary's share, the rest stable."""
    weight = max(0, min(100, weight))
    canary = min(replicas, math.ceil(replicas * weight / 100))
    return canary, replicas - canary


# ------------------------------------------------------------------------------ object builders


def new_replica_set(rollout: Mapping[str, Any], pod_hash: str, revision: int, replicas: int) -> JSON:
    """The ReplicaSet a Rollout makes for its current pod template."""
    spec = rollout.get("spec") or {}
    template = json.loads(json.dumps(spec.get("template") or {}))
    template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = pod_hash
    selector = json.loads(json.dumps(spec.get("selector") or {}))
    selector.setdefault("matchLabels", {})[HASH_LABEL] = pod_hash
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"{_name(rollout)}-{pod_hash}",
            "namespace": _meta(rollout).get("namespace"),
            "labels": dict(template["metadata"]["labels"]),
            "annotations": {
                DESIRED_REPLICAS: str(_int(spec.get("replicas"), 1)),
                REVISION: str(revision),
            },
            "ownerReferences": [owner_reference(rollout)],
        },
        "spec": {"replicas": replicas, "selector": selector, "template": template},
    }


def new_pod(rs: Mapping[str, Any], *, name: str | None = None) -> JSON:
    """A pod of a ReplicaSet, as the ReplicaSet controller creates it (without status)."""
    template = (rs.get("spec") or {}).get("template") or {}
    tmeta = template.get("metadata") or {}
    meta: JSON = {
        "namespace": _meta(rs).get("namespace"),
        "labels": dict(tmeta.get("labels") or {}),
        "ownerReferences": [owner_reference(rs)],
    }
    if tmeta.get("annotations"):
        meta["annotations"] = dict(tmeta["annotations"])
    if name:
        meta["name"] = name
    else:
        meta["generateName"] = f"{_name(rs)}-"
    spec = json.loads(json.dumps(template.get("spec") or {}))
    spec.setdefault("nodeName", "sandbox-node")
    spec.setdefault("serviceAccountName", "default")
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def ready_pod_status(pod: Mapping[str, Any], *, started: dt.datetime, ip: str) -> JSON:
    """A Running, ready pod's status (every container started at `started`)."""
    when = timestamp(started)
    containers = ((pod.get("spec") or {}).get("containers")) or []
    statuses = []
    for container in containers:
        image = str(container.get("image", ""))
        digest = hashlib.sha256(image.encode()).hexdigest()
        statuses.append(
            {
                "containerID": "containerd://" + hashlib.sha256((_name(pod) + image).encode()).hexdigest(),
                "image": image,
                "imageID": f"docker.io/{image.split(':')[0]}@sha256:{digest}",
                "name": container.get("name", ""),
                "ready": True,
                "restartCount": 0,
                "started": True,
                "state": {"running": {"startedAt": when}},
            }
        )
    return {
        "conditions": [
            {"lastTransitionTime": when, "status": "True", "type": kind}
            for kind in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
        ],
        "containerStatuses": statuses,
        "hostIP": "127.0.0.1",
        "phase": "Running",
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "qosClass": "Burstable",
        "startTime": when,
    }


def pod_is_ready(pod: Mapping[str, Any]) -> bool:
    status = pod.get("status") or {}
    if status.get("phase") != "Running" or _meta(pod).get("deletionTimestamp"):
        return False
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [] if isinstance(c, dict))


# ------------------------------------------------------------------------------ time


class SimClock:
    """Wall time, and a simulated time that runs `speed` times faster since `origin`."""

    def __init__(self, speed: float, wall: Callable[[], dt.datetime] = _utcnow) -> None:
        if not speed > 0:
            raise ValueError("speed must be > 0")
        self.speed = speed
        self._wall = wall
        self.origin = wall()

    def wall(self) -> dt.datetime:
        return self._wall()

    def sim(self) -> dt.datetime:
        return self.to_sim(self._wall())

    def to_sim(self, wall: dt.datetime) -> dt.datetime:
        return self.origin + (wall - self.origin) * self.speed

    def to_wall(self, sim: dt.datetime) -> dt.datetime:
        return self.origin + (sim - self.origin) / self.speed

    def wall_seconds(self, sim_seconds: float) -> float:
        return sim_seconds / self.speed


# ------------------------------------------------------------------------------ hooks


class PodHooks(Protocol):
    """What the sandbox does when a pod starts or stops serving (the demo traffic)."""

    def pod_ready(self, pod: Mapping[str, Any]) -> None: ...

    def pod_gone(self, name: str) -> None: ...


# ------------------------------------------------------------------------------ one pass's view of the namespace


@dataclass
class _Snapshot:
    """Everything in the namespace, listed at the start of a pass and kept current by our writes."""

    rollouts: dict[str, JSON] = field(default_factory=dict)
    replicasets: dict[str, JSON] = field(default_factory=dict)
    pods: dict[str, JSON] = field(default_factory=dict)
    runs: dict[str, JSON] = field(default_factory=dict)
    services: dict[str, JSON] = field(default_factory=dict)

    def owned(self, bucket: Mapping[str, JSON], uid: str) -> list[JSON]:
        return [obj for obj in bucket.values() if _owned_by(obj, uid)]


@dataclass
class _RunMemory:
    """The engine's status of one AnalysisRun, on the simulated clock."""

    uid: str
    status: evaluate.RunStatus = field(default_factory=evaluate.RunStatus)
    announced: bool = False  # its end was logged


# ------------------------------------------------------------------------------ the controller


class Controller:
    """The simulated controller for one namespace. `run(stop)` loops until `stop` is set.

    Args:
        source: an open Source (`kube.source.open_source` with the sandbox's kubeconfig).
        namespace: the namespace to act in.
        speed: how many times faster than real time the spec's durations pass.
        hooks: told when pods become ready and when they go (the demo traffic app).
        log: one line per notable event (a step, a measurement, an abort), or None.
    """

    def __init__(
        self,
        source: Source,
        namespace: str,
        *,
        speed: float = 1.0,
        hooks: PodHooks | None = None,
        log: Callable[[str], None] | None = None,
        wall: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self.source = source
        self.namespace = namespace
        self.clock = SimClock(speed, wall)
        self.hooks = hooks
        self._log = log
        self.passes = 0
        self.last_error = ""
        self._follower: follow.Follower | None = None
        self._retry_soon = False
        self._runs: dict[str, _RunMemory] = {}
        self._pause_started: dict[tuple[str, str, int], dt.datetime] = {}  # (uid, hash, step) -> sim time
        self._pause_index: dict[tuple[str, str], int] = {}  # (uid, hash) -> the step our CanaryPauseStep is for
        self._pod_created: dict[str, dt.datetime] = {}  # pod name -> wall time, finer than creationTimestamp
        self._restart_seen: dict[tuple[str, str], dt.datetime] = {}  # (uid, restartAt) -> wall time first seen
        self._inconclusive_paused: set[str] = set()  # runs we paused the rollout for
        self._serving: dict[str, str] = {}  # ready pod name -> uid, as told to the hooks
        self._said: set[str] = set()  # one-time log lines
        self._next_ip = 10

    # -- loop

    def run(self, stop: threading.Event) -> None:
        """Follow the namespace and reconcile until `stop` is set. Never raises."""
        streams = [follow.Stream(res, self.namespace) for res in WATCHED]
        # retry_first_list: the simulator must outlive a first list that fails (the stand-in
        # briefly unreachable); a CLI view would rather say the list failed and end.
        follower = follow.Follower(self.source, streams, stop=stop, retry_first_list=True)
        self._follower = follower
        with follower:
            while not stop.is_set():
                wait = self._pass()
                try:
                    follower.get(timeout=wait)
                except errors.RolloutsError as exc:  # a watch stream gave up (403/404): keep passing
                    self._note_error(f"watch: {exc.message}")
                    stop.wait(1.0)
                except Exception as exc:  # noqa: BLE001 - never let the thread die silently
                    self._note_error(f"watch: {type(exc).__name__}: {exc}")
                    stop.wait(1.0)

    def wake(self) -> None:
        """Run a pass now (from any thread)."""
        if self._follower is not None:
            self._follower.wake("wake")

    def _pass(self) -> float:
        self._retry_soon = False
        try:
            wait = self.reconcile()
        except errors.RolloutsError as exc:
            self._note_error(exc.message)
            return 1.0
        except Exception as exc:  # noqa: BLE001 - a bug of ours: log it, keep the sandbox alive
            self._note_error(f"internal error: {type(exc).__name__}: {exc}")
            return 1.0
        if self._retry_soon:
            return RETRY_SECONDS
        return RESYNC_SECONDS if wait is None else max(0.0, min(RESYNC_SECONDS, wait))

    def _note_error(self, message: str) -> None:
        if message != self.last_error:
            self.say(f"controller: {message}")
        self.last_error = message

    def say(self, line: str) -> None:
        if self._log is not None:
            self._log(line)

    def _say_once(self, key: str, line: str) -> None:
        if key not in self._said:
            self._said.add(key)
            self.say(line)

    # -- one pass

    def reconcile(self) -> float | None:
        """One pass over the namespace; returns wall seconds until something falls due (or None)."""
        self.passes += 1
        snap = self._snapshot()
        wakes: list[float | None] = []
        for rollout in list(snap.rollouts.values()):
            wakes.append(self._sync_rollout(rollout, snap))
        for rs in list(snap.replicasets.values()):
            self._sync_replica_set(rs, snap)
        for run in list(snap.runs.values()):
            wakes.append(self._sync_run(run))
        self._tell_hooks(snap)
        due = [w for w in wakes if w is not None]
        return min(due) if due else None

    def _snapshot(self) -> _Snapshot:
        snap = _Snapshot()
        for resource, bucket in (
            (r.ROLLOUTS, snap.rollouts),
            (r.REPLICASETS, snap.replicasets),
            (r.PODS, snap.pods),
            (r.ANALYSISRUNS, snap.runs),
            (SERVICES, snap.services),
        ):
            for item in self.source.list(resource, self.namespace).items:
                bucket[_name(item)] = item
        return snap

    # -- writes

    def _patch(self, resource: r.Resource, obj: JSON, body: JSON, *, subresource: str | None = None) -> JSON | None:
        """A merge patch; None (and a pass soon) when it conflicted or the object is gone."""
        try:
            return self.source.patch(resource, _name(obj), self.namespace, body, subresource=subresource)
        except (errors.Conflict, errors.NotFound):
            self._retry_soon = True
            return None

    def _write_status(self, resource: r.Resource, obj: JSON, status: JSON) -> JSON | None:
        """Write `status` if it differs, guarded by the resourceVersion we read.

        Through /status for kinds that have it; AnalysisRun has none, so on the object.
        """
        diff = merge_patch_diff(obj.get("status") or {}, status)
        if not diff:
            return obj
        body = {"metadata": {"resourceVersion": _meta(obj).get("resourceVersion")}, "status": diff}
        subresource = None if resource is r.ANALYSISRUNS else "status"
        return self._patch(resource, obj, body, subresource=subresource)

    def _create(self, resource: r.Resource, body: JSON) -> JSON | None:
        try:
            return self.source.create(resource, self.namespace, body)
        except errors.Conflict:  # AlreadyExists: our view was stale
            self._retry_soon = True
            return None

    def _delete(self, resource: r.Resource, name: str) -> None:
        """DELETE one object. Source has no delete verb, so this sends the request itself
        (plain HTTP to the loopback server, which needs no credentials)."""
        url = self.source.describe().rstrip("/") + resource.path(self.namespace, name)
        request = urllib.request.Request(url, method="DELETE", headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                answer.read()
        except urllib.error.HTTPError as exc:
            if exc.code != 404:
                raise errors.ApiError(f"DELETE {resource.plural}/{name}: HTTP {exc.code}", status=exc.code) from exc
        except OSError as exc:
            raise errors.ConnectionFailed(f"DELETE {resource.plural}/{name}: {exc}") from exc

    # -- ReplicaSets and pods

    def _sync_replica_set(self, rs: JSON, snap: _Snapshot) -> None:
        uid = str(_meta(rs).get("uid"))
        want = _int((rs.get("spec") or {}).get("replicas"), 1)
        pods = sorted(snap.owned(snap.pods, uid), key=lambda p: (str(_meta(p).get("creationTimestamp")), _name(p)))
        while len(pods) > want:
            doomed = pods.pop()  # the newest goes first
            self._delete(r.PODS, _name(doomed))
            snap.pods.pop(_name(doomed), None)
        for _ in range(want - len(pods)):
            pod = self._start_pod(rs)
            if pod is None:
                break
            snap.pods[_name(pod)] = pod
            pods.append(pod)
        ready = sum(1 for p in pods if pod_is_ready(p))
        status: JSON = {"replicas": len(pods), "observedGeneration": _meta(rs).get("generation", 1)}
        for key, value in (("fullyLabeledReplicas", len(pods)), ("readyReplicas", ready), ("availableReplicas", ready)):
            if value:
                status[key] = value
        written = self._write_status(r.REPLICASETS, rs, status)
        if written is not None:
            snap.replicasets[_name(rs)] = written

    def _start_pod(self, rs: JSON) -> JSON | None:
        created = self._create(r.PODS, new_pod(rs))
        if created is None:
            return None
        now = self.clock.wall()
        self._pod_created[_name(created)] = now
        self._next_ip += 1
        ip = f"10.244.{(self._next_ip // 250) % 250}.{self._next_ip % 250 + 2}"
        body = {"status": ready_pod_status(created, started=now, ip=ip)}
        return self._patch(r.PODS, created, body, subresource="status") or created

    def _tell_hooks(self, snap: _Snapshot) -> None:
        if self.hooks is None:
            return
        ready = {_name(p): p for p in snap.pods.values() if pod_is_ready(p)}
        for name in [n for n in self._serving if n not in ready]:
            del self._serving[name]
            self.hooks.pod_gone(name)
        for name, pod in ready.items():
            if name not in self._serving:
                self._serving[name] = str(_meta(pod).get("uid"))
                self.hooks.pod_ready(pod)

    # -- Rollouts

    def _sync_rollout(self, rollout: JSON, snap: _Snapshot) -> float | None:
        canary = ((rollout.get("spec") or {}).get("strategy") or {}).get("canary")
        if not isinstance(canary, dict):
            self._say_once(f"strategy/{_name(rollout)}", f"{_name(rollout)}: only the canary strategy is simulated; left alone")
            return None
        return _RolloutSync(self, rollout, canary, snap).run()

    # -- AnalysisRuns

    def _sync_run(self, run: JSON) -> float | None:
        uid = str(_meta(run).get("uid"))
        name = _name(run)
        memory = self._runs.get(name)
        if memory is None or memory.uid != uid:
            if str((run.get("status") or {}).get("phase") or "") in TERMINAL:
                return None  # finished before we knew it (e.g. seeded): nothing to do
            memory = self._runs[name] = _RunMemory(uid)
        spec = run.get("spec") or {}
        prepared = analysis_args.prepare_run(spec)
        run_spec = prepared.spec
        state = memory.status
        if not state.completed:
            now = self.clock.sim()
            if run_spec is None:
                state = evaluate.error_run(state, prepared.error, now=now)
            else:
                raw_metrics = list(spec.get("metrics") or [])
                run_args = [analysis_args.Argument.from_dict(a) for a in spec.get("args") or []]
                due = evaluate.due_metrics(run_spec, state, now=now)
                taken: dict[str, evaluate.Measurement] = {}
                for index, metric in enumerate(run_spec.metrics):
                    if metric.name in due and index < len(raw_metrics):
                        taken[metric.name] = self._measure(metric, raw_metrics[index], run_args)
                before = state
                state = evaluate.reconcile(run_spec, state, taken, now=self.clock.sim())
                if not state.completed and evaluate.is_terminating(run_spec.terminate, state.metric_results):
                    # Argo requeues a run on its own update, so the run ends in the next reconcile.
                    state = evaluate.reconcile(run_spec, state, {}, now=self.clock.sim())
                self._log_measurements(name, before, state)
            memory.status = state
        if state.completed and not memory.announced:
            memory.announced = True
            ending = f"{state.phase.value if state.phase else ''}" + (f" ({state.message})" if state.message else "")
            self.say(f"AnalysisRun {name}: {ending}")
        # Written every pass it differs, so a write lost to a conflict is made again.
        self._write_status(r.ANALYSISRUNS, run, run_status_json(state, self.clock.to_wall))
        if run_spec is None or state.completed:
            return None
        due_at = evaluate.next_reconcile(run_spec, state)
        if due_at is None:
            return None
        # Interval waits are "strictly after": step a hair past the instant.
        return self.clock.wall_seconds((due_at - self.clock.sim()).total_seconds()) + 0.005

    def _measure(self, metric: evaluate.MetricSpec, raw_metric: JSON, run_args: list[analysis_args.Argument]) -> evaluate.Measurement:
        started = self.clock.sim()
        secrets: tuple[str, ...] = ()
        try:
            resolved, secrets = analysis_args.resolve_for_measurement(raw_metric, run_args, resolve_secret=self._secret)
            provider = (resolved.get("provider") or {}).get("prometheus")
            if not isinstance(provider, dict):
                kinds = ", ".join(sorted((resolved.get("provider") or {}).keys())) or "none"
                raise prometheus.ProviderError(f"the sandbox measures Prometheus metrics only (provider: {kinds})")
            timeout = None if provider.get("timeout") is not None else MEASUREMENT_TIMEOUT
            sample = prometheus.query(provider, timeout=timeout)
        except (prometheus.ProviderError, analysis_args.ArgsError) as exc:
            message = analysis_args.mask_secrets(exc.message, secrets)
            return evaluate.error_measurement(message, started_at=started, finished_at=self.clock.sim())
        return evaluate.assess_measurement(
            metric, sample.result, value=sample.value, started_at=started, finished_at=self.clock.sim(),
            metadata=sample.metadata, now=self.clock.wall(),
        )

    def _secret(self, name: str, key: str) -> str:
        import base64

        try:
            secret = self.source.get(SECRETS, name, self.namespace)
        except errors.NotFound:
            raise analysis_args.ArgsError(f'secrets "{name}" not found') from None
        data = secret.get("data") or {}
        if key not in data:
            raise analysis_args.ArgsError(f"key '{key}' does not exist in secret '{name}'")
        return base64.b64decode(str(data[key])).decode()

    def _log_measurements(self, name: str, before: evaluate.RunStatus, after: evaluate.RunStatus) -> None:
        for result in after.metric_results:
            old = before.result(result.name)
            seen = (old.count + old.error) if old else 0
            if result.count + result.error > seen and result.last is not None:
                last = result.last
                shown = last.value or last.message
                self.say(f"AnalysisRun {name}: {result.name} measured {last.phase.value} {shown}".rstrip())


# ------------------------------------------------------------------------------ AnalysisRun status JSON


def _summary_json(summary: evaluate.RunSummary) -> JSON:
    out: JSON = {}
    for key in ("count", "successful", "failed", "inconclusive", "error"):
        value = getattr(summary, key)
        if value:
            out[key] = value
    return out


def run_status_json(state: evaluate.RunStatus, to_wall: Callable[[dt.datetime], dt.datetime]) -> JSON:
    """An engine RunStatus as the AnalysisRun `status` JSON Argo writes (zero values left out)."""

    def when(moment: dt.datetime | None) -> str | None:
        return timestamp(to_wall(moment)) if moment is not None else None

    out: JSON = {}
    if state.phase is not None:
        out["phase"] = state.phase.value
    if state.message:
        out["message"] = state.message
    if state.started_at is not None:
        out["startedAt"] = when(state.started_at)
    if state.completed_at is not None:
        out["completedAt"] = when(state.completed_at)
    out["runSummary"] = _summary_json(state.run_summary)
    if state.dry_run_summary.count:
        out["dryRunSummary"] = _summary_json(state.dry_run_summary)
    results = []
    for result in state.metric_results:
        item: JSON = {"name": result.name, "phase": result.phase.value}
        measurements = []
        for m in result.measurements:
            entry: JSON = {"phase": m.phase.value}
            if m.message:
                entry["message"] = m.message
            if m.value:
                entry["value"] = m.value
            if m.started_at is not None:
                entry["startedAt"] = when(m.started_at)
            if m.finished_at is not None:
                entry["finishedAt"] = when(m.finished_at)
            if m.metadata:
                entry["metadata"] = dict(m.metadata)
            measurements.append(entry)
        if measurements:
            item["measurements"] = measurements
        if result.message:
            item["message"] = result.message
        for key, attr in (
            ("count", "count"), ("successful", "successful"), ("failed", "failed"), ("inconclusive", "inconclusive"),
            ("error", "error"), ("consecutiveError", "consecutive_error"), ("consecutiveSuccess", "consecutive_success"),
        ):
            value = getattr(result, attr)
            if value:
                item[key] = value
        if result.dry_run:
            item["dryRun"] = True
        if result.metadata:
            item["metadata"] = dict(result.metadata)
        results.append(item)
    if results:
        out["metricResults"] = results
    return out


# ------------------------------------------------------------------------------ one Rollout's pass


def _set_condition(conditions: list[JSON], kind: str, status: str, reason: str, message: str, now: str) -> None:
    """Add or update a condition; its times move only when something about it changes."""
    for cond in conditions:
        if cond.get("type") == kind:
            if cond.get("status") != status:
                cond["lastTransitionTime"] = now
            if (cond.get("status"), cond.get("reason"), cond.get("message")) != (status, reason, message):
                cond["lastUpdateTime"] = now
            cond.update(status=status, reason=reason, message=message)
            return
    conditions.append(
        {"type": kind, "status": status, "reason": reason, "message": message, "lastTransitionTime": now, "lastUpdateTime": now}
    )


class _RolloutSync:
    """One pass over one canary Rollout: decide, scale, write status. See the module docstring."""

    def __init__(self, ctl: Controller, rollout: JSON, canary: JSON, snap: _Snapshot) -> None:
        self.ctl = ctl
        self.rollout = rollout
        self.canary = canary
        self.snap = snap
        self.name = _name(rollout)
        self.uid = str(_meta(rollout).get("uid"))
        self.spec: JSON = rollout.get("spec") or {}
        self.status: JSON = json.loads(json.dumps(rollout.get("status") or {}))
        self.steps: list[Any] = list(canary.get("steps") or [])
        self.replicas = _int(self.spec.get("replicas"), 1)
        self.wall = ctl.clock.wall()
        self.now = timestamp(self.wall)
        self.wake: float | None = None
        self.abort_message = ""

    def say(self, text: str) -> None:
        self.ctl.say(f"{self.name}: {text}")

    def _due_in(self, seconds: float) -> None:
        self.wake = seconds if self.wake is None else min(self.wake, seconds)

    # -- the pass

    def run(self) -> float | None:
        status = self.status
        template = self.spec.get("template") or {}
        pod_hash = pod_template_hash(template)
        owned = sorted(self.snap.owned(self.snap.replicasets, self.uid), key=_revision)
        by_hash = {str(_labels(rs).get(HASH_LABEL)): rs for rs in owned}
        top_revision = max((_revision(rs) for rs in owned), default=0)

        stable_hash = str(status.get("stableRS") or "")
        if not stable_hash:  # the first deployment: no steps, it is stable at once
            stable_hash = pod_hash
            status["stableRS"] = pod_hash
            status["currentStepIndex"] = len(self.steps)
            status["currentPodHash"] = pod_hash
            self.say(f"first deployment of {pod_hash}")

        new_rs = by_hash.get(pod_hash)
        if status.get("currentPodHash") != pod_hash:
            new_rs = self._start_update(pod_hash, stable_hash, new_rs, top_revision)
            if new_rs is None:
                return 0.0
            by_hash[pod_hash] = new_rs
        elif new_rs is None:
            new_rs = self._create_rs(pod_hash, top_revision + 1 if top_revision else 1)
            if new_rs is None:
                return 0.0
            by_hash[pod_hash] = new_rs
        revision = _revision(new_rs)

        current_steps = steps_hash(self.steps)
        if status.get("currentStepHash") not in (None, current_steps) and stable_hash != pod_hash:
            status["currentStepIndex"] = 0  # the steps changed mid-update: Argo starts them over
            self.say("steps changed: starting them over")
        status["currentStepHash"] = current_steps

        aborted = self._abort_and_retry(pod_hash, stable_hash, revision)
        run = None if aborted or stable_hash == pod_hash else self._background_run(pod_hash, stable_hash, revision)
        if run is not None and not aborted:
            phase = str((run.get("status") or {}).get("phase") or "")
            if phase in ("Failed", "Error"):
                aborted = True
                self.abort_message = str((run.get("status") or {}).get("message") or "")
                self._abort(revision, by_analysis=True)
            elif phase == "Inconclusive":
                if _name(run) in self.ctl._inconclusive_paused:
                    if not any(c.get("reason") == "InconclusiveAnalysisRun" for c in status.get("pauseConditions") or []):
                        status["canary"] = {}  # promoted past it: the next pass starts a new run
                else:
                    self.ctl._inconclusive_paused.add(_name(run))
                    self._pause_for("InconclusiveAnalysisRun")

        if status.get("promoteFull") and not aborted and stable_hash != pod_hash:
            if status.get("currentStepIndex") != len(self.steps):
                self.say("promoted fully: skipping the remaining steps")
            status["currentStepIndex"] = len(self.steps)
            status.pop("pauseConditions", None)
            status.pop("controllerPause", None)

        if not aborted and stable_hash != pod_hash:
            self._walk_steps(pod_hash, stable_hash, by_hash)
            self._drop_stale_pause(pod_hash)

        canary_count, stable_count = self._targets(aborted, pod_hash, stable_hash, by_hash)
        if not aborted and stable_hash != pod_hash and self._index() >= len(self.steps):
            if self._available(by_hash.get(pod_hash)) >= self.replicas:
                stable_hash = pod_hash
                status["stableRS"] = pod_hash
                status.pop("promoteFull", None)
                status.pop("pauseConditions", None)
                status.pop("controllerPause", None)
                status["canary"] = {}
                self.say(f"revision {revision} ({pod_hash}) is stable; old ReplicaSets scale down")
        for rs in owned:
            rs_hash = str(_labels(rs).get(HASH_LABEL))
            if rs_hash == pod_hash:
                want = self.replicas if stable_hash == pod_hash else canary_count
            elif rs_hash == stable_hash:
                want = stable_count
            else:
                want = 0
            self._scale(rs, want)
        self._scale(by_hash[pod_hash], self.replicas if stable_hash == pod_hash else canary_count)
        self._prune_history(owned, pod_hash, stable_hash)
        self._terminate_runs(keep="" if aborted or stable_hash == pod_hash else self._current_run_name())
        self._restart(owned)
        self._point_services(pod_hash, stable_hash, aborted)
        self._finish_status(pod_hash, stable_hash, revision, aborted, by_hash)
        if _annotations(self.rollout).get(REVISION) != str(revision):
            self.ctl._patch(r.ROLLOUTS, self.rollout, {"metadata": {"annotations": {REVISION: str(revision)}}})
        return self.wake

    # -- updates, aborts, retries

    def _start_update(self, pod_hash: str, stable_hash: str, rs: JSON | None, top_revision: int) -> JSON | None:
        status = self.status
        if rs is None:
            rs = self._create_rs(pod_hash, top_revision + 1)
            if rs is None:
                return None
        elif _revision(rs) < top_revision:  # an older template again (undo): it gets the next revision
            patched = self.ctl._patch(r.REPLICASETS, rs, {"metadata": {"annotations": {REVISION: str(top_revision + 1)}}})
            if patched is None:
                return None
            rs = patched
            self.snap.replicasets[_name(rs)] = rs
        status["currentPodHash"] = pod_hash
        for key in ("pauseConditions", "controllerPause", "abort", "abortedAt", "promoteFull"):
            status.pop(key, None)
        status["canary"] = {}
        image = ", ".join(str(c.get("image")) for c in (self.spec.get("template") or {}).get("spec", {}).get("containers") or [])
        if pod_hash == stable_hash:
            status["currentStepIndex"] = len(self.steps)
            self.say(f"back to the stable ReplicaSet {pod_hash} ({image}): steps skipped")
        else:
            status["currentStepIndex"] = 0
            self.say(f"update to revision {_revision(rs)} ({pod_hash}, {image})")
        return rs

    def _create_rs(self, pod_hash: str, revision: int) -> JSON | None:
        created = self.ctl._create(r.REPLICASETS, new_replica_set(self.rollout, pod_hash, revision, 0))
        if created is not None:
            self.snap.replicasets[_name(created)] = created
        return created

    def _abort_and_retry(self, pod_hash: str, stable_hash: str, revision: int) -> bool:
        status = self.status
        aborted = status.get("abort") is True and stable_hash != pod_hash
        if aborted and not status.get("abortedAt"):
            run = self._current_run()
            run_status = (run or {}).get("status") or {}
            if run_status.get("phase") in ("Failed", "Error"):
                self.abort_message = str(run_status.get("message") or "")
            self._abort(revision, by_analysis=False)
        elif aborted:
            self.abort_message = self._stored_abort_message(revision)
        elif status.get("abortedAt"):  # abort went back to false: `retry`
            status.pop("abortedAt", None)
            status.pop("abort", None)
            status["currentStepIndex"] = 0
            status["canary"] = {}  # the failed run stays; a new one starts
            self.say("retried: steps start over")
        return aborted

    def _abort(self, revision: int, *, by_analysis: bool) -> None:
        status = self.status
        status["abort"] = True
        status["abortedAt"] = self.now
        status["currentStepIndex"] = 0
        status.pop("pauseConditions", None)
        status.pop("controllerPause", None)
        why = f": {self.abort_message}" if self.abort_message else ""
        self.say(f"aborted update to revision {revision}{why}; canary scales down" + (" (analysis)" if by_analysis else ""))

    def _stored_abort_message(self, revision: int) -> str:
        prefix = f"Rollout aborted update to revision {revision}: "
        for cond in self.status.get("conditions") or []:
            if cond.get("type") == "Progressing" and cond.get("reason") == "RolloutAborted":
                message = str(cond.get("message") or "")
                return message[len(prefix):] if message.startswith(prefix) else ""
        return ""

    def _pause_for(self, reason: str) -> None:
        conditions = self.status.setdefault("pauseConditions", [])
        if not any(c.get("reason") == reason for c in conditions):
            conditions.append({"reason": reason, "startTime": self.now})
            self.status["controllerPause"] = True
            self.say(f"paused: {reason}")

    # -- steps

    def _index(self) -> int:
        index = _int(self.status.get("currentStepIndex"), 0)
        return max(0, min(index, len(self.steps)))

    def _weight(self, index: int) -> int:
        if index >= len(self.steps):
            return 100
        for step in reversed(self.steps[: index + 1]):
            if isinstance(step, dict) and step.get("setWeight") is not None:
                return _int(step.get("setWeight"), 0)
        return 0

    def _targets(self, aborted: bool, pod_hash: str, stable_hash: str, by_hash: Mapping[str, JSON]) -> tuple[int, int]:
        """(canary, stable) replica counts for this pass."""
        if aborted:
            return 0, self.replicas
        if stable_hash == pod_hash:
            return self.replicas, 0
        index = self._index()
        if index >= len(self.steps):
            # Past the last step the canary scales up fully first; the stable ReplicaSet
            # keeps what it has until the canary is promoted.
            stable_rs = by_hash.get(stable_hash)
            return self.replicas, _int(((stable_rs or {}).get("spec") or {}).get("replicas"), 0)
        return replicas_for_weight(self.replicas, self._weight(index))

    def _settled(self, rs: JSON | None, count: int) -> bool:
        """The ReplicaSet wants `count` pods, has them, and they are all available."""
        if rs is None:
            return count == 0
        rs = self.snap.replicasets.get(_name(rs), rs)
        status = rs.get("status") or {}
        return (
            _int((rs.get("spec") or {}).get("replicas"), 1) == count
            and _int(status.get("observedGeneration"), 0) >= _int(_meta(rs).get("generation"), 1)
            and _int(status.get("replicas"), 0) == count
            and _int(status.get("availableReplicas"), 0) == count
        )

    def _available(self, rs: JSON | None) -> int:
        if rs is None:
            return 0
        status = rs.get("status") or {}
        if _int(status.get("observedGeneration"), 0) < _int(_meta(rs).get("generation"), 1):
            return 0
        return _int(status.get("availableReplicas"), 0)

    def _walk_steps(self, pod_hash: str, stable_hash: str, by_hash: Mapping[str, JSON]) -> None:
        status = self.status
        while self._index() < len(self.steps):
            index = self._index()
            step = self.steps[index]
            if self.spec.get("paused") is True:
                return
            if any(c.get("reason") == "InconclusiveAnalysisRun" for c in status.get("pauseConditions") or []):
                if status.get("controllerPause"):
                    return
            if not isinstance(step, dict):
                status["currentStepIndex"] = index + 1
                continue
            if step.get("setWeight") is not None:
                canary, stable = replicas_for_weight(self.replicas, _int(step.get("setWeight"), 0))
                if not (self._settled(by_hash.get(pod_hash), canary) and self._settled(by_hash.get(stable_hash), stable)):
                    return  # the ReplicaSets are still getting there
                self._advance(index, f"setWeight {step['setWeight']}: {canary} canary, {stable} stable pod(s)")
                continue
            if isinstance(step.get("pause"), dict):
                if not self._pause_step(index, step["pause"], pod_hash):
                    return
                continue
            kind = next(iter(step), "?")
            self.ctl._say_once(f"step/{self.uid}/{kind}", f"{self.name}: step kind {kind!r} is not simulated; passed over")
            status["currentStepIndex"] = index + 1

    def _drop_stale_pause(self, pod_hash: str) -> None:
        """A CanaryPauseStep condition left behind when `promote -c/-a` moved the index off
        its pause step belongs to no step: drop it (and the controller pause with it)."""
        status = self.status
        conditions = status.get("pauseConditions") or []
        if not any(c.get("reason") == "CanaryPauseStep" for c in conditions):
            return
        index = self._index()
        step = self.steps[index] if index < len(self.steps) else None
        owner = self.ctl._pause_index.get((self.uid, pod_hash))
        if isinstance(step, dict) and isinstance(step.get("pause"), dict) and owner in (None, index):
            return
        kept = [c for c in conditions if c.get("reason") != "CanaryPauseStep"]
        if kept:
            status["pauseConditions"] = kept
        else:
            status.pop("pauseConditions", None)
            status.pop("controllerPause", None)
        self.ctl._pause_index.pop((self.uid, pod_hash), None)

    def _advance(self, index: int, what: str) -> None:
        self.status["currentStepIndex"] = index + 1
        self.say(f"step {index + 1}/{len(self.steps)} done ({what})")

    def _pause_step(self, index: int, pause: JSON, pod_hash: str) -> bool:
        """True when the pause step is over (and the index moved on)."""
        status = self.status
        conditions = status.get("pauseConditions") or []
        condition = next((c for c in conditions if c.get("reason") == "CanaryPauseStep"), None)
        key = (self.uid, pod_hash, index)
        seconds = _pause_seconds(pause.get("duration"))
        if condition is not None and self.ctl._pause_index.get((self.uid, pod_hash)) not in (None, index):
            # left by another pause step (the index was moved by `promote -c`): start afresh
            conditions = [c for c in conditions if c.get("reason") != "CanaryPauseStep"]
            condition = None
            status.pop("controllerPause", None)
        if condition is None and status.get("controllerPause"):  # `promote` cleared it
            status.pop("controllerPause", None)
            status.pop("pauseConditions", None)
            self.ctl._pause_started.pop(key, None)
            self._advance(index, "pause ended by promote")
            return True
        clock = self.ctl.clock
        if condition is None:
            started = clock.sim()
            self.ctl._pause_started[key] = started
            shown = self.wall
            if seconds is not None:  # backdated so that startTime + duration is the real end
                shown = self.wall + dt.timedelta(seconds=clock.wall_seconds(seconds) - seconds)
            status["pauseConditions"] = [*conditions, {"reason": "CanaryPauseStep", "startTime": timestamp(shown)}]
            status["controllerPause"] = True
            self.ctl._pause_index[(self.uid, pod_hash)] = index
            length = f"{pause.get('duration')}" if seconds is not None else "until promoted"
            real = f", {clock.wall_seconds(seconds):g}s at {clock.speed:g}x" if seconds is not None and clock.speed != 1 else ""
            self.say(f"step {index + 1}/{len(self.steps)}: pause {length}{real}")
        if seconds is None:
            return False
        known = self.ctl._pause_started.get(key)
        if known is None:  # not ours (seeded, or before a restart): undo the backdating
            written = _parse_time((condition or {}).get("startTime")) or self.wall
            known = clock.to_sim(written + dt.timedelta(seconds=seconds - clock.wall_seconds(seconds)))
            self.ctl._pause_started[key] = known
        left = (known + dt.timedelta(seconds=seconds) - clock.sim()).total_seconds()
        if left > 0:
            self._due_in(clock.wall_seconds(left) + 0.005)
            return False
        status["pauseConditions"] = [c for c in status.get("pauseConditions") or [] if c.get("reason") != "CanaryPauseStep"]
        if not status["pauseConditions"]:
            status.pop("pauseConditions")
            status.pop("controllerPause", None)
        self.ctl._pause_started.pop(key, None)
        self._advance(index, f"pause {pause.get('duration')}")
        return True

    # -- analysis

    def _current_run_name(self) -> str:
        ref = (self.status.get("canary") or {}).get("currentBackgroundAnalysisRunStatus") or {}
        return str(ref.get("name") or "")

    def _current_run(self) -> JSON | None:
        name = self._current_run_name()
        return self.snap.runs.get(name) if name else None

    def _background_run(self, pod_hash: str, stable_hash: str, revision: int) -> JSON | None:
        analysis = self.canary.get("analysis")
        if not isinstance(analysis, dict) or not analysis.get("templates"):
            return None
        if self._index() < _int(analysis.get("startingStep"), 0):
            return None
        run = self._current_run()
        if run is None:
            run = self._create_run(analysis, pod_hash, stable_hash, revision)
            if run is None:
                return None
        run_status = run.get("status") or {}
        ref: JSON = {"name": _name(run), "status": str(run_status.get("phase") or "")}
        if run_status.get("message"):
            ref["message"] = run_status["message"]
        self.status.setdefault("canary", {})["currentBackgroundAnalysisRunStatus"] = ref
        return run

    def _create_run(self, analysis: JSON, pod_hash: str, stable_hash: str, revision: int) -> JSON | None:
        ctl = self.ctl

        def lookup(name: str, cluster_scope: bool) -> JSON:
            resource = r.CLUSTERANALYSISTEMPLATES if cluster_scope else r.ANALYSISTEMPLATES
            return ctl.source.get(resource, name, None if cluster_scope else ctl.namespace)

        try:
            templates, cluster_templates = analysis_args.collect_templates(analysis.get("templates") or [], lookup)
            run_args = analysis_args.resolve_rollout_args(
                analysis.get("args") or [], self.rollout, stable_hash=stable_hash, latest_hash=pod_hash
            )
            spec = analysis_args.new_run_spec(
                templates, cluster_templates, run_args,
                dry_run=analysis.get("dryRun") or [], measurement_retention=analysis.get("measurementRetention") or [],
            )
        except (errors.NotFound, analysis_args.ArgsError) as exc:
            ctl._say_once(f"run/{self.uid}/{exc.message}", f"{self.name}: cannot start the background analysis: {exc.message}")
            return None
        base = f"{self.name}-{pod_hash}-{revision}"
        name, n = base, 0
        while name in self.snap.runs:
            n += 1
            name = f"{base}.{n}"
        body: JSON = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AnalysisRun",
            "metadata": {
                "name": name,
                "namespace": ctl.namespace,
                "labels": {"rollout-type": "Background", HASH_LABEL: pod_hash},
                "annotations": {REVISION: str(revision)},
                "ownerReferences": [owner_reference(self.rollout)],
            },
            "spec": spec,
        }
        created = ctl._create(r.ANALYSISRUNS, body)
        if created is not None:
            self.snap.runs[name] = created
            self.say(f"AnalysisRun {name} started (background, templates: "
                     f"{', '.join(str(t.get('templateName')) for t in analysis.get('templates') or [])})")
        return created

    def _terminate_runs(self, *, keep: str) -> None:
        for run in self.snap.owned(self.snap.runs, self.uid):
            phase = str((run.get("status") or {}).get("phase") or "")
            if _name(run) == keep or phase in TERMINAL or (run.get("spec") or {}).get("terminate") is True:
                continue
            patched = self.ctl._patch(r.ANALYSISRUNS, run, {"spec": {"terminate": True}})
            if patched is not None:
                self.snap.runs[_name(run)] = patched
                self.say(f"AnalysisRun {_name(run)} terminated")

    # -- scaling, restarts, services

    def _scale(self, rs: JSON, want: int) -> None:
        current = self.snap.replicasets.get(_name(rs), rs)
        if _int((current.get("spec") or {}).get("replicas"), 1) == want:
            return
        patched = self.ctl._patch(
            r.REPLICASETS, current,
            {"metadata": {"annotations": {DESIRED_REPLICAS: str(self.replicas)}}, "spec": {"replicas": want}},
        )
        if patched is not None:
            self.snap.replicasets[_name(patched)] = patched

    def _prune_history(self, owned: list[JSON], pod_hash: str, stable_hash: str) -> None:
        limit = _int(self.spec.get("revisionHistoryLimit"), 10)
        old = [
            rs for rs in owned
            if str(_labels(rs).get(HASH_LABEL)) not in (pod_hash, stable_hash)
            and _int((self.snap.replicasets.get(_name(rs), rs).get("spec") or {}).get("replicas"), 0) == 0
            and _int((rs.get("status") or {}).get("replicas"), 0) == 0
        ]
        for rs in sorted(old, key=_revision)[: max(0, len(old) - limit)]:
            self.ctl._delete(r.REPLICASETS, _name(rs))
            self.snap.replicasets.pop(_name(rs), None)

    def _restart(self, owned: list[JSON]) -> None:
        """`spec.restartAt`: replace the pods made before it, one at a time, then record it."""
        restart_at = str(self.spec.get("restartAt") or "")
        if not restart_at or restart_at == self.status.get("restartedAt"):
            return
        moment = _parse_time(restart_at)
        if moment is None:
            return
        if moment > self.wall:
            self._due_in((moment - self.wall).total_seconds())
            return
        ctl = self.ctl
        seen = ctl._restart_seen.setdefault((self.uid, restart_at), self.wall)
        pods: list[JSON] = []
        for rs in owned:
            rs_now = self.snap.replicasets.get(_name(rs), rs)
            rs_pods = self.snap.owned(self.snap.pods, str(_meta(rs).get("uid")))
            if len(rs_pods) != _int((rs_now.get("spec") or {}).get("replicas"), 1) or not all(map(pod_is_ready, rs_pods)):
                return  # one at a time: wait until every ReplicaSet is whole again
            pods.extend(rs_pods)

        def created(pod: JSON) -> dt.datetime:
            return ctl._pod_created.get(_name(pod)) or _parse_time(_meta(pod).get("creationTimestamp")) or self.wall

        stale = sorted((p for p in pods if created(p) < seen), key=created)
        if stale:
            ctl._delete(r.PODS, _name(stale[0]))
            self.snap.pods.pop(_name(stale[0]), None)
            self.say(f"restart: pod {_name(stale[0])} replaced ({len(stale) - 1} to go)")
            return
        self.status["restartedAt"] = restart_at
        self.say(f"restart at {restart_at} done")

    def _point_services(self, pod_hash: str, stable_hash: str, aborted: bool) -> None:
        wanted = {
            self.canary.get("stableService"): stable_hash,
            self.canary.get("canaryService"): stable_hash if aborted else pod_hash,
        }
        for service, target in wanted.items():
            if not service or not target:
                continue
            svc = self.snap.services.get(str(service))
            if svc is None:
                self.ctl._say_once(f"svc/{service}", f"{self.name}: service {service} not found")
                continue
            if ((svc.get("spec") or {}).get("selector") or {}).get(HASH_LABEL) != target:
                patched = self.ctl._patch(SERVICES, svc, {"spec": {"selector": {HASH_LABEL: target}}})
                if patched is not None:
                    self.snap.services[str(service)] = patched

    # -- status

    def _finish_status(self, pod_hash: str, stable_hash: str, revision: int, aborted: bool, by_hash: Mapping[str, JSON]) -> None:
        status = self.status
        owned = self.snap.owned(self.snap.replicasets, self.uid)
        counters = {"replicas": 0, "readyReplicas": 0, "availableReplicas": 0}
        for rs in owned:
            rs_status = rs.get("status") or {}
            for key in counters:
                counters[key] += _int(rs_status.get(key), 0)
        new_rs = self.snap.replicasets.get(f"{self.name}-{pod_hash}") or by_hash.get(pod_hash) or {}
        status.update(counters)
        status["HPAReplicas"] = counters["replicas"]
        status["updatedReplicas"] = _int((new_rs.get("status") or {}).get("replicas"), 0)
        selector = ((self.spec.get("selector") or {}).get("matchLabels")) or {}
        status["selector"] = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
        status.setdefault("blueGreen", {})
        status.setdefault("canary", {})
        status["observedGeneration"] = str(_meta(self.rollout).get("generation", 1))
        for key in [k for k, v in status.items() if v is None or (k == "abort" and v is False)]:
            status.pop(key)

        conditions: list[JSON] = [dict(c) for c in status.get("conditions") or [] if isinstance(c, dict)]
        now = self.now
        max_unavailable = int(self.replicas * DEFAULT_MAX_UNAVAILABLE)
        if counters["availableReplicas"] >= self.replicas - max_unavailable:
            _set_condition(conditions, "Available", "True", "AvailableReason", "Rollout has minimum availability", now)
        else:
            _set_condition(conditions, "Available", "False", "AvailableReason", "Rollout does not have minimum availability", now)
        complete = stable_hash == pod_hash and counters["availableReplicas"] >= self.replicas and status["updatedReplicas"] >= self.replicas
        rs_name = f"{self.name}-{pod_hash}"
        paused = bool(status.get("pauseConditions")) or self.spec.get("paused") is True
        if aborted:
            message = f"Rollout aborted update to revision {revision}" + (f": {self.abort_message}" if self.abort_message else "")
            _set_condition(conditions, "Progressing", "False", "RolloutAborted", message, now)
        elif paused:
            _set_condition(conditions, "Progressing", "Unknown", "RolloutPaused", "Rollout is paused", now)
        elif complete:
            _set_condition(conditions, "Progressing", "True", "NewReplicaSetAvailable", f'ReplicaSet "{rs_name}" has successfully progressed.', now)
        else:
            _set_condition(conditions, "Progressing", "True", "ReplicaSetUpdated", f'ReplicaSet "{rs_name}" is progressing.', now)
        if paused:
            _set_condition(conditions, "Paused", "True", "RolloutPaused", "Rollout is paused", now)
        elif any(c.get("type") == "Paused" for c in conditions):
            _set_condition(conditions, "Paused", "False", "RolloutResumed", "Rollout is resumed", now)
        if complete:
            _set_condition(conditions, "Completed", "True", "RolloutCompleted",
                           f"Rollout completed update to revision {revision} ({pod_hash}): Rollout is Healthy", now)
            _set_condition(conditions, "Healthy", "True", "RolloutHealthy", "Rollout is healthy", now)
        else:
            _set_condition(conditions, "Completed", "False", "RolloutCompleted",
                           f"Rollout not completed, started update to revision {revision} ({pod_hash})", now)
            _set_condition(conditions, "Healthy", "False", "RolloutHealthy", "Rollout does not have minimum availability", now)
        status["conditions"] = conditions

        probe_status = {k: v for k, v in status.items() if k not in ("phase", "message")}
        probe = dict(self.rollout, status=probe_status)
        phase, message = derive_rollout.rollout_status(probe)
        before = (self.rollout.get("status") or {}).get("phase"), (self.rollout.get("status") or {}).get("message")
        status["phase"], status["message"] = phase, message
        if before != (phase, message):
            self.say(f"{phase}" + (f" - {message}" if message else ""))
        written = self.ctl._write_status(r.ROLLOUTS, self.rollout, status)
        if written is not None:
            self.snap.rollouts[self.name] = written


def _pause_seconds(duration: Any) -> float | None:
    """A pause step's duration in seconds: an integer (seconds) or a Go-style string; None = indefinite."""
    if duration is None:
        return None
    if isinstance(duration, (int, float)) and not isinstance(duration, bool):
        return float(duration)
    text = str(duration)
    if text.isdigit():
        return float(text)
    try:
        return durations.parse_go_duration(text) / 1e9
    except ValueError:
        return None
