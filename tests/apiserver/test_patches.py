"""PATCH is chosen by Content-Type: merge, JSON (RFC 6902), strategic (built-ins only)."""

from __future__ import annotations

import pytest

from kubectl_rollouts_py.sandbox.apiserver import (
    APIServer,
    StatusError,
    json_patch,
    merge_patch,
    strategic_merge_patch,
)

from .support import JSON_PATCH, MERGE, PODS, ROLLOUTS, STRATEGIC, Client, pod, rollout


@pytest.fixture
def seeded(server: APIServer) -> APIServer:
    server.seed([
        rollout("r", replicas=2, strategy={"canary": {"steps": [{"setWeight": 10}, {"pause": {}}]}}),
        pod("p", containers=[
            {"name": "app", "image": "app:1", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
             "ports": [{"containerPort": 80, "name": "http"}]},
            {"name": "sidecar", "image": "proxy:1"},
        ]),
    ])
    return server


# -- merge patch


def test_merge_patch_merges_objects_replaces_lists_and_null_deletes(seeded: APIServer, client: Client) -> None:
    resp = client.patch(f"{ROLLOUTS}/r", {"spec": {"replicas": None, "paused": True,
                                                    "strategy": {"canary": {"steps": [{"setWeight": 50}]}}}})
    assert resp.status == 200
    spec = resp.json["spec"]
    assert "replicas" not in spec and spec["paused"] is True
    assert spec["strategy"]["canary"]["steps"] == [{"setWeight": 50}]
    assert spec["selector"] == {"matchLabels": {"app": "r"}}


def test_merge_patch_with_a_list_body_is_unprocessable(seeded: APIServer, client: Client) -> None:
    # kmock applies a list body as a JSON patch whatever the Content-Type says.
    resp = client.patch(f"{ROLLOUTS}/r", [{"op": "replace", "path": "/spec/replicas", "value": 9}], content_type=MERGE)
    assert resp.status == 422 and resp.json["reason"] == "Invalid"
    assert seeded.get_object("rollouts", "default", "r")["spec"]["replicas"] == 2  # type: ignore[index]


def test_patch_of_a_missing_object_is_not_found(client: Client) -> None:
    assert client.patch(f"{ROLLOUTS}/nope", {"spec": {}}).status == 404


# -- JSON patch


def test_json_patch_operations(seeded: APIServer, client: Client) -> None:
    ops = [
        {"op": "test", "path": "/spec/replicas", "value": 2},
        {"op": "replace", "path": "/spec/replicas", "value": 3},
        {"op": "add", "path": "/spec/strategy/canary/steps/-", "value": {"setWeight": 100}},
        {"op": "add", "path": "/metadata/annotations", "value": {"a/b": "x"}},
        {"op": "copy", "from": "/metadata/annotations/a~1b", "path": "/metadata/labels/copied"},
        {"op": "remove", "path": "/spec/strategy/canary/steps/1"},
    ]
    resp = client.patch(f"{ROLLOUTS}/r", ops, content_type=JSON_PATCH)
    assert resp.status == 200, resp.body
    assert resp.json["spec"]["replicas"] == 3
    assert resp.json["spec"]["strategy"]["canary"]["steps"] == [{"setWeight": 10}, {"setWeight": 100}]
    assert resp.json["metadata"]["labels"]["copied"] == "x"


def test_failed_json_patch_test_is_unprocessable_and_changes_nothing(seeded: APIServer, client: Client) -> None:
    rv = seeded.resource_version
    ops = [{"op": "replace", "path": "/spec/replicas", "value": 7}, {"op": "test", "path": "/spec/replicas", "value": 2}]
    resp = client.patch(f"{ROLLOUTS}/r", ops, content_type=JSON_PATCH)
    assert resp.status == 422 and resp.json["reason"] == "Invalid"
    assert seeded.resource_version == rv
    assert seeded.get_object("rollouts", "default", "r")["spec"]["replicas"] == 2  # type: ignore[index]


@pytest.mark.parametrize("op", [
    {"op": "replace", "path": "/spec/nothing/here", "value": 1},
    {"op": "remove", "path": "/spec/missing"},
    {"op": "add", "path": "/spec/strategy/canary/steps/9", "value": {}},
    {"op": "add", "path": "spec", "value": {}},
])
def test_json_patch_with_a_bad_path_is_unprocessable(seeded: APIServer, client: Client, op: dict) -> None:
    assert client.patch(f"{ROLLOUTS}/r", [op], content_type=JSON_PATCH).status == 422


def test_json_patch_that_is_not_a_list_is_a_bad_request(seeded: APIServer, client: Client) -> None:
    assert client.patch(f"{ROLLOUTS}/r", {"spec": {}}, content_type=JSON_PATCH).status == 400


# -- strategic merge patch


def test_strategic_patch_merges_containers_env_and_ports_by_key(seeded: APIServer, client: Client) -> None:
    patch = {"spec": {"containers": [{"name": "app", "image": "app:2", "env": [{"name": "B", "value": "two"}],
                                      "ports": [{"containerPort": 80, "protocol": "TCP"}]}]}}
    resp = client.patch(f"{PODS}/p", patch, content_type=STRATEGIC)
    assert resp.status == 200
    app, sidecar = resp.json["spec"]["containers"]
    assert app["image"] == "app:2"
    assert app["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "two"}]
    assert app["ports"] == [{"containerPort": 80, "name": "http", "protocol": "TCP"}]
    assert sidecar == {"name": "sidecar", "image": "proxy:1"}


def test_strategic_patch_delete_directive_and_new_elements(seeded: APIServer, client: Client) -> None:
    patch = {"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}, {"name": "extra", "image": "x:1"}]}}
    resp = client.patch(f"{PODS}/p", patch, content_type=STRATEGIC)
    assert [c["name"] for c in resp.json["spec"]["containers"]] == ["app", "extra"]


def test_strategic_patch_on_a_custom_resource_is_unsupported_media_type(seeded: APIServer, client: Client) -> None:
    resp = client.patch(f"{ROLLOUTS}/r", {"spec": {"paused": True}}, content_type=STRATEGIC)
    assert resp.status == 415
    assert resp.json["reason"] == "UnsupportedMediaType"
    assert STRATEGIC not in resp.json["message"] and MERGE in resp.json["message"]


@pytest.mark.parametrize("content_type", ["application/apply-patch+yaml", "application/json", "text/plain"])
def test_other_patch_types_are_unsupported(seeded: APIServer, client: Client, content_type: str) -> None:
    assert client.patch(f"{ROLLOUTS}/r", {"spec": {}}, content_type=content_type).status == 415
    assert client.patch(f"{PODS}/p", {"spec": {}}, content_type=content_type).status == 415


# -- the algorithms on their own


def test_merge_patch_function() -> None:
    assert merge_patch({"a": {"b": 1, "c": 2}, "l": [1]}, {"a": {"b": None, "d": {"e": None}}, "l": [2]}) == {
        "a": {"c": 2, "d": {}}, "l": [2]}


def test_json_patch_move_and_root_replace() -> None:
    assert json_patch({"a": {"b": 1}}, [{"op": "move", "from": "/a/b", "path": "/c"}]) == {"a": {}, "c": 1}
    assert json_patch({"a": 1}, [{"op": "replace", "path": "", "value": {"z": 0}}]) == {"z": 0}
    with pytest.raises(StatusError):
        json_patch({}, [{"op": "frobnicate", "path": "/a"}])


def test_json_patch_test_distinguishes_true_from_one() -> None:
    from kubectl_rollouts_py.sandbox.apiserver.patching import PatchFailed

    with pytest.raises(PatchFailed):
        json_patch({"a": True}, [{"op": "test", "path": "/a", "value": 1}])


def test_strategic_merge_patch_function_directives() -> None:
    target = {"metadata": {"finalizers": ["a"]}, "spec": {"tolerations": [{"key": "x"}], "ports": [{"port": 80, "name": "h"}]}}
    patch = {
        "metadata": {"finalizers": ["b"]},
        "spec": {"tolerations": [{"key": "y"}], "ports": [{"port": 80, "targetPort": 8080}],
                 "$setElementOrder/ports": [{"port": 80}]},
    }
    result = strategic_merge_patch(target, patch)
    assert result == {
        "metadata": {"finalizers": ["a", "b"]},  # a merged list of strings is a union
        "spec": {"tolerations": [{"key": "y"}], "ports": [{"port": 80, "name": "h", "targetPort": 8080}]},
    }
    assert strategic_merge_patch({"a": {"b": 1}}, {"a": {"$patch": "replace", "c": 2}}) == {"a": {"c": 2}}
    assert strategic_merge_patch({"a": {"b": 1}, "k": 1}, {"a": {"$patch": "delete"}}) == {"k": 1}
