"""Errors as the API reports them: a `kind: Status` body with an HTTP code."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .jsondata import JSON

if TYPE_CHECKING:
    from .resources import ResourceType

_ANONYMOUS = "system:anonymous"


class StatusError(Exception):
    """A failed request, sent to the client as a `kind: Status` body with HTTP `code`."""

    def __init__(self, code: int, reason: str, message: str, details: JSON | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.retry_after: str | None = None

    def to_status(self) -> JSON:
        body: JSON = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body


def status_details(rtype: ResourceType, name: str | None) -> JSON:
    # The real server names the *resource* (plural) in details.kind for these errors.
    details: JSON = {"name": name} if name else {}
    if rtype.group:
        details["group"] = rtype.group
    details["kind"] = rtype.plural
    return details


def not_found(rtype: ResourceType, name: str) -> StatusError:
    return StatusError(404, "NotFound", f'{rtype.qualified} "{name}" not found', status_details(rtype, name))


def already_exists(rtype: ResourceType, name: str) -> StatusError:
    return StatusError(409, "AlreadyExists", f'{rtype.qualified} "{name}" already exists', status_details(rtype, name))


def conflict(rtype: ResourceType, name: str, why: str | None = None) -> StatusError:
    why = why or "the object has been modified; please apply your changes to the latest version and try again"
    message = f'Operation cannot be fulfilled on {rtype.qualified} "{name}": {why}'
    return StatusError(409, "Conflict", message, status_details(rtype, name))


def invalid(rtype: ResourceType, name: str, field_path: str, problem: str) -> StatusError:
    details: JSON = {"name": name}
    if rtype.group:
        details["group"] = rtype.group
    details["kind"] = rtype.kind  # Invalid names the kind, unlike NotFound
    details["causes"] = [{"reason": "FieldValueInvalid", "message": problem, "field": field_path}]
    message = f'{rtype.qualified_kind} "{name}" is invalid: {field_path}: {problem}'
    return StatusError(422, "Invalid", message, details)


def unprocessable(message: str) -> StatusError:
    return StatusError(422, "Invalid", message)


def bad_request(message: str) -> StatusError:
    return StatusError(400, "BadRequest", message)


def unsupported_media(accepted: Sequence[str]) -> StatusError:
    message = (
        "the body of the request was in an unknown format - accepted media types include: "
        + ", ".join(accepted)
    )
    return StatusError(415, "UnsupportedMediaType", message)


def method_not_allowed() -> StatusError:
    return StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")


def endpoint_not_found() -> StatusError:
    return StatusError(404, "NotFound", "the server could not find the requested resource", {})


def unauthorized() -> StatusError:
    return StatusError(401, "Unauthorized", "Unauthorized")


def forbidden(
    rtype: ResourceType, verb: str, resource: str, namespace: str | None, name: str | None, *, user: str | None = None
) -> StatusError:
    who = f'{rtype.qualified} "{name}"' if name else rtype.qualified
    where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    message = (
        f'{who} is forbidden: User "{user or _ANONYMOUS}" cannot {verb} resource "{resource}" '
        f'in API group "{rtype.group}" {where}'
    )
    return StatusError(403, "Forbidden", message, status_details(rtype, name))
