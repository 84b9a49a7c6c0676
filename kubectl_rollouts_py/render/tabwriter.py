"""Go's text/tabwriter, as the Argo Rollouts kubectl plugin configures it (minwidth 0, padding 2, spaces).

Cells are separated by TAB. Every cell but the last of a line is padded to its column's
width plus the padding; the last cell is written as it is. Width counts code points with
ANSI SGR sequences removed, not terminal columns, so wide glyphs line up as they do in
Argo's output.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_SGR = re.compile("\x1b\\[[0-9;]*m")


def visible_len(cell: str) -> int:
    return len(_SGR.sub("", cell))


def align(rows: Sequence[Sequence[str]], padding: int = 2) -> list[str]:
    """Lay out rows of cells; returns the lines without newlines.

    All rows of one call form one column block (Argo's tables are uniform).
    """
    widths: list[int] = []
    for row in rows:
        for j, cell in enumerate(row[:-1]):
            width = visible_len(cell) + padding
            if j == len(widths):
                widths.append(width)
            elif width > widths[j]:
                widths[j] = width
    lines = []
    for row in rows:
        parts = [cell + " " * (widths[j] - visible_len(cell)) for j, cell in enumerate(row[:-1])]
        parts.append(row[-1] if row else "")
        lines.append("".join(parts))
    return lines
