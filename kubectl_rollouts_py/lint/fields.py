"""Field errors as Kubernetes' validation reports them (`k8s.io/apimachinery/.../field`).

A `FieldError` has a field path (`spec.strategy.maxSurge`), a type (`Invalid value`,
`Required value`, ...), the bad value and a detail. `body()` is the error without its path
(what the Argo Rollouts kubectl plugin prints on stdout for each problem) and `str()` the
whole error (`<path>: <body>`, its `Error:` line).

Values print the way Go's field errors print them: strings quoted, numbers and booleans
bare, nil as `null`; a `GoText` prints as it is (a value Go formats with `String()` or
`%#v`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubectl_rollouts_py.govalues import go_quote

INVALID = "Invalid value"
REQUIRED = "Required value"
NOT_FOUND = "Not found"
DUPLICATE = "Duplicate value"
NOT_SUPPORTED = "Unsupported value"
FORBIDDEN = "Forbidden"
INTERNAL = "Internal error"
TOO_LONG = "Too long"
UNKNOWN_FIELD = "Unknown field"  # strict decoding's refusal, said as a field error

# These types print no value, only their name (and the detail).
_WITHOUT_VALUE = (REQUIRED, FORBIDDEN, TOO_LONG, INTERNAL, UNKNOWN_FIELD)


class GoText(str):
    """A value already formatted the way Go prints it (no quotes added)."""


def go_value(value: Any) -> str:
    """A value as a field error shows it."""
    if isinstance(value, GoText):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(value, "g") if value != int(value) or abs(value) >= 1e21 else str(int(value))
    if isinstance(value, str):
        return go_quote(value)
    return go_struct(value)


def go_struct(value: Any) -> str:
    """Go's %#v for plain data: maps with sorted keys, slices, strings quoted."""
    if isinstance(value, Mapping):
        items = ", ".join(f"{go_quote(str(k))}:{go_struct(v)}" for k, v in sorted(value.items(), key=lambda kv: str(kv[0])))
        return "map[string]interface {}{" + items + "}"
    if isinstance(value, (list, tuple)):
        return "[]interface {}{" + ", ".join(go_struct(v) for v in value) + "}"
    if isinstance(value, str):
        return go_quote(value)
    if value is None:
        return "interface {}(nil)"
    return go_value(value)


def go_string_map(labels: Mapping[str, Any] | None) -> GoText:
    """`map[string]string{"app":"web"}` (Go's %#v of a label map; keys sorted as Go prints them)."""
    if not labels:
        return GoText("map[string]string(nil)")
    items = ", ".join(f"{go_quote(str(k))}:{go_quote(str(v))}" for k, v in sorted(labels.items(), key=lambda kv: str(kv[0])))
    return GoText("map[string]string{" + items + "}")


@dataclass(frozen=True)
class FieldError:
    """One validation error: where, what kind, the bad value and why."""

    type: str
    path: str
    value: Any = None
    detail: str = ""

    def body(self) -> str:
        """The error without its field path."""
        text = self.type if self.type in _WITHOUT_VALUE else f"{self.type}: {go_value(self.value)}"
        return f"{text}: {self.detail}" if self.detail else text

    def __str__(self) -> str:
        return f"{self.path}: {self.body()}"


def invalid(path: str, value: Any, detail: str) -> FieldError:
    return FieldError(INVALID, path, value, detail)


def required(path: str, detail: str = "") -> FieldError:
    return FieldError(REQUIRED, path, None, detail)


def not_found(path: str, value: Any) -> FieldError:
    return FieldError(NOT_FOUND, path, value)


def duplicate(path: str, value: Any) -> FieldError:
    return FieldError(DUPLICATE, path, value)


def forbidden(path: str, detail: str) -> FieldError:
    return FieldError(FORBIDDEN, path, None, detail)


def internal(path: str, detail: str) -> FieldError:
    return FieldError(INTERNAL, path, None, detail)


def not_supported(path: str, value: Any, supported: Sequence[str]) -> FieldError:
    quoted = ", ".join(go_quote(s) for s in supported)
    return FieldError(NOT_SUPPORTED, path, value, f"supported values: {quoted}")


def child(path: str, *names: str) -> str:
    """`spec` + `strategy` -> `spec.strategy`."""
    return ".".join([path, *names]) if path else ".".join(names)


def index(path: str, i: int) -> str:
    return f"{path}[{i}]"


def key(path: str, name: str) -> str:
    """A map key: `resources.limits[memory]`."""
    return f"{path}[{name}]"


def compact_json(value: Any, limit: int = 200) -> str:
    """Go's json.Marshal of decoded data (sorted keys, no spaces), cut at `limit` characters."""
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        text = "..."
    return text if len(text) <= limit else text[: limit - 3] + "..."


def strings(values: Iterable[Any]) -> list[str]:
    return [v for v in values if isinstance(v, str)]
