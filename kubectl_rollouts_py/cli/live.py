"""A simple live loop shared by `get ... -w` and `status`: redraw when the cluster changes.

The event-driven redraw machinery (in-place drawing, terminal height, countdowns) is the
live-view issue's; this loop already uses watches and never polls the API.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from kubectl_rollouts_py.kube import follow as kube_follow
from kubectl_rollouts_py.kube import resources as r

CLEAR = "\x1b[H\x1b[2J\x1b[0;0H"


@contextmanager
def stop_after(seconds: float | None) -> Iterator[threading.Event]:
    """An event set after `seconds` (None or 0: never); SIGTERM sets it too."""
    stop = threading.Event()
    timer = threading.Timer(seconds, stop.set) if seconds else None
    if timer:
        timer.daemon = True
        timer.start()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set()) if threading.current_thread() is threading.main_thread() else None
    try:
        yield stop
    finally:
        stop.set()
        if timer:
            timer.cancel()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def redraw_on_change(
    source: Any,
    namespace: str,
    resources: Sequence[r.Resource],
    frame: Callable[[], str],
    *,
    stop: threading.Event,
    write: Callable[[str], None],
) -> None:
    """Print `frame()` now and whenever it changes; on a terminal redraw at least once a
    second (ages tick) and clear the screen first, as the reference does."""
    tty = sys.stdout.isatty()
    last = None
    for _ in kube_follow.follow(source, resources, namespace, stop=stop, wait=1.0 if tty else None):
        text = frame()
        if text == last:
            continue
        last = text
        write(CLEAR + text if tty else text)

