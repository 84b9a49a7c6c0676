"""Small JSON helpers: one encoding, deep copies, JSON (not Python) equality, query flags."""

from __future__ import annotations

import json
from typing import Any

JSON = dict[str, Any]


def encode(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def clone(obj: Any) -> Any:
    """A deep copy of JSON data (faster than copy.deepcopy for plain dicts and lists)."""
    return json.loads(encode(obj))


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: unlike Python's ==, `true` is not `1`."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b) and isinstance(b, (int, float)) == isinstance(a, (int, float))


def parse_bool(value: str | None) -> bool:
    # The same spellings Go's strconv.ParseBool accepts.
    return value in ("1", "t", "T", "true", "TRUE", "True")
