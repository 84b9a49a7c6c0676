"""ClusterSource against the stand-in API server: real HTTP, real kubeconfig, no mocks.

Every test that takes the `transport` fixture (directly or through `kubeconfig`/`src`)
runs twice: over http.client (a token kubeconfig) and over the kubernetes library (an
exec credential plugin), with the same assertions, error texts included.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
import types
from collections.abc import Iterator

import pytest

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import client as kube_client
from kubectl_rollouts_py.kube import resources
from kubectl_rollouts_py.kube import source as kube_source
from kubectl_rollouts_py.kube.options import ConnectionOptions
from kubectl_rollouts_py.sandbox.apiserver import APIServer

from .support import NO_HOME, write_kubeconfig

TOKEN = "t0ken-for-tests"


def rollout(name: str, namespace: str = "team", labels: dict | None = None, **spec) -> dict:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
        "spec": {"replicas": 1, **spec},
    }


def pod(name: str, namespace: str = "team", phase: str = "Running") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "app", "image": "nginx:1"}]},
        "status": {"phase": phase},
    }


@pytest.fixture
def server() -> Iterator[APIServer]:
    with APIServer(token=TOKEN) as srv:
        srv.seed([rollout("web", labels={"app": "web"}), rollout("db"), rollout("other", namespace="elsewhere"), pod("web-1"), pod("web-2", phase="Pending")])
        yield srv


@pytest.fixture
def kubeconfig(server, tmp_path, transport) -> str:
    return write_kubeconfig(tmp_path / "kubeconfig", server.url, transport=transport, token=TOKEN, namespace="team")


@pytest.fixture
def src(kubeconfig, transport) -> Iterator[kube_source.Source]:
    source = kube_source.open_source(ConnectionOptions(kubeconfig=kubeconfig), environ=NO_HOME)
    assert source.via == transport
    yield source
    source.close()


def test_namespace_and_description_come_from_the_kubeconfig(src, server):
    assert src.namespace == "team"
    assert src.describe() == server.url


def test_get_returns_the_object_as_a_plain_dict(src, server):
    got = src.get(resources.ROLLOUTS, "web", "team")
    assert type(got) is dict
    assert got["metadata"]["name"] == "web"
    assert got["metadata"]["resourceVersion"]
    request = server.requests[-1]
    assert (request.method, request.path) == ("GET", "/apis/argoproj.io/v1alpha1/namespaces/team/rollouts/web")
    assert request.headers.get("Authorization") == f"Bearer {TOKEN}"
    assert request.headers.get("Accept") == "application/json"


def test_get_missing_object_raises_not_found_with_the_api_message(src):
    with pytest.raises(errors.NotFound) as caught:
        src.get(resources.ROLLOUTS, "nope", "team")
    assert str(caught.value) == 'rollouts.argoproj.io "nope" not found'
    assert caught.value.reason == "NotFound"


def test_list_in_a_namespace_and_across_all(src, server):
    listed = src.list(resources.ROLLOUTS, "team")
    assert sorted(o["metadata"]["name"] for o in listed.items) == ["db", "web"]
    assert listed.resource_version == server.resource_version
    everywhere = src.list(resources.ROLLOUTS, None)
    assert sorted(o["metadata"]["name"] for o in everywhere.items) == ["db", "other", "web"]
    assert server.requests[-1].path == "/apis/argoproj.io/v1alpha1/rollouts"


def test_list_items_of_built_in_kinds_carry_kind_and_api_version(src):
    items = src.list(resources.PODS, "team").items
    assert {(o["kind"], o["apiVersion"]) for o in items} == {("Pod", "v1")}


def test_selectors_are_sent_and_applied_by_the_server(src, server):
    assert [o["metadata"]["name"] for o in src.list(resources.ROLLOUTS, "team", label_selector="app=web").items] == ["web"]
    assert server.requests[-1].query["labelSelector"] == "app=web"
    pending = src.list(resources.PODS, "team", field_selector="status.phase=Pending").items
    assert [o["metadata"]["name"] for o in pending] == ["web-2"]
    assert server.requests[-1].query["fieldSelector"] == "status.phase=Pending"


def test_concurrent_get_and_lists_through_one_source(src):
    # The CLI's `get rollout`: one GET and four LISTs at once.
    with concurrent.futures.ThreadPoolExecutor(max_workers=5) as pool:
        futures = [pool.submit(src.get, resources.ROLLOUTS, "web", "team")]
        futures += [pool.submit(src.list, r, "team") for r in (resources.REPLICASETS, resources.PODS, resources.ANALYSISRUNS, resources.EXPERIMENTS)]
        results = [f.result(timeout=10) for f in futures]
    assert results[0]["metadata"]["name"] == "web"
    assert len(results[2].items) == 2


def test_opening_a_source_leaves_the_library_defaults_alone(kubeconfig):
    from kubernetes.client import Configuration

    def default() -> tuple:
        c = Configuration.get_default_copy()
        return (c.host, dict(c.api_key), c.ssl_ca_cert, c.cert_file, c.key_file, c.verify_ssl, c.proxy)

    before = default()
    with kube_source.open_source(ConnectionOptions(kubeconfig=kubeconfig), environ=NO_HOME) as source:
        source.get(resources.ROLLOUTS, "web", "team")
    assert default() == before


def test_impersonation_headers_are_sent_one_per_group(kubeconfig, server):
    options = ConnectionOptions(kubeconfig=kubeconfig, impersonate="jane", impersonate_groups=("devs", "a,b"))
    with kube_source.open_source(options, environ=NO_HOME) as source:
        source.get(resources.ROLLOUTS, "web", "team")
    headers = server.requests[-1].headers
    assert headers.get("Impersonate-User") == "jane"
    assert headers.get_all("Impersonate-Group") == ["devs", "a,b"]


# -- errors ----------------------------------------------------------------------------


def test_wrong_token_is_unauthorized(server, tmp_path, transport):
    path = write_kubeconfig(tmp_path / "kc", server.url, transport=transport, token="wrong")
    source = kube_source.open_source(ConnectionOptions(kubeconfig=path), environ=NO_HOME)
    with pytest.raises(errors.Unauthorized) as caught:
        source.list(resources.ROLLOUTS, "team")
    assert str(caught.value) == "You must be logged in to the server (Unauthorized)"
    assert "wrong" not in str(caught.value)


def test_token_flag_overrides_the_kubeconfig_credentials(server, tmp_path, transport):
    path = write_kubeconfig(tmp_path / "kc", server.url, transport=transport, token="wrong")
    options = ConnectionOptions(kubeconfig=path, token=TOKEN)
    with kube_source.open_source(options, environ=NO_HOME) as source:
        assert source.get(resources.ROLLOUTS, "web", "team")["metadata"]["name"] == "web"
        # --token replaces an exec plugin too (as in kubectl), so no library is needed.
        assert source.via == "http.client"


def test_forbidden_carries_the_server_message(src, server):
    server.forbid("get", "rollouts")
    with pytest.raises(errors.Forbidden) as caught:
        src.get(resources.ROLLOUTS, "web", "team")
    assert caught.value.status == 403
    assert str(caught.value).startswith('rollouts.argoproj.io "web" is forbidden: ')


def test_connection_refused_after_the_server_is_gone(kubeconfig, server, monkeypatch):
    source = kube_source.open_source(ConnectionOptions(kubeconfig=kubeconfig), environ=NO_HOME)
    server.stop()
    waits: list[float] = []  # what the client would wait before a retry: a refusal is not retried
    monkeypatch.setattr(kube_client, "time", types.SimpleNamespace(monotonic=time.monotonic, sleep=waits.append))
    with pytest.raises(errors.ConnectionFailed) as caught:
        source.get(resources.ROLLOUTS, "web", "team")
    assert waits == []
    assert str(caught.value) == f"cannot reach the Kubernetes API at {server.url}: connection refused"


# -- watch -------------------------------------------------------------------------------

# A watch that `stop` should end is opened with this timeoutSeconds, so a broken stop shows as
# a watch that outlives HANG_GUARD rather than one the server ends soon after anyway.
LONG_WATCH = 120
HANG_GUARD = 30.0  # seconds; a bound on a failure, not a measure of speed


def _when(check, action) -> threading.Thread:
    """Run `action` in another thread once `check()` holds (polled; gives up after HANG_GUARD)."""
    def run() -> None:
        give_up = time.monotonic() + HANG_GUARD
        while not check() and time.monotonic() < give_up:
            time.sleep(0.01)
        action()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _watching(server: APIServer) -> bool:
    with server.store.cond:
        return server.store.watchers > 0


def test_watch_replays_changes_after_the_listed_version_and_stops_on_request(src, server):
    listed = src.list(resources.ROLLOUTS, "team")
    server.apply_change(rollout("web", labels={"app": "web"}, replicas=3))
    server.apply_change(rollout("new"))
    stop = threading.Event()
    events = []
    started = time.monotonic()
    for event in src.watch(resources.ROLLOUTS, "team", resource_version=listed.resource_version, timeout_seconds=LONG_WATCH, stop=stop):
        events.append((event.type, event.object["metadata"]["name"]))
        if len(events) == 2:
            stop.set()
    assert events == [("MODIFIED", "web"), ("ADDED", "new")]
    assert time.monotonic() - started < HANG_GUARD  # ended by stop, not by the server after LONG_WATCH


def test_watch_ends_when_stop_is_set_from_another_thread(src, server):
    stop = threading.Event()
    setter = _when(lambda: _watching(server), stop.set)  # set while the watch is open and idle
    started = time.monotonic()
    events = list(src.watch(resources.ROLLOUTS, "team", resource_version=server.resource_version, timeout_seconds=LONG_WATCH, stop=stop))
    assert events == []
    assert time.monotonic() - started < HANG_GUARD  # ended by stop, not by the server after LONG_WATCH
    setter.join()


def test_watch_sees_live_changes(src, server):
    stop = threading.Event()
    rv = server.resource_version
    # The change is made once the watch is open, so it arrives live rather than replayed.
    changer = _when(lambda: _watching(server), lambda: server.apply_change(rollout("db", replicas=5)))
    for event in src.watch(resources.ROLLOUTS, "team", resource_version=rv, timeout_seconds=LONG_WATCH, stop=stop):
        assert (event.type, event.object["metadata"]["name"], event.object["spec"]["replicas"]) == ("MODIFIED", "db", 5)
        stop.set()
        break
    changer.join()


def test_watch_ends_when_the_server_ends_it_at_timeout_seconds(src, server, monkeypatch):
    # Our own deadline (timeout_seconds plus a grace) is pushed past HANG_GUARD, so only the
    # server's end of the stream can end this watch in time.
    monkeypatch.setattr(kube_client, "WATCH_DEADLINE_GRACE", 2 * HANG_GUARD)
    started = time.monotonic()
    events = list(src.watch(resources.ROLLOUTS, "team", resource_version=server.resource_version, timeout_seconds=1))
    assert events == []
    took = time.monotonic() - started
    assert 0.9 <= took < HANG_GUARD  # not before the server's timeout; the upper bound is a hang guard
    assert server.requests[-1].query["timeoutSeconds"] == "1"


def test_watch_with_a_selector_on_one_object(src, server):
    stop = threading.Event()
    rv = server.resource_version
    server.apply_change(rollout("db", replicas=2))
    server.apply_change(rollout("web", labels={"app": "web"}, replicas=2))
    got = []
    for event in src.watch(
        resources.ROLLOUTS, "team", resource_version=rv, field_selector="metadata.name=web", timeout_seconds=10, stop=stop
    ):
        got.append(event.object["metadata"]["name"])
        stop.set()
    assert got == ["web"]


def test_watch_from_a_version_older_than_the_window_raises_expired(tmp_path, transport):
    with APIServer(event_window=2) as srv:
        srv.seed([rollout("web")])
        old = srv.resource_version
        for replicas in range(2, 6):
            srv.apply_change(rollout("web", replicas=replicas))
        path = write_kubeconfig(tmp_path / "kc", srv.url, transport=transport, namespace="team")
        with kube_source.open_source(ConnectionOptions(kubeconfig=path), environ=NO_HOME) as source:
            with pytest.raises(errors.Expired) as caught:
                list(source.watch(resources.ROLLOUTS, "team", resource_version=old, timeout_seconds=5))
    assert caught.value.status == 410
    assert str(caught.value).startswith(f"too old resource version: {old} ")


# -- writes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("patch_type", "body", "content_type"),
    [
        ("merge", {"spec": {"paused": True}}, "application/merge-patch+json"),
        ("json", [{"op": "add", "path": "/spec/paused", "value": True}], "application/json-patch+json"),
    ],
)
def test_patch_sends_the_content_type_of_its_patch_type(src, server, patch_type, body, content_type):
    patched = src.patch(resources.ROLLOUTS, "web", "team", body, patch_type=patch_type)
    assert patched["spec"]["paused"] is True
    request = server.requests[-1]
    assert (request.method, request.content_type, request.json()) == ("PATCH", content_type, body)


def test_strategic_merge_patch_on_a_built_in_kind(src, server):
    body = {"spec": {"containers": [{"name": "app", "image": "nginx:2"}]}}
    patched = src.patch(resources.PODS, "web-1", "team", body, patch_type="strategic")
    assert patched["spec"]["containers"] == [{"name": "app", "image": "nginx:2"}]
    assert server.requests[-1].content_type == "application/strategic-merge-patch+json"


def test_patch_of_the_status_subresource(src, server):
    patched = src.patch(resources.ROLLOUTS, "web", "team", {"status": {"abort": True}}, subresource="status")
    assert patched["status"]["abort"] is True
    assert server.requests[-1].path == "/apis/argoproj.io/v1alpha1/namespaces/team/rollouts/web/status"


def test_create_returns_the_stored_object_and_a_duplicate_conflicts(src, server):
    created = src.create(resources.ROLLOUTS, "team", rollout("fresh"))
    assert created["metadata"]["uid"] and created["metadata"]["resourceVersion"]
    assert server.requests[-1].method == "POST"
    with pytest.raises(errors.Conflict) as caught:
        src.create(resources.ROLLOUTS, "team", rollout("fresh"))
    assert str(caught.value) == 'rollouts.argoproj.io "fresh" already exists'


def test_replace_with_a_stale_resource_version_conflicts(src):
    current = src.get(resources.ROLLOUTS, "web", "team")
    current["spec"]["replicas"] = 4
    replaced = src.replace(resources.ROLLOUTS, "web", "team", current)
    assert replaced["spec"]["replicas"] == 4
    current["spec"]["replicas"] = 5  # still carries the old resourceVersion
    with pytest.raises(errors.Conflict):
        src.replace(resources.ROLLOUTS, "web", "team", current)


@pytest.mark.parametrize("name", ["my app", "wéb", "a/b", "..", "x?y=1", "a%2Fb"])
def test_a_name_that_is_no_kubernetes_name_is_refused_before_any_request(src, server, name):
    # No object can have such a name; sent, it would change the request's path (issue 20).
    sent = len(server.requests)
    with pytest.raises(errors.UsageError):
        src.get(resources.ROLLOUTS, name, "team")
    assert len(server.requests) == sent
