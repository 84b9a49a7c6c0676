"""The live cluster as a Source: plain-dict GET/LIST/WATCH/PATCH/POST/PUT over one transport.

A transport (kube/transport.py) sends the bytes: http.client for static credentials, the
kubernetes library's urllib3 pool for exec plugins, auth providers and proxies. Everything
above the bytes is here, once for both: URLs and headers, JSON decoding, the translation of
HTTP statuses and transport failures into the project's errors, and the watch stream with
its stop event and deadline.

One ClusterSource is one transport, safe to call from several threads at once (the CLI
sends a GET and four LISTs together).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

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


class ClusterSource:
    """A Kubernetes API server, reached with the resolved kubeconfig credentials."""

    def __init__(self, cluster_config: kube_config.ClusterConfig) -> None:
        """Load the credentials. Raises ConfigError if they cannot be loaded."""
        self.config = cluster_config
        self.namespace = cluster_config.namespace
        self._transport = kube_transport.open_transport(cluster_config)
        self._base = cluster_config.server.rstrip("/")
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
        `stop` is set. --request-timeout bounds connecting and waiting for the response
        headers, not the stream itself: events may be minutes apart. The request is sent
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
        body: dict[str, Any] | list[Any] | kube_source.RawJSON,
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

    def create(self, resource: resources.Resource | str, namespace: str | None, body: dict[str, Any]) -> dict[str, Any]:
        """POST a new object into the collection and return the server's copy."""
        res = kube_source.as_resource(resource)
        path = res.path(kube_source.object_namespace(res, namespace, verb="create"))
        return self._json("POST", path, body=body, content_type="application/json", resource=res)

    def replace(
        self, resource: resources.Resource | str, name: str, namespace: str | None, body: dict[str, Any]
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
        try:
            return self._transport.request(
                method,
                url,
                body=data,
                headers=self._headers(content_type),
                connect_timeout=self.config.connect_timeout,
                read_timeout=read_timeout,
                stream=stream,
            )
        except kube_transport.TransportError as exc:
            raise self._connection_failed(exc, read_timeout) from exc

    def _connection_failed(self, exc: kube_transport.TransportError, read_timeout: float | None) -> errors.ConnectionFailed:
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
        """One request whose answer is a JSON object; HTTP errors become our errors."""
        # The read timeout bounds each wait for data rather than the whole answer; for a
        # server that answers at all that is the same thing, and a silent one is what
        # --request-timeout is there to catch.
        timeout = self.config.request_timeout
        response = self._request(method, path, query=query, body=body, content_type=content_type, read_timeout=timeout)
        try:
            raw = response.read()
        except kube_transport.TransportError as exc:
            raise self._connection_failed(exc, timeout) from exc
        finally:
            response.close()
        if not 200 <= response.status < 300:
            raise kube_errors.from_response(response.status, raw, resource=resource)
        try:
            decoded = json.loads(raw)
        except ValueError as exc:
            raise errors.ApiError(
                f"the server at {self.describe()} sent a response that is not JSON (HTTP {response.status})",
                status=response.status,
            ) from exc
        if not isinstance(decoded, dict):
            raise errors.ApiError(f"the server at {self.describe()} sent JSON that is not an object", status=response.status)
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
        kind = str(event.get("type") or "")
        obj = event.get("object") or {}
        if kind == "ERROR":
            raise kube_errors.from_status_object(obj)
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
