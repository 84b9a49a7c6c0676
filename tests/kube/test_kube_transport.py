"""Failures below HTTP end fast with one clear line (no API server needed for these)."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import resources
from kubectl_rollouts_py.kube import source as kube_source
from kubectl_rollouts_py.kube.options import ConnectionOptions

NO_KUBECONFIG = {"HOME": "/nonexistent-home"}


def cluster(server: str, **options) -> kube_source.Source:
    return kube_source.open_source(ConnectionOptions(server=server, **options), environ=NO_KUBECONFIG)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def listener() -> Iterator[tuple[socket.socket, list[socket.socket]]]:
    """A TCP socket that accepts connections; what it answers is up to the test."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    accepted: list[socket.socket] = []
    yield sock, accepted
    sock.close()
    for conn in accepted:
        conn.close()


def serve(listener_pair, reply: bytes | None) -> None:
    sock, accepted = listener_pair

    def run() -> None:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        accepted.append(conn)
        if reply is not None:
            conn.recv(65536)
            conn.sendall(reply)
            conn.close()

    threading.Thread(target=run, daemon=True).start()


def test_connection_refused_fails_fast_with_one_line():
    url = f"http://127.0.0.1:{closed_port()}"
    src = cluster(url, token="very-secret-token")
    started = time.monotonic()
    with pytest.raises(errors.ConnectionFailed) as caught:
        src.list(resources.ROLLOUTS, "default")
    assert time.monotonic() - started < 2.0  # no retries with backoff
    assert str(caught.value) == f"cannot reach the Kubernetes API at {url}: connection refused"
    assert "very-secret-token" not in str(caught.value)


def test_request_timeout_bounds_a_server_that_never_answers(listener):
    serve(listener, reply=None)
    url = f"http://127.0.0.1:{listener[0].getsockname()[1]}"
    src = cluster(url, request_timeout=0.3)
    started = time.monotonic()
    with pytest.raises(errors.ConnectionFailed) as caught:
        src.get(resources.ROLLOUTS, "web", "default")
    assert time.monotonic() - started < 2.0
    assert str(caught.value) == f"the Kubernetes API at {url} did not answer within 0.3s"


def test_tls_to_a_plain_http_port_is_a_tls_failure(listener):
    serve(listener, reply=b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    url = f"https://127.0.0.1:{listener[0].getsockname()[1]}"
    src = cluster(url, request_timeout=5)
    with pytest.raises(errors.ConnectionFailed) as caught:
        src.get(resources.ROLLOUTS, "web", "default")
    # OpenSSL says "wrong version number" (or "record layer failure" in newer releases).
    assert str(caught.value).startswith(f"cannot reach the Kubernetes API at {url}: TLS handshake failed: ")
    assert "_" not in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_server_that_hangs_up_mid_answer(listener):
    serve(listener, reply=b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"kind\"")
    url = f"http://127.0.0.1:{listener[0].getsockname()[1]}"
    with pytest.raises(errors.ConnectionFailed) as caught:
        cluster(url, request_timeout=5).get(resources.ROLLOUTS, "web", "default")
    assert str(caught.value).startswith(f"the connection to the Kubernetes API at {url} broke")


def test_describe_shows_the_server_without_credentials():
    assert cluster("https://user:pw@10.1.2.3:6443/").describe() == "https://10.1.2.3:6443"


def test_watch_stop_before_start_returns_without_a_request():
    src = cluster(f"http://127.0.0.1:{closed_port()}")
    stop = threading.Event()
    stop.set()
    assert list(src.watch(resources.ROLLOUTS, "default", resource_version="1", stop=stop)) == []


def test_patch_arguments_are_checked_before_any_request():
    src = cluster(f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(ValueError, match="unknown patch type"):
        src.patch(resources.ROLLOUTS, "web", "default", {}, patch_type="apply")
    with pytest.raises(ValueError, match="json patch needs a list body"):
        src.patch(resources.ROLLOUTS, "web", "default", {"spec": {}}, patch_type="json")
    with pytest.raises(ValueError, match="a namespace is required"):
        src.get(resources.ROLLOUTS, "web", None)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """An HTTPS listener with a fresh self-signed certificate; yields (url, cert path)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = str(directory / "cert.pem"), str(directory / "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
        check=True, capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    body = b'{"kind": "Rollout", "metadata": {"name": "web"}}'
    reply = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)

    def run() -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(65536)
                    tls.sendall(reply)
            except (OSError, ssl.SSLError):
                conn.close()

    threading.Thread(target=run, daemon=True).start()
    yield f"https://127.0.0.1:{sock.getsockname()[1]}", cert
    sock.close()


def test_untrusted_certificate_is_a_tls_failure(tls_server):
    url, _ = tls_server
    with pytest.raises(errors.ConnectionFailed) as caught:
        cluster(url, request_timeout=5).get(resources.ROLLOUTS, "web", "default")
    assert str(caught.value) == (
        f"cannot reach the Kubernetes API at {url}: TLS handshake failed: certificate verify failed: self-signed certificate"
    )


def test_certificate_authority_flag_trusts_the_server(tls_server):
    url, cert = tls_server
    src = cluster(url, request_timeout=5, certificate_authority=cert)
    assert src.get(resources.ROLLOUTS, "web", "default")["metadata"]["name"] == "web"


def test_insecure_skip_tls_verify_connects_without_warnings(tls_server, recwarn):
    url, _ = tls_server
    src = cluster(url, request_timeout=5, insecure_skip_tls_verify=True)
    assert src.get(resources.ROLLOUTS, "web", "default")["metadata"]["name"] == "web"
    assert not [w for w in recwarn if "Unverified HTTPS" in str(w.message)]
