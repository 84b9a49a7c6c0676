"""Fit a rendered `get rollout` / `get experiment` frame to a screen height.

The header block (name, status, weights, images, replicas), the tree's column header and
its root row always stay. Revisions are kept newest first; the oldest ones that do not fit
fold into one `… N more revisions` line. If even the newest revision is too tall, its
bottom rows fold into `… N more lines`. What follows the tree after a blank line (the
analysis table) stays at the bottom while it fits with the header; otherwise it goes first.
"""

from __future__ import annotations

import re

_REVISION_ROW = re.compile(r"^[├└]──# revision:\d+")


def _plural(count: int, word: str) -> str:
    return f"{count} more {word}" + ("" if count == 1 else "s")


def fit_height(text: str, height: int) -> str:
    """`text` (lines ending in newlines) cut to at most `height` lines, as described above."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) <= height:
        return text
    if height <= 1:
        return f"… {_plural(len(lines), 'line')}\n" if height == 1 else ""
    starts = [i for i, line in enumerate(lines) if _REVISION_ROW.match(line)]
    first = starts[0] if starts else len(lines)
    head = lines[:first]
    if len(head) >= height:  # not even the header fits: keep its top
        return "\n".join([*lines[:height - 1], f"… {_plural(len(lines) - (height - 1), 'line')}"]) + "\n"
    tree_end = next((i for i in range(first, len(lines)) if lines[i] == ""), len(lines))
    footer = lines[tree_end:]
    if len(head) + 2 + len(footer) > height:
        footer = []  # the table gives way before the tree
    budget = height - len(footer)
    blocks = [lines[a:b] for a, b in zip(starts, [*starts[1:], tree_end])]
    kept = list(head)
    for shown, block in enumerate(blocks):
        if len(kept) + len(block) + 1 > budget:
            if shown == 0:  # the newest revision alone is too tall: cut it
                room = budget - 1 - len(kept)
                kept += block[:room]
                cut = sum(len(b) for b in blocks) - room
                return "\n".join([*kept, f"… {_plural(cut, 'line')}", *footer]) + "\n"
            hidden = blocks[shown:]
            folded = f"… {_plural(len(hidden), 'revision')} ({sum(len(b) for b in hidden)} lines)"
            return "\n".join([*kept, folded, *footer]) + "\n"
        kept += block
    return "\n".join([*kept, *footer]) + "\n"
