"""Failures below HTTP end fast with one clear line (no API server needed for these).

Tests taking `transport` run over http.client and over the kubernetes library, and expect
the same words from both.
"""

from __future__ import annotations

import concurrent.futures
import gzip
import http.server
import shutil
import socket
import ssl
import subprocess
import threading
import time
import types
from collections.abc import Iterator

import pytest

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import client as kube_client
from kubectl_rollouts_py.kube import resources
from kubectl_rollouts_py.kube import source as kube_source
from kubectl_rollouts_py.kube.options import ConnectionOptions

from .support import NO_HOME, write_kubeconfig


@pytest.fixture
def cluster(tmp_path, transport):
    """cluster(server, token=None, **options): a source for `server` over this test's transport."""

    def open_cluster(server: str, *, token: str | None = None, **options) -> kube_source.Source:
        path = write_kubeconfig(tmp_path / "kc", server, transport=transport, token=token)
        source = kube_source.open_source(ConnectionOptions(kubeconfig=path, **options), environ=NO_HOME)
        assert source.via == transport
        return source

    return open_cluster


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the client asks for before a retry (not waited: any retry shows as an entry)."""
    asked: list[float] = []
    monkeypatch.setattr(kube_client, "time", types.SimpleNamespace(monotonic=time.monotonic, sleep=asked.append))
    return asked


def wait_until(check, bound: float = 30.0) -> None:
    """Poll `check` until it holds; `bound` only keeps a failure from hanging the run."""
    give_up = time.monotonic() + bound
    while not check():
        assert time.monotonic() < give_up, "the condition never held"
        time.sleep(0.01)


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


def serve(listener_pair, reply: bytes | None, *, replies: int = 1) -> list[socket.socket]:
    """Answer `replies` connections with `reply` and close each; None: accept and stay silent.
    Returns the connections closed so far, each added once its close() has returned (a
    socket's fileno() reads -1 before the close itself has run, so it cannot tell)."""
    sock, accepted = listener_pair
    closed: list[socket.socket] = []

    def run() -> None:
        for _ in range(replies):
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            accepted.append(conn)
            if reply is not None:
                conn.recv(65536)
                conn.sendall(reply)
                conn.close()
                closed.append(conn)

    threading.Thread(target=run, daemon=True).start()
    return closed


def url_of(listener_pair, scheme: str = "http") -> str:
    return f"{scheme}://127.0.0.1:{listener_pair[0].getsockname()[1]}"


def test_connection_refused_fails_at_once_with_one_line(cluster, waits):
    url = f"http://127.0.0.1:{closed_port()}"
    src = cluster(url, token="very-secret-token")
    with pytest.raises(errors.ConnectionFailed) as caught:
        src.list(resources.ROLLOUTS, "default")
    assert waits == []  # not retried: no wait towards another attempt
    assert str(caught.value) == f"cannot reach the Kubernetes API at {url}: connection refused"
    assert "very-secret-token" not in str(caught.value)


def test_a_token_that_is_not_a_valid_header_never_shows(listener, cluster):
    serve(listener, reply=None)
    url = url_of(listener)
    with pytest.raises(errors.ConnectionFailed) as caught:
        cluster(url, token="very-secret\ntoken", request_timeout=2).get(resources.ROLLOUTS, "web", "default")
    assert str(caught.value) == (
        f"cannot reach the Kubernetes API at {url}: a request header is not valid HTTP; check the credentials in the kubeconfig"
    )
    chain, current = [], caught.value
    while current is not None:
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    assert not [exc for exc in chain if "very-secret" in repr(exc)]


def test_request_timeout_bounds_a_server_that_never_answers(listener, cluster):
    serve(listener, reply=None)
    url = f"http://127.0.0.1:{listener[0].getsockname()[1]}"
    src = cluster(url, request_timeout=0.3)
    started = time.monotonic()
    with pytest.raises(errors.ConnectionFailed) as caught:
        src.get(resources.ROLLOUTS, "web", "default")
    # Without the timeout the read would wait for ever; the exact message also says it was
    # one attempt (a retry would add "(2 attempts; giving up after ...)").
    assert str(caught.value) == f"the Kubernetes API at {url} did not answer within 0.3s"
    assert 0.3 <= time.monotonic() - started < 30  # not before the timeout; the upper bound is a hang guard


def test_tls_to_a_plain_http_port_is_a_tls_failure(listener, cluster):
    serve(listener, reply=b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    url = f"https://127.0.0.1:{listener[0].getsockname()[1]}"
    src = cluster(url, request_timeout=5)
    with pytest.raises(errors.ConnectionFailed) as caught:
        src.get(resources.ROLLOUTS, "web", "default")
    # OpenSSL says "wrong version number" (or "record layer failure" in newer releases).
    assert str(caught.value).startswith(f"cannot reach the Kubernetes API at {url}: TLS handshake failed: ")
    assert "_" not in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_server_that_hangs_up_mid_answer(listener, cluster, monkeypatch):
    # The wording of one failure; the retries of a read are tested in tests/faults.
    monkeypatch.setattr(kube_client, "MAX_ATTEMPTS_WITH_TIMEOUT", 1)
    serve(listener, reply=b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"kind\"")
    url = url_of(listener)
    with pytest.raises(errors.ConnectionFailed) as caught:
        cluster(url, request_timeout=5).get(resources.ROLLOUTS, "web", "default")
    assert str(caught.value) == (
        f"the connection to the Kubernetes API at {url} broke: the answer was cut short (7 bytes read, 93 more expected)"
    )


def test_a_server_that_hangs_up_without_answering(listener, cluster, monkeypatch):
    # The wording of one failure; the retries of a read are tested in tests/faults.
    monkeypatch.setattr(kube_client, "MAX_ATTEMPTS_WITH_TIMEOUT", 1)
    serve(listener, reply=b"")
    url = url_of(listener)
    with pytest.raises(errors.ConnectionFailed) as caught:
        cluster(url, request_timeout=5).get(resources.ROLLOUTS, "web", "default")
    assert str(caught.value) == f"the connection to the Kubernetes API at {url} broke: connection reset by peer"


def test_a_server_that_does_not_speak_http(listener, cluster):
    serve(listener, reply=b"SSH-2.0-OpenSSH_9.2\r\n")
    url = url_of(listener)
    with pytest.raises(errors.ConnectionFailed) as caught:
        cluster(url, request_timeout=5).get(resources.ROLLOUTS, "web", "default")
    assert str(caught.value) == f"the connection to the Kubernetes API at {url} broke: the answer is not HTTP"


def test_an_unknown_host_is_named(cluster):
    url = "http://no-such-host.invalid:6443"
    with pytest.raises(errors.ConnectionFailed) as caught:
        cluster(url, request_timeout=5).get(resources.ROLLOUTS, "web", "default")
    assert str(caught.value) == f"cannot reach the Kubernetes API at {url}: cannot resolve host no-such-host.invalid"


def test_a_gzipped_answer_is_decoded(listener, cluster):
    body = gzip.compress(b'{"kind": "Rollout", "metadata": {"name": "web"}}')
    serve(listener, reply=b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
          b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    assert cluster(url_of(listener), request_timeout=5).get(resources.ROLLOUTS, "web", "default")["metadata"]["name"] == "web"


def test_a_gzipped_chunked_watch_is_decoded(listener, cluster):
    events = gzip.compress(b'{"type": "ADDED", "object": {"metadata": {"name": "a"}}}\n'
                           b'{"type": "MODIFIED", "object": {"metadata": {"name": "b"}}}\n')
    half = len(events) // 2
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (events[:half], events[half:]))
    serve(listener, reply=b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
          b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n")
    watched = cluster(url_of(listener), request_timeout=5).watch(resources.ROLLOUTS, "default", resource_version="1")
    assert [(e.type, e.object["metadata"]["name"]) for e in watched] == [("ADDED", "a"), ("MODIFIED", "b")]


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    """Answers every GET with a small object on a keep-alive connection; counts connections."""

    protocol_version = "HTTP/1.1"
    connections = 0

    def setup(self) -> None:
        super().setup()
        type(self).connections += 1

    def do_GET(self) -> None:  # noqa: N802 - the base class's naming
        body = b'{"kind": "Rollout", "metadata": {"name": "web"}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _connections_for_three_gets(cluster) -> int:
    """Three GETs in a row to a counting keep-alive server: how many connections it saw."""
    handler = type("Handler", (_CountingHandler,), {"connections": 0})
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        try:
            with cluster(f"http://127.0.0.1:{httpd.server_address[1]}", request_timeout=5) as src:
                for _ in range(3):
                    assert src.get(resources.ROLLOUTS, "web", "default")["metadata"]["name"] == "web"
        finally:
            httpd.shutdown()
    return handler.connections


def test_sequential_requests_share_one_connection(cluster):
    assert _connections_for_three_gets(cluster) == 1


def test_connections_are_reused_when_the_process_has_over_1024_descriptors(cluster):
    # A busy process (a dashboard, a test run) gets socket descriptors numbered 1024 and up,
    # which select() refuses: the idle-connection check must not take them for closed.
    import os

    null = os.open(os.devnull, os.O_RDONLY)
    filler = [os.dup(null) for _ in range(1100)]
    try:
        connections = _connections_for_three_gets(cluster)
    finally:
        for fd in [*filler, null]:
            os.close(fd)
    assert connections == 1


def test_threads_that_come_and_go_reuse_connections(cluster, waits):
    # The CLI's fetch runs a GET and four LISTs in a fresh thread pool each time. Twenty
    # requests, at most five at once: five connections do, unless a request had to be retried
    # (a read cut short on a starved machine), which takes a new one.
    handler = type("Handler", (_CountingHandler,), {"connections": 0})
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        try:
            with cluster(f"http://127.0.0.1:{httpd.server_address[1]}", request_timeout=5) as src:
                for _ in range(4):
                    with concurrent.futures.ThreadPoolExecutor(max_workers=5) as pool:
                        got = list(pool.map(lambda _: src.get(resources.ROLLOUTS, "web", "default"), range(5)))
                    assert [o["metadata"]["name"] for o in got] == ["web"] * 5
        finally:
            httpd.shutdown()
    assert handler.connections <= 5 + len(waits), (handler.connections, waits)


def test_an_idle_connection_the_server_closed_is_replaced(listener, cluster, waits):
    # Keep-alive answers (no "Connection: close"), but the server hangs up after each one.
    body = b'{"kind": "Rollout", "metadata": {"name": "web"}}'
    closed = serve(listener, reply=b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body), replies=2)
    accepted = listener[1]
    with cluster(url_of(listener), request_timeout=5) as src:
        assert src.get(resources.ROLLOUTS, "web", "default")["metadata"]["name"] == "web"
        wait_until(lambda: len(closed) == 1)  # the server has hung up
        assert src.get(resources.ROLLOUTS, "web", "default")["metadata"]["name"] == "web"
    assert len(accepted) == 2
    assert waits == []  # replaced before the request went out, not retried after it failed


def test_describe_shows_the_server_without_credentials():
    source = kube_source.open_source(ConnectionOptions(server="https://user:pw@10.1.2.3:6443/"), environ=NO_HOME)
    assert source.describe() == "https://10.1.2.3:6443"
    assert source.via == "kubernetes"  # user:password in the URL is the library's business


def test_watch_stop_before_start_returns_without_a_request(cluster):
    src = cluster(f"http://127.0.0.1:{closed_port()}")
    stop = threading.Event()
    stop.set()
    assert list(src.watch(resources.ROLLOUTS, "default", resource_version="1", stop=stop)) == []


def test_patch_arguments_are_checked_before_any_request(cluster):
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


def test_untrusted_certificate_is_a_tls_failure(tls_server, cluster):
    url, _ = tls_server
    with pytest.raises(errors.ConnectionFailed) as caught:
        cluster(url, request_timeout=5).get(resources.ROLLOUTS, "web", "default")
    assert str(caught.value) == (
        f"cannot reach the Kubernetes API at {url}: TLS handshake failed: certificate verify failed: self-signed certificate"
    )


def test_certificate_authority_flag_trusts_the_server(tls_server, cluster):
    url, cert = tls_server
    src = cluster(url, request_timeout=5, certificate_authority=cert)
    assert src.get(resources.ROLLOUTS, "web", "default")["metadata"]["name"] == "web"


def test_insecure_skip_tls_verify_connects_without_warnings(tls_server, cluster, recwarn):
    url, _ = tls_server
    src = cluster(url, request_timeout=5, insecure_skip_tls_verify=True)
    assert src.get(resources.ROLLOUTS, "web", "default")["metadata"]["name"] == "web"
    assert not [w for w in recwarn if "Unverified HTTPS" in str(w.message)]
