"""The dashboard as a team service, through its HTTP API against the stand-in API server:
--root-path, --auth proxy (trusted addresses, the forwarded person, impersonated actions, reads
on the dashboard's own credentials, the cluster's 403 as a refusal), /healthz and /readyz, and
the access log (one JSON line per request, never a token, a cookie or Authorization)."""

from __future__ import annotations

import dataclasses
import http.client
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.dashboard import access
from kubectl_rollouts_py.dashboard.access import Access, Identity, IdentitySources, networks
from kubectl_rollouts_py.dashboard.server import Dashboard
from kubectl_rollouts_py.kube.options import ConnectionOptions
from kubectl_rollouts_py.kube.source import open_source
from kubectl_rollouts_py.sandbox.apiserver import APIServer

from e2e.standin import NS
from dashboard.conftest import RO, request, writes
from dashboard.test_health import PATIENCE, wait_for

STATIC = Path(access.__file__).parent / "static"
ALICE = {"X-Forwarded-User": "alice@example.com", "X-Forwarded-Groups": "team-a, team-b"}


def serve_team(cluster: APIServer, *, trusted: tuple[str, ...] = ("127.0.0.1/32",), root: str = "/rollouts",
               log: Any = None, wait: bool = True) -> Dashboard:
    """A dashboard in proxy mode, as `dashboard --auth proxy` builds it (cli/dashboard.py)."""
    options = ConnectionOptions(kubeconfig=str(cluster.kubeconfig))  # type: ignore[attr-defined]
    source = open_source(options, ())

    def as_person(identity: Identity) -> Any:
        return open_source(dataclasses.replace(options, impersonate=identity.user, impersonate_groups=identity.groups), ())

    dash = Dashboard(source, NS, address="127.0.0.1", port=0, root_path=access.root_path(root),
                     access=Access("proxy", networks(trusted)), identity_source=as_person, log=log).start()
    if wait:
        assert dash.hub.wait_synced(10), "the dashboard's watches did not list within 10 s"
    dash.closing_source = source  # type: ignore[attr-defined]
    return dash


@pytest.fixture()
def team(cluster: APIServer) -> Iterator[tuple[Dashboard, io.StringIO]]:
    log = io.StringIO()
    d = serve_team(cluster, log=log)
    yield d, log
    d.close()
    d.closing_source.close()  # type: ignore[attr-defined]


@pytest.fixture()
def rooted(cluster: APIServer) -> Iterator[Dashboard]:
    options = ConnectionOptions(kubeconfig=str(cluster.kubeconfig))  # type: ignore[attr-defined]
    source = open_source(options, ())
    d = Dashboard(source, NS, address="127.0.0.1", port=0, root_path="/rollouts").start()
    assert d.hub.wait_synced(10)
    yield d
    d.close()
    source.close()


def promote(dash: Dashboard, headers: dict[str, str], root: str = "/rollouts") -> Any:
    sent = {"X-Rollouts-Token": dash.token, "Origin": f"http://{dash.address}:{dash.port}", **headers}
    return request(dash, "POST", f"{root}/api/v1/rollouts/{NS}/app-backend/promote", {}, sent)


def logged(log: io.StringIO, count: int) -> list[dict[str, Any]]:
    """The access log's lines, once there are `count` (a line is written just after its
    response is sent, so the client may read the response first)."""
    wait_for(lambda: len(log.getvalue().splitlines()) >= count, f"{count} access-log lines", 10)
    return [json.loads(line) for line in log.getvalue().splitlines()]


def impersonation(cluster: APIServer) -> list[tuple[str, str, list[str] | None, list[str] | None]]:
    return [(r.method, r.path, r.headers.get_all("Impersonate-User"), r.headers.get_all("Impersonate-Group"))
            for r in cluster.requests]


# ---------------------------------------------------------------- root path


def test_every_route_is_under_the_root_path_and_nothing_outside_it(rooted: Dashboard) -> None:
    assert rooted.url.endswith("/rollouts/")
    page = request(rooted, "GET", "/rollouts/")
    assert page.status == 200 and b'<script src="static/app.js"' in page.body
    assert request(rooted, "GET", "/rollouts/index.html").status == 200
    assert request(rooted, "GET", "/rollouts/static/app.js").status == 200
    assert request(rooted, "GET", "/rollouts/static/app.css").status == 200
    assert request(rooted, "GET", "/rollouts/static/icon.svg").headers["content-type"] == "image/svg+xml"
    assert request(rooted, "GET", "/rollouts/api/v1/info").json()["namespace"] == NS
    assert [i["name"] for i in request(rooted, "GET", f"/rollouts/api/v1/rollouts?namespace={NS}").json()["items"]] == ["app-backend"]
    assert request(rooted, "GET", f"/rollouts/api/v1/rollouts/{NS}/app-backend").json()["name"] == "app-backend"
    for outside in ("/", "/index.html", "/static/app.js", "/api/v1/info", "/healthz", "/readyz", "/rolloutsx/",
                    "/rollouts-x/api/v1/info", "/other/rollouts/"):
        assert request(rooted, "GET", outside).status == 404, outside
    assert request(rooted, "POST", f"/api/v1/rollouts/{NS}/app-backend/promote", {},
                   {"X-Rollouts-Token": rooted.token}).status == 404


def test_the_root_path_alone_redirects_below_it_keeping_the_query(rooted: Dashboard) -> None:
    bare = request(rooted, "GET", "/rollouts")
    assert bare.status == 301 and bare.headers["location"] == "/rollouts/"
    assert request(rooted, "GET", "/rollouts?x=1").headers["location"] == "/rollouts/?x=1"


def test_the_event_stream_and_actions_under_the_root_path(rooted: Dashboard, cluster: APIServer) -> None:
    conn = http.client.HTTPConnection(str(rooted.address), rooted.port, timeout=10)
    conn.request("GET", "/rollouts/api/v1/events", headers={"Host": f"{rooted.address}:{rooted.port}"})
    resp = conn.getresponse()
    assert resp.status == 200 and resp.headers["Content-Type"] == "text/event-stream"
    assert resp.fp.readline() == b"retry: 1000\n" and resp.fp.readline() == b"event: change\n"
    conn.close()
    cluster.clear_requests()
    assert promote(rooted, {}).status == 200
    assert writes(cluster) == [("PATCH", RO + "/status", "application/merge-patch+json", {"status": {"pauseConditions": None}})]


def test_the_page_asks_only_for_relative_urls() -> None:
    """An absolute path in the page or its script would miss the root path."""
    html = (STATIC / "index.html").read_text()
    script = (STATIC / "app.js").read_text()
    assert not re.findall(r'(?:href|src|action)="/', html)
    assert not re.findall(r"""(?:fetch|getJSON|EventSource)\(\s*["'`]/""", script)
    assert not re.findall(r"""["'`]/(?:api|static)/""", script)
    assert "getJSON(\"api/v1/info\")" in script and 'new EventSource("api/v1/events")' in script


@pytest.mark.parametrize("given, served", [("", ""), ("/", ""), ("/rollouts", "/rollouts"), ("rollouts/", "/rollouts"),
                                           ("/a/b-c.d_e~f/", "/a/b-c.d_e~f")])
def test_root_path_forms(given: str, served: str) -> None:
    assert access.root_path(given) == served


@pytest.mark.parametrize("bad", ["/a//b", "/a/../b", "/a/./b", "/a b", "/a%2Fb", "/a?b", "/é"])
def test_bad_root_paths_are_usage_errors(bad: str) -> None:
    with pytest.raises(errors.UsageError, match="invalid --root-path"):
        access.root_path(bad)


# ---------------------------------------------------------------- health


def test_healthz_and_readyz_answer_anyone_under_the_root_path(team: tuple[Dashboard, io.StringIO]) -> None:
    dash, _ = team
    # No forwarded user, a Host the dashboard does not serve: the probes of a kubelet.
    assert request(dash, "GET", "/rollouts/healthz", headers={"Host": "10.1.2.3:3100"}).json() == {"status": "ok"}
    ready = request(dash, "GET", "/rollouts/readyz", headers={"Host": "10.1.2.3:3100"})
    assert ready.status == 200 and ready.json() == {"status": "ok"}
    assert request(dash, "HEAD", "/rollouts/healthz").status == 200


def test_readyz_is_503_until_rollouts_can_be_listed(cluster: APIServer) -> None:
    cluster.forbid("list", "rollouts")
    source = open_source(ConnectionOptions(kubeconfig=str(cluster.kubeconfig)), ())  # type: ignore[attr-defined]
    dash = Dashboard(source, NS, address="127.0.0.1", port=0).start()  # not serve(): it waits for the sync
    try:
        assert request(dash, "GET", "/healthz").status == 200
        resp = request(dash, "GET", "/readyz")
        assert resp.status == 503 and resp.json()["status"] == "not ready" and resp.json()["synced"] is False
        assert "forbidden" not in resp.body.decode().lower()  # the kinds at most, never the cluster's words
        cluster.clear_forbidden()
        # The next generation of streams lists again (after a backoff of up to 30 s).
        assert wait_for(lambda: request(dash, "GET", "/readyz").status == 200, "ready once rollouts are listed", PATIENCE)
    finally:
        dash.close()
        source.close()


# ---------------------------------------------------------------- proxy authentication


def test_reads_need_the_forwarded_person_and_use_the_dashboards_own_credentials(team, cluster: APIServer) -> None:
    dash, log = team
    missing = request(dash, "GET", "/rollouts/api/v1/info")
    assert missing.status == 401 and "X-Forwarded-User" in missing.json()["error"]
    assert request(dash, "GET", "/rollouts/", headers={"X-Forwarded-User": " "}).status == 401
    assert request(dash, "GET", "/rollouts/", headers={"X-Forwarded-User": "bad\x7fname"}).status == 401
    info = request(dash, "GET", "/rollouts/api/v1/info", headers=ALICE).json()
    assert info["user"] == "alice@example.com" and info["auth"] == "proxy"
    assert request(dash, "GET", "/rollouts/", headers=ALICE).status == 200
    # The hub's lists and watches carry no impersonation: one shared view, on the ServiceAccount.
    reads = [entry for entry in impersonation(cluster) if entry[0] == "GET"]
    assert reads and all(user is None and groups is None for _, _, user, groups in reads)
    lines = logged(log, 5)
    refused = [line for line in lines if line["status"] == 401]
    assert len(refused) == 3 and all("user" not in line and "X-Forwarded-User" in line["error"] for line in refused[:1])
    assert {"alice@example.com"} == {line.get("user") for line in lines if line["status"] == 200}


def test_an_action_impersonates_the_forwarded_person(team, cluster: APIServer) -> None:
    dash, _ = team
    cluster.clear_requests()
    resp = promote(dash, ALICE)
    assert resp.status == 200, resp.json()
    sent = impersonation(cluster)
    assert sent and all(user == ["alice@example.com"] and groups == ["team-a", "team-b"] for _, _, user, groups in sent)
    assert ("PATCH", RO + "/status", ["alice@example.com"], ["team-a", "team-b"]) in sent
    # Another person gets a source of their own; the first is kept (bounded, least recently used).
    cluster.clear_requests()
    assert promote(dash, {"X-Forwarded-User": "bob"}).status == 200
    assert {tuple(user or ()) for _, _, user, _ in impersonation(cluster)} == {("bob",)}
    assert all(groups is None for _, _, _, groups in impersonation(cluster))
    assert dash.sources is not None and dash.sources.count() == 2


def test_the_clusters_403_is_a_refusal_naming_the_action(team, cluster: APIServer) -> None:
    dash, log = team
    cluster.forbid("patch", "rollouts/status", user="bob")
    resp = promote(dash, {"X-Forwarded-User": "bob"})
    assert resp.status == 403
    doc = resp.json()
    assert doc["refused"] is True
    assert doc["error"] == (f'you may not promote rollout app-backend in {NS}: rollouts.argoproj.io "app-backend" is forbidden: '
                            f'User "bob" cannot patch resource "rollouts/status" in API group "argoproj.io" in the namespace "{NS}"')
    assert promote(dash, ALICE).status == 200  # alice may
    entry = [line for line in logged(log, 2) if line["status"] == 403][-1]
    assert entry["user"] == "bob" and entry["method"] == "POST" and entry["error"].startswith("you may not promote")


def test_requests_from_outside_the_trusted_proxies_are_refused(cluster: APIServer) -> None:
    log = io.StringIO()
    dash = serve_team(cluster, trusted=("10.0.0.0/8", "fd00::/8"), log=log)
    try:
        for method, path in (("GET", "/rollouts/"), ("GET", "/rollouts/api/v1/info"), ("GET", "/rollouts/api/v1/events")):
            resp = request(dash, method, path, headers=ALICE)
            assert resp.status == 403 and "127.0.0.1" in resp.json()["error"] and "not a trusted proxy" in resp.json()["error"]
        cluster.clear_requests()
        assert promote(dash, ALICE).status == 403
        assert writes(cluster) == []
        # Probes still answer.
        assert request(dash, "GET", "/rollouts/healthz").status == 200
        lines = logged(log, 5)  # in the order their threads wrote them
        assert sorted(line["status"] for line in lines) == [200, 403, 403, 403, 403]
        assert all("not a trusted proxy" in line["error"] for line in lines if line["status"] == 403)
    finally:
        dash.close()
        dash.closing_source.close()  # type: ignore[attr-defined]


def test_origin_must_be_the_host_the_proxy_forwarded(team, cluster: APIServer) -> None:
    dash, _ = team
    cluster.clear_requests()
    for origin in ("http://evil.example", "https://dash.example.com.evil.example", "null"):
        resp = promote(dash, {**ALICE, "Host": "dash.example.com", "Origin": origin})
        assert resp.status == 403 and "cross-origin" in resp.json()["error"]
    assert promote(dash, {**ALICE, "Host": "dash.example.com", "Origin": "https://evil.example",
                          "Sec-Fetch-Site": "cross-site"}).status == 403
    assert writes(cluster) == []
    ok = promote(dash, {**ALICE, "Host": "127.0.0.1:3100", "X-Forwarded-Host": "dash.example.com",
                        "Origin": "https://dash.example.com"})
    assert ok.status == 200
    assert promote(dash, {**ALICE, "Host": "dash.example.com:443", "Origin": "https://dash.example.com"}).status == 200
    # The token is still needed: the page has it, a page of another site does not.
    assert promote(dash, {**ALICE, "X-Rollouts-Token": "guess"}).status == 403


def test_the_access_log_never_holds_a_token_a_cookie_or_authorization(team) -> None:
    dash, log = team
    secrets = {"X-Rollouts-Token": dash.token, "Cookie": "_oauth2_proxy=cookie-secret-value",
               "Authorization": "Bearer authorization-secret-value"}
    assert promote(dash, {**ALICE, **secrets}).status == 200
    assert request(dash, "GET", f"/rollouts/api/v1/rollouts?namespace={NS}&token=query-secret-value", headers={**ALICE, **secrets}).status == 200
    assert request(dash, "GET", "/rollouts/", headers={**ALICE, **secrets}).status == 200  # the page carries the token
    lines = logged(log, 3)
    text = log.getvalue()
    for secret in (dash.token, "cookie-secret-value", "authorization-secret-value", "query-secret-value"):
        assert secret not in text
    # Each line is written once its answer is sent, by the request's own thread: the order of
    # lines is the order the threads got to them, not the order of the requests.
    assert sorted((line["method"], line["path"], line["status"]) for line in lines) == sorted([
        ("POST", f"/rollouts/api/v1/rollouts/{NS}/app-backend/promote", 200),
        ("GET", "/rollouts/api/v1/rollouts", 200),
        ("GET", "/rollouts/", 200)])
    for line in lines:
        assert set(line) == {"time", "method", "path", "status", "durationMs", "user", "remote"}
        assert line["user"] == "alice@example.com" and line["durationMs"] >= 0 and line["time"].endswith("Z")


# ---------------------------------------------------------------- pieces


def test_forwarded_identity() -> None:
    assert access.forwarded_identity(["alice"], ["a, b", "c", "a"]) == Identity("alice", ("a", "b", "c"))
    assert access.forwarded_identity(["alice", "alice"], []) == Identity("alice")
    for users, groups in (([], []), ([""], []), (["alice", "bob"], []), (["x" * 300], []), (["alice"], ["ok,\x1b[31m"])):
        with pytest.raises(access.Refused) as refused:
            access.forwarded_identity(users, groups)
        assert refused.value.code == 401
    for users, groups in ((["system:admin"], []), (["alice"], ["team-a,system:masters"]), (["system:serviceaccount:x:y"], [])):
        with pytest.raises(access.Refused) as reserved:
            access.forwarded_identity(users, groups)
        assert reserved.value.code == 403 and "system:" in reserved.value.message


def test_trusted_networks() -> None:
    trusted = Access("proxy", networks(["10.0.0.0/8", "127.0.0.1", "fd00::/8"]))
    assert trusted.trusts("10.2.3.4") and trusted.trusts("127.0.0.1") and trusted.trusts("::ffff:10.1.1.1")
    assert trusted.trusts("fd00::1") and not trusted.trusts("127.0.0.2") and not trusted.trusts("192.168.0.1")
    assert not trusted.trusts("not an address")
    with pytest.raises(errors.UsageError, match="--trusted-proxy"):
        networks(["10.0.0.0/33"])
    with pytest.raises(errors.UsageError, match="needs --trusted-proxy"):
        Access("proxy", ())
    with pytest.raises(errors.UsageError, match="only for --auth proxy"):
        Access("token", networks(["10.0.0.0/8"]))


def test_identity_sources_are_bounded_and_close_the_least_recently_used() -> None:
    opened: list[Identity] = []
    closed: list[Identity] = []

    class Fake:
        def __init__(self, identity: Identity) -> None:
            self.identity = identity
            opened.append(identity)

        def close(self) -> None:
            closed.append(self.identity)

    sources = IdentitySources(Fake, limit=2)  # type: ignore[arg-type]
    a, b, c = Identity("a"), Identity("b"), Identity("c", ("g",))
    with sources.lock:
        first = sources.get(a)
        sources.get(b)
        assert sources.get(a) is first  # kept, and now the most recent
        sources.get(c)
    assert opened == [a, b, c] and closed == [b] and sources.count() == 2
    sources.close()
    assert sorted(i.user for i in closed) == ["a", "b", "c"]


def test_a_non_ascii_name_is_impersonated_byte_for_byte(team, cluster: APIServer) -> None:
    """Header values travel as bytes (the standard library reads and writes them as Latin-1):
    the proxy's UTF-8 name reaches the API server unchanged and shows as text on the page."""
    dash, log = team
    wire = "José Ñúñez".encode().decode("latin-1")
    info = request(dash, "GET", "/rollouts/api/v1/info", headers={"X-Forwarded-User": wire}).json()
    assert info["user"] == "José Ñúñez"
    cluster.clear_requests()
    assert promote(dash, {"X-Forwarded-User": wire, "X-Forwarded-Groups": "équipe".encode().decode("latin-1")}).status == 200
    patch = next(r for r in cluster.requests if r.method == "PATCH")
    assert [v.encode("latin-1").decode() for v in patch.headers.get_all("Impersonate-User")] == ["José Ñúñez"]
    assert [v.encode("latin-1").decode() for v in patch.headers.get_all("Impersonate-Group")] == ["équipe"]
    assert logged(log, 2)[-1]["user"] == "José Ñúñez"
    # Bytes that are not UTF-8, or a C1 control character in UTF-8, are no name.
    for bad in ("\xff\xfe", "a\u0085b".encode().decode("latin-1")):
        assert request(dash, "GET", "/rollouts/api/v1/info", headers={"X-Forwarded-User": bad}).status == 401
