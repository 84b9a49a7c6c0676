"""The dashboard's HTTP server: static pages, a JSON API, Server-Sent Events and actions.

Routes (all JSON but `/`, `/static/*` and the event stream), each under --root-path PREFIX
when one is given (PREFIX alone redirects to PREFIX/; any other path outside it is 404):

    GET  /                                       the page (carries the action token)
    GET  /static/app.js, /static/app.css         its script and style
    GET  /api/v1/info                            {namespace, namespaces, readOnly, version, error,
                                                 stale, staleSince, serverTime}
    GET  /api/v1/rollouts[?namespace=NS]         {kind: RolloutList, version, items: [row...]}
    GET  /api/v1/rollouts/NS/NAME                the rollout view, steps, containers, analysis
    GET  /api/v1/rollouts/NS/NAME/analysis       {version, items: [AnalysisRun view + charts]}
    GET  /api/v1/experiments[?namespace=NS]      {kind: ExperimentList, version, items: [row...]}
    GET  /api/v1/experiments/NS/NAME             the experiment view, templates, analysis
    GET  /api/v1/events                          text/event-stream: `change` with the version
    POST /api/v1/rollouts/NS/NAME/ACTION         promote, promote-full, abort, retry, restart,
                                                 pause, set-image {container, image},
                                                 undo {revision}; header X-Rollouts-Token
    GET  /healthz                                the process serves: 200 {"status": "ok"}
    GET  /readyz                                 200 once every kind is listed and followed,
                                                 else 503 (the kinds not yet current)

Token mode (the default): every request must name the served address in Host (DNS
rebinding) and a request with an Origin must come from it (cross-site pages). Proxy mode
(--auth proxy): every request must come from a --trusted-proxy address and name the person
in X-Forwarded-User (X-Forwarded-Groups optional); Origin, when sent, must name the Host
the proxy forwarded; actions impersonate that person. In both, a POST must carry the
process's random token (the page has it) and a cross-site Sec-Fetch-Site is refused; with
read-only, every POST is refused (403). /healthz and /readyz answer anyone, and say nothing
of the cluster. A 403 from the API server on an action is a refusal (`refused: true`, "you
may not ..."), shown as such on the page. One JSON access-log line per request
(access.AccessLog).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources as package_files
from collections.abc import Callable
from typing import Any, TextIO
from urllib.parse import parse_qs, unquote, urlsplit

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.dashboard import model
from kubectl_rollouts_py.dashboard.access import (GROUPS_HEADER, USER_HEADER, Access, AccessLog, Identity, IdentitySources,
                                                  Refused, forwarded_identity)
from kubectl_rollouts_py.dashboard.hub import Hub
from kubectl_rollouts_py.environment import utcnow
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.ops import steer, templates
from kubectl_rollouts_py.render.escape import clean

TOKEN_HEADER = "X-Rollouts-Token"
KEEPALIVE = 15.0  # seconds between SSE comments on a quiet cluster
MAX_BODY = 64 * 1024
# A connection that sends nothing for this long is closed (an open event stream is written
# to every KEEPALIVE seconds, so it is never idle on the server's side for long).
IDLE_TIMEOUT = 60.0
# Connections served at once (each has a thread); more are answered 503 and closed at once.
MAX_CONNECTIONS = 128
# Connections the kernel queues before the server accepts them (the standard library's is 5).
LISTEN_BACKLOG = 128
# How much of a message an error answer quotes.
MAX_MESSAGE = 2000
STATIC = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8", "icon.svg": "image/svg+xml"}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
PAGE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


ACTIONS = ("promote", "promote-full", "abort", "retry", "restart", "pause", "set-image", "undo")
# How a refusal names each action: "you may not <verb> rollout NAME in NAMESPACE: <why>".
ACTION_VERBS = {"promote": "promote", "promote-full": "fully promote", "abort": "abort", "retry": "retry",
                "restart": "restart", "pause": "pause", "set-image": "set the image of", "undo": "roll back"}
HEALTH_PATHS = ("/healthz", "/readyz")


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise errors.UsageError(f'"{key}" is required (a non-empty string)')
    return value


def run_action(source: Any, namespace: str, name: str, action: str, body: dict[str, Any], *, now: dt.datetime) -> str:
    """Apply one action to rollout namespace/name with the operation the CLI's command calls
    (ops/); return its confirmation line."""
    if action in ("promote", "promote-full"):
        return steer.promote(source, namespace, name, steer.Promotion(full=action == "promote-full")).message
    if action == "abort":
        return steer.abort(source, namespace, name).message
    if action == "retry":
        return steer.retry(source, namespace, name).message
    if action == "pause":
        return steer.pause(source, namespace, name).message
    if action == "restart":
        return steer.restart(source, namespace, name, now=now).message
    if action == "set-image":
        change = templates.ImageChange(_text(body, "container"), _text(body, "image"))
        return templates.set_image(source, namespace, name, change).message
    if action == "undo":
        revision = body.get("revision", 0)
        if not isinstance(revision, int) or isinstance(revision, bool) or revision < 0:
            raise errors.UsageError('"revision" must be a whole number >= 0')
        return templates.undo(source, namespace, name, to_revision=revision).message
    raise errors.NotFound(f'unknown action "{action}"')


def _message(text: str) -> str:
    """A message for a page: escaped like every text from a server or a request, and bounded."""
    text = clean(text)
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + f"... ({len(text) - MAX_MESSAGE} more characters)"


def _problem(namespace: str, name: str | None = None) -> str | None:
    """Why namespace (and name) are not names a rollout can have; None when they are."""
    problem = r.name_problem(namespace, "label")
    if problem is not None:
        return f'invalid namespace "{_message(namespace[:80])}": {problem}'
    if name is not None:
        problem = r.name_problem(name, r.ROLLOUTS.name_rule)
        if problem is not None:
            return f'invalid rollout name "{_message(name[:80])}": {problem}'
    return None


def _static(name: str) -> bytes:
    return package_files.files("kubectl_rollouts_py.dashboard").joinpath("static").joinpath(name).read_bytes()


_BUSY_BODY = b'{"error":"too many connections; try again","code":503}'
_BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
         b"Content-Length: %d\r\nConnection: close\r\nRetry-After: 1\r\n\r\n%s" % (len(_BUSY_BODY), _BUSY_BODY))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._connections = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        """A thread per connection, up to MAX_CONNECTIONS; beyond that, 503 and close."""
        if not self._connections.acquire(blocking=False):
            try:
                request.settimeout(1.0)
                request.sendall(_BUSY)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._connections.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)  # type: ignore[misc]
        finally:
            self._connections.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: socketserver prints a traceback on the terminal for an error outside the
        handler's own catch, which is a browser resetting a kept-alive connection while the
        server waits for its next request line (seen in the soak). Nothing to report."""


class Dashboard:
    """The hub, the HTTP server and what the handler needs, for one process.

    `root_path` is access.root_path()'s form ("" or "/a/b"). With `access` in proxy mode,
    `identity_source(identity)` opens the Source an action of that person goes through (the
    dashboard's connection with Impersonate-User/-Group); reads stay on `source`. `log` gets
    the access log's JSON lines (None: no log).
    """

    def __init__(self, source: Any, namespace: str | None, *, address: str = "127.0.0.1", port: int = 3100,
                 read_only: bool = False, renew_seconds: float | None = None, root_path: str = "",
                 access: Access | None = None, identity_source: Callable[[Identity], Any] | None = None,
                 log: TextIO | None = None, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.source = source
        self.namespace = namespace
        self.read_only = read_only
        self.root = root_path
        self.access = access or Access()
        if self.access.proxy and identity_source is None:
            raise ValueError("proxy authentication needs identity_source: actions are impersonated")
        self.token = secrets.token_urlsafe(32)
        self.hub = Hub(source, namespace, renew_seconds=renew_seconds)
        self.action_lock = threading.Lock()
        self.sources = IdentitySources(identity_source, lock=self.action_lock) if identity_source else None
        self.log = AccessLog(log, clock)
        self._row_memo: dict[str, dict[Any, Any]] = {}  # per namespace shown; built under the hub's lock
        self.httpd = _Server((address, port), _handler(self))
        self.address, self.port = self.httpd.server_address[:2]
        host = str(self.address)
        host = f"[{host}]" if ":" in host else host
        names = {host}
        if self.address in ("127.0.0.1", "::1", "0.0.0.0", "::"):
            names |= {"localhost", "127.0.0.1", "[::1]"}
        if self.address in ("0.0.0.0", "::"):  # every interface: the names this machine goes by
            names |= {socket.gethostname(), socket.getfqdn()}
        self.allowed_hosts = {f"{name}:{self.port}" for name in names if name}
        shown = "127.0.0.1" if self.address == "0.0.0.0" else "[::1]" if self.address == "::" else host
        self.url = f"http://{shown}:{self.port}{self.root}/"
        self.loopback = self.address in ("127.0.0.1", "::1") or str(self.address).startswith("127.")

    def start(self) -> Dashboard:
        self.hub.start()
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="dashboard-http", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self.hub.close()
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.sources is not None:
            self.sources.close()

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        """Ready once every kind has been listed and none is stale; the document says which
        kinds are not current (their names only: the reasons may carry the cluster's words,
        and anyone may ask)."""
        synced = self.hub.wait_synced(0)
        stale = sorted(self.hub.health()["stale"])
        if synced and not stale:
            return True, {"status": "ok"}
        return False, {"status": "not ready", "synced": synced, "stale": stale}

    def local_path(self, path: str) -> str | None:
        """The route of a request's path under the root path: "/..." inside it, "" for the
        root path itself without its slash (redirected), None outside it."""
        if not self.root:
            return path or "/"
        if path == self.root:
            return ""
        if path.startswith(self.root + "/"):
            return path[len(self.root):]
        return None

    def __enter__(self) -> Dashboard:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- documents

    def namespaces(self) -> list[str]:
        if self.namespace:
            return [self.namespace]
        _, found = self.hub.document(("namespaces",), lambda cache, now: sorted(
            {str((o.get("metadata") or {}).get("namespace") or "") for o in cache.items(r.ROLLOUTS)}))
        return list(found)

    @staticmethod
    def _objects(cache: Any) -> model.Objects:
        return model.Objects(*(cache.items(kind) for kind in (r.ROLLOUTS, r.REPLICASETS, r.PODS, r.ANALYSISRUNS, r.EXPERIMENTS)))

    def rollout_list(self, namespace: str | None) -> dict[str, Any]:
        memo = self._row_memo.setdefault(namespace or "", {}) if len(self._row_memo) < 16 or (namespace or "") in self._row_memo else None
        version, doc = self.hub.document(("list", namespace), lambda cache, now: model.rollout_list(self._objects(cache), namespace, now, memo))
        return {**doc, "version": version}

    def rollout(self, namespace: str, name: str) -> dict[str, Any] | None:
        def build(cache: Any, now: dt.datetime) -> dict[str, Any] | None:
            obj = cache.get(r.ROLLOUTS, name, namespace)
            return None if obj is None else model.rollout_document(obj, self._objects(cache), now)

        version, doc = self.hub.document(("rollout", namespace, name), build)
        return None if doc is None else {**doc, "version": version}


    def experiment_list(self, namespace: str | None) -> dict[str, Any]:
        version, doc = self.hub.document(("experiments", namespace), lambda cache, now: model.experiment_list(self._objects(cache), namespace, now))
        return {**doc, "version": version}

    def experiment(self, namespace: str, name: str) -> dict[str, Any] | None:
        def build(cache: Any, now: dt.datetime) -> dict[str, Any] | None:
            obj = cache.get(r.EXPERIMENTS, name, namespace)
            return None if obj is None else model.experiment_document(obj, self._objects(cache), now)

        version, doc = self.hub.document(("experiment", namespace, name), build)
        return None if doc is None else {**doc, "version": version}


def _host_port(value: str, default_port: str) -> str:
    """host:port of a Host header or an origin's netloc, lower-case, with the scheme's
    default port spelled out (so "a.example" and "a.example:443" over https are one)."""
    value = value.strip().lower()
    if value.startswith("[") and "]" in value:
        host, _, rest = value[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        host = f"[{host}]"
    else:
        host, _, port = value.rpartition(":") if value.count(":") == 1 else (value, "", "")
    return f"{host}:{port or default_port}"


def _handler(dash: Dashboard) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "rollouts-py-dashboard"
        sys_version = ""
        timeout = IDLE_TIMEOUT  # the socket's: an idle (or too slow) client is dropped
        _started = 0.0
        _status: int | None = None
        _user: str | None = None
        _why: str | None = None
        _identity: Identity | None = None
        _local = "/"

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the access log is ours (dash.log)
            pass

        # ------------------------------------------------------------ access log

        def parse_request(self) -> bool:
            self._started = time.monotonic()
            return super().parse_request()

        def send_response(self, code: int, message: str | None = None) -> None:
            self._status = code
            super().send_response(code, message)

        def handle_one_request(self) -> None:
            """One request, then its access-log line (a request that got an answer)."""
            self._status = self._user = self._why = self._identity = None
            self._started = time.monotonic()
            try:
                super().handle_one_request()
            finally:
                if self._status is not None:
                    dash.log.write(method=self.command or "-", path=getattr(self, "path", "") or "", status=self._status,
                                   duration_ms=(time.monotonic() - self._started) * 1000, user=self._user,
                                   remote=str(self.client_address[0]), error=self._why)

        # ------------------------------------------------------------ plumbing

        def _send(self, code: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in {**SECURITY_HEADERS, **(extra or {})}.items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, code: int, doc: Any) -> None:
            self._send(code, json.dumps(doc, separators=(",", ":")).encode(), "application/json")

        def _error(self, code: int, message: str, **extra: Any) -> None:
            text = _message(message)
            self._why = text
            self._json(code, {"error": text, "code": code, **extra})

        def _check_origin(self) -> None:
            """Token mode: Host must be the served address, and Origin, when sent, this
            origin. Proxy mode: the proxy chooses Host; Origin, when sent, must name the host
            it forwarded (Host or X-Forwarded-Host). Both: no cross-site POST."""
            origin = self.headers.get("Origin")
            if dash.access.proxy:
                if origin is not None:
                    scheme, _, netloc = origin.partition("://")
                    default = "443" if scheme.lower() == "https" else "80"
                    forwarded = [h.split(",")[0] for h in (self.headers.get("Host"), self.headers.get("X-Forwarded-Host")) if h]
                    if not netloc or _host_port(netloc, default) not in {_host_port(h, default) for h in forwarded}:
                        raise Refused(403, f"cross-origin request refused (Origin {origin!r})")
            else:
                host = self.headers.get("Host", "")
                if host not in dash.allowed_hosts:
                    raise Refused(403, f"unexpected Host header: {host!r}")
                if origin is not None and origin not in {f"http://{h}" for h in dash.allowed_hosts}:
                    raise Refused(403, f"cross-origin request refused (Origin {origin!r})")
            site = self.headers.get("Sec-Fetch-Site")
            if self.command == "POST" and site not in (None, "same-origin", "none"):
                raise Refused(403, f"cross-site request refused (Sec-Fetch-Site {site!r})")

        def _authenticate(self) -> None:
            """Proxy mode: the peer is a trusted proxy and names the person (else refused)."""
            if not dash.access.proxy:
                return
            dash.access.check_peer(str(self.client_address[0]))
            self._identity = forwarded_identity(self.headers.get_all(USER_HEADER) or [], self.headers.get_all(GROUPS_HEADER) or [])
            self._user = self._identity.display

        def _route(self, handle: Any) -> None:
            try:
                local = dash.local_path(urlsplit(self.path).path)
                if local is None:
                    return self._error(404, "not found")
                if local in HEALTH_PATHS and self.command in ("GET", "HEAD"):
                    return self._health(local)
                self._authenticate()
                self._check_origin()
                if local == "":  # the root path without its slash: the page is one below
                    query = urlsplit(self.path).query
                    return self._send(301, b"", "text/plain", {"Location": dash.root + "/" + (f"?{query}" if query else "")})
                self._local = local
                handle()
            except Refused as exc:
                self._error(exc.code, exc.message)
            except (BrokenPipeError, ConnectionResetError):
                pass
            except Exception as exc:  # never a traceback on the terminal or in the answer
                try:
                    self._error(500, f"internal error: {type(exc).__name__}")
                except OSError:
                    pass

        def _health(self, local: str) -> None:
            if local == "/healthz":
                return self._json(200, {"status": "ok"})
            ready, doc = dash.readiness()
            self._json(200 if ready else 503, doc)

        def do_GET(self) -> None:
            self._route(self._get)

        def do_HEAD(self) -> None:
            self._route(self._get)

        def do_POST(self) -> None:
            self._route(self._post)

        def do_PUT(self) -> None:
            self._route(lambda: self._error(405, "method not allowed"))

        do_DELETE = do_PATCH = do_PUT

        # ------------------------------------------------------------ GET

        def _get(self) -> None:
            parts = [unquote(p) for p in self._local.split("/") if p]
            query = parse_qs(urlsplit(self.path).query)
            if parts in ([], ["index.html"]):
                page = _static("index.html").replace(b"{{TOKEN}}", dash.token.encode())
                page = page.replace(b"{{READONLY}}", b"true" if dash.read_only else b"false")
                return self._send(200, page, "text/html; charset=utf-8", {"Content-Security-Policy": PAGE_POLICY})
            if len(parts) == 2 and parts[0] == "static" and parts[1] in STATIC:
                return self._send(200, _static(parts[1]), STATIC[parts[1]])
            if parts[:2] != ["api", "v1"]:
                return self._error(404, "not found")
            rest = parts[2:]
            if rest == ["info"]:
                now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
                return self._json(200, {"namespace": dash.namespace, "namespaces": dash.namespaces(), "readOnly": dash.read_only,
                                        "version": dash.hub.version, "error": dash.hub.error, **dash.hub.health(),
                                        "serverTime": now, "auth": dash.access.mode, "user": self._user})
            if rest == ["events"]:
                return self._events() if self.command == "GET" else self._error(405, "GET the event stream")
            if rest == ["rollouts"]:
                namespace = (query.get("namespace") or [""])[0] or dash.namespace
                if namespace and (problem := _problem(namespace)):
                    return self._error(400, problem)
                return self._json(200, dash.rollout_list(namespace))
            if rest == ["experiments"]:
                namespace = (query.get("namespace") or [""])[0] or dash.namespace
                if namespace and (problem := _problem(namespace)):
                    return self._error(400, problem)
                return self._json(200, dash.experiment_list(namespace))
            if len(rest) == 3 and rest[0] == "experiments":
                problem = _problem(rest[1])
                if problem is None and (bad := r.name_problem(rest[2], r.EXPERIMENTS.name_rule)):
                    problem = f'invalid experiment name "{_message(rest[2][:80])}": {bad}'
                if problem:
                    return self._error(400, problem)
                doc = dash.experiment(rest[1], rest[2])
                if doc is None:
                    return self._error(404, f'experiment "{rest[2]}" not found in namespace "{rest[1]}"')
                return self._json(200, doc)
            if len(rest) in (3, 4) and rest[0] == "rollouts":
                if problem := _problem(rest[1], rest[2]):
                    return self._error(400, problem)
                doc = dash.rollout(rest[1], rest[2])
                if doc is None:
                    return self._error(404, f'rollout "{rest[2]}" not found in namespace "{rest[1]}"')
                if len(rest) == 3:
                    return self._json(200, doc)
                if rest[3] == "analysis":
                    return self._json(200, {"kind": "AnalysisRunList", "version": doc["version"], "items": doc["analysis"]})
            return self._error(404, "not found")

        def _events(self) -> None:
            sub = dash.hub.subscribe()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-store")
                self.send_header("X-Content-Type-Options", "nosniff")
                self.end_headers()
                self.wfile.write(f"retry: 1000\nevent: change\ndata: {dash.hub.version}\n\n".encode())
                self.wfile.flush()
                while not sub.dropped:
                    try:
                        version = sub.queue.get(timeout=KEEPALIVE)
                    except Exception:  # queue.Empty: a comment keeps proxies and dead-peer detection going
                        self.wfile.write(b": keepalive\n\n")
                        self.wfile.flush()
                        continue
                    if version is None:
                        break
                    # Skip to the newest version: a client only needs to know something changed.
                    while not sub.queue.empty():
                        newer = sub.queue.get_nowait()
                        version = version if newer is None else newer
                    self.wfile.write(f"event: change\ndata: {version}\n\n".encode())
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, OSError):
                pass
            finally:
                dash.hub.unsubscribe(sub)
                self.close_connection = True

        # ------------------------------------------------------------ POST

        def _post(self) -> None:
            parts = [unquote(p) for p in self._local.split("/") if p]
            if len(parts) != 6 or parts[:3] != ["api", "v1", "rollouts"] or parts[5] not in ACTIONS:
                return self._error(404, "not found")
            if dash.read_only:
                return self._error(403, "the dashboard is read-only (--read-only)")
            if not secrets.compare_digest(self.headers.get(TOKEN_HEADER, "").encode("utf-8", "replace"), dash.token.encode()):
                return self._error(403, f"missing or wrong {TOKEN_HEADER} header")
            namespace, name, action = parts[3], parts[4], parts[5]
            if problem := _problem(namespace, name):
                return self._error(400, problem)
            if dash.namespace and namespace != dash.namespace:
                return self._error(403, f'namespace "{namespace}" is not served (started with -n {dash.namespace})')
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                return self._error(400, "bad Content-Length")
            if length < 0 or length > MAX_BODY:
                return self._error(413, "request body too large")
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                return self._error(400, "the body is not JSON")
            except RecursionError:
                return self._error(400, "the body is nested too deeply")
            if not isinstance(body, dict):
                return self._error(400, "the body must be a JSON object")
            try:
                with dash.action_lock:
                    # Proxy mode: every request of the action impersonates the person.
                    if dash.access.proxy:
                        assert dash.sources is not None and self._identity is not None  # __init__, _authenticate
                        source = dash.sources.get(self._identity)
                    else:
                        source = dash.source
                    message = run_action(source, namespace, name, action, body, now=dt.datetime.now(dt.timezone.utc))
            except errors.UsageError as exc:
                return self._error(400, exc.message)
            except errors.ApiError as exc:
                if exc.status == 403:  # the cluster's RBAC said no: a refusal, not a failure
                    return self._error(403, f"you may not {ACTION_VERBS[action]} rollout {name} in {namespace}: {exc.message}", refused=True)
                return self._error(exc.status if 400 <= exc.status < 600 else 502, exc.message)
            except errors.RolloutsError as exc:
                return self._error(422, exc.message)
            return self._json(200, {"message": _message(message)})

    return Handler
