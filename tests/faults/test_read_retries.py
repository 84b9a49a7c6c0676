"""Reads retry (429/5xx, broken connections, timeouts) with backoff and Retry-After, and
give up with one clear line; writes retry only a clean 429. Both transports, real HTTP."""

from __future__ import annotations

import re
import time
import types
from collections.abc import Iterator

import pytest

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import client as kube_client
from kubectl_rollouts_py.kube import source as kube_source
from kubectl_rollouts_py.kube.options import ConnectionOptions
from kubectl_rollouts_py.sandbox.apiserver import APIServer, Fault
from tests.kube.support import NO_HOME, write_kubeconfig

TOKEN = "t0ken-for-faults"
RO = "/apis/argoproj.io/v1alpha1/namespaces/team/rollouts"


@pytest.fixture
def server() -> Iterator[APIServer]:
    with APIServer(token=TOKEN) as srv:
        srv.seed([{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                   "metadata": {"name": "web", "namespace": "team"}, "spec": {"replicas": 1}}])
        yield srv


def _source(server: APIServer, tmp_path, transport: str, request_timeout: float | None = None) -> kube_source.Source:
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", server.url, transport=transport, token=TOKEN, namespace="team")
    source = kube_source.open_source(ConnectionOptions(kubeconfig=kubeconfig, request_timeout=request_timeout), environ=NO_HOME)
    assert source.via == transport
    return source


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only the size of the waits; the policy under test is unchanged.
    monkeypatch.setattr(kube_client, "BACKOFF_BASE", 0.01)


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the client asks for between attempts, in order (each still waited in full).

    The tests read the policy from these and from the requests the server saw, never from
    the wall clock, so a slow machine cannot fail them."""
    asked: list[float] = []

    def sleep(seconds: float) -> None:
        asked.append(seconds)
        assert seconds < 60, f"the client asked to wait {seconds}s"  # fail, rather than hang
        time.sleep(seconds)

    monkeypatch.setattr(kube_client, "time", types.SimpleNamespace(monotonic=time.monotonic, sleep=sleep))
    return asked


def _gets(server: APIServer, path: str) -> int:
    return sum(1 for r in server.requests if r.method == "GET" and r.path == path)


@pytest.mark.parametrize("fault", [
    Fault.error(429, retry_after=0.01), Fault.error(500), Fault.error(502), Fault.error(503), Fault.error(504),
    Fault.drop(), Fault.drop(after_processing=False),
], ids=["429", "500", "502", "503", "504", "drop-mid-body", "drop-before"])
def test_a_read_recovers_after_transient_faults(server, tmp_path, transport, fast_backoff, fault) -> None:
    server.inject("GET", RO + "/web", fault, times=2)
    with _source(server, tmp_path, transport) as src:
        assert src.get("rollouts", "web", "team")["metadata"]["name"] == "web"
        assert src.list("rollouts", "team").items[0]["metadata"]["name"] == "web"
    assert _gets(server, RO + "/web") == 3


def test_retry_after_is_honoured(server, tmp_path, transport, waits) -> None:
    server.inject("GET", RO, Fault.error(429, retry_after=0.3), times=1)
    with _source(server, tmp_path, transport) as src:
        started = time.monotonic()
        src.list("rollouts", "team")
        assert time.monotonic() - started >= 0.3  # a lower bound: never retried before the server's time
    assert waits == [0.3]
    assert _gets(server, RO) == 2


def test_retry_after_is_capped(monkeypatch, server, tmp_path, transport, waits) -> None:
    monkeypatch.setattr(kube_client, "RETRY_AFTER_CAP", 0.2)
    server.inject("GET", RO, Fault.error(429, retry_after=3600), times=1)
    with _source(server, tmp_path, transport) as src:
        src.list("rollouts", "team")
    assert waits == [0.2]  # not the hour the server asked for
    assert _gets(server, RO) == 2


def test_a_read_gives_up_after_a_bounded_number_of_attempts(server, tmp_path, transport, fast_backoff) -> None:
    server.inject("GET", RO + "/web", Fault.error(503), times=None)
    with _source(server, tmp_path, transport) as src, pytest.raises(errors.ApiError) as caught:
        src.get("rollouts", "web", "team")
    assert re.fullmatch(
        r"the API server answered 503 Service Unavailable 5 times; giving up after \d+\.\ds "
        r"\(last: injected 503 for GET .*/web\)", caught.value.message), caught.value.message
    assert _gets(server, RO + "/web") == kube_client.MAX_READ_ATTEMPTS


def test_a_read_gives_up_at_the_request_timeout(server, tmp_path, transport, waits) -> None:
    # Retries every second would go on for MAX_ATTEMPTS_WITH_TIMEOUT tries; --request-timeout
    # 1.8 ends them after the second (the third would start past it). The last try gets what
    # is left of the timeout (about 0.8s), ample for a 503 even on a busy machine.
    server.inject("GET", RO + "/web", Fault.error(503, retry_after=1), times=None)
    with _source(server, tmp_path, transport, request_timeout=1.8) as src, pytest.raises(errors.ApiError) as caught:
        started = time.monotonic()
        src.get("rollouts", "web", "team")
    assert time.monotonic() - started < 18  # a hang guard (ten times the timeout), not a measure
    assert re.match(r"the API server answered 503 Service Unavailable (once|\d+ times); giving up after \d+\.\ds",
                    caught.value.message), caught.value.message
    assert 1 <= _gets(server, RO + "/web") < kube_client.MAX_ATTEMPTS_WITH_TIMEOUT
    assert waits == [1] * (_gets(server, RO + "/web") - 1)
    assert sum(waits) < 1.8  # no wait ran past the timeout


def test_a_slow_answer_past_the_request_timeout(server, tmp_path, transport) -> None:
    # Without the timeout the answer would come after 3s and the read would succeed.
    server.inject("GET", RO + "/web", Fault.delay(3), times=None)
    with _source(server, tmp_path, transport, request_timeout=0.4) as src, pytest.raises(errors.ConnectionFailed) as caught:
        started = time.monotonic()
        src.get("rollouts", "web", "team")
    assert time.monotonic() - started >= 0.4  # a lower bound: not before the timeout
    assert "did not answer within 0." in caught.value.message
    assert _gets(server, RO + "/web") == 1  # no retry once the timeout is spent


def test_malformed_json_is_a_clear_error_not_retried(server, tmp_path, transport) -> None:
    server.inject("GET", RO + "/web", Fault.malformed(), times=None)
    with _source(server, tmp_path, transport) as src, pytest.raises(errors.ApiError) as caught:
        src.get("rollouts", "web", "team")
    assert "sent a response that is not JSON (HTTP 200" in caught.value.message
    assert "{\"kind\": \"Status\"" in caught.value.message
    assert _gets(server, RO + "/web") == 1


def test_not_found_is_not_retried(server, tmp_path, transport) -> None:
    with _source(server, tmp_path, transport) as src, pytest.raises(errors.NotFound):
        src.get("rollouts", "nope", "team")
    assert _gets(server, RO + "/nope") == 1


def test_a_write_retries_a_clean_429_only(server, tmp_path, transport, fast_backoff) -> None:
    server.inject("PATCH", RO + "/web", Fault.error(429, retry_after=0.01), times=2)
    with _source(server, tmp_path, transport) as src:
        assert src.patch("rollouts", "web", "team", {"spec": {"paused": True}})["spec"]["paused"] is True


@pytest.mark.parametrize("fault", [Fault.error(500), Fault.error(503), Fault.drop()], ids=["500", "503", "drop"])
def test_a_write_is_never_retried_after_an_ambiguous_failure(server, tmp_path, transport, fault) -> None:
    server.inject("PATCH", RO + "/web", fault, times=1)
    with _source(server, tmp_path, transport) as src, pytest.raises(errors.RolloutsError) as caught:
        src.patch("rollouts", "web", "team", {"spec": {"paused": True}})
    assert getattr(caught.value, "unconfirmed", False) is True
    assert sum(1 for r in server.requests if r.method == "PATCH") == 1


def test_a_retry_after_past_the_request_timeout_gives_up_at_once_and_says_why(server, tmp_path, transport, waits) -> None:
    server.inject("GET", RO + "/web", Fault.error(429, retry_after=5), times=None)
    with _source(server, tmp_path, transport, request_timeout=1) as src, pytest.raises(errors.ApiError) as caught:
        src.get("rollouts", "web", "team")
    assert waits == []  # at once: no wait towards a retry that could not fit
    assert _gets(server, RO + "/web") == 1
    assert re.match(r"the API server answered 429 Too Many Requests once; giving up after \d+\.\ds",
                    caught.value.message), caught.value.message
    assert caught.value.message.endswith("; the server asked to retry after 5s, past --request-timeout")
