"""Apply a patch plan: the one place that turns plans into writes.

A plan's status patch goes first to the status subresource; only a 404 there sends the
combined fallback to the main resource (controllers before v0.10 had no status
subresource). When a later request fails after an earlier one succeeded, the error says
exactly what was applied and what was not, so nothing is silently half done.
"""

from __future__ import annotations

from typing import Any

from kubectl_rollouts_py import errors


class PartialFailure(errors.RolloutsError):
    """Some requests of a plan were applied, then one failed."""


def send(source: Any, request: Any) -> dict[str, Any]:
    """Send one plans.Request through the source, its body byte for byte."""
    from kubectl_rollouts_py.kube.source import RawJSON

    body = RawJSON(request.body)
    if request.method == "PATCH":
        return source.patch(request.resource, request.name, request.namespace, body,
                            patch_type=request.patch_type or "merge", subresource=request.subresource)
    if request.method == "PUT":
        return source.replace(request.resource, request.name, request.namespace, body)
    if request.method == "POST":
        return source.create(request.resource, request.namespace, body)
    raise ValueError(f"unsupported method {request.method}")


def _describe(request: Any) -> str:
    return f"{request.method} {request.path}"


def apply_plan(source: Any, plan: Any) -> dict[str, Any] | None:
    """Send the plan's requests in order; return the last object the server returned.

    Raises:
        the first request's error as it is when nothing was applied;
        PartialFailure naming the applied and the failed request otherwise.
    """
    applied: list[Any] = []
    result: dict[str, Any] | None = None
    spec = plan.spec
    if plan.status is not None:
        try:
            result = send(source, plan.status)
            applied.append(plan.status)
        except errors.NotFound:
            # No status subresource (or no such object): one combined patch instead.
            spec = plan.fallback
    for request in [r for r in (spec, *plan.extra) if r is not None]:
        try:
            result = send(source, request)
        except errors.RolloutsError as exc:
            if not applied:
                raise
            done = ", ".join(_describe(a) for a in applied)
            raise PartialFailure(f"{exc.message} (applied: {done}; not applied: {_describe(request)})") from exc
        applied.append(request)
    return result
