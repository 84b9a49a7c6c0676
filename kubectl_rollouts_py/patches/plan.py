"""The data a mutating command sends."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from kubectl_rollouts_py.kube.resources import Resource

PATCH_CONTENT_TYPES = {
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
    "strategic": "application/strategic-merge-patch+json",
}


@dataclass(frozen=True)
class Request:
    """One write. `body` is the exact JSON text sent (Argo's bytes, spacing included)."""

    method: str  # PATCH, PUT or POST
    resource: Resource
    namespace: str | None
    name: str | None
    body: str
    patch_type: str | None = None  # merge, json or strategic (PATCH only)
    subresource: str | None = None

    @property
    def path(self) -> str:
        return self.resource.path(self.namespace if self.resource.namespaced else None, self.name, self.subresource)

    @property
    def content_type(self) -> str:
        return PATCH_CONTENT_TYPES[self.patch_type] if self.patch_type else "application/json"

    def json_body(self) -> Any:
        return json.loads(self.body)

    def describe(self) -> dict[str, Any]:
        """For --dry-run: method, path, content type and body."""
        return {"method": self.method, "path": self.path, "contentType": self.content_type, "body": self.json_body()}


@dataclass(frozen=True)
class Plan:
    """Requests in order. `status` goes first to the status subresource; if that answers
    404 (a controller older than v0.10 has no status subresource) `fallback` replaces
    `spec` and goes to the main resource."""

    spec: Request | None = None
    status: Request | None = None
    fallback: Request | None = None
    extra: tuple[Request, ...] = field(default_factory=tuple)

    def requests(self) -> list[Request]:
        """What would be sent when every request succeeds (the --dry-run view)."""
        return [r for r in (self.status, self.spec, *self.extra) if r is not None]


def merge_patch(resource: Resource, namespace: str | None, name: str, body: str, *, subresource: str | None = None) -> Request:
    return Request("PATCH", resource, namespace, name, body, patch_type="merge", subresource=subresource)
