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

import heapq
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
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
    _install_wake_handler()
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
    one: the kernel wakes the main thread for it, but any thread that has it unblocked may
    dequeue it first, and a thread that unblocks it while it is pending takes it at once.
    On a loaded machine (the main thread not yet scheduled) that happens. Python's C handler
    then only flags the signal, and the main thread, asleep in a wait that no signal
    interrupts any more, never runs the handler: a watch that ignored SIGTERM. So on the
    way out, with the signals blocked again (any signal this thread was to take has been
    taken by then), the main thread is woken (wake_main_thread): its wait is interrupted,
    it runs the pending handlers, and waits on if there were none. A plugin may run for a
    while (a cloud login), so while the window is open the main thread is also woken every
    WAKE_INTERVAL seconds (by the alarms' thread). Nothing to do in the main thread."""
    if threading.current_thread() is threading.main_thread():
        yield
        return
    blocked = MAIN_THREAD_ONLY & set(signal.pthread_sigmask(signal.SIG_BLOCK, []))
    if not blocked:
        yield
        return
    window = _Window()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, blocked)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
        window.close()
        wake_main_thread()


class _Window:
    """While open, wakes the main thread every WAKE_INTERVAL seconds (see signals_for_children)."""

    def __init__(self) -> None:
        self._closed = False
        self._alarm = alarms().arm(time.monotonic() + WAKE_INTERVAL, self._tick)

    def _tick(self) -> None:  # in the alarms' thread
        if self._closed:
            return  # closed while this tick was due: it neither wakes nor re-arms
        wake_main_thread()
        self._alarm = alarms().arm(time.monotonic() + WAKE_INTERVAL, self._tick)

    def close(self) -> None:
        self._closed = True
        self._alarm.cancel()


# ---------------------------------------------------------------------------------------
# a stopping signal taken by a thread other than the main one


# The signal that wakes the main thread after a worker thread had the stopping signals
# unblocked (see signals_for_children). Ignored by default and used by nothing else here
# (the Go runtime picks it for the same reason); it gets a handler that does nothing.
WAKE_SIGNAL = signal.SIGURG

# How often the main thread is woken while a worker thread has the stopping signals
# unblocked (an exec plugin running): the longest a signal that worker took waits.
WAKE_INTERVAL = 0.25


def _ignore_wake(_signum: int, _frame: object) -> None:
    """The wake signal's handler: being run is the point (see wake_main_thread)."""


def _install_wake_handler() -> None:
    """In the main thread: give WAKE_SIGNAL a handler that does nothing (once), so that
    sending it to the main thread interrupts whatever wait it is in."""
    if threading.current_thread() is not threading.main_thread():
        return
    try:
        if signal.getsignal(WAKE_SIGNAL) in (signal.SIG_DFL, None):
            signal.signal(WAKE_SIGNAL, _ignore_wake)
    except (ValueError, OSError):  # not the main interpreter
        pass


def wake_main_thread() -> None:
    """Interrupt the main thread's wait, so that it runs the Python handlers of signals
    that another thread took (see signals_for_children). Nothing happens unless the main
    thread gave WAKE_SIGNAL a handler (threads_without_signals does)."""
    handler = signal.getsignal(WAKE_SIGNAL)
    if handler in (signal.SIG_DFL, signal.SIG_IGN, None):
        return
    try:
        signal.pthread_kill(threading.main_thread().ident or 0, WAKE_SIGNAL)
    except (OSError, ValueError):  # the main thread is gone: the process is ending
        pass


# ---------------------------------------------------------------------------------------
# deadlines that a slow sender cannot push back


class Alarm:
    """One deadline of `alarms()`: `action` runs at `when` unless cancelled first."""

    __slots__ = ("when", "action", "cancelled", "fired", "_lock")

    def __init__(self, when: float, action: Callable[[], None], lock: threading.Condition) -> None:
        self.when = when
        self.action = action
        self.cancelled = False
        self.fired = False  # set (under the lock) before the action runs
        self._lock = lock

    def __lt__(self, other: Alarm) -> bool:
        return self.when < other.when

    def cancel(self) -> None:
        """Do not run the action if it has not started; once this returns, `fired` says
        for good whether it did (so a connection the action may shut is not reused)."""
        with self._lock:
            self.cancelled = True


class Alarms:
    """One helper thread (started on first use, stopping signals blocked) that runs the
    actions of due alarms: an HTTP exchange arms one that shuts its socket down at the
    exchange's deadline, so a server sending a byte a second cannot keep a read alive
    past it (a socket timeout restarts with every byte). Thread-safe."""

    def __init__(self) -> None:
        self._heap: list[Alarm] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    def arm(self, when: float, action: Callable[[], None]) -> Alarm:
        """Run `action` (which must be quick and must not raise) at the `time.monotonic()`
        instant `when`, from the helper thread; `cancel()` the alarm when done in time."""
        alarm = Alarm(when, action, self._cond)
        with self._cond:
            if self._pid != os.getpid():  # a forked child: the helper thread stayed behind
                self._heap, self._thread, self._pid = [], None, os.getpid()
            heapq.heappush(self._heap, alarm)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="deadline-alarms", daemon=True)
                with threads_without_signals():
                    self._thread.start()
            elif self._heap[0] is alarm:
                self._cond.notify()
        return alarm

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0].cancelled:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                wait = self._heap[0].when - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                alarm = heapq.heappop(self._heap)
                if alarm.cancelled:
                    continue
                alarm.fired = True
            try:
                alarm.action()
            except Exception:  # an action must not end the thread that serves all alarms
                pass


_alarms = Alarms()


def alarms() -> Alarms:
    """The process's one Alarms."""
    return _alarms
