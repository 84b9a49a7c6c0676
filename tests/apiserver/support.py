"""Helpers for the stand-in API server's tests: object factories, a keep-alive HTTP client
and a watch reader with timeouts."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

ROLLOUTS = "/apis/argoproj.io/v1alpha1/namespaces/default/rollouts"
PODS = "/api/v1/namespaces/default/pods"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"


def rollout(name: str, namespace: str = "default", *, labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    """A minimal Rollout; keyword arguments go into spec."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {"app": name}},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}}, **spec},
    }


def pod(name: str, namespace: str = "default", *, labels: dict[str, str] | None = None, phase: str = "Running",
        node: str | None = None, containers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": containers or [{"name": "app", "image": "nginx:1"}]}
    if node:
        spec["nodeName"] = node
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
        "spec": spec,
        "status": {"phase": phase},
    }


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """HTTP/1.1 on one kept-alive connection, as kubectl and urllib3 use the server."""

    def __init__(self, url: str, token: str | None = None) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
        self.token = token

    def request(self, method: str, path: str, body: Any = None, *, content_type: str = "application/json",
                headers: dict[str, str] | None = None, **query: Any) -> Response:
        if query:
            path += "?" + urlencode({k: v for k, v in query.items() if v is not None})
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        sent = dict(headers or {})
        if data is not None:
            sent.setdefault("Content-Type", content_type)
        if self.token:
            sent.setdefault("Authorization", f"Bearer {self.token}")
        self.conn.request(method, path, body=data, headers=sent)
        resp = self.conn.getresponse()
        return Response(resp.status, resp.headers, resp.read())

    def get(self, path: str, **query: Any) -> Response:
        return self.request("GET", path, **query)

    def post(self, path: str, body: Any, **query: Any) -> Response:
        return self.request("POST", path, body, **query)

    def put(self, path: str, body: Any, **query: Any) -> Response:
        return self.request("PUT", path, body, **query)

    def patch(self, path: str, body: Any, content_type: str = MERGE, **query: Any) -> Response:
        return self.request("PATCH", path, body, content_type=content_type, **query)

    def delete(self, path: str, body: Any = None, **query: Any) -> Response:
        return self.request("DELETE", path, body, **query)

    def close(self) -> None:
        self.conn.close()


class WatchStream:
    """A watch request on its own connection; events are read one line at a time."""

    def __init__(self, url: str, path: str, *, read_timeout: float = 5.0, **query: Any) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=read_timeout)
        query.setdefault("watch", "true")
        self.conn.request("GET", path + "?" + urlencode(query))
        self.response = self.conn.getresponse()

    def next(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The next event, or None when the stream ended. Raises TimeoutError when idle."""
        if timeout is not None and self.conn.sock is not None:
            self.conn.sock.settimeout(timeout)
        try:
            line = self.response.readline()
        except TimeoutError as exc:  # socket.timeout is TimeoutError since 3.10
            raise TimeoutError("no watch event in time") from exc
        return json.loads(line) if line.strip() else None

    def rest(self) -> list[dict[str, Any]]:
        """All remaining events until the server ends the stream."""
        events = []
        while (event := self.next()) is not None:
            events.append(event)
        return events

    def close(self) -> None:
        self.conn.close()
