"""When does a view's text change with the clock alone?

A live view shows ages (`45s`, `5m10s`, `3h`), scale-down delays counting down and a pause
countdown. Each of those texts is constant for a while: an age under 10 minutes changes every
second, one of an hour only every minute, one of three days every hour. `next_change` finds
the first moment any of them changes, so a live view redraws for the clock only when the
text would really differ, and not at all when nothing on it depends on the clock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

from kubectl_rollouts_py.derive import fields as f

_EPSILON = 0.001  # wake just after the boundary, not just before it
_MINUTE, _HOUR, _DAY = 60, 3600, 86400
_YEAR = 365 * _DAY


def age_changes_in(seconds: float) -> float:
    """Seconds until `human_duration` of an age of `seconds` (and growing) shows another text."""
    if seconds < 0:
        return (1.0 if seconds > -2 else -2.0) - seconds + _EPSILON
    if seconds < 10 * _MINUTE:
        step = 1
    elif seconds < 8 * _HOUR:
        step = _MINUTE
    elif seconds < 8 * _DAY:
        step = _HOUR
    elif seconds < 8 * _YEAR:
        step = _DAY
    else:
        step = _YEAR
    return (math.floor(seconds / step) + 1) * step - seconds + _EPSILON


def countdown_changes_in(seconds: float) -> float | None:
    """Seconds until `human_duration` of a remaining time of `seconds` (and shrinking) shows
    another text; the text becomes `passed` below zero and then stays (None)."""
    if seconds < 0:
        return None
    if seconds < 10 * _MINUTE:
        step = 1
    elif seconds < 8 * _HOUR:
        step = _MINUTE
    elif seconds < 8 * _DAY:
        step = _HOUR
    elif seconds < 8 * _YEAR:
        step = _DAY
    else:
        step = _YEAR
    return seconds - math.floor(seconds / step) * step + _EPSILON


def pause_changes_in(seconds: float) -> float | None:
    """Seconds until a pause countdown (whole seconds, rounded up) shows another text."""
    if seconds <= 0:
        return None
    return seconds - (math.ceil(seconds) - 1) + _EPSILON


def _nodes(value: Any) -> Iterator[Any]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        yield value
        for field in dataclasses.fields(value):
            yield from _nodes(getattr(value, field.name))
    elif isinstance(value, tuple):
        for item in value:
            yield from _nodes(item)


def _waits(view: Any, now: dt.datetime) -> Iterator[float | None]:
    for node in _nodes(view):
        if hasattr(node, "age"):
            since = getattr(node, "created", None) or getattr(node, "started", None)
            if isinstance(since, dt.datetime):
                yield age_changes_in((now - since).total_seconds())
        deadline = f.parse_time(getattr(node, "scale_down_deadline", None))
        if deadline is not None:
            yield countdown_changes_in((deadline - now).total_seconds())
        ends = getattr(node, "pause_ends_at", None)
        if isinstance(ends, dt.datetime):
            yield pause_changes_in((ends - now).total_seconds())


def next_change(view: Any, now: dt.datetime) -> dt.datetime | None:
    """The first moment after `now` at which the view built then would read differently
    because of the clock alone (an age, a delay or a countdown); None if never."""
    waits = [w for w in _waits(view, now) if w is not None]
    return now + dt.timedelta(seconds=min(waits)) if waits else None
