"""The official python client (v37) against the stand-in server.

Only ApiClient and CustomObjectsApi: the typed core API would import ~250 models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes import watch as k8s_watch

from kubectl_rollouts_py.sandbox.apiserver import APIServer

from .support import JSON_PATCH, MERGE, pod, rollout

ARGO = ("argoproj.io", "v1alpha1")
# Every watch below also sets a client-side _request_timeout, so a server that never ends a
# stream fails the test instead of hanging it.


def _api_client(server: APIServer, tmp_path: Path) -> k8s.ApiClient:
    configuration = k8s.Configuration()
    path = server.write_kubeconfig(tmp_path / "kubeconfig")
    k8s_config.load_kube_config(config_file=str(path), client_configuration=configuration)
    return k8s.ApiClient(configuration)


@pytest.fixture
def custom(server: APIServer, tmp_path: Path) -> Any:
    server.seed([rollout("web"), rollout("api"), pod("p1", labels={"app": "x"})])
    with _api_client(server, tmp_path) as api_client:
        yield k8s.CustomObjectsApi(api_client)


def test_list_create_and_patch(server: APIServer, custom: Any) -> None:
    listed = custom.list_namespaced_custom_object(*ARGO, "default", "rollouts")
    assert listed["kind"] == "RolloutList"
    assert [i["metadata"]["name"] for i in listed["items"]] == ["api", "web"]
    selected = custom.list_namespaced_custom_object(*ARGO, "default", "rollouts", label_selector="app=web")
    assert [i["metadata"]["name"] for i in selected["items"]] == ["web"]

    created = custom.create_namespaced_custom_object(*ARGO, "default", "rollouts", rollout("new"))
    assert created is not None and created["metadata"]["uid"]  # None unless the server answers 201

    server.clear_requests()
    patched = custom.patch_namespaced_custom_object(*ARGO, "default", "rollouts", "web", {"spec": {"paused": True}})
    assert patched["spec"]["paused"] is True
    assert server.requests[-1].content_type == MERGE

    # A list body still goes out as a merge patch unless the caller says otherwise.
    ops = [{"op": "replace", "path": "/spec/replicas", "value": 4}]
    with pytest.raises(k8s.ApiException) as caught:
        custom.patch_namespaced_custom_object(*ARGO, "default", "rollouts", "web", ops)
    assert caught.value.status == 422
    patched = custom.patch_namespaced_custom_object(*ARGO, "default", "rollouts", "web", ops, _content_type=JSON_PATCH)
    assert patched["spec"]["replicas"] == 4

    status = custom.patch_namespaced_custom_object_status(*ARGO, "default", "rollouts", "web", {"status": {"phase": "Paused"}})
    assert status["status"] == {"phase": "Paused"}


def test_not_found_is_an_api_exception_with_a_status_body(custom: Any) -> None:
    with pytest.raises(k8s.ApiException) as caught:
        custom.get_namespaced_custom_object(*ARGO, "default", "rollouts", "nope")
    assert caught.value.status == 404
    assert json.loads(caught.value.body)["message"] == 'rollouts.argoproj.io "nope" not found'


def test_raw_call_for_core_objects(server: APIServer, custom: Any) -> None:
    api_client = custom.api_client
    url = api_client.configuration.host + "/api/v1/namespaces/default/pods?labelSelector=app%3Dx"
    response = api_client.call_api("GET", url, header_params={"Accept": "application/json"})
    body = json.loads(response.read())
    assert body["kind"] == "PodList" and [i["metadata"]["name"] for i in body["items"]] == ["p1"]


def test_watch_stream_replays_and_follows(server: APIServer, custom: Any) -> None:
    rv = custom.list_namespaced_custom_object(*ARGO, "default", "rollouts")["metadata"]["resourceVersion"]
    server.apply_change(rollout("web", replicas=2))  # between list and watch: must not be lost
    seen = []
    stream = k8s_watch.Watch()
    for event in stream.stream(custom.list_namespaced_custom_object, *ARGO, "default", "rollouts",
                               resource_version=rv, timeout_seconds=30, _request_timeout=60):
        seen.append((event["type"], event["object"]["metadata"]["name"], event["object"]["spec"]["replicas"]))
        if len(seen) == 1:
            server.apply_change(rollout("api", replicas=3))  # made while the stream is open: followed live
        if len(seen) == 2:
            stream.stop()
    assert seen == [("MODIFIED", "web", 2), ("MODIFIED", "api", 3)]
    assert stream.resource_version == server.resource_version


def test_watch_timeout_ends_the_stream(server: APIServer, custom: Any) -> None:
    events = list(k8s_watch.Watch().stream(custom.list_namespaced_custom_object, *ARGO, "default", "rollouts",
                                           resource_version=server.resource_version, timeout_seconds=1,
                                           _request_timeout=10))
    assert events == []


def test_expired_resource_version_raises_410(tmp_path: Path) -> None:
    with APIServer(event_window=2) as server:
        server.seed([rollout("web")])
        old = server.resource_version
        for replicas in range(2, 7):
            server.apply_change(rollout("web", replicas=replicas))
        with _api_client(server, tmp_path) as api_client:
            custom = k8s.CustomObjectsApi(api_client)
            # Without timeout_seconds the client retries once after a 410, then raises.
            with pytest.raises(k8s.ApiException) as caught:
                for _ in k8s_watch.Watch().stream(custom.list_namespaced_custom_object, *ARGO, "default", "rollouts",
                                                  resource_version=old, _request_timeout=5):
                    pass
            assert caught.value.status == 410
            assert "Expired" in str(caught.value.reason)
