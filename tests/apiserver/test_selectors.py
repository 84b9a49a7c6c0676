"""Label and field selectors, parsed like the real server and applied to lists."""

from __future__ import annotations

import pytest

from kubectl_rollouts_py.sandbox.apiserver import (
    RESOURCES,
    APIServer,
    Selector,
    StatusError,
    parse_field_selector,
    parse_label_selector,
)

from .support import PODS, ROLLOUTS, Client, pod, rollout

ROLLOUT_TYPE = next(r for r in RESOURCES if r.plural == "rollouts")
POD_TYPE = next(r for r in RESOURCES if r.plural == "pods")
LABELS = [
    {"app": "a", "tier": "web", "n": "5"},
    {"app": "b", "tier": "db", "n": "1"},
    {"app": "c"},
]


def _select(selector: str) -> list[str]:
    parsed = Selector(parse_label_selector(selector))
    return [labels.get("app", "") for labels in LABELS if parsed.matches({"metadata": {"labels": labels}})]


@pytest.mark.parametrize(("selector", "expected"), [
    ("", ["a", "b", "c"]),
    ("app=a", ["a"]),
    ("app==a", ["a"]),
    ("app!=a", ["b", "c"]),
    ("tier!=web", ["b", "c"]),  # a missing key satisfies !=
    ("app in (a,b)", ["a", "b"]),
    ("app in (a, b),tier!=web", ["b"]),  # the comma inside parentheses does not split
    ("tier notin (web)", ["b", "c"]),
    ("tier", ["a", "b"]),
    ("!tier", ["c"]),
    ("n>2", ["a"]),
    ("n<2", ["b"]),
    (" app = a , tier = web ", ["a"]),
    ("app.kubernetes.io/name", []),
])
def test_label_selector_operators(selector: str, expected: list[str]) -> None:
    assert _select(selector) == expected


@pytest.mark.parametrize("selector", ["app in (a", "app in ()", "=a", "n>x", "app=a b", "app)"])
def test_malformed_label_selectors_are_bad_requests(selector: str) -> None:
    with pytest.raises(StatusError) as caught:
        parse_label_selector(selector)
    assert caught.value.code == 400


def test_field_selectors_are_limited_to_each_kinds_real_set() -> None:
    assert parse_field_selector("metadata.name=x,metadata.namespace!=y", ROLLOUT_TYPE)
    assert parse_field_selector("status.phase=Running,spec.nodeName=n1", POD_TYPE)
    for text, rtype in (("status.phase=Running", ROLLOUT_TYPE), ("spec.replicas=1", ROLLOUT_TYPE), ("spec.image=x", POD_TYPE)):
        with pytest.raises(StatusError) as caught:
            parse_field_selector(text, rtype)
        assert caught.value.code == 400


def _names(body: dict) -> list[str]:
    return [i["metadata"]["name"] for i in body["items"]]


def test_list_with_label_selector(server: APIServer, client: Client) -> None:
    server.seed([rollout("a", labels={"app": "x"}), rollout("b", labels={"app": "y"}), rollout("c", labels={"app": "x", "t": "1"})])
    assert _names(client.get(ROLLOUTS, labelSelector="app=x").json) == ["a", "c"]
    assert _names(client.get(ROLLOUTS, labelSelector="app in (x,y),!t").json) == ["a", "b"]
    resp = client.get(ROLLOUTS, labelSelector="app in (x")
    assert resp.status == 400 and resp.json["reason"] == "BadRequest"


def test_list_with_field_selectors(server: APIServer, client: Client) -> None:
    server.seed([pod("p1", phase="Running", node="n1"), pod("p2", phase="Pending"), pod("p3", phase="Running", node="n2"),
                 rollout("r1"), rollout("r2", namespace="other")])
    assert _names(client.get(PODS, fieldSelector="status.phase=Running").json) == ["p1", "p3"]
    assert _names(client.get(PODS, fieldSelector="status.phase=Running,spec.nodeName!=n1").json) == ["p3"]
    assert _names(client.get(PODS, fieldSelector="spec.hostNetwork=false").json) == ["p1", "p2", "p3"]
    assert _names(client.get(ROLLOUTS, fieldSelector="metadata.name=r1").json) == ["r1"]
    everywhere = client.get("/apis/argoproj.io/v1alpha1/rollouts", fieldSelector="metadata.namespace=other").json
    assert _names(everywhere) == ["r2"]
    resp = client.get(ROLLOUTS, fieldSelector="status.phase=Healthy")
    assert resp.status == 400 and "status.phase" in resp.json["message"]
