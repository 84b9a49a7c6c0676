"""kube/apply.py: a write whose outcome is unknown is read back, never sent again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import apply
from kubectl_rollouts_py.kube import source as kube_source
from kubectl_rollouts_py.kube.options import ConnectionOptions
from kubectl_rollouts_py.kube.resources import ROLLOUTS
from kubectl_rollouts_py.patches.plan import Plan, Request, merge_patch
from kubectl_rollouts_py.sandbox.apiserver import APIServer, Fault
from tests.kube.support import NO_HOME, write_kubeconfig

TOKEN = "t0ken-for-writes"
RO = "/apis/argoproj.io/v1alpha1/namespaces/team/rollouts/web"


@pytest.fixture
def server() -> Iterator[APIServer]:
    with APIServer(token=TOKEN) as srv:
        srv.seed([{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                   "metadata": {"name": "web", "namespace": "team"},
                   "spec": {"replicas": 1, "paused": True, "template": {"spec": {"containers": [{"name": "a", "image": "x:1"}]}}},
                   "status": {"pauseConditions": [{"reason": "CanaryPauseStep"}]}}])
        yield srv


@pytest.fixture
def src(server, tmp_path, transport) -> Iterator[kube_source.Source]:
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", server.url, transport=transport, token=TOKEN, namespace="team")
    source = kube_source.open_source(ConnectionOptions(kubeconfig=kubeconfig), environ=NO_HOME)
    yield source
    source.close()


def promote_plan() -> Plan:
    return Plan(
        status=merge_patch(ROLLOUTS, "team", "web", '{"status":{"pauseConditions":null}}', subresource="status"),
        spec=merge_patch(ROLLOUTS, "team", "web", '{"spec":{"paused":false}}'),
    )


def patches(server: APIServer) -> list[str]:
    return [r.path for r in server.requests if r.method == "PATCH"]


def test_a_dropped_answer_to_an_applied_write_is_read_back_and_the_plan_goes_on(server, src) -> None:
    server.inject("PATCH", RO + "/status", Fault.drop())
    notes: list[str] = []
    result = apply.apply_plan(src, promote_plan(), notes)
    assert result is not None and result["spec"]["paused"] is False
    assert patches(server) == [RO + "/status", RO]  # never sent twice
    assert len(notes) == 1
    assert notes[0].startswith('the API server did not confirm the PATCH of rollouts.argoproj.io "web" (status): '
                               f"the connection to the Kubernetes API at {server.url} broke: ")
    assert notes[0].endswith("; reading it back shows status.pauseConditions=null, so the change was applied")


def test_an_unapplied_second_write_says_what_was_and_was_not_applied(server, src) -> None:
    server.inject("PATCH", RO, Fault.error(503))
    with pytest.raises(apply.UnconfirmedWrite) as caught:
        apply.apply_plan(src, promote_plan())
    assert caught.value.message == (
        'the API server did not confirm the PATCH of rollouts.argoproj.io "web": '
        f"injected 503 for PATCH {RO}; reading it back shows spec.paused=true, so the change was not applied "
        f"(applied: PATCH {RO}/status; not applied: PATCH {RO})"
    )
    assert patches(server) == [RO + "/status", RO]
    assert server.get_object("rollouts", "team", "web")["spec"]["paused"] is True


def test_when_reading_back_fails_too_the_outcome_is_unknown(server, src, monkeypatch) -> None:
    from kubectl_rollouts_py.kube import client as kube_client

    monkeypatch.setattr(kube_client, "BACKOFF_BASE", 0.01)
    server.inject("PATCH", RO + "/status", Fault.drop())
    server.inject("GET", RO, Fault.error(503, retry_after=0.01), times=None)
    with pytest.raises(apply.UnconfirmedWrite) as caught:
        apply.apply_plan(src, promote_plan())
    message = caught.value.message
    assert "reading it back failed too (the API server answered 503 Service Unavailable 5 times" in message
    assert message.endswith(
        f"so whether the change was applied is unknown (not applied: PATCH {RO}/status, PATCH {RO})")
    assert patches(server) == [RO + "/status"]


def test_a_json_patch_is_checked_op_by_op(server, src) -> None:
    request = Request("PATCH", ROLLOUTS, "team", "web",
                      '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"x:2"}]', patch_type="json")
    server.inject("PATCH", RO, Fault.malformed())
    notes: list[str] = []
    apply.apply_plan(src, Plan(spec=request), notes)
    assert notes[0].endswith("reading it back shows spec.template.spec.containers.0.image=\"x:2\", so the change was applied")


def test_a_non_ambiguous_error_is_not_read_back(server, src) -> None:
    server.inject("PATCH", RO + "/status", Fault.error(422))
    with pytest.raises(errors.ApiError):
        apply.apply_plan(src, promote_plan())
    assert [r.method for r in server.requests] == ["PATCH"]
