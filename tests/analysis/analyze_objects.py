"""Objects for the `analyze` tests: the documented success-rate template and a stand-in cluster."""

from __future__ import annotations

import base64
import json
from typing import Any

from e2e.standin import NS, app_backend_objects

# The documented success-rate query over the demo app's series. The rate window is 10 s, not
# 1 m, because the session's Prometheus scrapes every second and starts empty.
SUCCESS_RATE_QUERY = (
    'sum(rate(http_server_requests_seconds_count{rollouts_pod_template_hash="{{args.canary-hash}}",status!~"5.."}[10s]))'
    ' / sum(rate(http_server_requests_seconds_count{rollouts_pod_template_hash="{{args.canary-hash}}"}[10s]))'
)
SUCCESS_CONDITION = "isNaN(result[0]) || result[0] >= 0.95"
IN_CLUSTER_ADDRESS = "http://prometheus.monitoring.svc.cluster.local:9090"  # not reachable from a test: --prometheus replaces it
SECRET_VALUE = "s3cr3t-t0ken-value"


def success_rate_metric(**changes: Any) -> dict[str, Any]:
    """The success-rate metric with a 1 s interval; `changes` set or (with None) remove fields."""
    metric: dict[str, Any] = {
        "name": "success-rate",
        "interval": "1s",
        "count": 3,  # Argo rejects count < failureLimit + consecutiveSuccessLimit
        "failureLimit": 3,
        "successCondition": SUCCESS_CONDITION,
        "provider": {"prometheus": {"address": IN_CLUSTER_ADDRESS, "query": SUCCESS_RATE_QUERY}},
    }
    for key, value in changes.items():
        if value is None:
            metric.pop(key, None)
        else:
            metric[key] = value
    return metric


def template(name: str = "success-rate", *, metrics: list[dict[str, Any]] | None = None, args: list[dict[str, Any]] | None = None,
             kind: str = "AnalysisTemplate", templates: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if kind == "AnalysisTemplate":
        metadata["namespace"] = NS
    spec: dict[str, Any] = {"args": [{"name": "canary-hash"}] if args is None else args}
    if metrics is not None or templates is None:
        spec["metrics"] = [success_rate_metric()] if metrics is None else metrics
    if templates is not None:
        spec["templates"] = templates
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": kind, "metadata": metadata, "spec": spec}


def stable_rate_metric() -> dict[str, Any]:
    query = SUCCESS_RATE_QUERY.replace("canary-hash", "stable-hash")
    return success_rate_metric(name="stable-rate", provider={"prometheus": {"address": IN_CLUSTER_ADDRESS, "query": query}})


def cluster_objects() -> list[dict[str, Any]]:
    """The app-backend canary, its hashes renamed to the demo app's (`good` is the new
    ReplicaSet, `stable` the stable one), with analysis args, plus templates and a Secret."""
    text = json.dumps(app_backend_objects()).replace("6d8f9c7b5", "good").replace("5c6b7d8f9", "stable")
    objects = json.loads(text)
    rollout = next(o for o in objects if o["kind"] == "Rollout")
    rollout["spec"]["strategy"]["canary"]["analysis"]["args"] = [
        {"name": "canary-hash", "valueFrom": {"podTemplateHashValue": "Latest"}},
        {"name": "stable-hash", "valueFrom": {"podTemplateHashValue": "Stable"}},
        {"name": "rollout-name", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
    ]
    checked = template(args=[{"name": "canary-hash"}, {"name": "stable-hash"}, {"name": "rollout-name", "value": "none"}],
                       metrics=[success_rate_metric(), stable_rate_metric()])
    secret_header = success_rate_metric(name="with-token")
    secret_header["provider"]["prometheus"]["headers"] = [{"key": "X-Scope-Token", "value": "{{args.token}}"}]
    with_secret = template("with-token", args=[{"name": "canary-hash"}, {"name": "token", "valueFrom": {"secretKeyRef": {"name": "prom-auth", "key": "token"}}}],
                           metrics=[secret_header])
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "prom-auth", "namespace": NS},
              "type": "Opaque", "data": {"token": base64.b64encode(SECRET_VALUE.encode()).decode()}}
    error_budget = template("error-budget", kind="ClusterAnalysisTemplate", args=[{"name": "canary-hash"}],
                            metrics=[success_rate_metric(name="error-budget", successCondition="result[0] >= 0.9")])
    nested = template("canary-checks", args=[], templates=[{"templateName": "success-rate"}, {"templateName": "error-budget", "clusterScope": True}])
    return [*objects, checked, with_secret, secret, error_budget, nested]
