"""Discovery documents: the shapes kubectl and the python client resolve resources from."""

from __future__ import annotations

from typing import Any

from .support import Client


def _resources(client: Client, path: str) -> dict[str, dict[str, Any]]:
    doc = client.get(path).json
    assert doc["kind"] == "APIResourceList"
    assert doc["apiVersion"] == "v1"
    return {r["name"]: r for r in doc["resources"]}


def test_version_reports_a_kubernetes_version(client: Client) -> None:
    doc = client.get("/version").json
    assert (doc["major"], doc["minor"]) == ("1", "32")
    assert doc["gitVersion"].startswith("v1.32.")


def test_core_api_versions(client: Client) -> None:
    doc = client.get("/api").json
    assert doc["kind"] == "APIVersions"
    assert doc["versions"] == ["v1"]


def test_core_group_version_is_v1_not_slash_v1(client: Client) -> None:
    # kmock's "/v1" makes kubectl say `the server doesn't have a resource type "pods"`.
    doc = client.get("/api/v1").json
    assert doc["groupVersion"] == "v1"
    resources = {r["name"]: r for r in doc["resources"]}
    assert resources["pods"]["shortNames"] == ["po"]
    assert resources["pods"]["kind"] == "Pod"
    assert resources["pods"]["namespaced"] is True
    assert resources["namespaces"]["namespaced"] is False
    assert {"services", "secrets", "configmaps", "pods/status"} <= resources.keys()


def test_api_group_list_names_every_group_with_its_preferred_version(client: Client) -> None:
    doc = client.get("/apis").json
    assert doc["kind"] == "APIGroupList"
    groups = {g["name"]: g for g in doc["groups"]}
    assert set(groups) == {"argoproj.io", "apps"}
    assert groups["argoproj.io"]["preferredVersion"] == {"groupVersion": "argoproj.io/v1alpha1", "version": "v1alpha1"}
    assert groups["apps"]["versions"] == [{"groupVersion": "apps/v1", "version": "v1"}]


def test_single_group_document(client: Client) -> None:
    doc = client.get("/apis/argoproj.io").json
    assert doc["kind"] == "APIGroup"
    assert doc["name"] == "argoproj.io"


def test_argo_resources_short_names_and_scope(client: Client) -> None:
    resources = _resources(client, "/apis/argoproj.io/v1alpha1")
    assert resources["rollouts"]["shortNames"] == ["ro"]
    assert resources["rollouts"]["singularName"] == "rollout"
    assert resources["experiments"]["shortNames"] == ["exp"]
    assert resources["analysisruns"]["shortNames"] == ["ar"]
    assert "shortNames" not in resources["analysistemplates"]
    assert resources["clusteranalysistemplates"]["namespaced"] is False
    assert "watch" in resources["rollouts"]["verbs"] and "patch" in resources["rollouts"]["verbs"]


def test_subresources_are_listed_without_short_names(client: Client) -> None:
    # Short names on rollouts/scale make kubectl 1.32 warn that "ro" is ambiguous.
    resources = _resources(client, "/apis/argoproj.io/v1alpha1")
    assert "shortNames" not in resources["rollouts/status"]
    assert "shortNames" not in resources["rollouts/scale"]
    assert resources["rollouts/scale"]["kind"] == "Scale"
    # Only Rollout has a status subresource among the Argo kinds.
    assert not {"experiments/status", "analysisruns/status", "analysistemplates/status"} & resources.keys()


def test_apps_resources(client: Client) -> None:
    resources = _resources(client, "/apis/apps/v1")
    assert resources["replicasets"]["shortNames"] == ["rs"]
    assert resources["deployments"]["shortNames"] == ["deploy"]
    assert {"replicasets/status", "deployments/status", "deployments/scale"} <= resources.keys()


def test_unknown_group_is_a_not_found_status(client: Client) -> None:
    resp = client.get("/apis/example.com/v1")
    assert resp.status == 404
    assert resp.json["kind"] == "Status"
    assert resp.json["reason"] == "NotFound"
    assert client.get("/apis/argoproj.io/v1alpha1/nothings").status == 404
    # A namespaced kind has no cluster-scoped object path.
    assert client.get("/apis/argoproj.io/v1alpha1/rollouts/x").status == 404


def test_discovery_only_answers_get(client: Client) -> None:
    resp = client.post("/apis", {})
    assert resp.status == 405
    assert resp.json["reason"] == "MethodNotAllowed"
