"""The stand-in and impersonation: every request's headers are recorded (Impersonate-User and
Impersonate-Group as sent), and forbid(..., user=) refuses only what that impersonated user asks,
with the 403 a real API server gives them."""

from __future__ import annotations

from kubectl_rollouts_py.sandbox.apiserver import APIServer

from .support import MERGE, ROLLOUTS, Client, rollout


def test_impersonation_headers_are_recorded_as_sent(server: APIServer, client: Client) -> None:
    server.seed([rollout("r")])
    server.clear_requests()
    headers = {"Impersonate-User": "alice@example.com"}
    resp = client.request("GET", f"{ROLLOUTS}/r", headers=headers)
    assert resp.status == 200
    # http.client sends one header per name from a dict; repeated groups are sent by hand below.
    (seen,) = server.requests
    assert seen.headers.get_all("Impersonate-User") == ["alice@example.com"]
    assert seen.headers.get_all("Impersonate-Group") is None
    client.conn.putrequest("GET", f"{ROLLOUTS}/r")
    for name, value in (("Impersonate-User", "bob"), ("Impersonate-Group", "team-a"), ("Impersonate-Group", "team-b")):
        client.conn.putheader(name, value)
    client.conn.endheaders()
    assert client.conn.getresponse().read()
    assert server.requests[-1].headers.get_all("Impersonate-Group") == ["team-a", "team-b"]


def test_forbid_for_one_impersonated_user(server: APIServer, client: Client) -> None:
    server.seed([rollout("r")])
    server.forbid("patch", "rollouts", user="bob")
    patch = {"spec": {"paused": True}}
    refused = client.request("PATCH", f"{ROLLOUTS}/r", patch, content_type=MERGE, headers={"Impersonate-User": "bob"})
    assert refused.status == 403 and refused.json["reason"] == "Forbidden"
    assert refused.json["message"] == (
        'rollouts.argoproj.io "r" is forbidden: User "bob" cannot patch resource "rollouts" '
        'in API group "argoproj.io" in the namespace "default"'
    )
    # Another user, no impersonation, and bob's reads are all let through.
    assert client.request("PATCH", f"{ROLLOUTS}/r", patch, content_type=MERGE, headers={"Impersonate-User": "alice"}).status == 200
    assert client.patch(f"{ROLLOUTS}/r", patch).status == 200
    assert client.request("GET", f"{ROLLOUTS}/r", headers={"Impersonate-User": "bob"}).status == 200
