"""kubectl's AGE format: a port of apimachinery's duration.HumanDuration (v0.34)."""

from __future__ import annotations

import datetime as dt
import re

# Go's time.Duration is int64 nanoseconds, so a difference saturates at about 292 years.
_MAX_SECONDS = (2**63 - 1) / 1e9


def seconds_between(earlier: dt.datetime, later: dt.datetime) -> float:
    """`later - earlier` in seconds, saturated the way Go's Time.Sub saturates."""
    seconds = (later - earlier).total_seconds()
    return max(-_MAX_SECONDS, min(_MAX_SECONDS, seconds))


def human_duration(seconds: float) -> str:
    """Format a duration like `kubectl get` ages: 45s, 5m10s, 3h59m, 7d, 2y10d."""
    whole = int(seconds)  # truncates toward zero, like Go's int(d.Seconds())
    if whole < -1:
        return "<invalid>"
    if whole < 0:
        return "0s"
    if whole < 120:
        return f"{whole}s"
    minutes = whole // 60
    if minutes < 10:
        rest = whole % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = whole // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        years, days = hours // 24 // 365, (hours // 24) % 365
        return f"{years}y" if days == 0 else f"{years}y{days}d"
    return f"{hours // 24 // 365}y"


def age(created: dt.datetime, now: dt.datetime) -> str:
    """The AGE column for an object created at `created`."""
    return human_duration(seconds_between(created, now))


_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
# One number-and-unit part. The number has exactly one way to match (no `\d+\.?\d*`,
# which splits a run of digits many ways), so a long string that fails cannot backtrack
# for long; and the parts are found by one scan, not by slicing the rest of the string
# per part (quadratic: "1s" * 200,000 took 16 s).
_PART = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)")
_DURATION = re.compile(rf"(?:{_PART.pattern})+")


def parse_go_duration(value: str) -> float | None:
    """Parse a Go duration string (`1h30m`, `300ms`, `-1.5h`) into seconds; None if invalid.

    Go's time.ParseDuration accepts ns, us (µs, μs), ms, s, m, h and decimal fractions, but
    not days; "0" alone is valid.
    """
    s = value
    sign = 1.0
    if s and s[0] in "+-":
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:]
    if s == "0":
        return 0.0
    if not s or not _DURATION.fullmatch(s):
        return None
    total = 0.0
    for number, unit in _PART.findall(s):
        total += float(number) * _UNITS[unit]
    if total > _MAX_SECONDS:
        return None  # Go's ParseDuration rejects what does not fit in int64 nanoseconds
    return sign * total
