"""Outages: the streams that cannot reach the API server, from the first failure until every
one of them has recovered.

The CLI's live views learn of them from the streams' Trouble and Recovered reports
(`track_outage`, which tells the sink: a status line above a screen, a warning beside
printed frames); the dashboard's hub from each list's and watch's outcome (its `stale`
kinds). Both keep them in an `Outage`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from kubectl_rollouts_py.kube.follow import Recovered, Trouble
from kubectl_rollouts_py.render.escape import clean


def clean_error(text: str) -> str:
    """The server's words as one line, nothing raw (control characters escaped)."""
    return clean(" ".join(text.split()))


class Outage:
    """The streams in trouble (by key, the kind's plural), each with its last error.

    started: monotonic seconds when it began (`seconds()`); since: the wall-clock time, for
    those who show it. error: the last error reported by any stream. `limit` bounds each
    error's length (None: whole). `new` and `ended` are for the sinks: the first report of
    this outage, and its end.
    """

    def __init__(self, monotonic: Callable[[], float] = time.monotonic, *, since: dt.datetime | None = None,
                 limit: int | None = None) -> None:
        self._monotonic = monotonic
        self.started = monotonic()
        self.since = since
        self.limit = limit
        self.errors: dict[str, str] = {}
        self.error = ""
        self.new = True
        self.ended = False

    @property
    def over(self) -> bool:
        """Every stream in trouble has recovered."""
        return not self.errors

    def trouble(self, key: str, error: str) -> bool:
        """Stream `key` failed with `error`; whether that changes what is shown."""
        error = clean_error(error)[:self.limit]
        changed = error != self.error or self.errors.get(key) != error
        self.error = self.errors[key] = error
        return changed

    def recover(self, key: str) -> bool:
        """Stream `key` is through again; whether it was in trouble."""
        return self.errors.pop(key, None) is not None

    def seconds(self) -> float:
        return self._monotonic() - self.started

    def note(self) -> str:
        """What a timeout message adds: the API server, not the rollout, may be why."""
        return f"; the API server was unreachable for the last {self.seconds():.0f}s ({self.error})"


class Told(Protocol):
    """Who hears of an outage: a sink (watch/sinks.py)."""

    def trouble(self, outage: Outage) -> None: ...


def track_outage(outage: Outage | None, batch: Sequence[Any], sink: Told,
                 monotonic: Callable[[], float] = time.monotonic) -> Outage | None:
    """Follow the streams' Trouble and Recovered reports; tell the sink when an outage starts,
    when its error changes (a status line only) and when it ends. Returns the outage going on."""
    changed = False
    for item in batch:
        if isinstance(item, Trouble):
            if outage is None:
                outage = Outage(monotonic)
            changed = outage.trouble(item.resource.plural, item.error) or changed
        elif isinstance(item, Recovered) and outage is not None:
            changed = outage.recover(item.resource.plural) or changed
    if outage is None or not changed:
        return outage
    if outage.over:
        outage.ended = True
        sink.trouble(outage)
        return None
    sink.trouble(outage)
    outage.new = False
    return outage
