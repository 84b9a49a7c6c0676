"""_threads.Alarms: the one helper thread behind whole-exchange HTTP deadlines."""

from __future__ import annotations

import signal
import threading
import time

from kubectl_rollouts_py._threads import MAIN_THREAD_ONLY, Alarms


def test_alarms_run_in_deadline_order_and_cancelled_ones_do_not() -> None:
    alarms = Alarms()
    ran: list[str] = []
    done = threading.Event()
    now = time.monotonic()
    # The cancelled alarm falls due a second after it is armed, so even a busy machine cancels
    # it first; the last one falls due after it, so by then it would have run.
    alarms.arm(now + 1.5, lambda: (ran.append("late"), done.set()))
    cancelled = alarms.arm(now + 1.0, lambda: ran.append("cancelled"))
    first = alarms.arm(now + 0.05, lambda: ran.append("first"))  # armed last, due first: wakes the helper
    cancelled.cancel()
    assert done.wait(30)  # a bound on a failure only
    assert ran == ["first", "late"]
    assert first.fired and not cancelled.fired


def test_an_alarm_already_due_runs_at_once() -> None:
    alarms = Alarms()
    done = threading.Event()
    started = time.monotonic()
    alarms.arm(started - 1, done.set)
    assert done.wait(10)


def test_an_action_that_raises_does_not_stop_the_others() -> None:
    alarms = Alarms()
    done = threading.Event()

    def fails() -> None:
        raise RuntimeError("boom")

    now = time.monotonic()
    alarms.arm(now, fails)
    alarms.arm(now + 0.05, done.set)
    assert done.wait(10)


def test_the_helper_thread_leaves_the_stopping_signals_to_the_main_thread() -> None:
    alarms = Alarms()
    masks: list[set[int]] = []
    done = threading.Event()
    alarms.arm(time.monotonic(), lambda: (masks.append(set(signal.pthread_sigmask(signal.SIG_BLOCK, []))), done.set()))
    assert done.wait(10)
    assert MAIN_THREAD_ONLY <= masks[0]
