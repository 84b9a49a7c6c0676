"""Which transport serves which kubeconfig, and credential loading that must match the library.

The stdlib transport takes static credentials; exec plugins, auth providers, basic auth
and proxies (from the kubeconfig, or from the environment when the library would use one)
go to the kubernetes library. Where both could load an entry, both reject it in the same
words.
"""

from __future__ import annotations

import socket

import pytest

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import config as kube_config
from kubectl_rollouts_py.kube import resources
from kubectl_rollouts_py.kube import source as kube_source
from kubectl_rollouts_py.kube import stdhttp
from kubectl_rollouts_py.kube.options import ConnectionOptions
from kubectl_rollouts_py.sandbox.apiserver import APIServer

from .support import NO_HOME, write_kubeconfig


def config(server: str = "https://10.0.0.1:6443", *, cluster: dict | None = None, user: dict | None = None):
    return kube_config.ClusterConfig(
        server=server, namespace="default", origin="kc", cluster={"server": server, **(cluster or {})}, user=user or {}
    )


@pytest.mark.parametrize(
    ("cluster", "user"),
    [
        ({}, {}),
        ({}, {"token": "t"}),
        ({}, {"tokenFile": "/x/token"}),
        ({"certificate-authority-data": "Zm9v", "tls-server-name": "kube"}, {"client-certificate": "/c", "client-key": "/k"}),
        ({"insecure-skip-tls-verify": True}, {"as": "jane", "as-groups": ["ops"]}),
    ],
)
def test_static_credentials_need_no_library(cluster, user):
    assert stdhttp.needs_library(config(cluster=cluster, user=user), {}) is None


@pytest.mark.parametrize(
    ("cluster", "user", "server", "why"),
    [
        ({}, {"exec": {"command": "aws"}}, "https://k:6443", "an exec credential"),
        ({}, {"exec": None}, "https://k:6443", "an exec credential"),  # the key decides, as in the library
        ({}, {"auth-provider": {"name": "oidc"}}, "https://k:6443", "an auth-provider credential"),
        ({}, {"username": "u", "password": "p"}, "https://k:6443", "basic auth"),
        ({"proxy-url": "socks5://p:1080"}, {}, "https://k:6443", "a proxy-url"),
        ({}, {}, "https://user:pw@k:6443", "user:password in the server URL"),
    ],
)
def test_what_needs_the_library(cluster, user, server, why):
    assert stdhttp.needs_library(config(server, cluster=cluster, user=user), {}) == why


@pytest.mark.parametrize(
    ("environ", "server", "proxied"),
    [
        ({"HTTPS_PROXY": "http://proxy:3128"}, "https://k:6443", True),
        ({"https_proxy": "http://proxy:3128"}, "https://k:6443", True),
        ({"https_proxy": "http://proxy:3128"}, "http://k:8080", False),  # the scheme's own proxy only
        ({"http_proxy": "http://proxy:3128"}, "http://k:8080", True),
        ({"ALL_PROXY": "socks5://proxy:1080"}, "https://k:6443", True),
        ({"HTTPS_PROXY": "http://proxy:3128", "https_proxy": ""}, "https://k:6443", False),  # lowercase wins
        ({"https_proxy": "http://proxy:3128", "no_proxy": "k"}, "https://k:6443", False),
        ({"https_proxy": "http://proxy:3128", "NO_PROXY": ".example.com"}, "https://api.example.com:6443", False),
        ({"https_proxy": "http://proxy:3128", "no_proxy": "10.0.0.0/8"}, "https://10.1.2.3:6443", False),
        ({"https_proxy": "http://proxy:3128", "no_proxy": "10.0.0.0/8"}, "https://11.1.2.3:6443", True),
        ({"https_proxy": "http://proxy:3128", "no_proxy": "*"}, "https://k:6443", False),
        ({"https_proxy": "http://proxy:3128", "no_proxy": "other"}, "https://k:6443", True),
        ({"REQUEST_METHOD": "GET", "HTTP_PROXY": "http://proxy:3128"}, "http://k:8080", False),  # CGI rule
        ({"no_proxy": "k"}, "https://k:6443", False),
    ],
)
def test_a_proxy_from_the_environment_goes_to_the_library_when_it_applies(environ, server, proxied):
    why = stdhttp.needs_library(config(server), environ)
    assert why == ("a proxy from the environment" if proxied else None)


def test_an_environment_proxy_is_used_as_the_library_would(tmp_path, monkeypatch):
    with APIServer(token="tok") as srv:
        srv.seed([{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "web", "namespace": "team"}}])
        path = write_kubeconfig(tmp_path / "kc", srv.url, transport="http.client", token="tok", namespace="team")
        for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens on the discard port
        with kube_source.open_source(ConnectionOptions(kubeconfig=path), environ=NO_HOME) as source:
            assert source.via == "kubernetes"
            with pytest.raises(errors.ConnectionFailed) as caught:
                source.get(resources.ROLLOUTS, "web", "team")
            assert str(caught.value) == f"cannot reach the Kubernetes API at {srv.url}: proxy error: connection refused"
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        with kube_source.open_source(ConnectionOptions(kubeconfig=path), environ=NO_HOME) as source:
            assert source.via == "http.client"
            assert source.get(resources.ROLLOUTS, "web", "team")["metadata"]["name"] == "web"


# -- loading errors, the same on both paths ---------------------------------------------------


def open_with(tmp_path, transport, **fields) -> kube_source.Source:
    path = write_kubeconfig(tmp_path / "kc", "https://127.0.0.1:1", transport=transport, **fields)
    return kube_source.open_source(ConnectionOptions(kubeconfig=path), environ=NO_HOME)


def test_a_missing_ca_file(tmp_path, transport):
    with pytest.raises(errors.ConfigError) as caught:
        open_with(tmp_path, transport, cluster={"certificate-authority": "certs/../ca.crt"})
    assert str(caught.value) == f"invalid kubeconfig {tmp_path}/kc: File does not exist: {tmp_path}/ca.crt"


def test_a_missing_client_key_file(tmp_path, transport):
    (tmp_path / "client.crt").write_text("not checked before the key is found\n")
    with pytest.raises(errors.ConfigError) as caught:
        open_with(tmp_path, transport, user={"client-certificate": "client.crt", "client-key": "client.key"})
    assert str(caught.value) == f"invalid kubeconfig {tmp_path}/kc: File does not exist: {tmp_path}/client.key"


def test_ca_data_that_is_not_base64(tmp_path, transport):
    with pytest.raises(errors.ConfigError) as caught:
        open_with(tmp_path, transport, cluster={"certificate-authority-data": "abcde"})
    assert str(caught.value).startswith(f"cannot load credentials from {tmp_path}/kc: Invalid base64-encoded string")


def test_a_missing_token_file(tmp_path, transport):
    # The library reads tokenFile before it would run an exec plugin.
    with pytest.raises(errors.ConfigError) as caught:
        open_with(tmp_path, transport, user={"tokenFile": "token"})
    assert str(caught.value) == (
        f"cannot load credentials from {tmp_path}/kc: [Errno 2] No such file or directory: '{tmp_path}/token'"
    )


def test_a_ca_file_openssl_rejects_fails_the_request_not_the_load(tmp_path, transport):
    (tmp_path / "ca.crt").write_text("not a certificate\n")
    with socket.create_server(("127.0.0.1", 0)) as listening:  # the kernel accepts; TLS never starts
        url = f"https://127.0.0.1:{listening.getsockname()[1]}"
        path = write_kubeconfig(tmp_path / "kc", url, transport=transport, cluster={"certificate-authority": "ca.crt"})
        source = kube_source.open_source(ConnectionOptions(kubeconfig=path), environ=NO_HOME)
        with pytest.raises(errors.ConnectionFailed) as caught:
            source.get(resources.ROLLOUTS, "web", "default")
    assert str(caught.value) == f"cannot reach the Kubernetes API at {url}: TLS handshake failed: no certificate or crl found"


def test_a_token_file_is_read_and_stripped(tmp_path):
    (tmp_path / "token").write_text("file-token\n")
    with APIServer(token="file-token") as srv:
        srv.seed([{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "web", "namespace": "default"}}])
        path = write_kubeconfig(tmp_path / "kc", srv.url, transport="http.client", user={"tokenFile": "token"})
        with kube_source.open_source(ConnectionOptions(kubeconfig=path), environ=NO_HOME) as source:
            assert source.via == "http.client"
            assert source.get(resources.ROLLOUTS, "web", "default")["metadata"]["name"] == "web"
