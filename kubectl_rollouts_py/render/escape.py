"""Make untrusted strings safe to print on a terminal.

Object names, messages and images come from other people's controllers. A raw ESC, BEL
or C1 byte could move the cursor, retitle the window or hide text (kubectl's own
CVE-2021-25743), and bidirectional, zero-width and other invisible format characters can
make text read differently from what it is. Such characters are shown as visible escapes
(`\\x1b`, `\\u202e`) instead; ordinary text, including non-ASCII letters and the
status glyphs, passes through unchanged.
"""

from __future__ import annotations

import unicodedata

# Control (Cc), format (Cf: bidi marks and overrides, zero-width characters, soft hyphen,
# tag characters...), line/paragraph separators (Zl, Zp), surrogates (Cs) and private use (Co).
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co"})


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def clean(value: str) -> str:
    """`value` with every control or invisible formatting character made visible."""
    if value.isascii() and value.isprintable():
        return value  # the common case, decided in C
    return "".join(_escape(c) if unicodedata.category(c) in _UNSAFE_CATEGORIES else c for c in value)


# The most of one piece of user or server text (a condition, a query, a message) a view or
# an error line echoes: enough for any real one, bounded for a hostile or broken one.
ECHO_LIMIT = 4096


def clean_bounded(value: str, limit: int = ECHO_LIMIT) -> str:
    """`value` cut to `limit` characters (saying how many more there were), then cleaned."""
    if len(value) <= limit:
        return clean(value)
    return f"{clean(value[:limit])}... ({len(value) - limit} more characters)"
