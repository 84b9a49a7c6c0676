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


@contextmanager
def signals_for_children() -> Iterator[None]:
    """Unblock MAIN_THREAD_ONLY in this thread while it may start a process (an exec
    credential plugin, run by the kubernetes library when a token expires): a child inherits
    its creator's signal mask through fork and exec, so a plugin started from a worker
    thread would otherwise ignore Ctrl-C and SIGTERM while it runs. subprocess cannot reset
    it in the child (`restore_signals` restores ignored signals, not the mask; `preexec_fn`
    is unsafe with threads), and the library starts the process itself.

    Meanwhile a signal sent to the process may be taken by this thread rather than the main
    one; Linux offers a process's signals to its main thread first, so that happens only if
    the main thread has one pending already. Nothing to do in the main thread."""
    if threading.current_thread() is threading.main_thread():
        yield
        return
    blocked = MAIN_THREAD_ONLY & set(signal.pthread_sigmask(signal.SIG_BLOCK, []))
    if not blocked:
        yield
        return
    signal.pthread_sigmask(signal.SIG_UNBLOCK, blocked)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
