"""One pass over one canary Rollout for the sandbox's simulated controller: steps, pauses,
the background AnalysisRun, aborts and retries, scaling, restarts, services and status.
See sandbox/controller.py for what is simulated and what is left out."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kubectl_rollouts_py import errors, govalues
from kubectl_rollouts_py.analysis import args as analysis_args
from kubectl_rollouts_py.derive import rollout as derive_rollout
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.sandbox.objects import (
    DESIRED_REPLICAS, HASH_LABEL, JSON, REVISION, SERVICES, TERMINAL, Snapshot, annotations_of, as_int, labels_of, meta_of,
    name_of, new_replica_set, owner_reference, parse_time, pod_is_ready, pod_template_hash, replicas_for_weight,
    revision_of, steps_hash, timestamp,
)

if TYPE_CHECKING:  # pragma: no cover
    from kubectl_rollouts_py.sandbox.controller import Controller

DEFAULT_MAX_UNAVAILABLE = 0.25


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


class RolloutSync:
    """One pass over one canary Rollout: decide, scale, write status. See the module docstring."""

    def __init__(self, ctl: Controller, rollout: JSON, canary: JSON, snap: Snapshot) -> None:
        self.ctl = ctl
        self.rollout = rollout
        self.canary = canary
        self.snap = snap
        self.name = name_of(rollout)
        self.uid = str(meta_of(rollout).get("uid"))
        self.spec: JSON = rollout.get("spec") or {}
        self.status: JSON = json.loads(json.dumps(rollout.get("status") or {}))
        self.steps: list[Any] = list(canary.get("steps") or [])
        self.replicas = as_int(self.spec.get("replicas"), 1)
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
        owned = sorted(self.snap.owned(self.snap.replicasets, self.uid), key=revision_of)
        by_hash = {str(labels_of(rs).get(HASH_LABEL)): rs for rs in owned}
        top_revision = max((revision_of(rs) for rs in owned), default=0)

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
        revision = revision_of(new_rs)

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
                if name_of(run) in self.ctl.inconclusive_paused:
                    if not any(c.get("reason") == "InconclusiveAnalysisRun" for c in status.get("pauseConditions") or []):
                        status["canary"] = {}  # promoted past it: the next pass starts a new run
                else:
                    self.ctl.inconclusive_paused.add(name_of(run))
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
            rs_hash = str(labels_of(rs).get(HASH_LABEL))
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
        if annotations_of(self.rollout).get(REVISION) != str(revision):
            self.ctl.patch(r.ROLLOUTS, self.rollout, {"metadata": {"annotations": {REVISION: str(revision)}}})
        return self.wake

    # -- updates, aborts, retries

    def _start_update(self, pod_hash: str, stable_hash: str, rs: JSON | None, top_revision: int) -> JSON | None:
        status = self.status
        if rs is None:
            rs = self._create_rs(pod_hash, top_revision + 1)
            if rs is None:
                return None
        elif revision_of(rs) < top_revision:  # an older template again (undo): it gets the next revision
            patched = self.ctl.patch(r.REPLICASETS, rs, {"metadata": {"annotations": {REVISION: str(top_revision + 1)}}})
            if patched is None:
                return None
            rs = patched
            self.snap.replicasets[name_of(rs)] = rs
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
            self.say(f"update to revision {revision_of(rs)} ({pod_hash}, {image})")
        return rs

    def _create_rs(self, pod_hash: str, revision: int) -> JSON | None:
        created = self.ctl.create(r.REPLICASETS, new_replica_set(self.rollout, pod_hash, revision, 0))
        if created is not None:
            self.snap.replicasets[name_of(created)] = created
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
        index = as_int(self.status.get("currentStepIndex"), 0)
        return max(0, min(index, len(self.steps)))

    def _weight(self, index: int) -> int:
        if index >= len(self.steps):
            return 100
        for step in reversed(self.steps[: index + 1]):
            if isinstance(step, dict) and step.get("setWeight") is not None:
                return as_int(step.get("setWeight"), 0)
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
            return self.replicas, as_int(((stable_rs or {}).get("spec") or {}).get("replicas"), 0)
        return replicas_for_weight(self.replicas, self._weight(index))

    def _settled(self, rs: JSON | None, count: int) -> bool:
        """The ReplicaSet wants `count` pods, has them, and they are all available."""
        if rs is None:
            return count == 0
        rs = self.snap.replicasets.get(name_of(rs), rs)
        status = rs.get("status") or {}
        return (
            as_int((rs.get("spec") or {}).get("replicas"), 1) == count
            and as_int(status.get("observedGeneration"), 0) >= as_int(meta_of(rs).get("generation"), 1)
            and as_int(status.get("replicas"), 0) == count
            and as_int(status.get("availableReplicas"), 0) == count
        )

    def _available(self, rs: JSON | None) -> int:
        if rs is None:
            return 0
        status = rs.get("status") or {}
        if as_int(status.get("observedGeneration"), 0) < as_int(meta_of(rs).get("generation"), 1):
            return 0
        return as_int(status.get("availableReplicas"), 0)

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
                canary, stable = replicas_for_weight(self.replicas, as_int(step.get("setWeight"), 0))
                if not (self._settled(by_hash.get(pod_hash), canary) and self._settled(by_hash.get(stable_hash), stable)):
                    return  # the ReplicaSets are still getting there
                self._advance(index, f"setWeight {step['setWeight']}: {canary} canary, {stable} stable pod(s)")
                continue
            if isinstance(step.get("pause"), dict):
                if not self._pause_step(index, step["pause"], pod_hash):
                    return
                continue
            kind = next(iter(step), "?")
            self.ctl.say_once(f"step/{self.uid}/{kind}", f"{self.name}: step kind {kind!r} is not simulated; passed over")
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
        owner = self.ctl.pause_index.get((self.uid, pod_hash))
        if isinstance(step, dict) and isinstance(step.get("pause"), dict) and owner in (None, index):
            return
        kept = [c for c in conditions if c.get("reason") != "CanaryPauseStep"]
        if kept:
            status["pauseConditions"] = kept
        else:
            status.pop("pauseConditions", None)
            status.pop("controllerPause", None)
        self.ctl.pause_index.pop((self.uid, pod_hash), None)

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
        if condition is not None and self.ctl.pause_index.get((self.uid, pod_hash)) not in (None, index):
            # left by another pause step (the index was moved by `promote -c`): start afresh
            conditions = [c for c in conditions if c.get("reason") != "CanaryPauseStep"]
            condition = None
            status.pop("controllerPause", None)
        if condition is None and status.get("controllerPause"):  # `promote` cleared it
            status.pop("controllerPause", None)
            status.pop("pauseConditions", None)
            self.ctl.pause_started.pop(key, None)
            self._advance(index, "pause ended by promote")
            return True
        clock = self.ctl.clock
        if condition is None:
            started = clock.sim()
            self.ctl.pause_started[key] = started
            shown = self.wall
            if seconds is not None:  # backdated so that startTime + duration is the real end
                shown = self.wall + dt.timedelta(seconds=clock.wall_seconds(seconds) - seconds)
            status["pauseConditions"] = [*conditions, {"reason": "CanaryPauseStep", "startTime": timestamp(shown)}]
            status["controllerPause"] = True
            self.ctl.pause_index[(self.uid, pod_hash)] = index
            length = f"{pause.get('duration')}" if seconds is not None else "until promoted"
            real = f", {clock.wall_seconds(seconds):g}s at {clock.speed:g}x" if seconds is not None and clock.speed != 1 else ""
            self.say(f"step {index + 1}/{len(self.steps)}: pause {length}{real}")
        if seconds is None:
            return False
        known = self.ctl.pause_started.get(key)
        if known is None:  # not ours (seeded, or before a restart): undo the backdating
            written = parse_time((condition or {}).get("startTime")) or self.wall
            known = clock.to_sim(written + dt.timedelta(seconds=seconds - clock.wall_seconds(seconds)))
            self.ctl.pause_started[key] = known
        left = (known + dt.timedelta(seconds=seconds) - clock.sim()).total_seconds()
        if left > 0:
            self._due_in(clock.wall_seconds(left) + 0.005)
            return False
        status["pauseConditions"] = [c for c in status.get("pauseConditions") or [] if c.get("reason") != "CanaryPauseStep"]
        if not status["pauseConditions"]:
            status.pop("pauseConditions")
            status.pop("controllerPause", None)
        self.ctl.pause_started.pop(key, None)
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
        if self._index() < as_int(analysis.get("startingStep"), 0):
            return None
        run = self._current_run()
        if run is None:
            run = self._create_run(analysis, pod_hash, stable_hash, revision)
            if run is None:
                return None
        run_status = run.get("status") or {}
        ref: JSON = {"name": name_of(run), "status": str(run_status.get("phase") or "")}
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
            ctl.say_once(f"run/{self.uid}/{exc.message}", f"{self.name}: cannot start the background analysis: {exc.message}")
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
        created = ctl.create(r.ANALYSISRUNS, body)
        if created is not None:
            self.snap.runs[name] = created
            self.say(f"AnalysisRun {name} started (background, templates: "
                     f"{', '.join(str(t.get('templateName')) for t in analysis.get('templates') or [])})")
        return created

    def _terminate_runs(self, *, keep: str) -> None:
        for run in self.snap.owned(self.snap.runs, self.uid):
            phase = str((run.get("status") or {}).get("phase") or "")
            if name_of(run) == keep or phase in TERMINAL or (run.get("spec") or {}).get("terminate") is True:
                continue
            patched = self.ctl.patch(r.ANALYSISRUNS, run, {"spec": {"terminate": True}})
            if patched is not None:
                self.snap.runs[name_of(run)] = patched
                self.say(f"AnalysisRun {name_of(run)} terminated")

    # -- scaling, restarts, services

    def _scale(self, rs: JSON, want: int) -> None:
        current = self.snap.replicasets.get(name_of(rs), rs)
        if as_int((current.get("spec") or {}).get("replicas"), 1) == want:
            return
        patched = self.ctl.patch(
            r.REPLICASETS, current,
            {"metadata": {"annotations": {DESIRED_REPLICAS: str(self.replicas)}}, "spec": {"replicas": want}},
        )
        if patched is not None:
            self.snap.replicasets[name_of(patched)] = patched

    def _prune_history(self, owned: list[JSON], pod_hash: str, stable_hash: str) -> None:
        limit = as_int(self.spec.get("revisionHistoryLimit"), 10)
        old = [
            rs for rs in owned
            if str(labels_of(rs).get(HASH_LABEL)) not in (pod_hash, stable_hash)
            and as_int((self.snap.replicasets.get(name_of(rs), rs).get("spec") or {}).get("replicas"), 0) == 0
            and as_int((rs.get("status") or {}).get("replicas"), 0) == 0
        ]
        for rs in sorted(old, key=revision_of)[: max(0, len(old) - limit)]:
            self.ctl.delete(r.REPLICASETS, name_of(rs))
            self.snap.replicasets.pop(name_of(rs), None)

    def _restart(self, owned: list[JSON]) -> None:
        """`spec.restartAt`: replace the pods made before it, one at a time, then record it."""
        restart_at = str(self.spec.get("restartAt") or "")
        if not restart_at or restart_at == self.status.get("restartedAt"):
            return
        moment = parse_time(restart_at)
        if moment is None:
            return
        if moment > self.wall:
            self._due_in((moment - self.wall).total_seconds())
            return
        ctl = self.ctl
        seen = ctl.restart_seen.setdefault((self.uid, restart_at), self.wall)
        pods: list[JSON] = []
        for rs in owned:
            rs_now = self.snap.replicasets.get(name_of(rs), rs)
            rs_pods = self.snap.owned(self.snap.pods, str(meta_of(rs).get("uid")))
            if len(rs_pods) != as_int((rs_now.get("spec") or {}).get("replicas"), 1) or not all(map(pod_is_ready, rs_pods)):
                return  # one at a time: wait until every ReplicaSet is whole again
            pods.extend(rs_pods)

        def created(pod: JSON) -> dt.datetime:
            return ctl.pod_created.get(name_of(pod)) or parse_time(meta_of(pod).get("creationTimestamp")) or self.wall

        stale = sorted((p for p in pods if created(p) < seen), key=created)
        if stale:
            ctl.delete(r.PODS, name_of(stale[0]))
            self.snap.pods.pop(name_of(stale[0]), None)
            self.say(f"restart: pod {name_of(stale[0])} replaced ({len(stale) - 1} to go)")
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
                self.ctl.say_once(f"svc/{service}", f"{self.name}: service {service} not found")
                continue
            if ((svc.get("spec") or {}).get("selector") or {}).get(HASH_LABEL) != target:
                patched = self.ctl.patch(SERVICES, svc, {"spec": {"selector": {HASH_LABEL: target}}})
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
                counters[key] += as_int(rs_status.get(key), 0)
        new_rs = self.snap.replicasets.get(f"{self.name}-{pod_hash}") or by_hash.get(pod_hash) or {}
        status.update(counters)
        status["HPAReplicas"] = counters["replicas"]
        status["updatedReplicas"] = as_int((new_rs.get("status") or {}).get("replicas"), 0)
        selector = ((self.spec.get("selector") or {}).get("matchLabels")) or {}
        status["selector"] = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
        status.setdefault("blueGreen", {})
        status.setdefault("canary", {})
        status["observedGeneration"] = str(meta_of(self.rollout).get("generation", 1))
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
        written = self.ctl.write_status(r.ROLLOUTS, self.rollout, status)
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
        return govalues.parse_go_duration(text) / 1e9
    except ValueError:
        return None
