"""Make untrusted strings safe to print on a terminal.

Object names, messages and images come from other people's controllers. A raw ESC, BEL
or C1 byte could move the cursor, retitle the window or hide text (kubectl's own
CVE-2021-25743), and bidirectional or zero-width characters can make text read differently
from what it is. Such characters are shown as visible escapes instead; ordinary text,
including non-ASCII letters and the reference's glyphs, passes through unchanged.
"""

from __future__ import annotations

import re

# C0 controls (tab and newline included: they would break the table), DEL, C1 controls,
# zero-width and bidi formatting characters (incl. the Arabic letter mark), line/paragraph
# separators, and BOM.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(value: str) -> str:
    """`value` with every control or invisible formatting character made visible."""
    return _UNSAFE.sub(_visible, value)
