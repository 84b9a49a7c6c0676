"""TLS through both transports: CA file and data, a wrong CA, insecure-skip-tls-verify,
tls-server-name, client certificates, in-cluster; against the stand-in behind a TLS front.

The certificates come from the openssl CLI (skipped, with the reason, without it).
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import client as kube_client
from kubectl_rollouts_py.kube import config as kube_config
from kubectl_rollouts_py.kube import resources
from kubectl_rollouts_py.kube import source as kube_source
from kubectl_rollouts_py.kube.options import ConnectionOptions
from kubectl_rollouts_py.sandbox.apiserver import APIServer

from .support import NO_HOME, PKI, TLSFront, b64_file, make_pki, write_kubeconfig

ROLLOUT = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Rollout",
    "metadata": {"name": "web", "namespace": "team"},
    "spec": {"replicas": 1},
}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    try:
        return make_pki(tmp_path_factory.mktemp("pki"))
    except FileNotFoundError:
        pytest.skip("the openssl CLI is needed to make test certificates")


@pytest.fixture(scope="module")
def apiserver() -> Iterator[APIServer]:
    # No token: the TLS layer is under test; the exec plugin's token is simply accepted.
    with APIServer() as srv:
        srv.seed([ROLLOUT])
        yield srv


@pytest.fixture(scope="module")
def front(apiserver: APIServer, pki: PKI) -> Iterator[TLSFront]:
    with TLSFront(apiserver.url or "", pki) as tls:
        yield tls


@pytest.fixture(scope="module")
def mtls_front(apiserver: APIServer, pki: PKI) -> Iterator[TLSFront]:
    with TLSFront(apiserver.url or "", pki, require_client_cert=True) as tls:
        yield tls


def open_cluster(tmp_path: Path, server: str, transport: str, **fields) -> kube_source.Source:
    """A source for `server`; `cluster` and `user` fields go into the kubeconfig."""
    path = write_kubeconfig(
        tmp_path / "kc", server, transport=transport, namespace="team",
        cluster=fields.pop("cluster", None), user=fields.pop("user", None),
    )
    source = kube_source.open_source(ConnectionOptions(kubeconfig=path, request_timeout=5, **fields), environ=NO_HOME)
    assert source.via == transport
    return source


def get_web(source: kube_source.Source) -> str:
    with source:
        return source.get(resources.ROLLOUTS, "web", "team")["metadata"]["name"]


def test_ca_file_from_the_kubeconfig(tmp_path, front, pki, transport):
    assert get_web(open_cluster(tmp_path, front.url, transport, cluster={"certificate-authority": pki.ca})) == "web"


def test_ca_data_from_the_kubeconfig(tmp_path, front, pki, transport):
    source = open_cluster(tmp_path, front.url, transport, cluster={"certificate-authority-data": b64_file(pki.ca)})
    assert get_web(source) == "web"


def test_certificate_authority_flag(tmp_path, front, pki, transport):
    assert get_web(open_cluster(tmp_path, front.url, transport, certificate_authority=pki.ca)) == "web"


def test_a_wrong_ca_is_a_clear_tls_failure(tmp_path, front, pki, transport):
    source = open_cluster(tmp_path, front.url, transport, cluster={"certificate-authority": pki.other_ca})
    with pytest.raises(errors.ConnectionFailed) as caught:
        get_web(source)
    assert str(caught.value) == (
        f"cannot reach the Kubernetes API at {front.url}: TLS handshake failed: "
        "certificate verify failed: unable to get local issuer certificate"
    )


def test_a_name_the_certificate_does_not_carry_is_a_tls_failure(tmp_path, front, pki, transport):
    url = f"https://localhost:{front.port}"
    source = open_cluster(tmp_path, url, transport, cluster={"certificate-authority": pki.ca})
    with pytest.raises(errors.ConnectionFailed) as caught:
        get_web(source)
    assert str(caught.value) == (
        f"cannot reach the Kubernetes API at {url}: TLS handshake failed: "
        "certificate verify failed: Hostname mismatch, certificate is not valid for 'localhost'."
    )


def test_tls_server_name_is_the_name_verified(tmp_path, front, pki, transport):
    url = f"https://localhost:{front.port}"
    source = open_cluster(tmp_path, url, transport, cluster={"certificate-authority": pki.ca, "tls-server-name": "kube.test"})
    assert get_web(source) == "web"


def test_insecure_skip_tls_verify_needs_no_ca_and_warns_nothing(tmp_path, front, transport, recwarn):
    source = open_cluster(tmp_path, front.url, transport, cluster={"insecure-skip-tls-verify": True})
    assert get_web(source) == "web"
    assert not [w for w in recwarn if "Unverified HTTPS" in str(w.message)]


def test_client_certificate_files(tmp_path, mtls_front, pki, transport):
    source = open_cluster(
        tmp_path, mtls_front.url, transport,
        cluster={"certificate-authority": pki.ca},
        user={"client-certificate": pki.client_cert, "client-key": pki.client_key},
    )
    assert get_web(source) == "web"


def test_client_certificate_data(tmp_path, mtls_front, pki, transport):
    source = open_cluster(
        tmp_path, mtls_front.url, transport,
        cluster={"certificate-authority-data": b64_file(pki.ca)},
        user={"client-certificate-data": b64_file(pki.client_cert), "client-key-data": b64_file(pki.client_key)},
    )
    assert get_web(source) == "web"


def test_no_client_certificate_where_one_is_required(tmp_path, mtls_front, pki, transport):
    source = open_cluster(tmp_path, mtls_front.url, transport, cluster={"certificate-authority": pki.ca})
    with pytest.raises(errors.ConnectionFailed) as caught:
        get_web(source)
    # TLS 1.3: the server's verdict arrives as an alert after the client's handshake.
    assert str(caught.value) == (
        f"cannot reach the Kubernetes API at {mtls_front.url}: TLS handshake failed: tlsv13 alert certificate required"
    )


def test_certificate_data_leaves_no_file_behind(tmp_path, mtls_front, pki, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    source = open_cluster(
        tmp_path, mtls_front.url, "http.client",
        cluster={"certificate-authority-data": b64_file(pki.ca)},
        user={"client-certificate-data": b64_file(pki.client_cert), "client-key-data": b64_file(pki.client_key)},
    )
    assert get_web(source) == "web"
    assert list(scratch.iterdir()) == []


def test_watch_over_tls_stops_on_request(tmp_path, front, pki, apiserver, transport):
    source = open_cluster(tmp_path, front.url, transport, cluster={"certificate-authority": pki.ca})
    stop = threading.Event()
    rv = apiserver.resource_version
    apiserver.apply_change({**ROLLOUT, "spec": {"replicas": int(rv) + 1}})  # replayed from rv
    events = []
    started = time.monotonic()
    with source:
        # The server would end this watch only after 300s: only stop can end it before the guard.
        for event in source.watch(resources.ROLLOUTS, "team", resource_version=rv, timeout_seconds=300, stop=stop):
            events.append((event.type, event.object["metadata"]["name"]))
            # Set from another thread, usually while the next read is blocked on the TLS
            # socket; set earlier, stop must end the watch all the same.
            threading.Timer(0.1, stop.set).start()
    assert events == [("MODIFIED", "web")]
    assert time.monotonic() - started < 30  # a hang guard, not a measure


def test_in_cluster_service_account_over_tls(tmp_path, pki):
    directory = tmp_path / "sa"
    directory.mkdir()
    (directory / "token").write_text("sa-token\n")
    (directory / "ca.crt").write_bytes(Path(pki.ca).read_bytes())
    (directory / "namespace").write_text("team")
    # A stand-in that checks the token, behind a front of its own.
    with APIServer(token="sa-token") as strict, TLSFront(strict.url or "", pki) as strict_front:
        strict.seed([ROLLOUT])
        env = {"HOME": "/nonexistent-home", "KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(strict_front.port)}
        cfg = kube_config.resolve(ConnectionOptions(), environ=env, service_account_dir=str(directory))
        assert (cfg.in_cluster, cfg.server, cfg.namespace) == (True, strict_front.url, "team")
        with kube_client.ClusterSource(cfg) as source:
            assert source.via == "http.client"
            assert source.get(resources.ROLLOUTS, "web", cfg.namespace)["metadata"]["name"] == "web"
        assert strict.requests[-1].headers.get("Authorization") == "Bearer sa-token"


def test_in_cluster_missing_token_file_is_the_library_message(tmp_path):
    env = {"HOME": "/nonexistent-home", "KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "1"}
    cfg = kube_config.resolve(ConnectionOptions(), environ=env, service_account_dir=str(tmp_path))
    with pytest.raises(errors.ConfigError) as caught:
        kube_client.ClusterSource(cfg)
    assert str(caught.value) == "invalid kubeconfig in-cluster service account: Service token file does not exist."
    assert not os.listdir(tmp_path)
