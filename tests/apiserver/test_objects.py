"""Object semantics: lists, create, replace, the status split, generation, resourceVersion,
deletion with finalizers, namespaces, and copy-on-write storage."""

from __future__ import annotations

import json
from typing import Any

from kubectl_rollouts_py.sandbox.apiserver import APIServer, resource_for

from .support import MERGE, PODS, ROLLOUTS, Client, pod, rollout

EXPERIMENTS = "/apis/argoproj.io/v1alpha1/namespaces/default/experiments"


def _assert_status(resp: Any, code: int, reason: str, message: str | None = None) -> dict[str, Any]:
    assert resp.status == code, resp.body
    body = resp.json
    assert (body["kind"], body["apiVersion"], body["status"], body["code"], body["reason"]) == (
        "Status", "v1", "Failure", code, reason)
    if message is not None:
        assert body["message"] == message
    return body


# -- LIST and GET


def test_list_envelope_has_kind_api_version_and_resource_version(server: APIServer, client: Client) -> None:
    server.seed([rollout("b"), rollout("a"), rollout("c", namespace="other")])
    body = client.get(ROLLOUTS).json
    assert body["kind"] == "RolloutList"
    assert body["apiVersion"] == "argoproj.io/v1alpha1"
    assert body["metadata"]["resourceVersion"] == server.resource_version
    assert [i["metadata"]["name"] for i in body["items"]] == ["a", "b"]  # key order, one namespace
    assert body["items"][0]["kind"] == "Rollout"


def test_cluster_wide_list_spans_namespaces(server: APIServer, client: Client) -> None:
    server.seed([rollout("a", namespace="x"), rollout("b", namespace="y"), pod("p")])
    body = client.get("/apis/argoproj.io/v1alpha1/rollouts").json
    assert [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in body["items"]] == [("x", "a"), ("y", "b")]
    assert client.get("/api/v1/pods").json["kind"] == "PodList"


def test_get_missing_object_is_a_not_found_status(client: Client) -> None:
    body = _assert_status(client.get(f"{ROLLOUTS}/x"), 404, "NotFound", 'rollouts.argoproj.io "x" not found')
    assert body["details"] == {"name": "x", "group": "argoproj.io", "kind": "rollouts"}
    core = _assert_status(client.get(f"{PODS}/p"), 404, "NotFound", 'pods "p" not found')
    assert core["details"] == {"name": "p", "kind": "pods"}


def test_seed_assigns_system_fields_and_keeps_given_ones(server: APIServer) -> None:
    given = rollout("kept")
    given["metadata"].update(uid="u-1", creationTimestamp="2024-01-01T00:00:00Z", generation=7, resourceVersion="999")
    server.seed([rollout("fresh"), given, {"kind": "List", "apiVersion": "v1", "items": [pod("listed")]}])
    fresh = server.get_object("rollouts", "default", "fresh")
    kept = server.get_object("rollouts", "default", "kept")
    assert fresh and kept and server.get_object("pods", "default", "listed")
    assert fresh["metadata"]["uid"] and fresh["metadata"]["creationTimestamp"].endswith("Z")
    assert fresh["metadata"]["generation"] == 1
    assert (kept["metadata"]["uid"], kept["metadata"]["creationTimestamp"], kept["metadata"]["generation"]) == (
        "u-1", "2024-01-01T00:00:00Z", 7)
    assert kept["metadata"]["resourceVersion"] != "999"  # always the server's own counter


# -- CREATE


def test_create_answers_201_with_system_fields(server: APIServer, client: Client) -> None:
    obj = rollout("new")
    obj["status"] = {"phase": "Healthy"}
    resp = client.post(ROLLOUTS, obj)
    assert resp.status == 201  # the python client returns None for a 200 here
    meta = resp.json["metadata"]
    assert meta["uid"] and meta["creationTimestamp"] and meta["generation"] == 1
    assert meta["resourceVersion"] == server.resource_version
    assert "status" not in resp.json  # Rollout has a status subresource: status is dropped
    assert server.get_object("rollouts", "default", "new") == resp.json


def test_create_keeps_status_for_kinds_without_a_status_subresource(client: Client) -> None:
    exp = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Experiment", "metadata": {"name": "e"},
           "spec": {}, "status": {"phase": "Running"}}
    assert client.post(EXPERIMENTS, exp).json["status"] == {"phase": "Running"}


def test_create_with_generate_name(client: Client) -> None:
    obj = rollout("")
    del obj["metadata"]["name"]
    obj["metadata"]["generateName"] = "canary-"
    first, second = client.post(ROLLOUTS, obj), client.post(ROLLOUTS, obj)
    assert first.status == second.status == 201
    names = {first.json["metadata"]["name"], second.json["metadata"]["name"]}
    assert len(names) == 2 and all(n.startswith("canary-") and len(n) == len("canary-") + 5 for n in names)


def test_create_twice_is_already_exists(client: Client) -> None:
    assert client.post(ROLLOUTS, rollout("dup")).status == 201
    body = _assert_status(client.post(ROLLOUTS, rollout("dup")), 409, "AlreadyExists",
                          'rollouts.argoproj.io "dup" already exists')
    assert body["details"]["name"] == "dup"


def test_create_without_a_name_is_invalid(client: Client) -> None:
    obj = rollout("x")
    del obj["metadata"]["name"]
    _assert_status(client.post(ROLLOUTS, obj), 422, "Invalid")


def test_create_rejects_a_mismatched_namespace_or_kind(client: Client) -> None:
    _assert_status(client.post(ROLLOUTS, rollout("x", namespace="elsewhere")), 400, "BadRequest")
    _assert_status(client.post(ROLLOUTS, pod("x")), 400, "BadRequest")
    _assert_status(client.post(ROLLOUTS, b"{not json"), 400, "BadRequest")


def test_create_through_a_cluster_wide_path_is_not_allowed(client: Client) -> None:
    _assert_status(client.post("/apis/argoproj.io/v1alpha1/rollouts", rollout("x")), 405, "MethodNotAllowed")


# -- resourceVersion


def test_resource_versions_are_one_global_increasing_counter(server: APIServer, client: Client) -> None:
    versions = [int(client.post(ROLLOUTS, rollout(f"r{i}")).json["metadata"]["resourceVersion"]) for i in range(3)]
    versions.append(int(client.post(PODS, pod("p")).json["metadata"]["resourceVersion"]))
    versions.append(int(client.patch(f"{ROLLOUTS}/r0", {"spec": {"replicas": 2}}).json["metadata"]["resourceVersion"]))
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    assert isinstance(client.get(f"{ROLLOUTS}/r0").json["metadata"]["resourceVersion"], str)
    assert server.resource_version == str(versions[-1])


def test_put_with_a_stale_resource_version_is_a_conflict(client: Client) -> None:
    created = client.post(ROLLOUTS, rollout("r")).json
    client.patch(f"{ROLLOUTS}/r", {"spec": {"replicas": 2}})
    stale = dict(created, spec={"replicas": 5})
    body = _assert_status(client.put(f"{ROLLOUTS}/r", stale), 409, "Conflict")
    assert body["message"].startswith('Operation cannot be fulfilled on rollouts.argoproj.io "r": the object has been modified')
    fresh = client.get(f"{ROLLOUTS}/r").json
    fresh["spec"]["replicas"] = 5
    replaced = client.put(f"{ROLLOUTS}/r", fresh)
    assert replaced.status == 200 and replaced.json["spec"]["replicas"] == 5
    assert int(replaced.json["metadata"]["resourceVersion"]) > int(fresh["metadata"]["resourceVersion"])


def test_put_without_resource_version_is_invalid_for_custom_resources_only(client: Client) -> None:
    obj = client.post(ROLLOUTS, rollout("r")).json
    del obj["metadata"]["resourceVersion"]
    _assert_status(client.put(f"{ROLLOUTS}/r", obj), 422, "Invalid")
    p = client.post(PODS, pod("p")).json
    del p["metadata"]["resourceVersion"]
    p["metadata"]["labels"] = {"x": "y"}
    assert client.put(f"{PODS}/p", p).status == 200  # built-ins allow an unconditional update


def test_put_name_must_match_the_url(client: Client) -> None:
    obj = client.post(ROLLOUTS, rollout("r")).json
    obj["metadata"]["name"] = "other"
    _assert_status(client.put(f"{ROLLOUTS}/r", obj), 400, "BadRequest")
    _assert_status(client.put(f"{ROLLOUTS}/missing", rollout("missing")), 404, "NotFound")


def test_patch_with_a_stale_resource_version_is_a_conflict(client: Client) -> None:
    client.post(ROLLOUTS, rollout("r"))
    resp = client.patch(f"{ROLLOUTS}/r", {"metadata": {"resourceVersion": "1"}, "spec": {"replicas": 9}})
    _assert_status(resp, 409, "Conflict")
    assert client.get(f"{ROLLOUTS}/r").json["spec"]["replicas"] == 1


def test_no_op_write_keeps_the_resource_version(server: APIServer, client: Client) -> None:
    rv = client.post(ROLLOUTS, rollout("r", replicas=3)).json["metadata"]["resourceVersion"]
    same = client.patch(f"{ROLLOUTS}/r", {"spec": {"replicas": 3}})
    assert same.status == 200 and same.json["metadata"]["resourceVersion"] == rv
    assert server.resource_version == rv
    assert server.apply_change(rollout("r", replicas=3))["metadata"]["resourceVersion"] == rv


# -- status subresource and generation


def test_main_endpoint_ignores_status_and_status_endpoint_ignores_the_rest(client: Client) -> None:
    client.post(ROLLOUTS, rollout("r"))
    main = client.patch(f"{ROLLOUTS}/r", {"spec": {"replicas": 2}, "status": {"phase": "Degraded"}}).json
    assert main["spec"]["replicas"] == 2 and "status" not in main
    status = client.patch(
        f"{ROLLOUTS}/r/status",
        {"status": {"phase": "Healthy"}, "spec": {"replicas": 7}, "metadata": {"labels": {"sneaky": "yes"}}},
    ).json
    assert status["status"] == {"phase": "Healthy"}
    assert status["spec"]["replicas"] == 2
    assert "sneaky" not in status["metadata"]["labels"]
    # PUT honours the same split.
    obj = client.get(f"{ROLLOUTS}/r").json
    obj["status"] = {"phase": "Paused"}
    obj["spec"]["replicas"] = 4
    put_main = client.put(f"{ROLLOUTS}/r", obj).json
    assert put_main["status"] == {"phase": "Healthy"} and put_main["spec"]["replicas"] == 4
    put_main["status"] = {"phase": "Paused"}
    put_main["spec"]["replicas"] = 1
    put_status = client.put(f"{ROLLOUTS}/r/status", put_main).json
    assert put_status["status"] == {"phase": "Paused"} and put_status["spec"]["replicas"] == 4


def test_status_is_writable_through_the_main_endpoint_without_the_subresource(client: Client) -> None:
    client.post(EXPERIMENTS, {"apiVersion": "argoproj.io/v1alpha1", "kind": "Experiment", "metadata": {"name": "e"}})
    patched = client.patch(f"{EXPERIMENTS}/e", {"status": {"phase": "Successful"}}).json
    assert patched["status"] == {"phase": "Successful"}
    assert client.get(f"{EXPERIMENTS}/e/status").status == 404


def test_generation_bumps_only_on_spec_changes(client: Client) -> None:
    client.post(ROLLOUTS, rollout("r"))
    gen = lambda resp: resp.json["metadata"]["generation"]  # noqa: E731
    assert gen(client.patch(f"{ROLLOUTS}/r", {"metadata": {"labels": {"new": "label"}}})) == 1
    assert gen(client.patch(f"{ROLLOUTS}/r/status", {"status": {"phase": "Healthy"}})) == 1
    assert gen(client.patch(f"{ROLLOUTS}/r", {"spec": {"paused": True}})) == 2
    assert gen(client.patch(f"{ROLLOUTS}/r", {"spec": {"paused": True}})) == 2  # no change
    # `true` and `1` are different JSON values, although Python thinks they are equal.
    assert gen(client.patch(f"{ROLLOUTS}/r", {"spec": {"paused": 1}})) == 3


def test_system_metadata_cannot_be_changed_by_an_update(client: Client) -> None:
    created = client.post(ROLLOUTS, rollout("r")).json
    patched = client.patch(
        f"{ROLLOUTS}/r", {"metadata": {"uid": "forged", "creationTimestamp": "2000-01-01T00:00:00Z", "generation": 50}}
    ).json
    for key in ("uid", "creationTimestamp", "generation", "resourceVersion"):
        assert patched["metadata"][key] == created["metadata"][key]


def test_apply_change_writes_status_and_computes_generation(server: APIServer) -> None:
    server.seed([rollout("r")])
    obj = server.get_object("rollouts", "default", "r")
    assert obj is not None
    obj["status"] = {"phase": "Progressing"}
    assert server.apply_change(obj)["metadata"]["generation"] == 1
    obj["spec"]["replicas"] = 4
    assert server.apply_change(obj)["metadata"]["generation"] == 2


# -- DELETE


def test_delete_a_custom_resource_answers_a_success_status(server: APIServer, client: Client) -> None:
    created = client.post(ROLLOUTS, rollout("r")).json
    resp = client.delete(f"{ROLLOUTS}/r", {"propagationPolicy": "Background"})
    assert resp.status == 200
    assert resp.json["kind"] == "Status" and resp.json["status"] == "Success"
    assert resp.json["details"] == {"name": "r", "group": "argoproj.io", "kind": "rollouts", "uid": created["metadata"]["uid"]}
    assert server.get_object("rollouts", "default", "r") is None
    _assert_status(client.delete(f"{ROLLOUTS}/r"), 404, "NotFound")


def test_delete_a_pod_answers_the_object(client: Client) -> None:
    client.post(PODS, pod("p"))
    resp = client.delete(f"{PODS}/p")
    assert resp.status == 200 and resp.json["kind"] == "Pod"


def test_delete_with_finalizers_marks_then_removes(server: APIServer, client: Client) -> None:
    obj = rollout("r")
    obj["metadata"]["finalizers"] = ["example.com/hold"]
    client.post(ROLLOUTS, obj)
    first = client.delete(f"{ROLLOUTS}/r", {"propagationPolicy": "Foreground"})
    assert first.status == 200
    assert first.json["metadata"]["deletionTimestamp"]
    assert first.json["metadata"]["generation"] == 2
    assert client.get(f"{ROLLOUTS}/r").status == 200  # still there while the finalizer is
    again = client.delete(f"{ROLLOUTS}/r")
    assert again.json["metadata"]["resourceVersion"] == first.json["metadata"]["resourceVersion"]
    # Updates cannot clear deletionTimestamp; emptying the finalizers completes the delete.
    cleared = client.patch(f"{ROLLOUTS}/r", {"metadata": {"finalizers": None, "deletionTimestamp": None}})
    assert cleared.status == 200
    assert server.get_object("rollouts", "default", "r") is None


def test_delete_preconditions(client: Client) -> None:
    uid = client.post(ROLLOUTS, rollout("r")).json["metadata"]["uid"]
    _assert_status(client.delete(f"{ROLLOUTS}/r", {"preconditions": {"uid": "other"}}), 409, "Conflict")
    assert client.delete(f"{ROLLOUTS}/r", {"preconditions": {"uid": uid}}).status == 200


def test_delete_collection_by_selector(server: APIServer, client: Client) -> None:
    server.seed([rollout("a", labels={"tier": "web"}), rollout("b", labels={"tier": "web"}), rollout("c")])
    resp = client.delete(ROLLOUTS, labelSelector="tier=web")
    assert resp.status == 200 and resp.json["kind"] == "RolloutList"
    assert [o["metadata"]["name"] for o in server.list_objects("rollouts")] == ["c"]


def test_delete_object_from_test_code_ignores_finalizers(server: APIServer) -> None:
    obj = rollout("r")
    obj["metadata"]["finalizers"] = ["hold"]
    server.seed([obj])
    assert server.delete_object("rollouts", "default", "r") is True
    assert server.delete_object("rollouts", "default", "r") is False


# -- namespaces, secrets, scale, dry run


def test_namespaces_list_the_ones_in_use_plus_default(server: APIServer, client: Client) -> None:
    server.seed([rollout("a", namespace="team-a"), pod("p", namespace="team-b")])
    body = client.get("/api/v1/namespaces").json
    assert body["kind"] == "NamespaceList"
    assert [n["metadata"]["name"] for n in body["items"]] == ["default", "team-a", "team-b"]
    assert client.get("/api/v1/namespaces/team-a").json["status"] == {"phase": "Active"}
    # Namespaces need not exist first; creating into a new one adds it.
    assert client.post("/api/v1/namespaces/fresh/configmaps", {"metadata": {"name": "c"}, "data": {}}).status == 201
    assert server.get_object("namespaces", None, "fresh") is not None


def test_deleting_a_namespace_removes_its_contents(server: APIServer, client: Client) -> None:
    server.seed([rollout("a", namespace="gone"), rollout("b")])
    assert client.delete("/api/v1/namespaces/gone").status == 200
    assert [o["metadata"]["name"] for o in server.list_objects("rollouts")] == ["b"]
    _assert_status(client.delete("/api/v1/namespaces/default"), 403, "Forbidden")


def test_secret_string_data_is_folded_into_data(client: Client) -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"token": "abc"}}
    body = client.post("/api/v1/namespaces/default/secrets", secret).json
    assert body["data"] == {"token": "YWJj"} and "stringData" not in body


def test_scale_subresource(server: APIServer, client: Client) -> None:
    obj = rollout("r", replicas=3)
    obj["status"] = {"replicas": 3, "selector": "app=r"}
    server.seed([obj])
    scale = client.get(f"{ROLLOUTS}/r/scale").json
    assert scale["kind"] == "Scale" and scale["spec"] == {"replicas": 3}
    assert scale["status"] == {"replicas": 3, "selector": "app=r"}
    scaled = client.patch(f"{ROLLOUTS}/r/scale", {"spec": {"replicas": 5}})
    assert scaled.status == 200 and scaled.json["spec"]["replicas"] == 5
    stored = server.get_object("rollouts", "default", "r")
    assert stored and stored["spec"]["replicas"] == 5 and stored["metadata"]["generation"] == 2
    _assert_status(client.patch(f"{ROLLOUTS}/r/scale", {"spec": {"replicas": -1}}), 422, "Invalid")


def test_dry_run_stores_nothing(server: APIServer, client: Client) -> None:
    before = server.resource_version
    assert client.post(ROLLOUTS, rollout("r"), dryRun="All").status == 201
    assert server.get_object("rollouts", "default", "r") is None
    assert server.resource_version == before


# -- copy-on-write


def test_stored_objects_are_isolated_from_callers(server: APIServer) -> None:
    original = rollout("r")
    server.seed([original])
    original["spec"]["replicas"] = 99
    copy = server.get_object("rollouts", "default", "r")
    assert copy is not None and copy["spec"]["replicas"] == 1
    copy["metadata"]["labels"]["mutated"] = "yes"
    again = server.get_object("rollouts", "default", "r")
    assert again is not None and "mutated" not in again["metadata"]["labels"]


def test_history_sent_to_watchers_is_never_rewritten(server: APIServer, client: Client) -> None:
    # A shallow copy-on-write would let the later label patch leak into the earlier events.
    server.seed([rollout("r")])
    start = server.resource_version
    client.patch(f"{ROLLOUTS}/r/status", {"status": {"phase": "Progressing"}})
    client.patch(f"{ROLLOUTS}/r", {"metadata": {"labels": {"step": "1"}}})
    client.patch(f"{ROLLOUTS}/r", {"metadata": {"labels": {"step": "2"}}})
    from .support import WatchStream

    assert server.url
    stream = WatchStream(server.url, ROLLOUTS, resourceVersion=start, timeoutSeconds="0")
    events = stream.rest()
    stream.close()
    labels = [e["object"]["metadata"]["labels"].get("step") for e in events]
    assert labels == [None, "1", "2"]
    assert events[0]["object"]["status"] == {"phase": "Progressing"}


def test_stored_versions_are_never_mutated_after_storing(server: APIServer, client: Client) -> None:
    # White-box: every stored object and logged event must still equal the JSON encoded when
    # it was stored. Responses come from those bytes, so in-place edits would otherwise hide.
    held = rollout("held")
    held["metadata"]["finalizers"] = ["hold"]
    server.seed([rollout("r"), pod("p"), held])
    client.patch(f"{ROLLOUTS}/r/status", {"status": {"phase": "Progressing"}})
    client.patch(f"{ROLLOUTS}/r", {"metadata": {"labels": {"step": "1"}}})
    client.patch(f"{ROLLOUTS}/r", [{"op": "add", "path": "/spec/paused", "value": True}], content_type="application/json-patch+json")
    client.patch(f"{PODS}/p", {"spec": {"containers": [{"name": "app", "image": "app:2"}]}},
                 content_type="application/strategic-merge-patch+json")
    client.patch(f"{ROLLOUTS}/r/scale", {"spec": {"replicas": 3}})
    client.delete(f"{ROLLOUTS}/held")
    client.patch(f"{ROLLOUTS}/held", {"metadata": {"finalizers": []}})
    server.apply_change(dict(rollout("r"), status={"phase": "Healthy"}))
    store = server.store
    for event in store.events_after(0):
        assert json.loads(event.raw) == event.obj, event.type
    for plural in ("rollouts", "pods", "namespaces"):
        for entry in store.items(resource_for(plural), None):
            assert json.loads(entry.raw) == entry.obj


def test_merge_patch_content_type_is_recorded(server: APIServer, client: Client) -> None:
    server.seed([rollout("r")])
    server.clear_requests()
    client.patch(f"{ROLLOUTS}/r", {"spec": {"paused": True}}, content_type=MERGE + "; charset=utf-8")
    (request,) = server.requests
    assert (request.method, request.path, request.content_type) == ("PATCH", f"{ROLLOUTS}/r", MERGE)
    assert request.json() == {"spec": {"paused": True}}
