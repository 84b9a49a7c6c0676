"""JSON from the API server nested past the json module's ~1000 levels: one `Error:` line like
any answer that is not JSON, not `internal error ... (please report this)` (issue 9).

The stand-in API server cannot send such a body (its own encoder stops at the same depth),
so a raw HTTP server plays the API server here, over real HTTP, for the installed CLI.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e.standin import NS, assert_one_error_line, run_cli
from tests.kube.support import write_kubeconfig

DEEP = b'{"kind":"Rollout","a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"


@contextmanager
def raw_server(status: int, body: bytes) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("transport", ["http.client", "kubernetes"])
@pytest.mark.parametrize(("status", "words"), [(200, "sent a response that is not JSON it can read"),
                                               (404, "not found")])
def test_deeply_nested_json_is_one_error_line(tmp_path: Path, transport: str, status: int, words: str) -> None:
    with raw_server(status, DEEP) as url:
        config = tmp_path / "kubeconfig"
        write_kubeconfig(config, url, transport=transport, namespace=NS)
        result = run_cli("get", "rollout", "app-backend", kubeconfig=config, timeout=120)
    line = assert_one_error_line(result)
    assert words in line, line
    assert "internal error" not in line
    assert len(line) < 600  # the body is not repeated


@pytest.mark.parametrize("line", [b'{"type":"ADDED","object":' + b"[" * 5000 + b"]" * 5000 + b"}", b"[1]", b'"ADDED"',
                                  b'{"type":"ERROR","object":[1]}'])
def test_a_watch_event_too_deep_or_not_an_object_is_an_api_error(line: bytes) -> None:
    # A watch stream's line the reader cannot use: an ApiError (one Error line, or a
    # retried stream), not RecursionError or AttributeError (an internal error).
    from kubectl_rollouts_py import errors
    from kubectl_rollouts_py.kube.client import ClusterSource

    with pytest.raises(errors.ApiError, match="watch event that is not|server returned HTTP 500"):
        ClusterSource._decode_event(line)
