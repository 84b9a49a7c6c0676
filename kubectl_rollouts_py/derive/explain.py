"""`explain NAME`: why a rollout is where it is, with the evidence, and what moves it on.

Built from the same plain objects `get rollout` reads (the rollout, the namespace's
ReplicaSets, pods, AnalysisRuns and Experiments), plus what only a read can tell
(`Lookups`: whether the workloadRef Deployment and the AnalysisTemplates exist), with `now`
passed in. Status, steps, weights, pod reasons and metric counts come from derive/rollout.py,
derive/pods.py and derive/analysis.py: the explanation never re-derives what `get rollout`
shows, so the two cannot disagree.

The causes are ordered most important first: what stops the rollout (an invalid spec, a
missing workload or template, an abort, a progress deadline), then what holds it (a user's
pause, a pause step, an inconclusive analysis), then what is under way (pods not ready,
analysis running). A rollout with nothing to say is `healthy` or `progressing`.
"""

from __future__ import annotations

import datetime as dt
import math
import shlex
from collections.abc import Sequence
from typing import Any

from kubectl_rollouts_py._frozen import frozen
from kubectl_rollouts_py.derive import fields as f
from kubectl_rollouts_py.derive.analysis import build_analysis_run_view, runs_in_scope
from kubectl_rollouts_py.derive.humantime import human_duration, seconds_between
from kubectl_rollouts_py.derive.pods import pod_status
from kubectl_rollouts_py.derive.rollout import (
    actual_weight,
    build_replica_set_views,
    countdown,
    current_step_index,
    pause_deadline,
    rollout_status,
    set_weight,
    step_text,
    strategy_name,
)
from kubectl_rollouts_py.derive.explain_evidence import FAILED_PHASES, failing_metrics, failure_budget, plural, run_evidence
from kubectl_rollouts_py.derive.steps import steps_of
from kubectl_rollouts_py.derive.steps import step_text as one_step_text
from kubectl_rollouts_py.derive.views import SCHEMA_VERSION
from kubectl_rollouts_py.govalues import go_atoi, int_or_string

PLUGIN = "kubectl rollouts-py"
DEFAULT_PROGRESS_DEADLINE = 600  # seconds, Argo's default for spec.progressDeadlineSeconds
MAX_PODS_SHOWN = 5


@frozen
class Cause:
    """One reason the rollout is where it is: a kind, a one-line summary, the facts that
    show it (with their values) and the exact commands that move it on."""

    kind: str
    summary: str
    evidence: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()
    # The summary without the clock (no countdown), for one-line views that re-render as time
    # passes (get rollout, watch): "" when the summary itself does not depend on the clock.
    brief: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "summary": self.summary, "evidence": list(self.evidence), "commands": list(self.commands)}


@frozen
class NextStep:
    """What happens next, from the spec: a step to come, the end of a pause, an analysis
    that will start, or the promotion at the end."""

    action: str  # setWeight, pause, analysis, experiment, setCanaryScale, step, promote, complete, wait
    summary: str
    step: int | None = None  # 1-based step number, None when not a canary step
    set_weight: int | None = None
    actual_weight: int | None = None
    analyses: tuple[str, ...] = ()
    at: dt.datetime | None = None  # when it happens by itself (the end of a timed pause)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "summary": self.summary,
            "step": self.step,
            "setWeight": self.set_weight,
            "actualWeight": self.actual_weight,
            "analyses": list(self.analyses),
            "at": f.rfc3339(self.at),
        }


@frozen
class Explanation:
    name: str
    namespace: str
    status: str
    message: str
    strategy: str
    step: str  # "1/4" as get rollout shows it, or ""
    causes: tuple[Cause, ...]
    next: tuple[NextStep, ...] = ()
    unreadable: tuple[str, ...] = ()  # what could not be read from the objects

    @property
    def first(self) -> Cause | None:
        return self.causes[0] if self.causes else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "Explanation",
            "apiVersion": SCHEMA_VERSION,
            "name": self.name,
            "namespace": self.namespace,
            "status": self.status,
            "message": self.message,
            "strategy": self.strategy,
            "step": self.step or None,
            "causes": [c.to_dict() for c in self.causes],
            "next": [n.to_dict() for n in self.next],
            "unreadable": list(self.unreadable),
        }


@frozen
class Lookups:
    """Facts only a read can give. None: not looked up (or the read failed), so no claim
    is made about it."""

    workload_missing: str | None = None  # the workloadRef Deployment's name when it does not exist
    templates: frozenset[str] | None = None  # AnalysisTemplates of the namespace
    cluster_templates: frozenset[str] | None = None  # ClusterAnalysisTemplates
    failed_reads: tuple[str, ...] = ()


# --------------------------------------------------------------------------- small helpers


def command(namespace: str, *words: str) -> str:
    """`kubectl rollouts-py VERB ARGS [-n NS]`, quoted for a POSIX shell."""
    text = " ".join([PLUGIN, *(shlex.quote(w) if i else w for i, w in enumerate(words))])
    if namespace and namespace != "default":
        text += f" -n {shlex.quote(namespace)}"
    return text


def kubectl(namespace: str, *words: str) -> str:
    text = "kubectl " + " ".join(shlex.quote(w) for w in words)
    if namespace and namespace != "default":
        text += f" -n {shlex.quote(namespace)}"
    return text


def _type_name(value: Any) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", dict: "an object"}
    return "null" if value is None else names.get(type(value), "a " + type(value).__name__)


def _ago(moment: dt.datetime | None, now: dt.datetime) -> str:
    if moment is None:
        return ""
    return f"{human_duration(seconds_between(moment, now))} ago ({f.rfc3339(moment)})"


def _condition(rollout: dict[str, Any], kind: str) -> dict[str, Any]:
    for cond in f.seq(rollout, "status", "conditions"):
        if isinstance(cond, dict) and cond.get("type") == kind:
            return cond
    return {}


def _template_names(holder: Any) -> list[tuple[str, bool]]:
    """(name, cluster scope) of the templates an analysis block names."""
    names = []
    for ref in f.seq(holder, "templates"):
        if isinstance(ref, dict) and f.text(ref.get("templateName")):
            names.append((f.text(ref.get("templateName")), f.flag(ref.get("clusterScope"))))
    return names


def referenced_templates(rollout: dict[str, Any]) -> list[tuple[str, bool]]:
    """Every (template, cluster scope) the rollout's strategy names, in spec order, once each."""
    strategy = f.mapping(rollout, "spec", "strategy")
    found: list[tuple[str, bool]] = []
    canary = f.mapping(strategy, "canary")
    found += _template_names(f.mapping(canary, "analysis"))
    for step in f.seq(canary, "steps"):
        found += _template_names(f.mapping(step, "analysis"))
    blue_green = f.mapping(strategy, "blueGreen")
    found += _template_names(f.mapping(blue_green, "prePromotionAnalysis"))
    found += _template_names(f.mapping(blue_green, "postPromotionAnalysis"))
    return list(dict.fromkeys(found))


def _desired(rollout: dict[str, Any]) -> int:
    replicas = f.integer(f.mapping(rollout, "spec").get("replicas"))
    return 1 if replicas is None else replicas


def _max_surge(rollout: dict[str, Any], replicas: int) -> int:
    value = f.mapping(rollout, "spec", "strategy", "canary").get("maxSurge", "25%")
    if isinstance(value, str) and value.endswith("%"):
        percent = go_atoi(value[:-1])
        return math.ceil(replicas * (percent or 0) / 100)
    return int_or_string(value, 1)


def canary_replicas(replicas: int, weight: int, max_surge: int) -> tuple[int, int]:
    """(canary, stable) pods Argo's basic canary (no traffic routing) runs for `weight`:
    the split among the candidates (rounded up or down, with or without one surge pod)
    whose share is nearest the weight."""
    if replicas <= 0:
        return 0, 0
    weight = max(0, min(100, weight))
    ceil_count = math.ceil(replicas * weight / 100)
    floor_count = math.floor(replicas * weight / 100)

    def tied(total: int) -> bool:
        return math.modf(total * weight / 100)[0] == 0.5

    zero_allowed = weight in (0, 100) or (replicas == 1 and max_surge == 0)
    options: list[tuple[int, int]] = []
    if ceil_count < replicas or zero_allowed:
        options.append((ceil_count, replicas))
    if not tied(replicas) and (floor_count != 0 or zero_allowed):
        options.append((floor_count, replicas))
    if max_surge > 0:
        options.append((ceil_count, replicas + 1))
        if not tied(replicas + 1) and (floor_count != 0 or zero_allowed):
            options.append((floor_count, replicas + 1))
    if not options:
        return 0, replicas
    best = min(options, key=lambda o: abs(o[0] * 100 / o[1] - weight))
    return best[0], best[1] - best[0]


# --------------------------------------------------------------------------- the explainer


class _Explainer:
    def __init__(self, rollout: dict[str, Any], replica_sets: Sequence[dict[str, Any]], pods: Sequence[dict[str, Any]],
                 analysis_runs: Sequence[dict[str, Any]], experiments: Sequence[dict[str, Any]], now: dt.datetime,
                 lookups: Lookups) -> None:
        self.rollout, self.now, self.lookups = rollout, now, lookups
        self.name, self.namespace = f.name_of(rollout), f.namespace_of(rollout)
        self.uid = f.uid_of(rollout)
        self.spec, self.status = f.mapping(rollout, "spec"), f.mapping(rollout, "status")
        self.replica_sets = [rs for rs in replica_sets if isinstance(rs, dict) and f.owned_by(rs, self.uid)]
        self.pods = [p for p in pods if isinstance(p, dict)]
        self.all_runs = [r for r in analysis_runs if isinstance(r, dict)]
        self.runs = [build_analysis_run_view(r, now) for r in runs_in_scope(rollout, self.all_runs, "auto", replica_sets)]
        self.experiments = [e for e in experiments if isinstance(e, dict) and f.owned_by(e, self.uid)]
        self.phase, self.message = rollout_status(rollout)
        self.strategy = strategy_name(rollout)
        self.current_hash = f.text(self.status.get("currentPodHash"))
        self.stable_hash = f.text(self.status.get("stableRS"))
        self.unreadable: list[str] = list(lookups.failed_reads)
        rs_views = build_replica_set_views(self.uid, rollout, replica_sets, pods, now)
        self.actual_weight = actual_weight(rollout, rs_views) if self.strategy == "Canary" else ""

    def cmd(self, *words: str) -> str:
        return command(self.namespace, *words)

    # -- what the replica sets say

    def _rs_by_hash(self, pod_hash: str) -> dict[str, Any] | None:
        for rs in self.replica_sets:
            if pod_hash and f.text(f.labels_of(rs).get(f.POD_TEMPLATE_HASH_LABEL)) == pod_hash:
                return rs
        return None

    def _images(self, rs: dict[str, Any] | None) -> list[tuple[str, str]]:
        source = rs if rs is not None else {"spec": {"template": self.spec.get("template")}}
        return [(f.text(c.get("name")), f.text(c.get("image")))
                for c in f.seq(source, "spec", "template", "spec", "containers") if isinstance(c, dict)]

    def _image_text(self, rs: dict[str, Any] | None) -> str:
        return ", ".join(image for _, image in self._images(rs) if image) or "(no image)"

    def _previous_revision(self) -> dict[str, Any] | None:
        """The ReplicaSet `undo` goes back to: the second-highest revision."""
        ordered = sorted(self.replica_sets, key=lambda rs: -f.revision_of(rs))
        return ordered[1] if len(ordered) > 1 else None

    def _set_image_command(self, rs: dict[str, Any] | None) -> str:
        images = self._images(rs) or self._images(None)
        container, image = images[0] if images else ("CONTAINER", "IMAGE")
        repository = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
        return self.cmd("set", "image", self.name, f"{container or 'CONTAINER'}={repository or 'IMAGE'}:FIXED_TAG")

    def _ways_back(self, bad_rs: dict[str, Any] | None) -> tuple[list[str], list[str]]:
        """(evidence, commands) for moving on from a bad revision: retry (once aborted) or abort,
        a fixed image, undo."""
        evidence: list[str] = []
        if f.flag(self.status.get("abort")):
            commands = [self.cmd("retry", "rollout", self.name), self._set_image_command(bad_rs)]
        else:
            commands = [self._set_image_command(bad_rs), self.cmd("abort", self.name)]
        previous = self._previous_revision()
        if previous is not None:
            evidence.append(f"undo goes back to revision {f.revision_of(previous)} ({self._image_text(previous)})")
            commands.append(self.cmd("undo", self.name))
        return evidence, commands

    # -- causes

    def causes(self) -> list[Cause]:
        causes: list[Cause] = []
        causes += self._unobserved()
        missing = self._missing_workload() + self._missing_templates()
        invalid = f.text(_condition(self.rollout, "InvalidSpec").get("message"))
        # An InvalidSpec condition that names the missing object is told by that cause.
        if not any(invalid and f"condition InvalidSpec: {invalid}" in c.evidence for c in missing):
            causes += self._invalid_spec()
        causes += missing
        causes += self._aborted()
        causes += self._progress_deadline()
        causes += self._user_pause()
        causes += self._pause_conditions()
        causes += self._pods_not_ready()
        causes += self._analysis()
        if not causes or all(c.kind in ("analysis-running",) for c in causes):
            causes.insert(0, self._settled())
        return causes

    def _unobserved(self) -> list[Cause]:
        if "status" not in self.rollout or not isinstance(self.rollout.get("status"), dict) or not self.status:
            return [Cause("no-status", "The rollout has no status: the Argo Rollouts controller has not processed it yet.",
                          ("status is missing or empty", "is the Argo Rollouts controller running, and does it watch this namespace?"))]
        if self.phase == "Progressing" and self.message.startswith("waiting for rollout spec update to be observed"):
            generation = f.count(f.mapping(self.rollout, "metadata").get("generation"))
            return [Cause("not-observed", f"The controller has not seen the latest change yet: {self.message}.",
                          (f"metadata.generation {generation}, status.observedGeneration {self.status.get('observedGeneration')!s}",
                           "if this lasts, check that the Argo Rollouts controller is running"))]
        return []

    def _invalid_spec(self) -> list[Cause]:
        cond = _condition(self.rollout, "InvalidSpec")
        if not cond or cond.get("status") == "False":
            return []
        message = f.text(cond.get("message"))
        evidence = [f"condition InvalidSpec: {message}" if message else "condition InvalidSpec (no message)"]
        since = f.parse_time(cond.get("lastTransitionTime"))
        if since:
            evidence.append(f"since {_ago(since, self.now)}")
        evidence.append("the controller does nothing more with this rollout until the spec is fixed")
        return [Cause("invalid-spec", f"The controller rejected the rollout's spec: {message or 'InvalidSpec'}", tuple(evidence),
                      (kubectl(self.namespace, "edit", "rollout.argoproj.io/" + self.name),))]

    def _missing_workload(self) -> list[Cause]:
        missing = self.lookups.workload_missing
        if missing is None:
            return []
        ref = f.mapping(self.spec, "workloadRef")
        kind = f.text(ref.get("kind")) or "Deployment"
        evidence = [f"workloadRef: {kind} {missing} ({f.text(ref.get('apiVersion')) or 'apps/v1'}): not found"]
        invalid = f.text(_condition(self.rollout, "InvalidSpec").get("message"))
        if f'"{missing}"' in invalid:
            evidence.append(f"condition InvalidSpec: {invalid}")
        evidence.append("the rollout takes its pod template from that object: without it there is nothing to roll out")
        return [Cause("missing-workload",
                      f"spec.workloadRef names {kind} \"{missing}\", which does not exist in namespace {self.namespace}.",
                      tuple(evidence),
                      (kubectl(self.namespace, "get", "deployments"),
                       kubectl(self.namespace, "apply", "-f", f"{missing}-deployment.yaml")))]

    def _expected_run_missing(self) -> bool:
        """An analysis should be running now and no run of the current revision exists."""
        if self.runs or self.phase == "Healthy" or not self.current_hash or self.current_hash == self.stable_hash:
            return False
        canary = f.mapping(self.spec, "strategy", "canary")
        index = current_step_index(self.rollout) or 0
        background = f.mapping(canary, "analysis")
        if background and index >= (f.integer(background.get("startingStep")) or 0):
            return True
        steps = steps_of(self.rollout)
        return 0 <= index < len(steps) and isinstance(steps[index], dict) and "analysis" in steps[index]

    def _missing_templates(self) -> list[Cause]:
        invalid = f.text(_condition(self.rollout, "InvalidSpec").get("message"))
        causes = []
        for name, cluster in referenced_templates(self.rollout):
            known = self.lookups.cluster_templates if cluster else self.lookups.templates
            kind = "ClusterAnalysisTemplate" if cluster else "AnalysisTemplate"
            named_by_controller = f'"{name}"' in invalid and "not found" in invalid
            if not named_by_controller and (known is None or name in known or not self._expected_run_missing()):
                continue
            where = "the cluster" if cluster else f"namespace {self.namespace}"
            evidence = [f"the rollout's analysis names {kind} \"{name}\", which was not found in {where}"]
            if named_by_controller:
                evidence.append(f"condition InvalidSpec: {invalid}")
            evidence.append("no AnalysisRun can start for this revision, so the rollout cannot go on")
            causes.append(Cause("missing-template", f"{kind} \"{name}\" does not exist.", tuple(evidence),
                                (kubectl("" if cluster else self.namespace, "get", "clusteranalysistemplates" if cluster else "analysistemplates"),
                                 kubectl("" if cluster else self.namespace, "apply", "-f", f"{name}.yaml"))))
        return causes

    def _aborted(self) -> list[Cause]:
        progressing = _condition(self.rollout, "Progressing")
        aborted = f.flag(self.status.get("abort")) or progressing.get("reason") == "RolloutAborted"
        if not aborted:
            return []
        failed_runs = [r for r in self.runs if r.phase in FAILED_PHASES]
        canary_rs = self._rs_by_hash(self.current_hash)
        stable_rs = self._rs_by_hash(self.stable_hash)
        evidence: list[str] = []
        if failed_runs:
            run = failed_runs[0]
            metrics = failing_metrics(run)
            names = ", ".join(m.name for m in metrics) or "(no metric named)"
            summary = f"The rollout was aborted: analysis {run.name} ended {run.phase} on metric {names}."
            evidence += run_evidence(run, metrics)
            origin = self._run_origin(run.name)
            if origin:
                evidence.insert(1, origin)
        else:
            flag = " (status.abort is true)" if f.flag(self.status.get("abort")) else ""
            summary = f"The rollout was aborted{flag}: by a user's `abort`, or by the controller."
        abort_message = f.text(progressing.get("message"))
        if abort_message:
            evidence.append(f"controller: {abort_message}")
        aborted_at = f.parse_time(self.status.get("abortedAt"))
        if aborted_at:
            evidence.append(f"aborted {_ago(aborted_at, self.now)}")
        if canary_rs is not None and self.current_hash != self.stable_hash:
            left = self._pods_of(canary_rs)
            state = f"{plural(len(left), 'pod')} left, terminating" if left else "no pods left"
            what = f"canary ReplicaSet {f.name_of(canary_rs)} (revision {f.revision_of(canary_rs)}, {self._image_text(canary_rs)})"
            if f.integer(f.mapping(canary_rs, "spec").get("replicas")) == 0:
                evidence.append(f"the controller scaled the {what} down to 0: {state}")
            else:
                evidence.append(f"the controller is scaling the {what} down: {plural(len(left), 'pod')} left")
        if stable_rs is not None:
            evidence.append(f"all traffic is back on the stable ReplicaSet {f.name_of(stable_rs)} "
                            f"(revision {f.revision_of(stable_rs)}, {self._image_text(stable_rs)})")
        more, commands = self._ways_back(canary_rs)
        evidence += more
        evidence.append("retry starts this revision's steps again; set image rolls out a fixed version"
                        + ("; undo goes back" if self._previous_revision() is not None else ""))
        return [Cause("aborted", summary, tuple(evidence), tuple(commands))]

    def _run_origin(self, name: str) -> str:
        """Which part of the strategy started the run: a step's analysis or the background one."""
        raw = next((r for r in self.all_runs if f.name_of(r) == name), {})
        kind = f.text(f.labels_of(raw).get("rollout-type"))
        steps = steps_of(self.rollout)
        if kind == "Step":
            for index, step in enumerate(steps):
                if isinstance(step, dict) and "analysis" in step and name.endswith(f"-{index}"):
                    return f"the analysis of step {index + 1}/{len(steps)}"
            return "a step's analysis"
        if kind == "Background":
            start = f.integer(f.mapping(self.spec, "strategy", "canary", "analysis").get("startingStep")) or 0
            return f"the background analysis, running from step {start + 1}/{len(steps)} on" if steps else "the background analysis"
        return ""

    def _progress_deadline(self) -> list[Cause]:
        progressing = _condition(self.rollout, "Progressing")
        if progressing.get("reason") != "ProgressDeadlineExceeded":
            if self.phase == "Degraded" and not any(
                    c.get("reason") == "RolloutAborted" for c in f.seq(self.rollout, "status", "conditions") if isinstance(c, dict)) \
                    and not f.flag(self.status.get("abort")) and not _condition(self.rollout, "InvalidSpec"):
                return [Cause("degraded", f"The rollout is Degraded: {self.message or 'no message'}",
                              (f"status.message: {self.message}",), tuple(self._ways_back(self._rs_by_hash(self.current_hash))[1]))]
            return []
        message = f.text(progressing.get("message"))
        deadline = f.integer(self.spec.get("progressDeadlineSeconds"))
        deadline = DEFAULT_PROGRESS_DEADLINE if deadline is None else deadline
        rs = self._rs_by_hash(self.current_hash)
        rs_name = f.name_of(rs) if rs is not None else ""
        summary = (f"ReplicaSet {rs_name} did not become available within progressDeadlineSeconds ({deadline}s)."
                   if rs_name else f"The rollout did not progress within progressDeadlineSeconds ({deadline}s).")
        evidence = [f"condition Progressing=False, ProgressDeadlineExceeded: {message}"]
        since = f.parse_time(progressing.get("lastUpdateTime")) or f.parse_time(progressing.get("lastTransitionTime"))
        if since:
            evidence.append(f"since {_ago(since, self.now)}")
        if rs is not None:
            spec_replicas = f.integer(f.mapping(rs, "spec").get("replicas"))
            evidence.append(f"ReplicaSet {rs_name} (revision {f.revision_of(rs)}, {self._image_text(rs)}): "
                            f"{f.count(f.mapping(rs, 'status').get('availableReplicas'))} of {spec_replicas if spec_replicas is not None else '?'} available")
        if f.flag(self.spec.get("progressDeadlineAbort")):
            evidence.append("progressDeadlineAbort is set: the controller aborts the update")
        more, commands = self._ways_back(rs)
        evidence += more
        return [Cause("progress-deadline", summary, tuple(evidence), tuple(commands))]

    def _user_pause(self) -> list[Cause]:
        if not f.flag(self.spec.get("paused")):
            return []
        evidence = ["spec.paused is true: someone ran `pause` or set it in the manifest; the controller does not move on while it is set"]
        index = current_step_index(self.rollout)
        steps = steps_of(self.rollout)
        if index is not None and 0 <= index < len(steps):
            evidence.append(f"it stands at step {index + 1}/{len(steps)}: {one_step_text(steps[index])}")
        evidence.append("promote unpauses it and moves on to the next step; promote --full skips all remaining steps")
        return [Cause("paused-user", "Paused by a user (spec.paused), not by the controller.", tuple(evidence),
                      (self.cmd("promote", self.name), self.cmd("promote", self.name, "--full")))]

    def _pause_conditions(self) -> list[Cause]:
        causes = []
        for cond in f.seq(self.rollout, "status", "pauseConditions"):
            if not isinstance(cond, dict):
                continue
            reason = f.text(cond.get("reason"))
            started = f.parse_time(cond.get("startTime"))
            if reason == "CanaryPauseStep":
                causes.append(self._pause_step(started))
            elif reason == "BlueGreenPause":
                causes.append(self._blue_green_pause(started))
            elif reason in ("InconclusiveAnalysisRun", "InconclusiveExperiment"):
                causes.append(self._inconclusive(reason, started))
            else:
                causes.append(Cause("paused-step", f"Paused by the controller: {reason or 'no reason given'}.",
                                    (f"pause condition {reason} since {_ago(started, self.now)}",) if started else (),
                                    (self.cmd("promote", self.name),)))
        return causes

    def _pause_step(self, started: dt.datetime | None) -> Cause:
        index = current_step_index(self.rollout) or 0
        steps = steps_of(self.rollout)
        where = f"step {index + 1}/{len(steps)}: {one_step_text(steps[index])}" if 0 <= index < len(steps) else f"step {index + 1}"
        deadline = pause_deadline(self.rollout)
        evidence = [f"pause condition CanaryPauseStep since {_ago(started, self.now)}"] if started else []
        evidence.append(f"SetWeight {set_weight(self.rollout)}, ActualWeight {self.actual_weight}: "
                        "the canary keeps that share until the pause ends")
        commands = [self.cmd("promote", self.name), self.cmd("promote", self.name, "--full")]
        held = f.flag(self.spec.get("paused"))
        if deadline is not None:
            left = seconds_between(self.now, deadline)
            if held:
                summary = (f"Paused at {where}: {countdown(left)} left, and then spec.paused still holds it." if left > 0
                           else f"Paused at {where}: the pause is over, but spec.paused holds the rollout.")
                evidence.append(f"the pause ends at {f.rfc3339(deadline)}")
            elif left > 0:
                summary = f"Paused at {where}: {countdown(left)} left, then it moves on by itself."
                evidence.append(f"the pause ends at {f.rfc3339(deadline)}")
            else:
                summary = f"Paused at {where}: the pause ended {human_duration(-left)} ago; the controller should move on at once."
                evidence.append(f"the pause ended at {f.rfc3339(deadline)}: if the rollout stays here, check the controller")
            evidence.append("promote ends the pause now; promote --full skips all remaining steps and analysis")
            brief = f"Paused at {where}; " + ("when the pause ends, spec.paused still holds it." if held
                                             else "it moves on by itself when the pause ends.")
        else:
            summary = f"Paused at {where}: it waits for a promote (the pause has no duration)."
            evidence.append("promote moves on to the next step; promote --full skips all remaining steps and analysis")
            brief = ""
        return Cause("paused-step", summary, tuple(evidence), tuple(commands), brief)

    def _blue_green_pause(self, started: dt.datetime | None) -> Cause:
        blue_green = f.mapping(self.spec, "strategy", "blueGreen")
        preview = f.text(f.mapping(self.status, "blueGreen").get("previewSelector"))
        evidence = [f"pause condition BlueGreenPause since {_ago(started, self.now)}"] if started else []
        rs = self._rs_by_hash(preview or self.current_hash)
        if rs is not None:
            evidence.append(f"the preview is ReplicaSet {f.name_of(rs)} (revision {f.revision_of(rs)}, {self._image_text(rs)})")
        deadline = pause_deadline(self.rollout)
        if deadline is not None:
            left = seconds_between(self.now, deadline)
            summary = (f"Paused before promotion: {countdown(left)} left of autoPromotionSeconds "
                       f"{blue_green.get('autoPromotionSeconds')}, then the active service switches to the preview."
                       if left > 0 else "Paused before promotion: autoPromotionSeconds have passed; the controller should promote at once.")
            brief = (f"Paused before promotion: autoPromotionSeconds {blue_green.get('autoPromotionSeconds')}, "
                     "then the active service switches to the preview.")
        else:
            summary = "Paused before promotion: it waits for a promote to switch the active service to the preview."
            brief = ""
        return Cause("paused-step", summary, tuple(evidence), (self.cmd("promote", self.name),), brief)

    def _inconclusive(self, reason: str, started: dt.datetime | None) -> Cause:
        evidence = [f"pause condition {reason} since {_ago(started, self.now)}"] if started else [f"pause condition {reason}"]
        for run in self.runs:
            if run.phase == "Inconclusive":
                metrics = [m for m in run.metrics if m.phase == "Inconclusive"] or list(run.metrics)
                evidence += run_evidence(run, metrics)
                break
        what = "analysis" if reason == "InconclusiveAnalysisRun" else "experiment"
        evidence.append(f"promote accepts the inconclusive {what} and goes on; abort goes back to the stable version")
        return Cause("analysis-inconclusive", f"Paused because the {what} was Inconclusive: a person has to decide.",
                     tuple(evidence), (self.cmd("promote", self.name), self.cmd("abort", self.name)))

    # -- pods

    def _pods_of(self, rs: dict[str, Any]) -> list[dict[str, Any]]:
        uid = f.uid_of(rs)
        return sorted((p for p in self.pods if f.owned_by(p, uid)), key=lambda p: (f.created_of(p), f.name_of(p)))

    def _pods_not_ready(self) -> list[Cause]:
        if f.flag(self.status.get("abort")):
            return []
        rs = self._rs_by_hash(self.current_hash)
        if rs is None:
            return []
        pods = self._pods_of(rs)
        troubled = [(p, *pod_status(p)) for p in pods]
        not_ready = [(p, reason, ready, restarts) for p, reason, ready, restarts in troubled
                     if reason != "Terminating" and (reason != "Running" or ready < len(f.seq(p, "spec", "containers")))]
        if not not_ready:
            return []
        role = "canary" if self.current_hash != self.stable_hash else "current"
        reasons = list(dict.fromkeys(reason or "unknown" for _, reason, _, _ in not_ready))
        summary = (f"{len(not_ready)} of {plural(len(pods), role + ' pod')} of ReplicaSet {f.name_of(rs)} "
                   f"{'is' if len(not_ready) == 1 else 'are'} not ready: {', '.join(reasons)}.")
        evidence: list[str] = []
        for pod, reason, ready, restarts in not_ready[:MAX_PODS_SHOWN]:
            evidence += self._pod_evidence(pod, reason, ready, restarts)
        if len(not_ready) > MAX_PODS_SHOWN:
            evidence.append(f"and {plural(len(not_ready) - MAX_PODS_SHOWN, 'more pod')}")
        commands: list[str] = []
        first = f.name_of(not_ready[0][0])
        if any("CrashLoopBackOff" in r or "Error" in r for r in reasons):
            commands.append(kubectl(self.namespace, "logs", first, "--previous"))
        commands.append(kubectl(self.namespace, "describe", "pod", first))
        if self.current_hash != self.stable_hash:
            commands.append(self._set_image_command(rs))
            commands.append(self.cmd("abort", self.name))
            if self._previous_revision() is not None:
                commands.append(self.cmd("undo", self.name))
        return [Cause("pods-not-ready", summary, tuple(evidence), tuple(commands))]

    def _pod_evidence(self, pod: dict[str, Any], reason: str, ready: int, restarts: int) -> list[str]:
        total = len(f.seq(pod, "spec", "containers"))
        lines = [f"pod {f.name_of(pod)}: {reason or 'unknown'}, {ready}/{total} ready, {plural(restarts, 'restart')}"]
        for cond in f.seq(pod, "status", "conditions"):
            if isinstance(cond, dict) and cond.get("type") == "PodScheduled" and cond.get("status") == "False":
                lines.append(f"  unschedulable: {f.text(cond.get('reason'))}: {f.text(cond.get('message'))}")
        for key in ("initContainerStatuses", "containerStatuses"):
            for container in f.seq(pod, "status", key):
                if not isinstance(container, dict):
                    continue
                name = f.text(container.get("name"))
                waiting = f.mapping(container, "state", "waiting")
                if f.text(waiting.get("reason")) not in ("", "PodInitializing"):
                    message = f.text(waiting.get("message"))
                    lines.append(f"  container {name}: {f.text(waiting.get('reason'))}" + (f": {message}" if message else ""))
                last = f.mapping(container, "lastState", "terminated")
                if last and f.count(container.get("restartCount")):
                    lines.append(f"  container {name} restarted {plural(f.count(container.get('restartCount')), 'time')}; "
                                 f"last exit: {f.text(last.get('reason')) or 'terminated'} (exit code {f.count(last.get('exitCode'))})")
        return lines

    # -- analysis

    def _analysis(self) -> list[Cause]:
        if f.flag(self.status.get("abort")):
            return []
        causes = []
        unreadable = {f.name_of(r) for r in self.all_runs if not isinstance(f.mapping(r, "status").get("phase", ""), str)}
        for run in self.runs:
            if run.phase not in ("Running", "Pending", "") or run.name in unreadable:
                continue
            troubled = [m for m in run.metrics if m.failed or m.inconclusive or m.consecutive_error or m.error]
            metrics = troubled or list(run.metrics)
            evidence = run_evidence(run, metrics)
            index = current_step_index(self.rollout)
            steps = steps_of(self.rollout)
            if index is not None and 0 <= index < len(steps) and isinstance(steps[index], dict) and "analysis" in steps[index] \
                    and run.name.endswith(f"-{index}"):
                evidence.insert(0, f"step {index + 1}/{len(steps)} is this analysis: the rollout goes on only when it succeeds")
            if troubled:
                worst = troubled[0]
                summary = f"Analysis {run.name} is running and metric {worst.name} has failures: {failure_budget(worst)}."
                causes.append(Cause("analysis-failing", summary, tuple(evidence),
                                    (self.cmd("abort", self.name),)))
            else:
                names = ", ".join(m.name for m in run.metrics) or "(no metrics)"
                causes.append(Cause("analysis-running", f"Analysis {run.name} is running ({names}) with no failure so far.",
                                    tuple(evidence)))
        return causes

    def _settled(self) -> Cause:
        if self.phase == "Healthy":
            stable = self._rs_by_hash(self.stable_hash)
            promoted = None
            for kind in ("Completed", "Healthy"):
                cond = _condition(self.rollout, kind)
                if cond.get("status") == "True":
                    promoted = f.parse_time(cond.get("lastTransitionTime"))
                    if promoted:
                        break
            if promoted is None and stable is not None:
                promoted = f.created_of(stable) if f.created_of(stable) != f.ZERO_TIME else None
            image = self._image_text(stable)
            revision = f" (revision {f.revision_of(stable)})" if stable is not None else ""
            when = f", promoted {_ago(promoted, self.now)}" if promoted else ""
            return Cause("healthy", f"Healthy: running {image}{revision}{when}.")
        index = current_step_index(self.rollout)
        steps = steps_of(self.rollout)
        evidence = [f"status.message: {self.message}"] if self.message else []
        if index is not None and 0 <= index < len(steps):
            evidence.append(f"at step {index + 1}/{len(steps)}: {one_step_text(steps[index])}")
        replicas = f"updated {f.count(self.status.get('updatedReplicas'))}, ready {f.count(self.status.get('readyReplicas'))}, " \
                   f"available {f.count(self.status.get('availableReplicas'))} of {_desired(self.rollout)} desired"
        evidence.append(f"replicas: {replicas}")
        return Cause("progressing", f"{self.phase or 'Unknown'}: {self.message or 'no message from the controller'}.", tuple(evidence))

    # -- what happens next

    def next_steps(self) -> list[NextStep]:
        if not self.status:
            return []
        if f.flag(self.status.get("abort")) or self.phase in ("Degraded", "Healthy"):
            if self.phase == "Healthy":
                return []
            return [NextStep("wait", "Nothing moves on its own: the rollout waits for one of the commands above.")]
        if self.strategy == "Canary":
            return self._canary_next()
        if self.strategy == "BlueGreen":
            return self._blue_green_next()
        return []

    def _actual_weight(self, weight: int) -> tuple[int, str]:
        canary = f.mapping(self.spec, "strategy", "canary")
        if isinstance(canary.get("trafficRouting"), dict):
            return weight, "traffic routing sets it"
        replicas = _desired(self.rollout)
        new, old = canary_replicas(replicas, weight, _max_surge(self.rollout, replicas))
        total = new + old
        return (new * 100 // total if total else 0), f"{new} canary and {old} stable pods"

    def _canary_next(self) -> list[NextStep]:
        steps = steps_of(self.rollout)
        index = current_step_index(self.rollout) or 0
        result: list[NextStep] = []
        paused = self.phase == "Paused"
        deadline = pause_deadline(self.rollout)
        if deadline is not None and not f.flag(self.spec.get("paused")):
            left = seconds_between(self.now, deadline)
            result.append(NextStep("pause", f"the pause of step {index + 1}/{len(steps)} ends at {f.rfc3339(deadline)}"
                                   + (f" (in {countdown(left)})" if left > 0 else " (already over)"), step=index + 1, at=deadline))
        elif f.flag(self.spec.get("paused")):
            result.append(NextStep("wait", f"it stays at step {index + 1}/{len(steps)} until a promote unpauses it"
                                   if 0 <= index < len(steps) else "it stays where it is until a promote unpauses it"))
        elif paused:
            result.append(NextStep("wait", f"step {index + 1}/{len(steps)} waits for a promote" if 0 <= index < len(steps)
                                   else "the rollout waits for a promote"))
        background = f.mapping(self.spec, "strategy", "canary", "analysis")
        starting = f.integer(background.get("startingStep")) or 0
        background_names = tuple(n for n, _ in _template_names(background))
        background_running = any(r.phase in ("Running", "Pending", "") for r in self.runs)
        first = index + 1 if (paused or deadline is not None) else index
        for i in range(max(first, 0), len(steps)):
            step = steps[i]
            text = one_step_text(step)
            analyses: tuple[str, ...] = ()
            weight = actual = None
            detail = ""
            action = "step"
            if isinstance(step, dict):
                if "setWeight" in step:
                    action = "setWeight"
                    weight = f.integer(step.get("setWeight"))
                    if weight is not None:
                        actual, how = self._actual_weight(weight)
                        detail = f": ActualWeight {actual} ({how})"
                elif "pause" in step:
                    action = "pause"
                elif "analysis" in step:
                    action = "analysis"
                    analyses = tuple(n for n, _ in _template_names(step.get("analysis")))
                    detail = ": the rollout waits for this analysis to succeed"
                elif "experiment" in step:
                    action = "experiment"
                elif "setCanaryScale" in step:
                    action = "setCanaryScale"
            if background_names and not background_running and i == starting and i > index:
                analyses += background_names
                detail += f"; background analysis {', '.join(background_names)} starts here"
            now = "now, " if i == index else ""
            result.append(NextStep(action, f"{now}step {i + 1}/{len(steps)}: {text}{detail}", step=i + 1,
                                   set_weight=weight, actual_weight=actual, analyses=analyses))
        if background_names and background_running:
            result.append(NextStep("analysis", f"background analysis {', '.join(background_names)} keeps measuring until the last step",
                                   analyses=background_names))
        image = self._image_text(self._rs_by_hash(self.current_hash))
        result.append(NextStep("complete", f"after the last step the canary ({image}) becomes stable and takes all traffic",
                               set_weight=100, actual_weight=100))
        return result

    def _blue_green_next(self) -> list[NextStep]:
        blue_green = f.mapping(self.spec, "strategy", "blueGreen")
        result = []
        pre = tuple(n for n, _ in _template_names(f.mapping(blue_green, "prePromotionAnalysis")))
        post = tuple(n for n, _ in _template_names(f.mapping(blue_green, "postPromotionAnalysis")))
        if pre and not self.runs:
            result.append(NextStep("analysis", f"pre-promotion analysis {', '.join(pre)} runs against the preview", analyses=pre))
        deadline = pause_deadline(self.rollout)
        if deadline is not None:
            result.append(NextStep("promote", f"the active service switches to the preview at {f.rfc3339(deadline)}", at=deadline))
        else:
            result.append(NextStep("promote", "on promote, the active service switches to the preview"))
        if post:
            result.append(NextStep("analysis", f"post-promotion analysis {', '.join(post)} runs after the switch", analyses=post))
        return result

    # -- what could not be read

    def check_shape(self) -> None:
        for key in ("metadata", "spec", "status"):
            value = self.rollout.get(key)
            if value is not None and not isinstance(value, dict):
                self.unreadable.append(f"rollout {key} is {_type_name(value)}, not an object: ignored")
        if not self.name:
            self.unreadable.append("rollout metadata.name is missing or not a string")
        if isinstance(self.rollout.get("spec"), dict) and not self.strategy:
            self.unreadable.append("spec.strategy has neither canary nor blueGreen")
        canary = f.mapping(self.spec, "strategy", "canary")
        if "steps" in canary and not isinstance(canary.get("steps"), list):
            self.unreadable.append("spec.strategy.canary.steps is not a list: steps ignored")
        for cond_list in ("conditions", "pauseConditions"):
            value = self.status.get(cond_list)
            if value is not None and not isinstance(value, list):
                self.unreadable.append(f"status.{cond_list} is not a list: ignored")
        for key, want, ok in (("phase", "a string", isinstance(self.status.get("phase"), str)),
                              ("currentStepIndex", "an integer", f.integer(self.status.get("currentStepIndex")) is not None),
                              ("abort", "a boolean", isinstance(self.status.get("abort"), bool))):
            if self.status.get(key) is not None and not ok:
                self.unreadable.append(f"status.{key} is {_type_name(self.status.get(key))}, not {want}: ignored")
        ref = self.spec.get("workloadRef")
        if ref is not None and not (isinstance(ref, dict) and isinstance(ref.get("name"), str)):
            self.unreadable.append("spec.workloadRef.name is not a string: the workload was not looked up")
        for i, step in enumerate(steps_of(self.rollout)):
            if not isinstance(step, dict):
                self.unreadable.append(f"spec.strategy.canary.steps[{i}] is {_type_name(step)}, not an object: ignored")
        replicas = self.spec.get("replicas")
        if replicas is not None and f.integer(replicas) is None:
            self.unreadable.append(f"spec.replicas is not an integer ({repr(replicas)[:40]}): 1 assumed, as Argo does")
        if "analysis" in canary and not isinstance(canary.get("analysis"), dict):
            self.unreadable.append("spec.strategy.canary.analysis is not an object: background analysis ignored")
        owned = [("ReplicaSet", rs) for rs in self.replica_sets]
        owned += [("AnalysisRun", run) for run in self.all_runs if f.owned_by(run, self.uid)]
        owned += [("Pod", pod) for _, rs in owned[:len(self.replica_sets)] for pod in self._pods_of(rs)]
        for kind, obj in owned:
            status = obj.get("status")
            if status is not None and not isinstance(status, dict):
                self.unreadable.append(f"{kind} {f.name_of(obj)}: status is {_type_name(status)}, not an object: ignored")
            elif kind == "AnalysisRun" and isinstance(status, dict):
                if status.get("phase") is not None and not isinstance(status.get("phase"), str):
                    self.unreadable.append(f"AnalysisRun {f.name_of(obj)}: status.phase is not a string: the run's state is unknown")
                if status.get("metricResults") is not None and not isinstance(status.get("metricResults"), list):
                    self.unreadable.append(f"AnalysisRun {f.name_of(obj)}: status.metricResults is not a list: measurements ignored")
            elif kind == "Pod" and isinstance(status, dict):
                for key in ("containerStatuses", "initContainerStatuses", "conditions"):
                    if status.get(key) is not None and not isinstance(status.get(key), list):
                        self.unreadable.append(f"Pod {f.name_of(obj)}: status.{key} is not a list: ignored")


def explain_rollout(
    rollout: dict[str, Any],
    *,
    replica_sets: Sequence[dict[str, Any]],
    pods: Sequence[dict[str, Any]],
    analysis_runs: Sequence[dict[str, Any]],
    experiments: Sequence[dict[str, Any]],
    now: dt.datetime,
    lookups: Lookups | None = None,
) -> Explanation:
    """Why `rollout` is where it is, from the rollout and *all* objects of its namespace
    (ownership by ownerReference uid, as get rollout decides it)."""
    if not isinstance(rollout, dict):
        rollout = {}
    explainer = _Explainer(rollout, replica_sets, pods, analysis_runs, experiments, now, lookups or Lookups())
    explainer.check_shape()
    causes = explainer.causes()
    return Explanation(
        name=explainer.name,
        namespace=explainer.namespace,
        status=explainer.phase,
        message=explainer.message,
        strategy=explainer.strategy,
        step=step_text(rollout) if explainer.strategy == "Canary" else "",
        causes=tuple(causes),
        next=tuple(explainer.next_steps()),
        unreadable=tuple(explainer.unreadable),
    )


def why_line(explanation: Explanation) -> str:
    """The one-line "why" for get rollout, watch and status: the first cause's summary,
    without the clock (a timed pause's countdown is left to the Message line)."""
    first = explanation.first
    return (first.brief or first.summary) if first else ""
