"""`--retain` and `--max-size` values: how long history is kept, and how big the file may grow."""

from __future__ import annotations

import re

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.govalues import duration_seconds

_DAYS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(w|d)\s*$")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4,
          "ki": 1024, "mi": 1024**2, "gi": 1024**3, "ti": 1024**4}


def retention_seconds(text: str) -> float | None:
    """`30d`, `2w`, or a Go duration (`720h`, `90m`); `0` keeps everything (None)."""
    match = _DAYS.match(text)
    if match:
        seconds = float(match.group(1)) * (7 if match.group(2) == "w" else 1) * 86400
    else:
        parsed = duration_seconds(text.strip()) if text.strip() != "0" else 0.0
        if parsed is None or parsed < 0:
            raise errors.UsageError(f"invalid --retain {text!r}: use a duration such as 30d, 2w or 720h, or 0 to keep everything")
        seconds = parsed
    return seconds or None


def size_bytes(text: str) -> int | None:
    """`1GiB`, `500MB`, `2g`, or plain bytes; `0` means no cap (None)."""
    match = _SIZE.match(text)
    if not match:
        raise errors.UsageError(f"invalid --max-size {text!r}: use a size such as 1GiB or 500MB, or 0 for no cap")
    unit = (match.group(2) or "").lower().rstrip("b") if (match.group(2) or "").lower() != "b" else "b"
    size = int(float(match.group(1)) * _UNITS[unit])
    return size or None
