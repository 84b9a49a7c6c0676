"""A signal wakes a Follower's `get` in the main thread whenever it arrives.

Python runs a handler only between bytecodes, in the main thread. When another thread takes
the signal at the C level, or it lands just before the main thread goes to sleep, nothing
interrupted the sleep: a queue wait then slept on with the handler (and its `wake()`) not yet
run, and a watch ignored SIGTERM. Here another thread takes the signal while the main thread
sleeps in `get`; the handler must still run and its wake-up end the wait."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

from kubectl_rollouts_py.kube.follow import Follower, Wakeup


def _state(native_id: int) -> str:
    """The kernel's scheduling state of one of this process's threads ("S": asleep)."""
    stat = Path(f"/proc/self/task/{native_id}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0]


def test_a_signal_taken_by_another_thread_wakes_get_in_the_main_thread() -> None:
    follower = Follower(source=None, streams=[])
    main = threading.main_thread().native_id
    assert main is not None
    handled: list[int] = []

    def handler(signum: int, _frame: object) -> None:
        handled.append(signum)
        follower.wake("stop")

    def sender() -> None:  # not blocking SIGUSR1, so the kernel hands the signal to this thread
        while _state(main) != "S":  # the main thread is asleep in get()
            os.sched_yield()
        os.kill(os.getpid(), signal.SIGUSR1)

    finished = threading.Event()

    def watchdog() -> None:  # ends a wait the signal failed to end, so that the test fails, not hangs
        if not finished.wait(60):
            follower.wake("watchdog")

    previous = signal.signal(signal.SIGUSR1, handler)
    thread = threading.Thread(target=sender, daemon=True)
    thread.start()
    threading.Thread(target=watchdog, daemon=True).start()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})  # the main thread does not take it
    try:
        with follower.waking_on_signals():
            got = follower.get()
    finally:
        finished.set()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1})
        signal.signal(signal.SIGUSR1, previous)
        follower.close()
        thread.join(5)
    assert handled == [signal.SIGUSR1]
    assert got is not None and isinstance(got[0], Wakeup) and got[0].reason == "stop", got


def test_outside_waking_on_signals_the_wakeup_fd_is_left_alone() -> None:
    follower = Follower(source=None, streams=[])
    try:
        before = signal.set_wakeup_fd(-1)
        signal.set_wakeup_fd(before)
        with follower.waking_on_signals():
            inside = signal.set_wakeup_fd(-1)
            signal.set_wakeup_fd(inside)
        after = signal.set_wakeup_fd(-1)
        signal.set_wakeup_fd(after)
    finally:
        follower.close()
    assert inside not in (before, -1) and after == before
