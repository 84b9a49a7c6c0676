"""Threads that leave the stopping signals to the main thread, and processes they start.

A neutral low-level module: kube/ (its thread pools and watch threads) and term/ (the live
views' helper threads) both use it, and neither may import the other (tests/test_layers.py).

Python runs signal handlers in the main thread only, but the kernel hands a signal sent to
the process to any thread that does not block it; a worker thread that takes one merely
flags it, and the main thread, asleep in a wait that only EINTR would end, sleeps on. So
every thread the CLI starts is started inside `threads_without_signals()`. See
term/signals.py for the whole story.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# What the main thread alone must receive: the stopping signals and SIGWINCH (live views redraw).
MAIN_THREAD_ONLY = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGWINCH})


@contextmanager
def threads_without_signals() -> Iterator[None]:
    """Threads started inside block MAIN_THREAD_ONLY (a thread inherits its creator's
    mask, and so do the threads it starts). A signal arriving meanwhile waits, blocked,
    and is taken by the main thread when this ends."""
    if threading.current_thread() is not threading.main_thread():
        yield  # a worker thread: its mask already blocks them
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, MAIN_THREAD_ONLY)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
