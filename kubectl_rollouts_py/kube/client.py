"""The live cluster as a Source: plain-dict GET/LIST/WATCH/PATCH/POST/PUT over one transport.

A transport (kube/transport.py) sends the bytes: http.client for static credentials, the
kubernetes library's urllib3 pool for exec plugins, auth providers and proxies. Everything
above the bytes is here, once for both: URLs and headers, JSON decoding, the translation of
HTTP statuses and transport failures into the project's errors, and the watch stream with
its stop event and deadline.

One ClusterSource is one transport, safe to call from several threads at once (the CLI
sends a GET and four LISTs together).

Retry policy:

* Reads (GET and LIST) are retried when the server answers 429, 500, 502, 503 or 504, and
  when the connection breaks or an answer does not come within --request-timeout. The
  wait is the server's Retry-After when it sends one (capped at RETRY_AFTER_CAP seconds),
  else a jittered exponential backoff (BACKOFF_BASE doubling up to BACKOFF_CAP, times a
  random 0.5-1). With --request-timeout the whole read, retries and waits included, ends
  by that time (and after at most MAX_ATTEMPTS_WITH_TIMEOUT tries); without one, after
  MAX_READ_ATTEMPTS tries. Each attempt is one exchange with one deadline (what is left of
  the timeout) for connecting, the headers and the body together: a server that sends a
  byte a second cannot stretch it (kube/stdhttp.py, kube/libhttp.py). Giving up is one line that says what happened
  (`the API server answered 503 Service Unavailable 4 times; giving up after 6.2s`).
* Writes (PATCH, PUT, POST) are retried only on 429, which the server sends before it
  processes a request. Any other failure after the request may have reached the server
  (a broken connection, a timeout, 500/502/503/504) is *unconfirmed*: the error carries
  `unconfirmed = True` and is never retried here; kube/apply.py reads the object back
  and says whether the change was applied.
* Watches are not retried here; kube/follow.py reconnects with its own backoff.
* A 2xx answer that is not JSON is an error (`the API server sent a response that is
  not JSON: ...`), not retried.

With a `RequestLog` (-v 6 and above), every request, each retry included, is logged as
kubectl logs it (see RequestLog), from the one place both transports are called.
"""

from __future__ import annotations

import builtins
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TextIO
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from kubectl_rollouts_py import __version__, errors
from kubectl_rollouts_py.kube import config as kube_config
from kubectl_rollouts_py.kube import errors as kube_errors
from kubectl_rollouts_py.kube import resources
from kubectl_rollouts_py.kube import source as kube_source
from kubectl_rollouts_py.kube import transport as kube_transport

# How long a watch waits for the response headers when --request-timeout is not given.
# A real API server answers a watch at once; this only bounds a server that never does.
WATCH_HEADER_TIMEOUT = 30.0

# Slack after timeout_seconds before we end a watch the server should already have ended.
WATCH_DEADLINE_GRACE = 5.0

# Retries (see the module docstring).
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
UNCONFIRMED_STATUSES = frozenset({500, 502, 503, 504})
MAX_READ_ATTEMPTS = 5
MAX_ATTEMPTS_WITH_TIMEOUT = 10
BACKOFF_BASE = 0.25
BACKOFF_CAP = 4.0
RETRY_AFTER_CAP = 10.0


# The verbosities at which kubectl logs a request: its line, then its headers, then the answer's.
LOG_REQUESTS = 6
LOG_REQUEST_HEADERS = 7
LOG_RESPONSE_HEADERS = 8

# Headers whose values are credentials: shown as `<masked>` after their scheme, as kubectl does.
_MASKED_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})

# What stays as it is in a logged URL's path (the rest is percent-encoded, as it is sent).
_PATH_SAFE = "/%:@!$&'()*+,;=~"


class RequestLog:
    """kubectl's -v for API requests, written to a stream (the run's stderr).

    From verbosity 6, one line per request, once the answer's status is in (as kubectl
    times it): `GET https://host/apis/... 200 OK in 12 milliseconds`. From 7 the request's
    headers come first and the status line reads `Response Status: 200 OK in 12
    milliseconds`; from 8 the answer's headers follow. A request that got no answer says
    `failed` where the status would be. The lines of one request are written together.

    Never logged: bodies (they may hold Secrets), credentials (`Authorization: Bearer
    <masked>`; and any credential the transport has sent is replaced wherever else it
    appears). Control characters are percent-encoded, so a name cannot drive the terminal.
    """

    def __init__(self, stream: TextIO, verbosity: int) -> None:
        self._stream = stream
        self.verbosity = verbosity
        self._lock = threading.Lock()

    def request(
        self,
        method: str,
        url: str,
        headers: kube_transport.Headers,
        status: int | None,
        response_headers: kube_transport.Headers,
        elapsed: float,
        redact: Callable[[str], str],
    ) -> None:
        """Log one exchange (`elapsed` in seconds; `redact` replaces the credentials sent)."""
        if status is None:
            outcome = "failed"
        else:
            phrase = _phrase(status)
            outcome = f"{status} {phrase}" if phrase else str(status)
        timing = f"{outcome} in {round(elapsed * 1000)} milliseconds"
        target = f"{method} {_printable(redact(url))}"
        if self.verbosity < LOG_REQUEST_HEADERS:
            lines = [f"{target} {timing}"]
        else:
            lines = [target, "Request Headers:", *_header_lines(headers, redact), f"Response Status: {timing}"]
            if self.verbosity >= LOG_RESPONSE_HEADERS and response_headers:
                lines += ["Response Headers:", *_header_lines(response_headers, redact)]
        text = "".join(line + "\n" for line in lines)
        with self._lock:
            try:
                self._stream.write(text)
                self._stream.flush()
            except (OSError, ValueError):  # a closed or broken stderr must not fail the request
                pass


def _header_lines(headers: kube_transport.Headers, redact: Callable[[str], str]) -> list[str]:
    lines = []
    for name, value in headers:
        if name.lower() in _MASKED_HEADERS:
            scheme, _, credential = value.strip().partition(" ")
            value = f"{scheme} <masked>" if credential and name.lower().endswith("authorization") else "<masked>"
        lines.append(f"    {_printable(name)}: {_printable(redact(value))}")
    return lines


def _printable(text: str) -> str:
    """`text` with control characters percent-encoded (one log line stays one line)."""
    return "".join(f"%{ord(c):02X}" if ord(c) < 32 or 127 <= ord(c) < 160 else c for c in text)


class ClusterSource:
    """A Kubernetes API server, reached with the resolved kubeconfig credentials."""

    def __init__(self, cluster_config: kube_config.ClusterConfig, *, request_log: RequestLog | None = None) -> None:
        """Load the credentials. Raises ConfigError if they cannot be loaded.

        `request_log` (-v 6 and above) logs every request sent."""
        self.config = cluster_config
        self.namespace = cluster_config.namespace
        self._transport = kube_transport.open_transport(cluster_config)
        self._base = cluster_config.server.rstrip("/")
        self._request_log = request_log
        self._closed = False

    @property
    def via(self) -> str:
        """Which transport sends the requests: "http.client" or "kubernetes"."""
        return self._transport.name

    # -- Source interface -------------------------------------------------------------

    def describe(self) -> str:
        """The server URL, without any user:password part."""
        parts = urlsplit(self._base)
        netloc = parts.netloc.rsplit("@", 1)[-1]
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    def get(self, resource: resources.Resource | str, name: str, namespace: str | None) -> dict[str, Any]:
        """GET one object. Raises NotFound with the API's message (`rollouts.argoproj.io "x" not found`)."""
        res = kube_source.as_resource(resource)
        path = res.path(kube_source.object_namespace(res, namespace, verb="get"), name)
        return self._json("GET", path, resource=res)

    def list(
        self,
        resource: resources.Resource | str,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> kube_source.ObjectList:
        """LIST a collection; namespace None lists all namespaces."""
        res = kube_source.as_resource(resource)
        query = _selectors(label_selector, field_selector)
        body = self._json("GET", res.path(namespace if res.namespaced else None), query=query, resource=res)
        items = body.get("items") or []
        for item in items:
            # Built-in kinds leave kind/apiVersion out of list items; put them back so
            # listed objects look like fetched ones (kubectl does the same for -o yaml).
            item.setdefault("kind", res.kind)
            item.setdefault("apiVersion", res.api_version)
        return kube_source.ObjectList(items, str((body.get("metadata") or {}).get("resourceVersion") or ""))

    def watch(
        self,
        resource: resources.Resource | str,
        namespace: str | None,
        *,
        resource_version: str,
        label_selector: str | None = None,
        field_selector: str | None = None,
        timeout_seconds: int | None = None,
        stop: threading.Event | None = None,
    ) -> Iterator[kube_source.WatchEvent]:
        """Stream changes after `resource_version` (see Source.watch).

        The stream ends when the server ends it, at `timeout_seconds` (sent to the server,
        and enforced here WATCH_DEADLINE_GRACE later should the server not), or soon after
        `stop` is set. --request-timeout (else WATCH_HEADER_TIMEOUT) is one deadline for
        connecting and the response headers together, not for the stream itself: events
        may be minutes apart. The request is sent
        on the first `next()`.

        Raises:
            Expired: the version is too old (HTTP 410, or a 410 ERROR event mid-stream).
            ConnectionFailed: the connection broke before the server ended the stream.
        """
        res = kube_source.as_resource(resource)
        query = {"watch": "true", "resourceVersion": resource_version, **_selectors(label_selector, field_selector)}
        if timeout_seconds is not None:
            query["timeoutSeconds"] = str(int(timeout_seconds))
        path = res.path(namespace if res.namespaced else None)
        return self._watch_events(path, query, res, timeout_seconds, stop)

    def patch(
        self,
        resource: resources.Resource | str,
        name: str,
        namespace: str | None,
        body: dict[str, Any] | builtins.list[Any] | kube_source.RawJSON,  # `list` here is the method above
        *,
        patch_type: str = "merge",
        subresource: str | None = None,
    ) -> dict[str, Any]:
        """PATCH one object (or its subresource) with the Content-Type of `patch_type`."""
        content_type = kube_source.PATCH_CONTENT_TYPES.get(patch_type)
        if content_type is None:
            raise ValueError(f"unknown patch type {patch_type!r}; use one of {', '.join(kube_source.PATCH_CONTENT_TYPES)}")
        shape = json.loads(body) if isinstance(body, kube_source.RawJSON) else body
        if (patch_type == "json") != isinstance(shape, list):
            raise ValueError(f"a {patch_type} patch needs a {'list' if patch_type == 'json' else 'dict'} body")
        res = kube_source.as_resource(resource)
        path = res.path(kube_source.object_namespace(res, namespace, verb="patch"), name, subresource)
        return self._json("PATCH", path, body=body, content_type=content_type, resource=res)

    def create(
        self, resource: resources.Resource | str, namespace: str | None, body: dict[str, Any] | kube_source.RawJSON
    ) -> dict[str, Any]:
        """POST a new object into the collection and return the server's copy."""
        res = kube_source.as_resource(resource)
        path = res.path(kube_source.object_namespace(res, namespace, verb="create"))
        return self._json("POST", path, body=body, content_type="application/json", resource=res)

    def replace(
        self, resource: resources.Resource | str, name: str, namespace: str | None, body: dict[str, Any] | kube_source.RawJSON
    ) -> dict[str, Any]:
        """PUT an object; a stale metadata.resourceVersion gives errors.Conflict."""
        res = kube_source.as_resource(resource)
        path = res.path(kube_source.object_namespace(res, namespace, verb="replace"), name)
        return self._json("PUT", path, body=body, content_type="application/json", resource=res)

    def close(self) -> None:
        """Close idle connections. Safe to call twice."""
        if not self._closed:
            self._closed = True
            self._transport.close()

    def __enter__(self) -> ClusterSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- HTTP ---------------------------------------------------------------------------

    def _headers(self, content_type: str | None = None) -> kube_transport.Headers:
        """Request headers: credentials from the transport, impersonation, content type."""
        headers = [
            ("Accept", "application/json"),
            # The API server gzips large answers (a LIST of many rollouts) when asked; both
            # transports decode them as they are read.
            ("Accept-Encoding", "gzip"),
            ("User-Agent", f"kubectl-rollouts-py/{__version__}"),
        ]
        headers.extend(self._transport.auth_headers())
        # Repeated, not comma-joined: group names may hold commas.
        headers.extend(self.config.impersonation_headers())
        if content_type:
            headers.append(("Content-Type", content_type))
        return headers

    def _request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        body: Any = None,
        content_type: str | None = None,
        read_timeout: float | None,
        stream: bool = False,
    ) -> kube_transport.Response:
        """Send one request and return the unread response.

        Raises ConnectionFailed for anything below HTTP; HTTP error statuses are returned.
        """
        url = self._base + path
        if query:
            url += "?" + urlencode(query)
        if isinstance(body, kube_source.RawJSON):
            data: bytes | None = body.encode()
        else:
            data = json.dumps(body).encode() if body is not None else None
        headers = self._headers(content_type)
        started = time.monotonic()
        try:
            response = self._transport.request(
                method,
                url,
                body=data,
                headers=headers,
                connect_timeout=self.config.connect_timeout,
                read_timeout=read_timeout,
                stream=stream,
            )
        except kube_transport.TransportError as exc:
            self._log(method, path, query, headers, None, started)
            raise self._connection_failed(exc, read_timeout) from exc
        self._log(method, path, query, headers, response, started)
        return response

    def _log(
        self,
        method: str,
        path: str,
        query: dict[str, str] | None,
        headers: kube_transport.Headers,
        response: kube_transport.Response | None,
        started: float,
    ) -> None:
        """Give one exchange to the request log, if there is one (the URL without any
        user:password, its path encoded as it is sent)."""
        log = self._request_log
        if log is None:
            return
        elapsed = time.monotonic() - started
        url = self.describe() + quote(path, safe=_PATH_SAFE) + (f"?{urlencode(query)}" if query else "")
        response_headers: kube_transport.Headers = []
        if response is not None and log.verbosity >= LOG_RESPONSE_HEADERS:
            listed = getattr(response, "headers", None)
            response_headers = listed() if listed is not None else []
        status = response.status if response is not None else None
        log.request(method, url, headers, status, response_headers, elapsed, self._transport.redactor.text)

    def _connection_failed(self, exc: kube_transport.TransportError, read_timeout: float | None) -> errors.ConnectionFailed:
        if read_timeout is not None and self.config.request_timeout:
            # A retry waits only for what is left of --request-timeout; name the flag's value.
            read_timeout = max(read_timeout, self.config.request_timeout)
        return kube_errors.from_transport(
            exc, server=self.describe(), connect_timeout=self.config.connect_timeout, read_timeout=read_timeout
        )

    def _json(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        body: Any = None,
        content_type: str | None = None,
        resource: resources.Resource,
    ) -> dict[str, Any]:
        """One request whose answer is a JSON object, retried as the module docstring says;
        HTTP errors become our errors."""
        # --request-timeout bounds the whole read: each attempt gets what is left of it, and
        # the transports end an attempt at its deadline however slowly the answer trickles in.
        timeout = self.config.request_timeout
        read = method == "GET"
        started = time.monotonic()
        deadline = None if timeout is None else started + timeout
        max_attempts = MAX_READ_ATTEMPTS if deadline is None else MAX_ATTEMPTS_WITH_TIMEOUT
        failures: list[errors.RolloutsError] = []
        while True:
            attempt_timeout = timeout if deadline is None else max(0.05, deadline - time.monotonic())
            retry_after: float | None = None
            try:
                status, raw, retry_after_header = self._exchange(
                    method, path, query=query, body=body, content_type=content_type, read_timeout=attempt_timeout
                )
            except errors.ConnectionFailed as exc:
                if not _retryable_transport(exc):
                    raise
                if not read:
                    exc.unconfirmed = True  # type: ignore[attr-defined]
                    raise
                failure: errors.RolloutsError = exc
            else:
                if 200 <= status < 300:
                    try:
                        return self._decode(status, raw)
                    except errors.ApiError as exc:
                        # A write the server took but whose answer we cannot read.
                        if not read:
                            exc.unconfirmed = True  # type: ignore[attr-defined]
                        raise
                error = kube_errors.from_response(status, raw, resource=resource)
                if status not in RETRY_STATUSES or (not read and status != 429):
                    if not read and status in UNCONFIRMED_STATUSES:
                        error.unconfirmed = True  # type: ignore[attr-defined]
                    raise error
                failure = error
                retry_after = _parse_retry_after(retry_after_header)
            failures.append(failure)
            elapsed = time.monotonic() - started
            wait = retry_after if retry_after is not None else _backoff(len(failures))
            if len(failures) >= max_attempts or (deadline is not None and time.monotonic() + wait >= deadline):
                given_up = _give_up(failures, elapsed)
                if retry_after is not None and deadline is not None and len(failures) < max_attempts:
                    given_up.message += f"; the server asked to retry after {retry_after:g}s, past --request-timeout"
                    given_up.args = (given_up.message,)
                raise given_up from failure
            time.sleep(wait)

    def _exchange(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None,
        body: Any,
        content_type: str | None,
        read_timeout: float | None,
    ) -> tuple[int, bytes, str | None]:
        """One request, read in full: (status, body, Retry-After). Raises ConnectionFailed."""
        response = self._request(method, path, query=query, body=body, content_type=content_type, read_timeout=read_timeout)
        try:
            raw = response.read()
        except kube_transport.TransportError as exc:
            raise self._connection_failed(exc, read_timeout) from exc
        finally:
            response.close()
        header = getattr(response, "header", None)
        return response.status, raw, header("Retry-After") if header is not None else None

    def _decode(self, status: int, raw: bytes) -> dict[str, Any]:
        try:
            decoded = json.loads(raw)
        except ValueError as exc:
            raise errors.ApiError(
                f"the API server at {self.describe()} sent a response that is not JSON "
                f"(HTTP {status}, {len(raw)} bytes): {_snippet(raw)}",
                status=status,
            ) from exc
        except RecursionError as exc:
            # The json module gives up past ~1000 levels of nesting; no Kubernetes object is
            # that deep, so it is as unreadable as text that is not JSON (not an internal error).
            raise errors.ApiError(
                f"the API server at {self.describe()} sent a response that is not JSON it can read "
                f"(HTTP {status}, {len(raw)} bytes): nested too deeply",
                status=status,
            ) from exc
        if not isinstance(decoded, dict):
            raise errors.ApiError(f"the server at {self.describe()} sent JSON that is not an object", status=status)
        return decoded

    def _watch_events(
        self,
        path: str,
        query: dict[str, str],
        resource: resources.Resource,
        timeout_seconds: int | None,
        stop: threading.Event | None,
    ) -> Iterator[kube_source.WatchEvent]:
        """The generator behind `watch`: one response, read line by line until it ends."""
        if stop is not None and stop.is_set():
            return
        header_timeout = self.config.request_timeout or WATCH_HEADER_TIMEOUT
        response = self._request("GET", path, query=query, read_timeout=header_timeout, stream=True)
        if not 200 <= response.status < 300:
            try:
                raw = response.read()
            except kube_transport.TransportError as exc:
                raise self._connection_failed(exc, header_timeout) from exc
            finally:
                response.close()
            raise kube_errors.from_response(response.status, raw, resource=resource)

        # Events may be minutes apart, so the header timeout must not apply to the body;
        # the end conditions are the server's, our deadline and the stop event.
        response.set_timeout(None)
        deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds + WATCH_DEADLINE_GRACE
        closer = _StreamCloser(response, stop, deadline)
        closer.start()
        try:
            buffer = b""
            for chunk in response.stream():
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if closer.fired or (stop is not None and stop.is_set()):
                        return  # the caller has stopped listening; drop what is buffered
                    event = self._decode_event(line)
                    if event is not None:
                        yield event
                if closer.fired:
                    return
            if buffer.strip() and not closer.fired:
                event = self._decode_event(buffer)
                if event is not None:
                    yield event
        except kube_transport.TransportError as exc:
            # Shutting the socket down under a blocked read is how stop/deadline end the
            # stream; the read then fails in one of several ways. That is a normal end.
            if closer.fired:
                return
            raise self._connection_failed(exc, None) from exc
        finally:
            closer.finish()
            response.close()

    @staticmethod
    def _decode_event(line: bytes) -> kube_source.WatchEvent | None:
        line = line.strip()
        if not line:
            return None
        try:
            event = json.loads(line)
        except ValueError as exc:
            raise errors.ApiError(f"the server sent a watch event that is not JSON: {line[:80]!r}") from exc
        except RecursionError as exc:  # nested past the json module's ~1000 levels
            raise errors.ApiError(f"the server sent a watch event that is not JSON it can read (nested too deeply): "
                                  f"{line[:80]!r}") from exc
        if not isinstance(event, dict):
            raise errors.ApiError(f"the server sent a watch event that is not a JSON object: {line[:80]!r}")
        kind = str(event.get("type") or "")
        obj = event.get("object") or {}
        if kind == "ERROR":
            # Its object should be a Status; anything else is an error without a message.
            raise kube_errors.from_status_object(obj if isinstance(obj, dict) else {})
        return kube_source.WatchEvent(kind, obj)


class _StreamCloser:
    """Ends a watch stream from outside the reading thread, on `stop` or at the deadline.

    `threading.Event` cannot notify, so a helper thread waits on `stop` in short slices
    (it also has to notice when the stream ended by itself). It shuts the socket's read
    side down, which makes the blocked read in the consumer return.
    """

    SLICE = 0.25

    def __init__(self, response: kube_transport.Response, stop: threading.Event | None, deadline: float | None) -> None:
        self._response = response
        self._stop = stop
        self._deadline = deadline
        self._done = threading.Event()
        self.fired = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._stop is None and self._deadline is None:
            return
        self._thread = threading.Thread(target=self._run, name="kube-watch-closer", daemon=True)
        self._thread.start()

    def finish(self) -> None:
        self._done.set()

    def _run(self) -> None:
        while not self._done.is_set():
            wait = self.SLICE
            if self._deadline is not None:
                wait = min(wait, max(0.0, self._deadline - time.monotonic()))
            if self._stop is not None:
                triggered = self._stop.wait(wait)
            else:
                self._done.wait(wait)
                triggered = False
            if self._done.is_set():
                return
            if triggered or (self._deadline is not None and time.monotonic() >= self._deadline):
                self.fired = True
                self._response.abort()
                return


def _selectors(label_selector: str | None, field_selector: str | None) -> dict[str, str]:
    query = {}
    if label_selector:
        query["labelSelector"] = label_selector
    if field_selector:
        query["fieldSelector"] = field_selector
    return query


def _retryable_transport(exc: errors.ConnectionFailed) -> bool:
    """A broken connection or a timeout after connecting; not refused, DNS or TLS, and not
    an answer that is not HTTP at all (that server will not start speaking HTTP)."""
    cause = exc.__cause__
    if not isinstance(cause, (kube_transport.ReadTimeout, kube_transport.ConnectionBroken)):
        return False
    return not _not_http(cause)


def _not_http(exc: BaseException) -> bool:
    import http.client

    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, http.client.BadStatusLine) and not isinstance(current, ConnectionError):
            return True
        stack.extend(e for e in (current.__cause__, current.__context__, *current.args) if isinstance(e, BaseException))
    return False


def _phrase(status: int) -> str:
    """The reason phrase of an HTTP status ("" for one http.HTTPStatus does not know). The
    http package is imported here: a run that logs and retries nothing does without it."""
    import http

    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _backoff(failures: int) -> float:
    """Full-ish jitter: BACKOFF_BASE * 2^(n-1), capped, times a random 0.5-1."""
    import random  # a retry's first wait imports it; a run without retries does without

    return min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (failures - 1)) * random.uniform(0.5, 1.0)


def _parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (fractions accepted), capped; None if absent or an HTTP date.

    An HTTP-date form is treated as absent (the API server only sends seconds).
    """
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    if seconds != seconds or seconds < 0:  # NaN or negative
        return None
    return min(seconds, RETRY_AFTER_CAP)


def _give_up(failures: list[errors.RolloutsError], elapsed: float) -> errors.RolloutsError:
    """The one-line error after the last retry: what happened, how often, for how long."""
    last = failures[-1]
    count = len(failures)
    times = "once" if count == 1 else f"{count} times"
    statuses = {getattr(f, "status", None) for f in failures}
    if isinstance(last, errors.ApiError) and len(statuses) == 1:
        code = last.status
        phrase = _phrase(code)
        text = f"the API server answered {code} {phrase}".rstrip() + f" {times}; giving up after {elapsed:.1f}s"
        if last.message and not last.message.startswith("the server returned HTTP"):
            text += f" (last: {last.message})"
        return errors.ApiError(text, status=code, reason=last.reason)
    text = last.message
    if failures[0].message != last.message:
        text = f"{failures[0].message}; then {text}"
    if count > 1:
        text += f" ({count} attempts; giving up after {elapsed:.1f}s)"
    if isinstance(last, errors.ApiError):
        return errors.ApiError(text, status=last.status, reason=last.reason)
    return errors.ConnectionFailed(text)


def _snippet(raw: bytes, limit: int = 60) -> str:
    """The start of a body, on one line, for an error message (escaped again by the CLI)."""
    text = " ".join(raw[: limit * 4].decode("utf-8", "replace").split())
    return repr(text[:limit] + ("…" if len(text) > limit or len(raw) > limit * 4 else ""))
