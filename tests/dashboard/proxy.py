"""A signing-in reverse proxy in a few lines, for tests: what oauth2-proxy does in front of the
dashboard, minus the signing in. It forwards every request under its prefix to the dashboard,
prefix kept, with the Host the client sent, X-Forwarded-Host/-Proto, and the person it has
"signed in" in X-Forwarded-User / X-Forwarded-Groups (client-sent copies of those are dropped,
as oauth2-proxy does). Responses are streamed back as they come (the event stream too)."""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}
DROPPED = {"x-forwarded-user", "x-forwarded-groups", "x-forwarded-email", "x-forwarded-host", "x-forwarded-proto",
           "x-forwarded-for"}


class SigningInProxy:
    def __init__(self, upstream_host: str, upstream_port: int, *, user: str | None = "alice",
                 groups: tuple[str, ...] = ("team-a",), prefix: str = "/") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.user, self.groups, self.prefix = user, groups, prefix
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}{prefix}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> SigningInProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                if not self.path.startswith(proxy.prefix.rstrip("/")):
                    self.send_error(404)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                upstream = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in self.headers.items():
                    if name.lower() not in HOP_BY_HOP | DROPPED:
                        upstream.putheader(name, value)
                upstream.putheader("X-Forwarded-Host", self.headers.get("Host", ""))
                upstream.putheader("X-Forwarded-Proto", "http")
                upstream.putheader("X-Forwarded-For", self.client_address[0])
                if proxy.user is not None:
                    upstream.putheader("X-Forwarded-User", proxy.user)
                    if proxy.groups:
                        upstream.putheader("X-Forwarded-Groups", ",".join(proxy.groups))
                upstream.endheaders(body)
                resp = upstream.getresponse()
                self.send_response(resp.status, resp.reason)
                for name, value in resp.getheaders():
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    while chunk := resp.read1(65536):
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except OSError:
                    pass
                finally:
                    upstream.close()
                    self.close_connection = True

            do_GET = do_POST = do_HEAD = _forward

        return Handler
