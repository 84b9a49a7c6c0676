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


def test_closing_leaves_the_pipe_open_until_nothing_refers_to_the_mailbox() -> None:
    # A reader in another thread may still be between its poll() and its read when the owner
    # closes: a descriptor closed under it would have its number reused by the next socket,
    # and the read would take that socket's bytes. So close() only marks and wakes.
    import gc

    follower = Follower(source=None, streams=[])
    read_fd = follower._queue.read_fd
    pipe = os.fstat(read_fd).st_ino
    follower.wake("before")
    follower.close()
    assert os.fstat(read_fd).st_ino == pipe  # still open
    assert [w.reason for w in follower.get() or []] == ["before"]  # what came before is still there
    assert follower.get(timeout=0.01) is None  # closed and empty: nothing more, at once
    follower.wake("after")  # dropped
    assert follower.get(timeout=0.01) is None
    del follower
    gc.collect()
    try:  # closed now (the number may have been taken again at once by another descriptor)
        assert os.fstat(read_fd).st_ino != pipe
    except OSError:
        pass


def test_a_reader_asleep_in_get_wakes_when_another_thread_closes() -> None:
    follower = Follower(source=None, streams=[])
    closer = threading.Thread(target=lambda: (_wait_asleep(threading.main_thread().native_id), follower.close()),
                              daemon=True)
    closer.start()
    assert follower.get() is None
    closer.join(5)


def _wait_asleep(native_id: int | None) -> None:
    assert native_id is not None
    while _state(native_id) != "S":
        os.sched_yield()
