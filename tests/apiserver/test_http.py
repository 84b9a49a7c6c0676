"""Transport behaviour: authentication, forbid(), keep-alive, request recording, concurrency
and the cost of a large LIST."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from kubectl_rollouts_py.sandbox.apiserver import APIServer, handler, jsondata

from .support import MERGE, PODS, ROLLOUTS, Client, pod, rollout

# -- authentication


def test_token_is_required_on_every_request() -> None:
    with APIServer(token="s3cret") as server:
        assert server.url
        for path in ("/version", "/apis", ROLLOUTS):
            resp = Client(server.url).get(path)
            assert resp.status == 401
            assert resp.json == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                 "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
        assert Client(server.url, token="wrong").get(ROLLOUTS).status == 401
        assert Client(server.url, token="s3cret").get(ROLLOUTS).status == 200


def test_kubeconfig_points_at_the_server(server: APIServer, tmp_path: Path) -> None:
    path = server.write_kubeconfig(tmp_path / "kc", namespace="team")
    config = yaml.safe_load(path.read_text())
    assert config["current-context"] == "stand-in"
    assert config["clusters"] == [{"name": "stand-in", "cluster": {"server": server.url}}]
    assert config["contexts"][0]["context"] == {"cluster": "stand-in", "user": "stand-in", "namespace": "team"}
    assert config["users"] == [{"name": "stand-in", "user": {}}]
    with_token = yaml.safe_load(server.write_kubeconfig(tmp_path / "kc2", token="t").read_text())
    assert with_token["users"][0]["user"] == {"token": "t"}


def test_kubeconfig_carries_the_servers_own_token(tmp_path: Path) -> None:
    with APIServer(token="abc") as server:
        config = yaml.safe_load(server.write_kubeconfig(tmp_path / "kc").read_text())
    assert config["users"][0]["user"] == {"token": "abc"}


# -- forbid


def test_the_kubeconfig_is_private_from_the_start(tmp_path: Path) -> None:
    # Created 0600, and a file already there (here 0644) is made 0600 before the token goes in.
    existing = tmp_path / "existing"
    existing.write_text("old")
    existing.chmod(0o644)
    with APIServer(token="s3cret") as srv:
        for path in (tmp_path / "new", existing):
            srv.write_kubeconfig(path)
            assert path.stat().st_mode & 0o777 == 0o600
            assert "s3cret" in path.read_text()


def test_forbid_answers_a_real_looking_403(server: APIServer, client: Client) -> None:
    server.seed([rollout("x", namespace="ns")])
    server.forbid("get", "rollouts")
    resp = client.get("/apis/argoproj.io/v1alpha1/namespaces/ns/rollouts/x")
    assert resp.status == 403
    assert resp.json["reason"] == "Forbidden"
    assert resp.json["message"] == (
        'rollouts.argoproj.io "x" is forbidden: User "system:anonymous" cannot get resource "rollouts" '
        'in API group "argoproj.io" in the namespace "ns"'
    )
    assert resp.json["details"] == {"name": "x", "group": "argoproj.io", "kind": "rollouts"}
    # Other verbs are untouched.
    assert client.get("/apis/argoproj.io/v1alpha1/namespaces/ns/rollouts").status == 200


def test_forbid_by_namespace_and_at_cluster_scope(server: APIServer, client: Client) -> None:
    server.forbid("list", "pods", namespace="secret")
    assert client.get("/api/v1/namespaces/secret/pods").status == 403
    assert client.get(PODS).status == 200
    server.forbid("list", "rollouts.argoproj.io")
    resp = client.get("/apis/argoproj.io/v1alpha1/rollouts")
    assert resp.json["message"] == (
        'rollouts.argoproj.io is forbidden: User "system:anonymous" cannot list resource "rollouts" '
        'in API group "argoproj.io" at the cluster scope'
    )
    server.clear_forbidden()
    assert client.get("/apis/argoproj.io/v1alpha1/rollouts").status == 200


def test_forbid_a_subresource_only(server: APIServer, client: Client) -> None:
    server.seed([rollout("r")])
    server.forbid("patch", "rollouts/status")
    resp = client.patch(f"{ROLLOUTS}/r/status", {"status": {"phase": "Healthy"}})
    assert resp.status == 403 and 'cannot patch resource "rollouts/status"' in resp.json["message"]
    assert client.patch(f"{ROLLOUTS}/r", {"spec": {"paused": True}}).status == 200


# -- keep-alive and bodies


def test_keep_alive_survives_a_delete_with_a_body(server: APIServer) -> None:
    # kubectl sends DeleteOptions with DELETE; an unread body poisons the next response.
    server.seed([rollout("a"), rollout("b")])
    assert server.url
    client = Client(server.url)
    assert client.get(f"{ROLLOUTS}/a").status == 200
    sock = client.conn.sock
    assert client.delete(f"{ROLLOUTS}/a", {"kind": "DeleteOptions", "apiVersion": "v1",
                                           "propagationPolicy": "Background"}).status == 200
    assert client.get(f"{ROLLOUTS}/b").json["metadata"]["name"] == "b"
    assert client.get(f"{ROLLOUTS}/a").status == 404  # errors keep the connection too
    assert client.patch(f"{ROLLOUTS}/b", {"spec": {"paused": True}}).status == 200
    assert client.conn.sock is sock
    client.close()


def test_chunked_request_bodies_are_read(server: APIServer) -> None:
    assert server.url
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    body = iter([b'{"apiVersion":"argoproj.io/v1alpha1","kind":"Rollout",', b'"metadata":{"name":"chunky"}}'])
    conn.request("POST", ROLLOUTS, body=body, headers={"Content-Type": "application/json"}, encode_chunked=True)
    assert conn.getresponse().read() and server.get_object("rollouts", "default", "chunky")
    conn.request("GET", f"{ROLLOUTS}/chunky")
    assert conn.getresponse().status == 200
    conn.close()


def test_requests_are_recorded(server: APIServer, client: Client) -> None:
    server.seed([rollout("r")])
    client.patch(f"{ROLLOUTS}/r", {"spec": {"paused": True}}, headers={"X-Test": "1"})
    client.get(ROLLOUTS, labelSelector="app=r", limit="500")
    patch, listing = server.requests
    assert (patch.method, patch.path, patch.content_type, patch.body) == (
        "PATCH", f"{ROLLOUTS}/r", MERGE, b'{"spec": {"paused": true}}')
    assert patch.headers.get("x-test") == "1"
    assert (listing.method, listing.query) == ("GET", {"labelSelector": "app=r", "limit": "500"})
    server.clear_requests()
    assert server.requests == []


def test_fail_next_injects_errors_for_a_method_and_path(server: APIServer, client: Client) -> None:
    server.seed([rollout("r")])
    server.fail_next("PATCH", f"{ROLLOUTS}/r/status", 404)
    server.fail_next("PATCH", f"{ROLLOUTS}/r", 409, times=2)
    failed = client.patch(f"{ROLLOUTS}/r/status", {"status": {"phase": "Healthy"}})
    assert (failed.status, failed.json["kind"], failed.json["reason"]) == (404, "Status", "NotFound")
    assert client.patch(f"{ROLLOUTS}/r/status", {"status": {"phase": "Healthy"}}).status == 200
    assert [client.patch(f"{ROLLOUTS}/r", {"spec": {"paused": True}}).status for _ in range(3)] == [409, 409, 200]
    assert client.get(f"{ROLLOUTS}/r").status == 200  # other methods are untouched
    assert [r.method for r in server.requests].count("PATCH") == 5  # injected answers are recorded too


def test_unknown_paths_and_methods(client: Client) -> None:
    assert client.get("/nope").status == 404
    assert client.get("/openapi/v2").json["reason"] == "NotFound"
    assert client.request("POST", f"{ROLLOUTS}/x", {}).status == 405
    assert client.request("OPTIONS", ROLLOUTS).status == 405
    assert client.get("/healthz").body == b"ok"


# -- lifecycle, concurrency, cost


def test_start_looks_up_no_name_and_stop_frees_the_port(monkeypatch: pytest.MonkeyPatch) -> None:
    # A per-test server must be cheap: http.server's own bind asks for the host's full name,
    # a reverse DNS lookup that can take seconds. Checked by what start does, not how long.
    looked_up: list[str] = []
    monkeypatch.setattr(socket, "getfqdn", lambda name="": looked_up.append(name) or name)
    server = APIServer()
    url = server.start()
    assert looked_up == []
    assert url == server.url and url.startswith("http://127.0.0.1:")
    server.stop()
    parts = urlsplit(url)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((parts.hostname, parts.port), timeout=1)


def test_concurrent_writers_get_distinct_versions(server: APIServer) -> None:
    assert server.url
    url = server.url
    results: list[str] = []

    def create(i: int) -> None:
        client = Client(url)
        for j in range(10):
            results.append(client.post(ROLLOUTS, rollout(f"r-{i}-{j}")).json["metadata"]["resourceVersion"])
        client.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 50
    assert len(server.list_objects("rollouts")) == 50


def test_a_list_joins_the_stored_bytes_instead_of_encoding_each_object(server: APIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # Stored objects keep their encoded JSON, so a LIST of 1000 rollouts joins bytes: the only
    # JSON it encodes is the list's own head (re-encoding every object measured ~27 ms against
    # ~2 ms). Counted, not timed, so a busy machine cannot fail it.
    template = rollout("r", replicas=3, strategy={"canary": {"steps": [{"setWeight": w} for w in range(0, 100, 10)]}})
    server.seed(dict(template, metadata=dict(template["metadata"], name=f"r-{i:04}")) for i in range(1000))
    assert server.url
    encoded: list[object] = []

    def counting(value: object) -> bytes:
        encoded.append(value)
        return jsondata.encode(value)  # type: ignore[arg-type]

    monkeypatch.setattr(handler, "encode", counting)
    client = Client(server.url)
    resp = client.get(ROLLOUTS)
    client.close()
    assert resp.body.count(b'"kind":"Rollout"') == 1000
    assert resp.json["items"][999]["metadata"]["name"] == "r-0999"
    assert len(encoded) == 1 and encoded[0]["kind"] == "RolloutList", encoded[:3]  # type: ignore[index]


def test_pods_status_subresource_and_strategic_merge_for_builtins(server: APIServer, client: Client) -> None:
    server.seed([pod("p", phase="Pending")])
    resp = client.patch(f"{PODS}/p/status", {"status": {"phase": "Running"}})
    assert resp.status == 200 and resp.json["status"]["phase"] == "Running"


def test_a_client_resetting_its_connection_prints_no_traceback(server: APIServer, capfd: pytest.CaptureFixture[str]) -> None:
    # Tests kill CLIs and cut connections on purpose: socketserver printed a traceback for
    # each into the test run's output, where it looked like a failure.
    host, port = urlsplit(server.url).hostname, urlsplit(server.url).port

    def handlers() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if "process_request_thread" in t.name}

    def wait_until(check: Callable[[], object], what: str) -> None:
        deadline = time.monotonic() + 30  # a bound on a failure only
        while not check():
            assert time.monotonic() < deadline, what
            time.sleep(0.01)

    earlier = handlers()
    seen = set(earlier)
    for _ in range(3):
        sock = socket.create_connection((host, port))
        sock.sendall(b"GET /api HTTP/1.1\r\nHost: x\r\n")  # no blank line: the server waits for more
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # close = RST
        wait_until(lambda: handlers() - seen, "the server never took the connection")  # reset while it is served
        seen |= handlers()
        sock.close()
    client = Client(server.url)
    assert client.get("/version").status == 200  # still serving
    client.close()
    # Once the handlers of the reset connections are gone, a traceback they printed is in the output.
    wait_until(lambda: not handlers() - earlier, "the reset connections are still being handled")
    assert "Traceback" not in capfd.readouterr().err
