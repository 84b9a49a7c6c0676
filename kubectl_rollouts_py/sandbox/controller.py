"""A SIMULATED Argo Rollouts controller for the sandbox. It is not Argo Rollouts.

It acts like Argo's controller closely enough to show the app-backend canary story and to
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
    (`derive.rollout.rollout_status`), which is Argo's GetRolloutPhase;
* the ReplicaSet controller: pods are created and deleted to match `spec.replicas`, and
  are Running and ready at once;
* the AnalysisRun controller, for every run in the namespace (also ones made with
  `create analysisrun`): measured, scheduled and written by the same use cases `analyze`
  runs (`ops.analysis_run`: the Prometheus adapter, Secrets, Argo's reconcile, the status
  document), on the simulated clock; Prometheus is asked at wall-clock time.

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
left. Simulated time stands still while a measurement is due and Prometheus has not yet
scraped the pods of a version it measures (`_hold_for_data`): scraping is instant in
simulated time, so an analysis finds data at any speed (a pause then ends that much later
in wall time).
"""


from __future__ import annotations

import datetime as dt
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.analysis import args as analysis_args
from kubectl_rollouts_py.analysis import evaluate
from kubectl_rollouts_py.environment import utcnow
from kubectl_rollouts_py.kube import follow
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.kube.source import Source
from kubectl_rollouts_py.ops import analysis_run
from kubectl_rollouts_py.ops.analysis import Connected
from kubectl_rollouts_py.sandbox.objects import (
    JSON, SERVICES, TERMINAL, PodHooks, SimClock, Snapshot, as_int, meta_of, merge_patch_diff, name_of, new_pod,
    pod_is_ready, ready_pod_status,
)
from kubectl_rollouts_py.sandbox.rollout_sync import RolloutSync

WATCHED = (r.ROLLOUTS, r.REPLICASETS, r.PODS, r.ANALYSISRUNS)
RESYNC_SECONDS = 5.0  # a pass at least this often, whatever the watches say
RETRY_SECONDS = 0.2  # after a conflict or a failed request
# While the demo traffic's newest pods are not yet in Prometheus (hooks.settled() false),
# simulated time stands still (see _hold_for_data), checked this often, for at most
# HOLD_LIMIT wall seconds in a row (then it runs on, and measurements find what Prometheus
# has: a dead Prometheus is an Error, as it would be in a cluster).
HOLD_POLL_SECONDS = 0.05
HOLD_LIMIT = 20.0


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
        wall: Callable[[], dt.datetime] = utcnow,
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
        self.pause_started: dict[tuple[str, str, int], dt.datetime] = {}  # (uid, hash, step) -> sim time
        self.pause_index: dict[tuple[str, str], int] = {}  # (uid, hash) -> the step our CanaryPauseStep is for
        self.pod_created: dict[str, dt.datetime] = {}  # pod name -> wall time, finer than creationTimestamp
        self.restart_seen: dict[tuple[str, str], dt.datetime] = {}  # (uid, restartAt) -> wall time first seen
        self.inconclusive_paused: set[str] = set()  # runs we paused the rollout for
        self._serving: dict[str, str] = {}  # ready pod name -> uid, as told to the hooks
        self._hold_gave_up = False  # the current hold outlasted HOLD_LIMIT: time runs on until it settles
        self._data_missing = False  # this pass: a serving pod's samples are not in Prometheus yet
        self._measurement_waits = False  # this pass: a due measurement waits for them
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

    def say_once(self, key: str, line: str) -> None:
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
        # Before the runs: a pod made ready in this pass serves (and is waited for) before
        # any measurement is taken.
        self._tell_hooks(snap)
        self._data_missing = self._unscraped()
        self._measurement_waits = False
        for run in list(snap.runs.values()):
            wakes.append(self._sync_run(run))
        if self._hold_for_data():
            wakes.append(HOLD_POLL_SECONDS)
        due = [w for w in wakes if w is not None]
        return min(due) if due else None

    def _snapshot(self) -> Snapshot:
        snap = Snapshot()
        for resource, bucket in (
            (r.ROLLOUTS, snap.rollouts),
            (r.REPLICASETS, snap.replicasets),
            (r.PODS, snap.pods),
            (r.ANALYSISRUNS, snap.runs),
            (SERVICES, snap.services),
        ):
            for item in self.source.list(resource, self.namespace).items:
                bucket[name_of(item)] = item
        return snap

    # -- writes

    def patch(self, resource: r.Resource, obj: JSON, body: JSON, *, subresource: str | None = None) -> JSON | None:
        """A merge patch; None (and a pass soon) when it conflicted or the object is gone."""
        try:
            return self.source.patch(resource, name_of(obj), self.namespace, body, subresource=subresource)
        except (errors.Conflict, errors.NotFound):
            self._retry_soon = True
            return None

    def write_status(self, resource: r.Resource, obj: JSON, status: JSON) -> JSON | None:
        """Write `status` if it differs, guarded by the resourceVersion we read.

        Through /status for kinds that have it; AnalysisRun has none, so on the object.
        """
        diff = merge_patch_diff(obj.get("status") or {}, status)
        if not diff:
            return obj
        body = {"metadata": {"resourceVersion": meta_of(obj).get("resourceVersion")}, "status": diff}
        subresource = None if resource is r.ANALYSISRUNS else "status"
        return self.patch(resource, obj, body, subresource=subresource)

    def create(self, resource: r.Resource, body: JSON) -> JSON | None:
        try:
            return self.source.create(resource, self.namespace, body)
        except errors.Conflict:  # AlreadyExists: our view was stale
            self._retry_soon = True
            return None

    def delete(self, resource: r.Resource, name: str) -> None:
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

    def _sync_replica_set(self, rs: JSON, snap: Snapshot) -> None:
        uid = str(meta_of(rs).get("uid"))
        want = as_int((rs.get("spec") or {}).get("replicas"), 1)
        pods = sorted(snap.owned(snap.pods, uid), key=lambda p: (str(meta_of(p).get("creationTimestamp")), name_of(p)))
        while len(pods) > want:
            doomed = pods.pop()  # the newest goes first
            self.delete(r.PODS, name_of(doomed))
            snap.pods.pop(name_of(doomed), None)
        for _ in range(want - len(pods)):
            pod = self._start_pod(rs)
            if pod is None:
                break
            snap.pods[name_of(pod)] = pod
            pods.append(pod)
        ready = sum(1 for p in pods if pod_is_ready(p))
        status: JSON = {"replicas": len(pods), "observedGeneration": meta_of(rs).get("generation", 1)}
        for key, value in (("fullyLabeledReplicas", len(pods)), ("readyReplicas", ready), ("availableReplicas", ready)):
            if value:
                status[key] = value
        written = self.write_status(r.REPLICASETS, rs, status)
        if written is not None:
            snap.replicasets[name_of(rs)] = written

    def _start_pod(self, rs: JSON) -> JSON | None:
        created = self.create(r.PODS, new_pod(rs))
        if created is None:
            return None
        now = self.clock.wall()
        self.pod_created[name_of(created)] = now
        self._next_ip += 1
        ip = f"10.244.{(self._next_ip // 250) % 250}.{self._next_ip % 250 + 2}"
        body = {"status": ready_pod_status(created, started=now, ip=ip)}
        return self.patch(r.PODS, created, body, subresource="status") or created

    def _tell_hooks(self, snap: Snapshot) -> None:
        if self.hooks is None:
            return
        ready = {name_of(p): p for p in snap.pods.values() if pod_is_ready(p)}
        for name in [n for n in self._serving if n not in ready]:
            del self._serving[name]
            self.hooks.pod_gone(name)
        for name, pod in ready.items():
            if name not in self._serving:
                self._serving[name] = str(meta_of(pod).get("uid"))
                self.hooks.pod_ready(pod)

    # -- Rollouts

    def _sync_rollout(self, rollout: JSON, snap: Snapshot) -> float | None:
        canary = ((rollout.get("spec") or {}).get("strategy") or {}).get("canary")
        if not isinstance(canary, dict):
            self.say_once(f"strategy/{name_of(rollout)}", f"{name_of(rollout)}: only the canary strategy is simulated; left alone")
            return None
        return RolloutSync(self, rollout, canary, snap).run()

    # -- AnalysisRuns

    def _sync_run(self, run: JSON) -> float | None:
        """One reconcile of an AnalysisRun, with the same measuring and status code as `analyze`."""
        uid = str(meta_of(run).get("uid"))
        name = name_of(run)
        memory = self._runs.get(name)
        if memory is None or memory.uid != uid:
            if str((run.get("status") or {}).get("phase") or "") in TERMINAL:
                return None  # finished before we knew it (e.g. seeded): nothing to do
            memory = self._runs[name] = _RunMemory(uid)
        spec = run.get("spec") or {}
        prepared = analysis_args.prepare_run(spec)
        run_spec = prepared.spec
        state = memory.status
        if run_spec is not None and not state.completed and self._waits_for_data(run_spec, state):
            return HOLD_POLL_SECONDS
        if not state.completed:
            if run_spec is None:
                state = evaluate.error_run(state, prepared.error, now=self.clock.sim())
            else:
                before = state
                state = analysis_run.advance(run_spec, state, self._measurer(name, spec, run_spec).measure, clock=self.clock.sim)
                self._log_measurements(name, before, state)
            memory.status = state
        if state.completed and not memory.announced:
            memory.announced = True
            ending = f"{state.phase.value if state.phase else ''}" + (f" ({state.message})" if state.message else "")
            self.say(f"AnalysisRun {name}: {ending}")
        # Written every pass it differs, so a write lost to a conflict is made again.
        self.write_status(r.ANALYSISRUNS, run, analysis_run.run_status(state, self.clock.to_wall))
        if run_spec is None or state.completed:
            return None
        due_at = evaluate.next_reconcile(run_spec, state)
        if due_at is None:
            return None
        # Interval waits are "strictly after": step a hair past the instant.
        return self.clock.wall_seconds((due_at - self.clock.sim()).total_seconds()) + 0.005

    def _unscraped(self) -> bool:
        """Whether Prometheus lacks samples of a serving pod (hooks.settled() false)."""
        settled = getattr(self.hooks, "settled", None)
        if settled is None or settled():
            self._hold_gave_up = False
            return False
        return not self._hold_gave_up

    def _hold_for_data(self) -> bool:
        """Hold simulated time while a due measurement waits for samples of the demo app's
        newest pods; True while it is held.

        Prometheus scrapes on the wall clock (every 15 s sped up, but never more often than
        0.2 s), and a canary's measurements fall due on the simulated one: at a high speed,
        or when a version is set the moment the sandbox is up, they would come before any
        sample of the new pods ("no data returned from the metric provider", five in a row
        aborting a good version). Standing still until the samples are there makes scraping
        instant in simulated time: pauses, initial delays and intervals then find the data a
        cluster would have, at any speed. Time is held only when a measurement is due, so
        at a speed whose scrapes come well before (1x: a minute's initialDelay against 5 s
        scrapes) it never stands still.
        """
        if not self._measurement_waits:
            self.clock.release()
            return False
        self.clock.hold()
        if self.clock.held_for() < HOLD_LIMIT:
            return True
        self._hold_gave_up = True
        self.clock.release()
        self.say(f"controller: Prometheus has not scraped the demo app's new pods in {HOLD_LIMIT:g}s; time runs on")
        return False

    def _waits_for_data(self, run_spec: evaluate.RunSpec, state: evaluate.RunStatus) -> bool:
        """Whether a run's reconcile waits (and holds time) for the newest pods' samples:
        one that would take a measurement now does; a terminating one does not."""
        if not self._data_missing:
            return False
        if state.phase is None:  # starting: measures at once only a metric without initialDelay
            waits = any(not metric.initial_delay for metric in run_spec.metrics)
        elif evaluate.is_terminating(run_spec.terminate, state.metric_results):
            waits = False
        else:
            due_at = evaluate.next_reconcile(run_spec, state)
            waits = due_at is not None and due_at <= self.clock.sim()
        self._measurement_waits = self._measurement_waits or waits
        return waits

    def _measurer(self, name: str, spec: JSON, run_spec: evaluate.RunSpec) -> analysis_run.Measurer:
        """Measures on the simulated clock, queries Prometheus at wall time (its data are
        real), reads Secrets afresh each reconcile as Argo's controller does."""
        def warn(text: str) -> None:
            self.say_once(f"warn/{name}/{text}", f"AnalysisRun {name}: {text}")

        return analysis_run.Measurer.for_run_spec(
            run_spec, spec, self.clock.sim, wall=self.clock.wall,
            resolve_secret=analysis_run.SecretReader(Connected(self.source, self.namespace)), warn=warn,
        )

    def _log_measurements(self, name: str, before: evaluate.RunStatus, after: evaluate.RunStatus) -> None:
        for result in after.metric_results:
            old = before.result(result.name)
            seen = (old.count + old.error) if old else 0
            if result.count + result.error > seen and result.last is not None:
                last = result.last
                shown = last.value or last.message
                self.say(f"AnalysisRun {name}: {result.name} measured {last.phase.value} {shown}".rstrip())
