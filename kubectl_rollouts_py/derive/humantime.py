"""kubectl's AGE format: a port of apimachinery's duration.HumanDuration (v0.34)."""

from __future__ import annotations

import datetime as dt

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
