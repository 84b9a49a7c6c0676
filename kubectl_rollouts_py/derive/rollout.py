"""The rollout view of `get rollout`, `status` and `list rollouts`, as the Argo Rollouts kubectl plugin shows it."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from typing import Any

from kubectl_rollouts_py.derive import fields as f
from kubectl_rollouts_py.derive.humantime import age, human_duration, seconds_between
from kubectl_rollouts_py.derive.pods import build_pod_view
from kubectl_rollouts_py.derive.steps import steps_of
from kubectl_rollouts_py.derive.views import (
    AnalysisRunView,
    ExperimentView,
    ImageView,
    JobView,
    PodView,
    Replicas,
    ReplicaSetView,
    RevisionView,
    RolloutRow,
    RolloutView,
)
from kubectl_rollouts_py.govalues import duration_seconds, go_atoi

COMPLETED_ANALYSIS_PHASES = ("Successful", "Failed", "Error", "Inconclusive")


# --------------------------------------------------------------------------- status and message


def _generation_not_observed(rollout: dict[str, Any]) -> bool:
    # observedGeneration is a *string* in Rollout status; a non-number counts as observed.
    observed = f.mapping(rollout, "status").get("observedGeneration")
    if isinstance(observed, int) and not isinstance(observed, bool):
        observed_number: int | None = observed
    else:
        observed_number = go_atoi(f.text(observed))
    generation = f.count(f.mapping(rollout, "metadata").get("generation"))
    return observed_number is not None and observed_number < generation


def _workload_not_observed(rollout: dict[str, Any]) -> bool:
    if not f.flag(f.mapping(rollout, "spec").get("templateResolvedFromRef")):
        return False
    wanted = go_atoi(f.text(f.annotations_of(rollout).get(f.WORKLOAD_GENERATION_ANNOTATION)))
    seen = go_atoi(f.text(f.mapping(rollout, "status").get("workloadObservedGeneration")))
    if wanted is None or seen is None or not -(2**31) <= wanted < 2**31:
        return False
    return wanted != seen


def rollout_status(rollout: dict[str, Any]) -> tuple[str, str]:
    """(status, message): Argo's GetRolloutPhase, first matching rule wins."""
    spec, status = f.mapping(rollout, "spec"), f.mapping(rollout, "status")
    if _generation_not_observed(rollout):
        return "Progressing", "waiting for rollout spec update to be observed"
    if f.flag(status.get("controllerPause")) and not f.seq(rollout, "status", "pauseConditions"):
        return "Progressing", "waiting for rollout to unpause"
    if _workload_not_observed(rollout):
        return "Progressing", "waiting for rollout spec update to be observed for the referenced workload"
    if f.text(status.get("phase")):
        # Controllers since v1.0 write the phase themselves; trust it.
        return f.text(status.get("phase")), f.text(status.get("message"))
    return _computed_status(rollout, spec, status)


def _computed_status(rollout: dict[str, Any], spec: dict[str, Any], status: dict[str, Any]) -> tuple[str, str]:
    for cond in f.seq(rollout, "status", "conditions"):
        if not isinstance(cond, dict):
            continue
        if cond.get("type") == "InvalidSpec":
            return "Degraded", f"InvalidSpec: {f.text(cond.get('message'))}"
        if cond.get("reason") in ("RolloutAborted", "ProgressDeadlineExceeded"):
            return "Degraded", f"{cond['reason']}: {f.text(cond.get('message'))}"
    if f.flag(spec.get("paused")):
        return "Paused", "manually paused"
    pause_conditions = [c for c in f.seq(rollout, "status", "pauseConditions") if isinstance(c, dict)]
    if pause_conditions:
        return "Paused", f.text(pause_conditions[0].get("reason"))
    restart_at = f.text(spec.get("restartAt"))
    if restart_at and restart_at != f.text(status.get("restartedAt")):
        return "Progressing", "rollout is restarting"
    desired = _desired(rollout)
    updated = f.count(status.get("updatedReplicas"))
    if updated < desired:
        return "Progressing", "more replicas need to be updated"
    if f.count(status.get("availableReplicas")) < updated:
        return "Progressing", "updated replicas are still becoming available"
    current_hash = f.text(status.get("currentPodHash"))
    stable_rs = f.text(status.get("stableRS"))
    strategy = f.mapping(spec, "strategy")
    if isinstance(strategy.get("blueGreen"), dict):
        active = f.text(f.mapping(status, "blueGreen").get("activeSelector"))
        if not active or active != current_hash:
            return "Progressing", "active service cutover pending"
        if not stable_rs or stable_rs != current_hash:
            post = f.mapping(status, "blueGreen").get("postPromotionAnalysisRunStatus")
            waiting = isinstance(strategy["blueGreen"].get("postPromotionAnalysis"), dict) and (
                not isinstance(post, dict) or post.get("status") not in COMPLETED_ANALYSIS_PHASES
            )
            if waiting:
                return "Progressing", "waiting for analysis to complete"
            return "Progressing", "waiting for post-promotion verification to complete"
    elif isinstance(strategy.get("canary"), dict):
        canary = strategy["canary"]
        if canary.get("trafficRouting") is None and f.count(status.get("replicas")) > updated:
            return "Progressing", "old replicas are pending termination"
        if not stable_rs or stable_rs != current_hash:
            return "Progressing", "waiting for all steps to complete"
    return "Healthy", ""


def _desired(rollout: dict[str, Any]) -> int:
    replicas = f.integer(f.mapping(rollout, "spec").get("replicas"))
    return 1 if replicas is None else replicas


# --------------------------------------------------------------------------- canary steps and weights


def _canary(rollout: dict[str, Any]) -> dict[str, Any] | None:
    canary = f.mapping(rollout, "spec", "strategy").get("canary")
    return canary if isinstance(canary, dict) else None


def strategy_name(rollout: dict[str, Any]) -> str:
    strategy = f.mapping(rollout, "spec", "strategy")
    if isinstance(strategy.get("canary"), dict):
        return "Canary"
    if isinstance(strategy.get("blueGreen"), dict):
        return "BlueGreen"
    return ""


def current_step_index(rollout: dict[str, Any]) -> int | None:
    """status.currentStepIndex, or None when unset."""
    return f.integer(f.mapping(rollout, "status").get("currentStepIndex"))


def _current_step(rollout: dict[str, Any]) -> int | None:
    """Index of the current canary step, or None past the end / without steps."""
    steps = steps_of(rollout)
    if _canary(rollout) is None or not steps:
        return None
    index = current_step_index(rollout) or 0
    return index if 0 <= index < len(steps) else None


def _max_weight(rollout: dict[str, Any]) -> int:
    routing = (_canary(rollout) or {}).get("trafficRouting")
    if isinstance(routing, dict):
        weight = f.integer(routing.get("maxTrafficWeight"))
        if weight is not None:
            return weight
    return 100


def step_text(rollout: dict[str, Any]) -> str:
    index, steps = current_step_index(rollout), steps_of(rollout)
    if index is None or not steps:
        return ""
    return f"{index}/{len(steps)}"


def set_weight(rollout: dict[str, Any]) -> int:
    if f.flag(f.mapping(rollout, "status").get("abort")):
        return 0
    index = _current_step(rollout)
    if index is None:
        return _max_weight(rollout)
    steps = steps_of(rollout)
    for i in range(index, -1, -1):
        step = steps[i]
        if isinstance(step, dict):
            weight = f.integer(step.get("setWeight"))
            if weight is not None:
                return weight
    return 0


def actual_weight(rollout: dict[str, Any], replica_sets: Sequence[ReplicaSetView]) -> str:
    if _current_step(rollout) is None:
        return str(_max_weight(rollout))
    available = f.count(f.mapping(rollout, "status").get("availableReplicas"))
    if available <= 0:
        return "0"
    if (_canary(rollout) or {}).get("trafficRouting") is None:
        weight = "0"
        for rs in replica_sets:
            if "canary" in rs.tags:
                # Integer division truncating toward zero, as Go does; in integers, because
                # a replica count can be any JSON integer and float division overflows.
                share = rs.available * _max_weight(rollout)
                weight = str(abs(share) // available * (1 if share >= 0 else -1))
        return weight
    weights = f.mapping(rollout, "status", "canary").get("weights")
    if isinstance(weights, dict):
        return str(f.count(f.mapping(weights, "canary").get("weight")))
    return str(set_weight(rollout))


def _pause_seconds(duration: Any) -> int | None:
    """A pause step's duration in whole seconds, as Argo reads it: an integer, an integer
    string (seconds) or a Go duration (`3m`); None when unreadable."""
    if isinstance(duration, bool):
        return None
    if isinstance(duration, int):
        return duration
    if not isinstance(duration, str):
        return None
    number = go_atoi(duration)
    if number is not None:
        return number
    seconds = duration_seconds(duration)
    return None if seconds is None else int(seconds)


def pause_deadline(rollout: dict[str, Any]) -> dt.datetime | None:
    """When the current timed pause ends: the pause condition's startTime plus the current
    canary step's pause duration, or plus blue-green autoPromotionSeconds. None when the
    rollout is not in a timed pause (no condition, an indefinite `pause: {}`, manual pause)."""
    conditions = {f.text(c.get("reason")): c for c in f.seq(rollout, "status", "pauseConditions") if isinstance(c, dict)}
    seconds: int | None = None
    condition = None
    if "CanaryPauseStep" in conditions:
        condition = conditions["CanaryPauseStep"]
        index = _current_step(rollout)
        step = steps_of(rollout)[index] if index is not None else None
        pause = step.get("pause") if isinstance(step, dict) else None
        if isinstance(pause, dict) and pause.get("duration") is not None:
            seconds = _pause_seconds(pause["duration"])
    elif "BlueGreenPause" in conditions:
        condition = conditions["BlueGreenPause"]
        blue_green = f.mapping(rollout, "spec", "strategy", "blueGreen")
        auto = f.integer(blue_green.get("autoPromotionSeconds"))
        if auto and auto > 0 and blue_green.get("autoPromotionEnabled") is not False:
            seconds = auto
    started = f.parse_time(condition.get("startTime")) if condition else None
    if started is None or seconds is None or seconds < 0:
        return None
    try:
        return started + dt.timedelta(seconds=seconds)
    except OverflowError:
        return None


def countdown(seconds: float) -> str:
    """Time left, rounded up to the second, as Go prints a duration: 2m13s, 1h0m5s, 0s."""
    whole = max(0, math.ceil(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


# --------------------------------------------------------------------------- replica sets, runs, experiments


def _replica_set_status(rs: dict[str, Any]) -> str:
    spec, status = f.mapping(rs, "spec"), f.mapping(rs, "status")
    replicas = f.integer(spec.get("replicas"))
    generation = f.count(f.mapping(rs, "metadata").get("generation"))
    result = ""
    if generation <= f.count(status.get("observedGeneration")):
        failure = any(
            isinstance(c, dict) and c.get("type") == "ReplicaFailure" and c.get("status") == "True"
            for c in f.seq(rs, "status", "conditions")
        )
        if failure:
            result = "ReplicaFailure"
        elif replicas is not None and f.count(status.get("availableReplicas")) < replicas:
            result = "Progressing"
    else:
        result = "Progressing"
    if result:
        return result
    return "ScaledDown" if replicas == 0 else "Healthy"


def _role_tags(rs: dict[str, Any], rollout: dict[str, Any] | None) -> tuple[str, ...]:
    """stable / canary / active / preview / ping / pong, matched by pod-template hash.

    As in Argo, an RS without the hash label has hash "" and so matches an unset
    selector: the comparison is on plain strings.
    """
    if rollout is None:
        return ()
    pod_hash = f.text(f.labels_of(rs).get(f.POD_TEMPLATE_HASH_LABEL))
    status = f.mapping(rollout, "status")
    strategy = f.mapping(rollout, "spec", "strategy")
    stable = canary = active = preview = ping = pong = False
    if isinstance(strategy.get("canary"), dict):
        ping_pong = strategy["canary"].get("pingPong") is not None
        stable_is_ping = f.mapping(status, "canary").get("stablePingPong") == "ping"
        if f.text(status.get("stableRS")) == pod_hash:
            stable = True
            if ping_pong:
                ping, pong = stable_is_ping, not stable_is_ping
        elif f.text(status.get("currentPodHash")) == pod_hash:
            canary = True
            if ping_pong:
                ping, pong = not stable_is_ping, stable_is_ping
    elif isinstance(strategy.get("blueGreen"), dict):
        blue_green = f.mapping(status, "blueGreen")
        stable = f.text(status.get("stableRS")) == pod_hash
        if f.text(blue_green.get("activeSelector")) == pod_hash:
            active = True
        elif f.text(blue_green.get("previewSelector")) == pod_hash:
            preview = True
    tags = []
    if stable:
        tags.append("stable")
    if canary:
        tags.append("canary")
    elif active:
        tags.append("active")
    elif preview:
        tags.append("preview")
    if ping:
        tags.append("ping")
    if pong:
        tags.append("pong")
    return tuple(tags)


def _scale_down_delay(rs: dict[str, Any], now: dt.datetime) -> str | None:
    return scale_down_delay_text(f.text(f.annotations_of(rs).get(f.SCALE_DOWN_DEADLINE_ANNOTATION)), now)


def scale_down_delay_text(raw: str | None, now: dt.datetime) -> str | None:
    """The INFO column's delay for a scale-down-deadline annotation as written (see ReplicaSetView)."""
    if not raw:
        return None
    deadline = f.parse_time(raw)
    if deadline is None:
        return ""
    if deadline < now:
        return "passed"
    return human_duration(seconds_between(now, deadline))


def _pods_by_replica_set(replica_sets: Sequence[dict[str, Any]], pods: Iterable[dict[str, Any]], now: dt.datetime) -> dict[int, list[PodView]]:
    """Pods per RS position; a pod goes to the first RS that owns it."""
    owners = [(i, f.uid_of(rs)) for i, rs in enumerate(replica_sets)]
    result: dict[int, list[tuple[dt.datetime, str, PodView]]] = {}
    for pod in pods:
        for i, uid in owners:
            if f.owned_by(pod, uid):
                view = build_pod_view(pod, now)
                result.setdefault(i, []).append((view.created, view.name, view))
                break
    return {i: [v for _, _, v in sorted(items, key=lambda t: (t[0], t[1]))] for i, items in result.items()}


def build_replica_set_views(
    owner_uid: str,
    rollout: dict[str, Any] | None,
    replica_sets: Iterable[dict[str, Any]],
    pods: Iterable[dict[str, Any]],
    now: dt.datetime,
) -> tuple[ReplicaSetView, ...]:
    """The RSs owned by `owner_uid` with their pods, sorted revision desc then name asc."""
    owned = [rs for rs in replica_sets if isinstance(rs, dict) and f.owned_by(rs, owner_uid)]
    pods_of = _pods_by_replica_set(owned, pods, now)
    views = []
    for i, rs in enumerate(owned):
        created = f.created_of(rs)
        containers = f.seq(rs, "spec", "template", "spec", "containers")
        views.append(
            ReplicaSetView(
                name=f.name_of(rs),
                revision=f.revision_of(rs),
                status=_replica_set_status(rs),
                tags=_role_tags(rs, rollout),
                scale_down_delay=_scale_down_delay(rs, now),
                scale_down_deadline=f.text(f.annotations_of(rs).get(f.SCALE_DOWN_DEADLINE_ANNOTATION)) or None,
                replicas=f.integer(f.mapping(rs, "spec").get("replicas")),
                current=f.count(f.mapping(rs, "status").get("replicas")),
                available=f.count(f.mapping(rs, "status").get("availableReplicas")),
                images=tuple(f.text(c.get("image")) for c in containers if isinstance(c, dict)),
                template_name=f.text(f.annotations_of(rs).get(f.EXPERIMENT_TEMPLATE_ANNOTATION)),
                created=created,
                age=age(created, now),
                pods=tuple(pods_of.get(i, ())),
            )
        )
    # Argo's comparator has a creation-time tier that is a no-op; name breaks ties.
    return tuple(sorted(views, key=lambda v: (-v.revision, v.name)))


def build_analysis_run_views(owner_uid: str, runs: Iterable[dict[str, Any]], now: dt.datetime) -> tuple[AnalysisRunView, ...]:
    """Runs owned by `owner_uid`, sorted revision desc, creation asc, then name *desc* (as Argo does)."""
    views = []
    for run in runs:
        if not isinstance(run, dict) or not f.owned_by(run, owner_uid):
            continue
        totals = {"successful": 0, "failed": 0, "inconclusive": 0, "error": 0}
        jobs = []
        for result in f.seq(run, "status", "metricResults"):
            if not isinstance(result, dict):
                continue
            for key in totals:
                totals[key] += f.count(result.get(key))
            for measurement in f.seq(result, "measurements"):
                if not isinstance(measurement, dict):
                    continue
                metadata = measurement.get("metadata")
                if not isinstance(metadata, dict) or "job-name" not in metadata:
                    continue
                started = f.parse_time(measurement.get("startedAt")) or f.ZERO_TIME
                jobs.append(
                    JobView(
                        name=f.text(metadata.get("job-name")),
                        namespace=f.text(metadata.get("job-namespace")) or f.namespace_of(run),
                        status=f.text(measurement.get("phase")),
                        started=started,
                        age=age(started, now),
                    )
                )
        created = f.created_of(run)
        views.append(
            AnalysisRunView(
                name=f.name_of(run),
                revision=f.revision_of(run),
                status=f.text(f.mapping(run, "status").get("phase")),
                jobs=tuple(jobs),
                created=created,
                age=age(created, now),
                **totals,
            )
        )
    by_name_desc = sorted(views, key=lambda v: v.name, reverse=True)
    return tuple(sorted(by_name_desc, key=lambda v: (-v.revision, v.created)))


def merge_image(images: list[ImageView], image: str, tags: Sequence[str]) -> None:
    """Add `image` with `tags`: a new image keeps its tags' order, a known one gets the sorted union."""
    for i, known in enumerate(images):
        if known.image == image:
            images[i] = ImageView(image, tuple(sorted(set(known.tags) | set(tags))))
            return
    images.append(ImageView(image, tuple(tags)))
    images.sort(key=lambda v: v.image)


def experiment_images(experiment_rs: Sequence[ReplicaSetView], images: list[ImageView]) -> None:
    """Merge the images of an experiment's running RSs, tagged `Σ:<template>`."""
    for rs in experiment_rs:
        if rs.current <= 0:
            continue
        tags = (f"Σ:{rs.template_name}",) if rs.template_name else ()
        for image in rs.images:
            merge_image(images, image, tags)


def build_experiment_view(
    experiment: dict[str, Any],
    *,
    replica_sets: Sequence[dict[str, Any]],
    pods: Sequence[dict[str, Any]],
    analysis_runs: Sequence[dict[str, Any]],
    now: dt.datetime,
) -> ExperimentView:
    uid = f.uid_of(experiment)
    rs_views = build_replica_set_views(uid, None, replica_sets, pods, now)
    images: list[ImageView] = []
    experiment_images(rs_views, images)
    created = f.created_of(experiment)
    status = f.mapping(experiment, "status")
    return ExperimentView(
        name=f.name_of(experiment),
        namespace=f.namespace_of(experiment),
        revision=f.revision_of(experiment),
        status=f.text(status.get("phase")),
        message=f.text(status.get("message")),
        replica_sets=rs_views,
        analysis_runs=build_analysis_run_views(uid, analysis_runs, now),
        images=tuple(images),
        created=created,
        age=age(created, now),
    )


# --------------------------------------------------------------------------- the rollout view


def _role_images(rs_views: Sequence[ReplicaSetView]) -> list[ImageView]:
    images: list[ImageView] = []
    for rs in rs_views:
        if rs.current == 0:
            continue
        # Image tags are listed in a fixed order that differs from the INFO column's.
        tags = [t for t in ("canary", "stable", "active", "preview", "ping", "pong") if t in rs.tags]
        for image in rs.images:
            merge_image(images, image, tags)
    return images


def build_rollout_view(
    rollout: dict[str, Any],
    *,
    replica_sets: Sequence[dict[str, Any]],
    pods: Sequence[dict[str, Any]],
    analysis_runs: Sequence[dict[str, Any]],
    experiments: Sequence[dict[str, Any]],
    now: dt.datetime,
) -> RolloutView:
    """Everything `get rollout` shows, from the rollout and *all* objects of its namespace.

    Ownership is decided by ownerReference uid only, never by name.
    """
    uid = f.uid_of(rollout)
    rs_views = build_replica_set_views(uid, rollout, replica_sets, pods, now)
    runs = build_analysis_run_views(uid, analysis_runs, now)
    owned_experiments = [e for e in experiments if isinstance(e, dict) and f.owned_by(e, uid)]
    experiment_views = [
        build_experiment_view(e, replica_sets=replica_sets, pods=pods, analysis_runs=analysis_runs, now=now)
        for e in owned_experiments
    ]
    images = _role_images(rs_views)
    for experiment in sorted(experiment_views, key=lambda e: (-e.revision, e.created, e.name)):
        experiment_images(experiment.replica_sets, images)

    revisions = sorted({v.revision for v in rs_views} | {e.revision for e in experiment_views} | {r.revision for r in runs}, reverse=True)
    revision_views = tuple(
        RevisionView(
            revision=n,
            replica_sets=tuple(v for v in rs_views if v.revision == n),
            experiments=tuple(sorted((e for e in experiment_views if e.revision == n), key=lambda e: (e.created, e.name))),
            analysis_runs=tuple(r for r in runs if r.revision == n),
        )
        for n in revisions
    )
    status, message = rollout_status(rollout)
    strategy = strategy_name(rollout)
    canary = strategy == "Canary"
    rollout_status_dict = f.mapping(rollout, "status")
    created = f.created_of(rollout)
    pause_ends_at = pause_deadline(rollout) if status == "Paused" else None
    return RolloutView(
        name=f.name_of(rollout),
        namespace=f.namespace_of(rollout),
        status=status,
        message=message,
        strategy=strategy,
        step=step_text(rollout) if canary else "",
        set_weight=str(set_weight(rollout)) if canary else "",
        actual_weight=actual_weight(rollout, rs_views) if canary else "",
        images=tuple(images),
        replicas=Replicas(
            desired=_desired(rollout),
            current=f.count(rollout_status_dict.get("replicas")),
            updated=f.count(rollout_status_dict.get("updatedReplicas")),
            ready=f.count(rollout_status_dict.get("readyReplicas")),
            available=f.count(rollout_status_dict.get("availableReplicas")),
        ),
        revisions=revision_views,
        created=created,
        age=age(created, now),
        current_step_index=current_step_index(rollout) if canary else None,
        total_steps=len(steps_of(rollout)) if canary else None,
        pause_ends_at=pause_ends_at,
        pause_remaining=countdown(seconds_between(now, pause_ends_at)) if pause_ends_at else None,
    )


def build_rollout_row(rollout: dict[str, Any]) -> RolloutRow:
    """One `list rollouts` line."""
    status = f.mapping(rollout, "status")
    strategy = strategy_name(rollout) or "unknown"
    canary = strategy == "Canary"
    return RolloutRow(
        namespace=f.namespace_of(rollout),
        name=f.name_of(rollout),
        strategy=strategy,
        status=rollout_status(rollout)[0],
        step=(step_text(rollout) or "-") if canary else "-",
        set_weight=str(set_weight(rollout)) if canary else "-",
        ready=f"{f.count(status.get('readyReplicas'))}/{f.count(status.get('replicas'))}",
        desired=_desired(rollout),
        updated=f.count(status.get("updatedReplicas")),
        available=f.count(status.get("availableReplicas")),
    )
