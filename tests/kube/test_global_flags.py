"""kubectl's connection flags through both transports: --client-certificate/--client-key,
--tls-server-name, --as-uid, and the request log of -v; against the stand-in behind a TLS
front (certificates from the openssl CLI, skipped with the reason without it)."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess
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
TOKEN = "flag-test-token-0123456789"
LOG_LINE = re.compile(r"^GET https://127\.0\.0\.1:\d+/apis/argoproj\.io/v1alpha1/namespaces/team/rollouts/web "
                      r"200 OK in \d+ milliseconds$")


def name_only_certificate(pki: PKI) -> PKI:
    """The PKI with a server certificate for DNS:kube.test alone (no IP address), signed by its CA."""
    directory = Path(pki.ca).parent
    openssl = shutil.which("openssl") or "openssl"

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], check=True, capture_output=True, cwd=directory)

    (directory / "named.ext").write_text(
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        "subjectAltName=DNS:kube.test\n"
    )
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=kube.test",
        "-keyout", "named.key", "-out", "named.csr")
    run("x509", "-req", "-in", "named.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial", "9",
        "-days", "2", "-extfile", "named.ext", "-out", "named.crt")
    return dataclasses.replace(pki, server_cert=str(directory / "named.crt"), server_key=str(directory / "named.key"))


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    try:
        return make_pki(tmp_path_factory.mktemp("pki"))
    except FileNotFoundError:
        pytest.skip("the openssl CLI is needed to make test certificates")


@pytest.fixture(scope="module")
def apiserver() -> Iterator[APIServer]:
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


@pytest.fixture(scope="module")
def named_front(apiserver: APIServer, pki: PKI) -> Iterator[TLSFront]:
    with TLSFront(apiserver.url or "", name_only_certificate(pki)) as tls:
        yield tls


def open_cluster(tmp_path: Path, server: str, transport: str, *, log: io.StringIO | None = None,
                 cluster: dict | None = None, user: dict | None = None, **flags) -> kube_source.Source:
    """A source for `server` (kubeconfig `cluster` and `user` fields; `flags` as the CLI gives them)."""
    path = write_kubeconfig(tmp_path / "kc", server, transport=transport, namespace="team", token=TOKEN,
                            cluster=cluster, user=user)
    options = ConnectionOptions(kubeconfig=path, request_timeout=5, **flags)
    source = kube_source.open_source(options, environ=NO_HOME, log=log)
    assert source.via == transport
    return source


def get_web(source: kube_source.Source) -> str:
    with source:
        return source.get(resources.ROLLOUTS, "web", "team")["metadata"]["name"]


# -- --client-certificate and --client-key


def test_client_certificate_flags_are_accepted_where_one_is_required(tmp_path, mtls_front, pki, transport):
    source = open_cluster(tmp_path, mtls_front.url, transport, cluster={"certificate-authority": pki.ca},
                          client_certificate=pki.client_cert, client_key=pki.client_key)
    assert get_web(source) == "web"


def test_client_certificate_flags_are_relative_to_the_current_directory(tmp_path, mtls_front, pki, transport,
                                                                        monkeypatch):
    monkeypatch.chdir(Path(pki.client_cert).parent)
    source = open_cluster(tmp_path, mtls_front.url, transport, cluster={"certificate-authority": pki.ca},
                          client_certificate="client.crt", client_key="client.key")
    assert get_web(source) == "web"


def test_client_certificate_flags_replace_the_kubeconfig_data(tmp_path, mtls_front, pki, transport):
    # The kubeconfig's pair is the unrelated CA's certificate (no key for it): with the flags it is not used.
    unusable = {"client-certificate-data": b64_file(pki.other_ca), "client-key-data": b64_file(pki.server_key)}
    source = open_cluster(tmp_path, mtls_front.url, transport, cluster={"certificate-authority": pki.ca}, user=unusable,
                          client_certificate=pki.client_cert, client_key=pki.client_key)
    assert get_web(source) == "web"


def test_a_missing_certificate_file_is_one_line_naming_it(tmp_path, pki):
    path = write_kubeconfig(tmp_path / "kc", "https://127.0.0.1:1", transport="http.client")
    options = ConnectionOptions(kubeconfig=path, client_certificate="missing.crt", client_key=pki.client_key)
    with pytest.raises(errors.ConfigError) as caught:
        kube_config.resolve(options, environ=NO_HOME)
    assert str(caught.value) == "unable to read client-cert missing.crt (from --client-certificate): no such file or directory"
    options = ConnectionOptions(kubeconfig=path, client_certificate=pki.client_cert, client_key=str(tmp_path / "k.pem"))
    with pytest.raises(errors.ConfigError) as caught:
        kube_config.resolve(options, environ=NO_HOME)
    assert str(caught.value) == (
        f"unable to read client-key {tmp_path / 'k.pem'} (from --client-key): no such file or directory"
    )


def test_a_certificate_without_a_key_is_refused(tmp_path, pki):
    path = write_kubeconfig(tmp_path / "kc", "https://127.0.0.1:1", transport="http.client")
    with pytest.raises(errors.ConfigError) as caught:
        kube_config.resolve(ConnectionOptions(kubeconfig=path, client_certificate=pki.client_cert), environ=NO_HOME)
    assert str(caught.value) == "a client certificate needs its key: no client-key for user 'test'; pass --client-key"


# -- --tls-server-name


def test_the_certificate_name_must_match_the_address_without_the_flag(tmp_path, named_front, pki, transport):
    source = open_cluster(tmp_path, named_front.url, transport, cluster={"certificate-authority": pki.ca})
    with pytest.raises(errors.ConnectionFailed) as caught:
        get_web(source)
    assert "certificate is not valid for '127.0.0.1'" in str(caught.value)


def test_tls_server_name_flag_is_the_name_verified(tmp_path, named_front, pki, transport):
    assert named_front.url.startswith("https://127.0.0.1:")
    source = open_cluster(tmp_path, named_front.url, transport, cluster={"certificate-authority": pki.ca},
                          tls_server_name="kube.test")
    assert get_web(source) == "web"


def test_tls_server_name_flag_wins_over_the_kubeconfig(tmp_path, named_front, pki, transport):
    source = open_cluster(tmp_path, named_front.url, transport,
                          cluster={"certificate-authority": pki.ca, "tls-server-name": "wrong.test"},
                          tls_server_name="kube.test")
    assert get_web(source) == "web"


def test_server_flag_drops_the_kubeconfig_tls_server_name_as_kubectl_does(tmp_path):
    path = write_kubeconfig(tmp_path / "kc", "https://10.0.0.1", transport="http.client",
                            cluster={"tls-server-name": "kube.test"})
    assert kube_config.resolve(ConnectionOptions(kubeconfig=path), environ=NO_HOME).cluster["tls-server-name"] == "kube.test"
    moved = kube_config.resolve(ConnectionOptions(kubeconfig=path, server="https://127.0.0.1:6443"), environ=NO_HOME)
    assert "tls-server-name" not in moved.cluster
    named = kube_config.resolve(ConnectionOptions(kubeconfig=path, server="https://127.0.0.1:6443",
                                                  tls_server_name="other.test"), environ=NO_HOME)
    assert named.cluster["tls-server-name"] == "other.test"


# -- --as-uid


def test_as_uid_reaches_the_server(tmp_path, front, pki, apiserver, transport):
    source = open_cluster(tmp_path, front.url, transport, cluster={"certificate-authority": pki.ca},
                          impersonate="jane", impersonate_uid="1234-uid")
    assert get_web(source) == "web"
    headers = apiserver.requests[-1].headers
    assert (headers.get("Impersonate-User"), headers.get("Impersonate-Uid")) == ("jane", "1234-uid")


def test_as_uid_flag_wins_over_the_kubeconfig(tmp_path):
    path = write_kubeconfig(tmp_path / "kc", "https://10.0.0.1", transport="http.client", user={"as": "jane", "as-uid": "1"})
    assert kube_config.resolve(ConnectionOptions(kubeconfig=path), environ=NO_HOME).impersonate_uid == "1"
    cfg = kube_config.resolve(ConnectionOptions(kubeconfig=path, impersonate_uid="2"), environ=NO_HOME)
    assert cfg.impersonation_headers() == [("Impersonate-User", "jane"), ("Impersonate-Uid", "2")]


def test_a_uid_or_groups_without_a_user_are_refused_as_kubectl_refuses_them(tmp_path):
    path = write_kubeconfig(tmp_path / "kc", "https://10.0.0.1", transport="http.client")
    for options in (ConnectionOptions(kubeconfig=path, impersonate_uid="2"),
                    ConnectionOptions(kubeconfig=path, impersonate_groups=("ops",))):
        with pytest.raises(errors.ConfigError) as caught:
            kube_config.resolve(options, environ=NO_HOME)
        assert str(caught.value) == (
            "requesting uid or groups for user 'test' without impersonating a user: pass --as USER as well"
        )


# -- -v: the request log


def test_verbosity_6_logs_one_line_per_request(tmp_path, front, pki, transport):
    log = io.StringIO()
    source = open_cluster(tmp_path, front.url, transport, cluster={"certificate-authority": pki.ca}, log=log,
                          verbosity=6)
    with source:
        source.get(resources.ROLLOUTS, "web", "team")
        with pytest.raises(errors.NotFound):
            source.get(resources.ROLLOUTS, "gone", "team")
    lines = log.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert LOG_LINE.match(lines[0]), lines[0]
    assert re.match(r"^GET https://127\.0\.0\.1:\d+/.*/rollouts/gone 404 Not Found in \d+ milliseconds$", lines[1]), lines[1]


def test_every_retry_is_a_request_of_its_own(tmp_path, front, pki, apiserver, transport):
    log = io.StringIO()
    source = open_cluster(tmp_path, front.url, transport, cluster={"certificate-authority": pki.ca}, log=log,
                          verbosity=6)
    apiserver.fail_next("GET", "/apis/argoproj.io/v1alpha1/namespaces/team/rollouts/web", 503)
    assert get_web(source) == "web"
    lines = log.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert re.match(r"^GET https://127\.0\.0\.1:\d+/.*/rollouts/web 503 Service Unavailable in \d+ milliseconds$", lines[0])
    assert LOG_LINE.match(lines[1]), lines[1]


def test_below_6_nothing_is_logged(tmp_path, front, pki, transport):
    log = io.StringIO()
    source = open_cluster(tmp_path, front.url, transport, cluster={"certificate-authority": pki.ca}, log=log,
                          verbosity=5)
    assert get_web(source) == "web"
    assert log.getvalue() == ""


def test_verbosity_9_shows_headers_but_never_the_token(tmp_path, front, pki, transport):
    log = io.StringIO()
    source = open_cluster(tmp_path, front.url, transport, cluster={"certificate-authority": pki.ca}, log=log,
                          verbosity=9, impersonate="jane", impersonate_uid="7")
    assert get_web(source) == "web"
    text = log.getvalue()
    assert TOKEN not in text
    lines = text.splitlines()
    assert re.match(r"^GET https://127\.0\.0\.1:\d+/apis/argoproj\.io/v1alpha1/namespaces/team/rollouts/web$", lines[0])
    assert lines[1] == "Request Headers:"
    # The header as sent: the library's pool spells it `authorization`.
    assert "    authorization: bearer <masked>" in [line.lower() for line in lines]
    assert "    Impersonate-User: jane" in lines and "    Impersonate-Uid: 7" in lines
    status = next(i for i, line in enumerate(lines) if line.startswith("Response Status: "))
    assert re.match(r"^Response Status: 200 OK in \d+ milliseconds$", lines[status])
    assert lines[status + 1] == "Response Headers:"
    assert "    Content-Type: application/json" in lines[status + 2:]
    assert not any(line.startswith("{") or '"metadata"' in line for line in lines)  # no body


def test_a_request_that_gets_no_answer_is_logged_as_failed(tmp_path, transport):
    log = io.StringIO()
    with socket_nobody_listens() as port:
        source = open_cluster(tmp_path, f"http://127.0.0.1:{port}", transport, log=log, verbosity=6)
        with pytest.raises(errors.ConnectionFailed):
            get_web(source)
    assert re.match(rf"^GET http://127\.0\.0\.1:{port}/.*/rollouts/web failed in \d+ milliseconds$", log.getvalue())


class socket_nobody_listens:
    """A loopback port bound but not listening: connecting to it is refused."""

    def __enter__(self) -> int:
        import socket

        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        return int(self._sock.getsockname()[1])

    def __exit__(self, *exc_info: object) -> None:
        self._sock.close()


def test_in_cluster_takes_the_flags_too(tmp_path, pki):
    directory = tmp_path / "sa"
    directory.mkdir()
    env = {"HOME": "/nonexistent-home", "KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "1"}
    options = ConnectionOptions(impersonate="jane", impersonate_uid="7", tls_server_name="kube.test",
                                client_certificate=pki.client_cert, client_key=pki.client_key)
    cfg = kube_config.resolve(options, environ=env, service_account_dir=str(directory))
    assert cfg.in_cluster
    assert cfg.impersonation_headers() == [("Impersonate-User", "jane"), ("Impersonate-Uid", "7")]
    assert cfg.cluster == {"tls-server-name": "kube.test"}
    assert (cfg.user["client-certificate"], cfg.user["client-key"]) == (pki.client_cert, pki.client_key)


def test_in_cluster_client_certificate_and_server_name_over_tls(tmp_path, apiserver, pki):
    directory = tmp_path / "sa"
    directory.mkdir()
    (directory / "token").write_text("sa-token\n")
    (directory / "ca.crt").write_bytes(Path(pki.ca).read_bytes())
    (directory / "namespace").write_text("team")
    with TLSFront(apiserver.url or "", name_only_certificate(pki), require_client_cert=True) as named_mtls:
        env = {"HOME": "/nonexistent-home", "KUBERNETES_SERVICE_HOST": "127.0.0.1",
               "KUBERNETES_SERVICE_PORT": str(named_mtls.port)}
        options = ConnectionOptions(tls_server_name="kube.test", client_certificate=pki.client_cert,
                                    client_key=pki.client_key, request_timeout=5)
        cfg = kube_config.resolve(options, environ=env, service_account_dir=str(directory))
        with kube_client.ClusterSource(cfg) as source:
            assert source.via == "http.client"
            assert source.get(resources.ROLLOUTS, "web", cfg.namespace)["metadata"]["name"] == "web"
