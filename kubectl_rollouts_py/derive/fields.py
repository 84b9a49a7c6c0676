"""Defensive accessors for API dicts whose fields may be missing or wrongly typed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kubectl_rollouts_py.govalues import go_atoi

REVISION_ANNOTATION = "rollout.argoproj.io/revision"
POD_TEMPLATE_HASH_LABEL = "rollouts-pod-template-hash"
SCALE_DOWN_DEADLINE_ANNOTATION = "scale-down-deadline"
EXPERIMENT_TEMPLATE_ANNOTATION = "experiment.argoproj.io/template-name"
WORKLOAD_GENERATION_ANNOTATION = "rollout.argoproj.io/workload-generation"

# Go's zero time.Time, which is what a missing timestamp decodes to.
ZERO_TIME = dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc)


def mapping(obj: Any, *path: str) -> dict[str, Any]:
    """The dict at `path` inside `obj`, or {} if any step is missing or not a dict."""
    cur = obj
    for key in path:
        if not isinstance(cur, dict):
            return {}
        cur = cur.get(key)
    return cur if isinstance(cur, dict) else {}


def seq(obj: Any, *path: str) -> list[Any]:
    """The list at `path`, or [] if missing or not a list."""
    *head, last = path
    value = mapping(obj, *head).get(last)
    return value if isinstance(value, list) else []


def text(value: Any) -> str:
    """A string field; anything that is not a string counts as unset ("")."""
    return value if isinstance(value, str) else ""


def integer(value: Any) -> int | None:
    """An integer field, or None when unset or not an integer (bools are not integers)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def count(value: Any) -> int:
    """A replica-count style integer field; unset means 0, as Go's zero value."""
    number = integer(value)
    return 0 if number is None else number


def flag(value: Any) -> bool:
    """A boolean field; only a real `true` counts."""
    return value is True


def name_of(obj: Any) -> str:
    return text(mapping(obj, "metadata").get("name"))


def namespace_of(obj: Any) -> str:
    return text(mapping(obj, "metadata").get("namespace"))


def uid_of(obj: Any) -> str:
    return text(mapping(obj, "metadata").get("uid"))


def labels_of(obj: Any) -> dict[str, Any]:
    return mapping(obj, "metadata", "labels")


def annotations_of(obj: Any) -> dict[str, Any]:
    return mapping(obj, "metadata", "annotations")


def revision_of(obj: Any) -> int:
    """The `rollout.argoproj.io/revision` annotation; missing or unparsable counts as 0."""
    number = go_atoi(text(annotations_of(obj).get(REVISION_ANNOTATION)))
    return number if number is not None else 0


def owned_by(obj: Any, owner_uid: str) -> bool:
    """True if any ownerReference (controller or not) names `owner_uid`."""
    if not owner_uid:
        return False
    return any(isinstance(ref, dict) and ref.get("uid") == owner_uid for ref in seq(obj, "metadata", "ownerReferences"))


def parse_time(value: Any) -> dt.datetime | None:
    """An RFC 3339 timestamp as an aware datetime, or None if unset or unparsable."""
    if not isinstance(value, str) or not value:
        return None
    raw = value.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(raw)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    try:
        return parsed.astimezone(dt.timezone.utc)
    except OverflowError:  # e.g. year 1 with a positive offset: before datetime.min in UTC
        return None


def created_of(obj: Any) -> dt.datetime:
    """metadata.creationTimestamp, or Go's zero time when missing (so ages show `292y`)."""
    return parse_time(mapping(obj, "metadata").get("creationTimestamp")) or ZERO_TIME


def rfc3339(moment: dt.datetime | None) -> str | None:
    """Format as the API does (`2026-01-01T00:00:00Z`); None and the zero time stay None."""
    if moment is None or moment == ZERO_TIME:
        return None
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
