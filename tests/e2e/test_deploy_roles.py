"""The roles in deploy/ against what the dashboard really sends.

The dashboard runs in-process against the stand-in API server, which records every request;
each request is turned into what RBAC checks (API group, resource/subresource, verb), and the
role the deployment gives for it must allow it:

- `rollouts-dashboard` (deploy/dashboard.yaml, read-only): everything the dashboard reads to
  serve its pages, over all namespaces as deployed (-A);
- `rollouts-dashboard-actions` (deploy/optional/actions.yaml): everything each action sends,
  its reads included (with --auth proxy they are sent as the person, who needs them too),
  also for a rollout whose pod template comes from a workloadRef Deployment.
"""

from __future__ import annotations

import copy
import datetime as dt
import http.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubectl_rollouts_py.dashboard.server import ACTIONS, Dashboard, run_action
from kubectl_rollouts_py.kube.options import ConnectionOptions
from kubectl_rollouts_py.kube.source import Source, open_source
from kubectl_rollouts_py.sandbox.apiserver import APIServer

from .standin import NS, app_backend_objects

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
NOW = dt.datetime(2026, 11, 29, 8, 1, tzinfo=dt.timezone.utc)
BODIES: dict[str, dict[str, Any]] = {"set-image": {"container": "app-backend", "image": "example/app:3.0"}, "undo": {"revision": 1}}
VERBS = {"PATCH": "patch", "PUT": "update", "POST": "create", "DELETE": "delete"}


def role(path: Path, name: str) -> dict[str, Any]:
    (found,) = [d for d in yaml.safe_load_all(path.read_text()) if d and d["kind"] == "ClusterRole" and d["metadata"]["name"] == name]
    return found


def rbac_attributes(method: str, path: str, query: dict[str, str]) -> tuple[str, str, str]:
    """(API group, resource or resource/subresource, verb) of one resource request."""
    parts = path.strip("/").split("/")
    if parts[0] == "api":
        group, rest = "", parts[2:]
    else:
        assert parts[0] == "apis", path
        group, rest = parts[1], parts[3:]
    if len(rest) >= 2 and rest[0] == "namespaces" and len(rest) != 2:  # a namespaced resource, not a namespace object
        rest = rest[2:]
    resource = rest[0] + (f"/{rest[2]}" if len(rest) > 2 else "")
    if method == "GET":
        verb = "get" if len(rest) > 1 else "watch" if query.get("watch") in ("true", "1") else "list"
    else:
        verb = VERBS[method]
    return group, resource, verb


def allows(granting: dict[str, Any], group: str, resource: str, verb: str) -> bool:
    return any(group in rule["apiGroups"] and resource in rule["resources"] and verb in rule["verbs"] and "resourceNames" not in rule
               for rule in granting["rules"])


def sent(cluster: APIServer) -> set[tuple[str, str, str]]:
    return {rbac_attributes(q.method, q.path, q.query) for q in cluster.requests if q.path.startswith(("/api/", "/apis/"))
            and q.path.count("/") > 2}  # resource requests, not discovery (/api/v1, /apis/G/V)


def test_rbac_attributes() -> None:
    assert rbac_attributes("GET", "/apis/argoproj.io/v1alpha1/namespaces/a/rollouts/web", {}) == ("argoproj.io", "rollouts", "get")
    assert rbac_attributes("GET", "/apis/argoproj.io/v1alpha1/rollouts", {"watch": "true"}) == ("argoproj.io", "rollouts", "watch")
    assert rbac_attributes("GET", "/api/v1/namespaces/a/pods", {}) == ("", "pods", "list")
    assert rbac_attributes("GET", "/api/v1/namespaces/a", {}) == ("", "namespaces", "get")
    assert rbac_attributes("PATCH", "/apis/argoproj.io/v1alpha1/namespaces/a/rollouts/web/status", {}) == ("argoproj.io", "rollouts/status", "patch")
    assert rbac_attributes("PUT", "/apis/apps/v1/namespaces/a/deployments/web", {}) == ("apps", "deployments", "update")
    assert rbac_attributes("GET", "/apis/argoproj.io/v1alpha1/clusteranalysistemplates/t", {}) == ("argoproj.io", "clusteranalysistemplates", "get")


@pytest.fixture()
def cluster(tmp_path: Path) -> Iterator[APIServer]:
    with APIServer() as srv:
        srv.seed(app_backend_objects())
        srv.kubeconfig = srv.write_kubeconfig(tmp_path / "kubeconfig", namespace=NS)  # type: ignore[attr-defined]
        srv.clear_requests()
        yield srv


@pytest.fixture()
def source(cluster: APIServer) -> Iterator[Source]:
    opened = open_source(ConnectionOptions(kubeconfig=str(cluster.kubeconfig)), (), environ={})  # type: ignore[attr-defined]
    yield opened
    opened.close()


def _get(dash: Dashboard, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", dash.port, timeout=30)
    try:
        conn.request("GET", path, headers={"Host": f"127.0.0.1:{dash.port}"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_the_read_only_role_allows_everything_the_dashboard_reads(cluster: APIServer, source: Source) -> None:
    reader = role(DEPLOY / "dashboard.yaml", "rollouts-dashboard")
    with Dashboard(source, None, address="127.0.0.1", port=0, read_only=True) as dash:
        assert dash.hub.wait_synced(30), "the dashboard's watches did not list within 30 s"
        for path in ("/", "/api/v1/info", "/api/v1/rollouts", f"/api/v1/rollouts/{NS}/app-backend", "/api/v1/experiments"):
            assert _get(dash, path) == 200, path
        asked = sent(cluster)
    assert {verb for _, _, verb in asked} >= {"list", "watch"}
    assert [a for a in sorted(asked) if not allows(reader, *a)] == []


@pytest.mark.parametrize("action", ACTIONS)
def test_the_actions_role_allows_everything_an_action_sends(cluster: APIServer, source: Source, action: str) -> None:
    actor = role(DEPLOY / "optional" / "actions.yaml", "rollouts-dashboard-actions")
    run_action(source, NS, "app-backend", action, BODIES.get(action, {}), now=NOW)
    asked = sent(cluster)
    assert any(verb not in ("get", "list", "watch") for _, _, verb in asked), asked  # it wrote
    assert [a for a in sorted(asked) if not allows(actor, *a)] == []


@pytest.mark.parametrize("action", ["set-image", "undo"])
def test_the_actions_role_allows_actions_on_a_workload_ref_rollout(cluster: APIServer, source: Source, action: str) -> None:
    actor = role(DEPLOY / "optional" / "actions.yaml", "rollouts-dashboard-actions")
    rollout = cluster.get_object("rollouts", NS, "app-backend")
    assert rollout is not None
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "app-backend-deploy", "namespace": NS},
                  "spec": {"selector": copy.deepcopy(rollout["spec"]["selector"]), "template": copy.deepcopy(rollout["spec"]["template"])}}
    rollout["spec"].pop("template")
    rollout["spec"]["workloadRef"] = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "app-backend-deploy"}
    cluster.seed([rollout, deployment])
    cluster.clear_requests()
    run_action(source, NS, "app-backend", action, BODIES[action], now=NOW)
    asked = sent(cluster)
    assert ("apps", "deployments", "update" if action == "set-image" else "patch") in asked
    assert [a for a in sorted(asked) if not allows(actor, *a)] == []


def test_the_actions_role_is_only_what_actions_need() -> None:
    """Nothing beyond the rollouts, their ReplicaSets and workloadRef Deployments: no create,
    no delete, no other kind."""
    actor = role(DEPLOY / "optional" / "actions.yaml", "rollouts-dashboard-actions")
    granted = {(g, res, v) for rule in actor["rules"] for g in rule["apiGroups"] for res in rule["resources"] for v in rule["verbs"]}
    assert {(g, res) for g, res, _ in granted} == {("argoproj.io", "rollouts"), ("argoproj.io", "rollouts/status"),
                                                  ("apps", "replicasets"), ("apps", "deployments")}
    assert {v for _, _, v in granted} == {"get", "list", "watch", "patch", "update"}
    assert not any(res == "replicasets" and v in ("patch", "update") for _, res, v in granted)
