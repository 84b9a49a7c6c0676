"""The app-backend canary's objects for the sandbox, and the story the tour tells with them.

Namespace `ithome` (by default) holds:

* AnalysisTemplate `success-rate`: the non-5xx share of `http_server_requests_seconds_count`
  for the canary's pods (selected by `pod` name prefix and `rollouts_pod_template_hash`),
  `successCondition: isNaN(result[0]) || result[0] >= 0.95`, every minute after a minute,
  failing after more than 3 failed measurements. Its Prometheus address is the sandbox's.
* Rollout `app-backend`: image `luciferstut/app-backend-for-ithome2024:1.0`, 5 replicas,
  steps setWeight 10, pause 3m, setWeight 33, pause 3m, and a background analysis with args
  `pod-name` (`app-backend`) and `canary-hash` (podTemplateHashValue Latest).
* Services `app-backend-stable` (the rollout's stableService) and `app-backend-preview`
  (its canaryService).
* The stable ReplicaSet (revision 1) and its five pods, Running for a few days.

The Rollout is seeded without status: the simulated controller finds the ReplicaSet that
matches its template, as Argo does on a first deployment, and writes it Healthy.

Demo traffic: pods whose image tag is `1.1` (the broken version) answer
`BAD_ERROR_RATIO` of their requests with 500; other tags answer `GOOD_ERROR_RATIO`. The pod
annotation `ERROR_RATIO_ANNOTATION` (set it in the pod template) overrides both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubectl_rollouts_py.sandbox import objects as sim_objects

JSON = dict[str, Any]

NAMESPACE = "ithome"
ROLLOUT = "app-backend"
CONTAINER = "app-backend"
REPOSITORY = "luciferstut/app-backend-for-ithome2024"
STABLE_TAG = "1.0"
GOOD_TAG = "1.2"  # the working version: passes its analysis and is promoted
BAD_TAG = "1.1"  # the broken version: fails its analysis and is aborted
REPLICAS = 5
TEMPLATE = "success-rate"

GOOD_ERROR_RATIO = 0.01
BAD_ERROR_RATIO = 0.4
BAD_TAGS = frozenset({BAD_TAG})
ERROR_RATIO_ANNOTATION = "sandbox.rollouts-py/error-ratio"
REQUESTS_PER_SECOND = 20.0  # per pod

SUCCESS_RATE_QUERY = (
    'sum(rate(http_server_requests_seconds_count{pod=~"{{args.pod-name}}-.*",'
    'rollouts_pod_template_hash="{{args.canary-hash}}",status!~"5.."}[1m]))'
    " / "
    'sum(rate(http_server_requests_seconds_count{pod=~"{{args.pod-name}}-.*",'
    'rollouts_pod_template_hash="{{args.canary-hash}}"}[1m]))'
)
SUCCESS_CONDITION = "isNaN(result[0]) || result[0] >= 0.95"


def image(tag: str) -> str:
    return f"{REPOSITORY}:{tag}"


def success_rate_template(prometheus_url: str, namespace: str = NAMESPACE) -> JSON:
    """AnalysisTemplate `success-rate`, measuring through the sandbox's Prometheus."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisTemplate",
        "metadata": {"name": TEMPLATE, "namespace": namespace},
        "spec": {
            "args": [{"name": "pod-name"}, {"name": "canary-hash"}],
            "metrics": [
                {
                    "name": "success-rate",
                    "interval": "1m",
                    "initialDelay": "1m",
                    "successCondition": SUCCESS_CONDITION,
                    "failureLimit": 3,
                    "provider": {"prometheus": {"address": prometheus_url, "query": SUCCESS_RATE_QUERY}},
                }
            ],
        },
    }


def rollout(namespace: str = NAMESPACE, *, created: dt.datetime) -> JSON:
    """Rollout `app-backend` on version 1.0, without status (the controller writes it)."""
    labels = {"app": ROLLOUT}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {
            "name": ROLLOUT,
            "namespace": namespace,
            "labels": dict(labels),
            "creationTimestamp": sim_objects.timestamp(created),
        },
        "spec": {
            "replicas": REPLICAS,
            "revisionHistoryLimit": 3,
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "containers": [
                        {
                            "name": CONTAINER,
                            "image": image(STABLE_TAG),
                            "imagePullPolicy": "IfNotPresent",
                            "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
                            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
                        }
                    ],
                    "restartPolicy": "Always",
                    "terminationGracePeriodSeconds": 30,
                },
            },
            "strategy": {
                "canary": {
                    "canaryService": f"{ROLLOUT}-preview",
                    "stableService": f"{ROLLOUT}-stable",
                    "analysis": {
                        "templates": [{"templateName": TEMPLATE}],
                        "args": [
                            {"name": "pod-name", "value": ROLLOUT},
                            {"name": "canary-hash", "valueFrom": {"podTemplateHashValue": "Latest"}},
                        ],
                    },
                    "steps": [
                        {"setWeight": 10},
                        {"pause": {"duration": "3m"}},
                        {"setWeight": 33},
                        {"pause": {"duration": "3m"}},
                    ],
                }
            },
        },
    }


def service(name: str, namespace: str, pod_hash: str, *, created: dt.datetime) -> JSON:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": ROLLOUT},
                     "creationTimestamp": sim_objects.timestamp(created)},
        "spec": {
            "type": "ClusterIP",
            "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"}],
            "selector": {"app": ROLLOUT, sim_objects.HASH_LABEL: pod_hash},
        },
    }


def seed_objects(prometheus_url: str, *, now: dt.datetime, namespace: str = NAMESPACE) -> list[JSON]:
    """Every object the sandbox starts with, timestamps a few days before `now`."""
    created = now - dt.timedelta(days=3, hours=2)
    ro = rollout(namespace, created=created)
    # The server assigns the uid when seeding; owner references need it now, so pick one.
    ro["metadata"]["uid"] = "5ab7ed34-be32-4ac0-ba6c-1649b11f5281"
    pod_hash = sim_objects.pod_template_hash(ro["spec"]["template"])
    rs = sim_objects.new_replica_set(ro, pod_hash, 1, REPLICAS)
    rs_created = created + dt.timedelta(seconds=2)
    rs["metadata"]["uid"] = "ad7bdcbe-2187-47ff-960d-195832442313"
    rs["metadata"]["creationTimestamp"] = sim_objects.timestamp(rs_created)
    rs["status"] = {
        "replicas": REPLICAS, "fullyLabeledReplicas": REPLICAS, "readyReplicas": REPLICAS,
        "availableReplicas": REPLICAS, "observedGeneration": 1,
    }
    objects: list[JSON] = [success_rate_template(prometheus_url, namespace), ro, rs]
    for name in (f"{ROLLOUT}-stable", f"{ROLLOUT}-preview"):
        objects.append(service(name, namespace, pod_hash, created=created))
    for i in range(REPLICAS):
        pod = sim_objects.new_pod(rs, name=f"{rs['metadata']['name']}-{sim_objects.random_suffix(f'{pod_hash}-{i}')}")
        started = rs_created + dt.timedelta(seconds=3 + i)
        pod["metadata"]["creationTimestamp"] = sim_objects.timestamp(started - dt.timedelta(seconds=1))
        pod["status"] = sim_objects.ready_pod_status(pod, started=started, ip=f"10.244.0.{i + 2}")
        objects.append(pod)
    return objects


# --------------------------------------------------------------------------------- demo traffic


def error_ratio(pod: Mapping[str, Any]) -> float:
    """The share of a pod's requests that answer 500: the annotation, else by image tag."""
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    if ERROR_RATIO_ANNOTATION in annotations:
        try:
            ratio = float(str(annotations[ERROR_RATIO_ANNOTATION]))
        except ValueError:
            ratio = -1.0
        if 0.0 <= ratio <= 1.0:
            return ratio
    for container in (pod.get("spec") or {}).get("containers") or []:
        tag = str(container.get("image", "")).rpartition(":")[2]
        if tag in BAD_TAGS:
            return BAD_ERROR_RATIO
    return GOOD_ERROR_RATIO


# --------------------------------------------------------------------------------- the story


@dataclass(frozen=True)
class Step:
    """One command of the tour: what to run (after `kubectl rollouts-py`), and what it should exit with."""

    args: tuple[str, ...]
    expect: int = 0
    note: str = ""


def story(timeout: str = "120s") -> tuple[Step, ...]:
    """The story's two experiments: 1.2 passes and is promoted; 1.1 fails its analysis, is
    aborted back to stable, and `undo` puts the last good version back in the template."""
    set_image = ("set", "image", ROLLOUT)
    return (
        Step(("get", "rollout", ROLLOUT), note="The rollout starts Healthy on 1.0."),
        Step((*set_image, f"{CONTAINER}={image(GOOD_TAG)}"), note=f"Experiment 1: version {GOOD_TAG} is healthy."),
        Step(("status", ROLLOUT, "--timeout", timeout),
             note="Steps 10% -> pause -> 33% -> pause while the analysis measures the canary; then it is promoted."),
        Step(("get", "rollout", ROLLOUT)),
        Step((*set_image, f"{CONTAINER}={image(BAD_TAG)}"), note=f"Experiment 2: version {BAD_TAG} answers 500s."),
        Step(("status", ROLLOUT, "--timeout", timeout), expect=1,
             note="The analysis fails (more than 3 measurements below 0.95): the rollout is aborted."),
        Step(("get", "rollout", ROLLOUT), note="Aborted: the canary is scaled down, the stable pods serve everything."),
        Step(("undo", ROLLOUT), note="Put the last good version back into the template."),
        Step(("status", ROLLOUT, "--timeout", timeout)),
    )
