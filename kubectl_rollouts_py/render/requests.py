"""`--dry-run`: the writes a command would send, as text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kubectl_rollouts_py.render.escape import clean


@dataclass(frozen=True)
class ShownRequest:
    method: str
    path: str
    content_type: str
    body: str
    note: str = ""  # e.g. when the request is only sent after a 404


def render_requests(requests: Sequence[ShownRequest]) -> str:
    """One block per request: `METHOD PATH`, `Content-Type: ...`, then the exact body."""
    blocks = []
    for request in requests:
        lines = [f"# {clean(request.note)}"] if request.note else []
        lines += [f"{request.method} {clean(request.path)}", f"Content-Type: {request.content_type}"]
        # The body is shown exactly as it will be sent; its own newlines and tabs are
        # layout, anything else unsafe is escaped.
        lines += ["\t".join(clean(part) for part in line.split("\t")) for line in request.body.split("\n")]
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)
