"""`explain NAME` as text: the causes (most important first) with their evidence and
commands, then what happens next.

It lays out the explanation's machine-readable document (the `-o json` schema,
docs/explain-schema.json), so the text and the JSON cannot say different things. Every
string from the document passes through escape.clean: names, messages, values and images
come from the cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubectl_rollouts_py.render.escape import clean


def _text(value: Any) -> str:
    return clean(value) if isinstance(value, str) else ""


def _strings(value: Any) -> list[str]:
    return [clean(v) for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _items(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def render_explanation(document: Mapping[str, Any]) -> str:
    """The text of `explain`; `document` is Explanation.to_dict()."""
    name, namespace = _text(document.get("name")), _text(document.get("namespace"))
    status, message = _text(document.get("status")), _text(document.get("message"))
    where = f" (namespace {namespace})" if namespace else ""
    head = f"Rollout {name or '(no name)'}{where}: {status or 'Unknown'}"
    lines = [head]
    if message:
        lines.append(f"  {message}")
    causes = _items(document.get("causes"))
    if causes:
        lines += ["", "Why:"]
        for number, cause in enumerate(causes, 1):
            lines.append(f"  {number}. {_text(cause.get('summary'))}")
            lines += [f"       {line}" for line in _strings(cause.get("evidence"))]
            commands = _strings(cause.get("commands"))
            if commands:
                lines.append("     Run:")
                lines += [f"       {command}" for command in commands]
    upcoming = _items(document.get("next"))
    if upcoming:
        lines += ["", "Next:"]
        lines += [f"  - {_text(item.get('summary'))}" for item in upcoming]
    unreadable = _strings(document.get("unreadable"))
    if unreadable:
        lines += ["", "Could not read:"]
        lines += [f"  - {line}" for line in unreadable]
    return "\n".join(lines) + "\n"


def render_why(document: Mapping[str, Any]) -> str:
    """One line: the first cause's summary (for get rollout, watch and status), or ""."""
    causes = _items(document.get("causes"))
    return _text(causes[0].get("summary")) if causes else ""
