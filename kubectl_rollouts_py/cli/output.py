"""`-o json|yaml`: the documented view schema, serialised."""

from __future__ import annotations

import json
from typing import Any


def serialise(document: Any, fmt: str) -> str:
    """One document as JSON (indented) or YAML, ending with a newline.

    Non-ASCII is escaped in both, so a hostile name cannot reach the terminal raw
    (bidi and C1 characters are "printable" to PyYAML and to json with ensure_ascii off).
    """
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=True) + "\n"
    import yaml  # only paid for by -o yaml

    return yaml.safe_dump(document, sort_keys=False, allow_unicode=False)


def as_list(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Several views as a kubectl-style List."""
    return {"apiVersion": "v1", "kind": "List", "items": items}
