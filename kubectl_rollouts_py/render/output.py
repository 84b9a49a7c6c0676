"""`-o json|yaml`: the documented view schema, serialised (whole, or one line per document
for live views)."""

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
    return yaml_text(document)


def document_text(document: Any, output: str) -> str:
    """One machine-readable document of a live view: compact one-line JSON (NDJSON) or a
    YAML document starting with `---`."""
    if output == "json":
        return json.dumps(document, separators=(",", ":"), ensure_ascii=True) + "\n"
    return "---\n" + yaml_text(document)


def yaml_text(document: Any) -> str:
    """One document as YAML (PyYAML's safe dumper, block style, keys in order, ASCII only).

    PyYAML's pure-Python emitter takes ~40 s for a view holding 5 MB strings; libyaml's
    emitter (CSafeDumper) takes well under a second, but it does not write every document
    the same: it folds long double-quoted (escaped) strings and long keys differently,
    writes an empty key as `''` where PyYAML writes `? ''`, and refuses lone surrogates.
    So it is used only on documents made of what it was checked to write byte-for-byte
    like the pure emitter (see `_c_emitter_writes_the_same`); anything else, or any
    failure of libyaml, goes through the pure emitter as before.
    """
    import yaml  # only paid for by -o yaml

    fast = getattr(yaml, "CSafeDumper", None)
    if fast is not None and _c_emitter_writes_the_same(document):
        try:
            return yaml.dump(document, Dumper=fast, sort_keys=False, allow_unicode=False)
        except (UnicodeError, yaml.YAMLError):
            pass
    return yaml.dump(document, Dumper=yaml.SafeDumper, sort_keys=False, allow_unicode=False)


# Keys longer than this may be written as `? key` (complex keys) by one emitter only.
_MAX_FAST_KEY = 64


def _printable_ascii(text: str) -> bool:
    # No line breaks, tabs or control characters: such strings never need the
    # double-quoted style, the one style whose folding differs between the emitters.
    return text.isascii() and text.isprintable()


def _c_emitter_writes_the_same(document: Any) -> bool:
    """True if every string in the document is printable ASCII, every key a short
    non-empty one, and every other scalar a None/bool/int/float (walked without recursion:
    views can be deep). The top must be a map or list: PyYAML ends a lone scalar with `...`."""
    if not isinstance(document, (dict, list)):
        return False
    stack, seen = [document], set()
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if not _printable_ascii(node):
                return False
        elif isinstance(node, (dict, list)):
            if id(node) in seen:
                continue  # a shared object: anchors are written by the shared representer
            seen.add(id(node))
            if isinstance(node, dict):
                for key in node:
                    if not (isinstance(key, str) and 0 < len(key) <= _MAX_FAST_KEY and _printable_ascii(key)):
                        return False
                stack.extend(node.values())
            else:
                stack.extend(node)
        elif node is not None and not isinstance(node, (bool, int, float)):
            return False
    return True


def as_list(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Several views as a kubectl-style List."""
    return {"apiVersion": "v1", "kind": "List", "items": items}
