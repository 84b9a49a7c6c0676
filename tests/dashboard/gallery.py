"""A namespace of rollouts in every state the dashboard draws, for the browser tests and the
screenshots under docs/screenshots: the app-backend canary paused with a failing analysis,
an aborted canary, a healthy one, one progressing with a starting pod, and an experiment
of that one.

Each rollout is the stand-in's app-backend canary renamed (names, uids, image), then moved
to its state.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

from e2e.standin import IMAGE, NS, app_backend_objects

T = "2026-11-29T08:{:02d}:{:02d}Z"


def _renamed(name: str, image: str, labels: dict[str, str]) -> list[dict[str, Any]]:
    raw = json.dumps(app_backend_objects())
    raw = raw.replace(IMAGE, "\0IMAGE\0").replace("app-backend", name).replace("\0IMAGE\0", image)
    raw = raw.replace("5b1f0c3e-2c8e-4a59-9d1e-", f"{name}-uid-").replace('"run-1"', f'"run-{name}"')
    objects = json.loads(raw)
    objects[0]["metadata"]["labels"] = dict(labels)
    return objects


def _measurements(values: list[float], threshold: float) -> list[dict[str, Any]]:
    """Oldest first, as the controller appends them; one a minute."""
    shown = []
    for i, v in enumerate(values):
        failed = v < threshold
        shown.append({"phase": "Failed" if failed else "Successful", "value": f"[{v}]",
                      "startedAt": T.format(i, 0), "finishedAt": T.format(i, 1),
                      **({"message": f"{v} is below {threshold}"} if failed else {})})
    return shown


def _by_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def paused_failing(now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """app-backend: paused on its pause step (40 s into its 3 minutes when `now` is given)
    while its analysis fails 2 of 3 allowed."""
    objects = copy.deepcopy(app_backend_objects())
    objects[0]["metadata"]["labels"] = {"team": "checkout", "tier": "backend"}
    if now is not None:
        started = (now - dt.timedelta(seconds=40)).strftime("%Y-%m-%dT%H:%M:%SZ")
        objects[0]["status"]["pauseConditions"] = [{"reason": "CanaryPauseStep", "startTime": started}]
    run = _by_kind(objects, "AnalysisRun")[0]
    run["spec"]["args"] = [{"name": "service-name", "value": "app-backend-canary"}, {"name": "canary-hash", "value": "6d8f9c7b5"}]
    values = [0.99, 0.97, 0.91, 0.96, 0.88, 0.95]
    run["spec"]["metrics"][0]["provider"]["prometheus"]["query"] = (
        'sum(rate(http_requests_total{service="app-backend-canary",code!~"5.."}[1m]))\n'
        '/ sum(rate(http_requests_total{service="app-backend-canary"}[1m]))')
    run["status"]["metricResults"][0].update(count=6, successful=4, failed=2, measurements=_measurements(values, 0.95))
    return objects


def aborted() -> list[dict[str, Any]]:
    """payments: aborted after its analysis failed beyond the limit; the stable version serves."""
    objects = _renamed("payments", "ghcr.io/example/payments", {"team": "payments", "tier": "backend"})
    rollout = objects[0]
    rollout["status"].update(abort=True, currentStepIndex=0, phase="Degraded",
                             message='RolloutAborted: Rollout aborted update to revision 2: Metric "success-rate" assessed Failed due to failed (4) > failureLimit (3)')
    rollout["status"].pop("pauseConditions", None)
    rollout["status"]["conditions"] = [{"type": "Progressing", "status": "False", "reason": "RolloutAborted",
                                        "message": 'Rollout aborted update to revision 2: Metric "success-rate" assessed Failed due to failed (4) > failureLimit (3)'}]
    canary = [rs for rs in _by_kind(objects, "ReplicaSet") if rs["metadata"]["annotations"]["rollout.argoproj.io/revision"] == "2"][0]
    canary["spec"]["replicas"] = 0
    canary["status"].update(replicas=0, readyReplicas=0, availableReplicas=0)
    objects = [o for o in objects if not (o["kind"] == "Pod" and o["metadata"]["name"].startswith(canary["metadata"]["name"]))]
    stable = [rs for rs in _by_kind(objects, "ReplicaSet") if rs is not canary][0]
    stable["spec"]["replicas"] = 5
    stable["status"].update(replicas=5, readyReplicas=5, availableReplicas=5)
    pod = copy.deepcopy(_by_kind(objects, "Pod")[0])
    pod["metadata"]["name"] = pod["metadata"]["name"][:-5] + "zz9k1"
    pod["metadata"]["uid"] = "pod-" + pod["metadata"]["name"]
    objects.append(pod)
    run = _by_kind(objects, "AnalysisRun")[0]
    values = [0.97, 0.9, 0.93, 0.89, 0.91]
    run["status"].update(phase="Failed", message='Metric "success-rate" assessed Failed due to failed (4) > failureLimit (3)')
    run["status"]["metricResults"][0].update(phase="Failed", count=5, successful=1, failed=4, measurements=_measurements(values, 0.95))
    run["status"]["metricResults"][0]["message"] = "failed (4) > failureLimit (3)"
    return objects


def healthy() -> list[dict[str, Any]]:
    """frontend: every step done, the new version stable."""
    objects = _renamed("frontend", "ghcr.io/example/frontend", {"team": "web", "tier": "frontend"})
    rollout = objects[0]
    rollout["status"].update(currentStepIndex=4, stableRS="6d8f9c7b5", updatedReplicas=5, phase="Healthy", message="")
    rollout["status"].pop("pauseConditions", None)
    old, new = sorted(_by_kind(objects, "ReplicaSet"), key=lambda rs: rs["metadata"]["annotations"]["rollout.argoproj.io/revision"])
    old["spec"]["replicas"] = 0
    old["status"].update(replicas=0, readyReplicas=0, availableReplicas=0)
    new["spec"]["replicas"] = 5
    new["status"].update(replicas=5, readyReplicas=5, availableReplicas=5)
    pods = [o for o in objects if o["kind"] == "Pod"]
    canary_pod = [p for p in pods if p["metadata"]["name"].startswith(new["metadata"]["name"])][0]
    keep = [o for o in objects if o["kind"] != "Pod"]
    for suffix in ("a1b2c", "d3e4f", "g5h6i", "j7k8l"):
        pod = copy.deepcopy(canary_pod)
        pod["metadata"]["name"] = pod["metadata"]["name"][:-5] + suffix
        pod["metadata"]["uid"] = "pod-" + pod["metadata"]["name"]
        keep.append(pod)
    keep.append(canary_pod)
    run = _by_kind(keep, "AnalysisRun")[0]
    run["status"].update(phase="Successful")
    run["status"]["metricResults"][0].update(phase="Successful", count=3, successful=3,
                                             measurements=_measurements([0.99, 0.995, 0.98], 0.95))
    return keep


def progressing() -> list[dict[str, Any]]:
    """search: setting the first weight; one canary pod is still starting, its analysis has not measured yet."""
    objects = _renamed("search", "ghcr.io/example/search", {"team": "web", "tier": "backend"})
    rollout = objects[0]
    rollout["status"].update(currentStepIndex=0, updatedReplicas=1, readyReplicas=4, availableReplicas=4, phase="Progressing",
                             message="more replicas need to be updated")
    rollout["status"].pop("pauseConditions", None)
    pod = [p for p in _by_kind(objects, "Pod") if "6d8f9c7b5" in p["metadata"]["name"]][0]
    pod["status"] = {"phase": "Pending", "containerStatuses": [{"name": "search", "ready": False, "restartCount": 0,
                                                                 "state": {"waiting": {"reason": "ContainerCreating"}}}]}
    run = _by_kind(objects, "AnalysisRun")[0]
    run["spec"]["args"] = [{"name": "service", "value": "{{args.service-name}}"}]
    run["spec"]["metrics"][0]["provider"]["prometheus"]["query"] = 'sum(rate(http_requests_total{service="{{args.service}}"}[1m]))'
    run["status"] = {"phase": "Pending"}
    return objects


def experiment() -> list[dict[str, Any]]:
    """search-ab: an experiment of the search rollout running a baseline and a canary side by
    side for 10 minutes, with its analysis comparing them."""
    search = progressing()[0]
    uid = "search-ab-uid"
    owner = [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "search", "uid": search["metadata"]["uid"], "controller": True}]
    exp = {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Experiment",
        "metadata": {"name": "search-ab", "namespace": NS, "uid": uid, "creationTimestamp": T.format(0, 0),
                     "annotations": {"rollout.argoproj.io/revision": "2"}, "ownerReferences": owner},
        "spec": {"duration": "10m", "templates": [{"name": "baseline", "replicas": 1}, {"name": "canary", "replicas": 2}],
                 "analyses": [{"name": "latency", "templateName": "latency-p99"}]},
        "status": {"phase": "Running", "availableAt": T.format(0, 30)},
    }
    objects: list[dict[str, Any]] = [exp]
    for template, image, replicas in (("baseline", "ghcr.io/example/search:1.0", 1), ("canary", "ghcr.io/example/search:2.0", 2)):
        rs_name, rs_uid = f"search-ab-{template}-7f6d5c", f"search-ab-{template}-uid"
        labels = {"app": "search", "rollouts-pod-template-hash": f"7f6d5c{template[0]}"}
        objects.append({
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": rs_name, "namespace": NS, "uid": rs_uid, "creationTimestamp": T.format(0, 0), "labels": labels,
                         "annotations": {"experiment.argoproj.io/template-name": template, "rollout.argoproj.io/revision": "2"},
                         "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Experiment", "name": "search-ab", "uid": uid, "controller": True}]},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "search", "image": image}]}}},
            "status": {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas},
        })
        for i in range(replicas):
            objects.append({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": f"{rs_name}-p{i}", "namespace": NS, "uid": f"pod-{rs_name}-{i}", "creationTimestamp": T.format(0, 0),
                             "labels": labels, "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs_name, "uid": rs_uid, "controller": True}]},
                "spec": {"containers": [{"name": "search", "image": image}]},
                "status": {"phase": "Running", "containerStatuses": [{"name": "search", "ready": True, "restartCount": 0, "state": {"running": {}}}]},
            })
    objects.append({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisRun",
        "metadata": {"name": "search-ab-latency", "namespace": NS, "uid": "run-search-ab", "creationTimestamp": T.format(0, 30),
                     "annotations": {"rollout.argoproj.io/revision": "2"},
                     "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Experiment", "name": "search-ab", "uid": uid, "controller": True}]},
        "spec": {"metrics": [{"name": "p99-latency-ms", "interval": "1m", "failureLimit": 2, "successCondition": "result[0] < 250",
                              "provider": {"prometheus": {"address": "http://prometheus:9090",
                                                          "query": 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_ms_bucket{app="search",role="canary"}[1m])))'}}}]},
        "status": {"phase": "Running", "metricResults": [{"name": "p99-latency-ms", "phase": "Running", "count": 4, "successful": 3, "failed": 1,
                   "measurements": [
                       {"phase": "Failed" if v >= 250 else "Successful", "value": f"[{v}]", "startedAt": T.format(i + 1, 0),
                        "finishedAt": T.format(i + 1, 2), **({"message": f"{v} ms is not below 250 ms"} if v >= 250 else {})}
                       for i, v in enumerate([182, 205, 262, 231])]}]},
    })
    return objects


def gallery(now: dt.datetime | None = None) -> list[dict[str, Any]]:
    return [*paused_failing(now), *aborted(), *healthy(), *progressing(), *experiment()]


__all__ = ["NS", "gallery", "paused_failing", "aborted", "healthy", "progressing", "experiment"]
