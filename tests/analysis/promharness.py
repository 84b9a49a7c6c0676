"""Test harness: a real Prometheus process, promtool backfill, and a stub HTTP server.

* `PrometheusServer` is the package's `sandbox.prometheus.PrometheusProcess` (Debian's 2.42
  on 127.0.0.1 with its own config and TSDB in a temp dir; `start()` waits for `/-/ready`,
  `stop()` terminates it, then kills).
* `backfill()` writes an OpenMetrics text into TSDB blocks with
  `promtool tsdb create-blocks-from openmetrics`, so a query at a fixed time has exact values.
* `StubServer` answers every request with a canned status/body after an optional delay and
  records what it was sent, for the cases a real Prometheus will not produce on demand
  (slowness, HTML pages, 401, GET fallback, cut bodies, redirects, huge chunked answers).

Only loopback addresses are used; every wait is bounded.
"""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from kubectl_rollouts_py.sandbox.prometheus import PrometheusProcess, free_port

__all__ = ["PrometheusServer", "StubServer", "backfill", "find_tool", "free_port"]


def find_tool(name: str) -> str | None:
    return shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)


def backfill(openmetrics: str, storage: Path, *, promtool: str = "promtool", workdir: Path) -> None:
    """Write `openmetrics` (must end with `# EOF`) into TSDB blocks under `storage`."""
    source = workdir / "backfill.om"
    source.write_text(openmetrics, encoding="utf-8")
    storage.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(source), str(storage)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"promtool backfill failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")


# The real Prometheus is the package's (the sandbox starts it the same way); the suite's
# session server gives it years of retention so promtool-backfilled blocks are kept.
PrometheusServer = PrometheusProcess


# --------------------------------------------------------------------------- stub server


@dataclass
class Seen:
    """One request the stub received."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class Reply:
    status: int = 200
    body: bytes = b'{"status":"success","data":{"resultType":"vector","result":[]}}'
    content_type: str = "application/json"
    delay: float = 0.0  # before the status line
    body_delay: float = 0.0  # after the headers, before the body
    headers: dict[str, str] = field(default_factory=dict)
    truncate_to: int | None = None  # send only this many body bytes (Content-Length says all), then close
    chunked: bool = False  # Transfer-Encoding: chunked, so the client cannot know the size up front


@dataclass
class StubServer:
    """A loopback HTTP(S) server answering from `replies`: by path, else method, else "*"."""

    replies: dict[str, Reply] = field(default_factory=lambda: {"*": Reply()})
    first: list[tuple[str, Reply]] = field(default_factory=list)  # one-shot replies, used before `replies`
    seen: list[Seen] = field(default_factory=list)
    tls: ssl.SSLContext | None = None
    url: str = ""

    def __post_init__(self) -> None:
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                parts = urlsplit(self.path)
                stub.seen.append(
                    Seen(self.command, parts.path, dict(parse_qsl(parts.query)), dict(parse_qsl(body)), {k.lower(): v for k, v in self.headers.items()})
                )
                reply = stub._next_reply(parts.path, self.command)
                if reply.delay and stub._stopping.wait(reply.delay):
                    return
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    if reply.chunked:
                        self.send_header("Transfer-Encoding", "chunked")
                    else:
                        self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.flush()
                    if reply.body_delay and stub._stopping.wait(reply.body_delay):
                        return
                    if reply.truncate_to is not None:
                        self.wfile.write(reply.body[: reply.truncate_to])
                        self.close_connection = True
                    elif reply.chunked:
                        for at in range(0, len(reply.body), 65536):
                            piece = reply.body[at : at + 65536]
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                        self.wfile.write(b"0\r\n\r\n")
                    else:
                        self.wfile.write(reply.body)
                except OSError:
                    pass  # the client gave up (timeout tests, answers refused for their size)

            do_GET = do_POST = _serve  # noqa: N815

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if self.tls is not None:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        scheme = "https" if self.tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def reply(
        self,
        status: int = 200,
        body: bytes | str | dict[str, Any] = b"",
        *,
        on: str = "*",
        delay: float = 0.0,
        body_delay: float = 0.0,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        truncate_to: int | None = None,
        chunked: bool = False,
        once: bool = False,
    ) -> None:
        """Answer requests `on` a path ("/x"), a method ("GET") or anything ("*") like this.

        `once`: answer only the next such request like this, then fall back to the others.
        """
        if isinstance(body, dict):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        reply = Reply(status, body, content_type, delay, body_delay, dict(headers or {}), truncate_to, chunked)
        if once:
            self.first.append((on, reply))
        else:
            self.replies[on] = reply

    def _next_reply(self, path: str, method: str) -> Reply:
        with self._lock:
            for index, (on, reply) in enumerate(self.first):
                if on in (path, method, "*"):
                    del self.first[index]
                    return reply
        return self.replies.get(path) or self.replies.get(method) or self.replies["*"]

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
