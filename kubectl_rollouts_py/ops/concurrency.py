"""Work spread over daemon threads that leave the stopping signals to the main thread.

The workers start with SIGINT, SIGTERM and SIGHUP blocked (_threads.threads_without_signals),
and the main thread waits for them in short joins, so Ctrl-C ends the command at once even
while a worker is held up by a slow query; being daemons, nothing waits for them on the way
out. Used by the analysis run (the due metrics of a reconcile) and the backtest (windows).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from kubectl_rollouts_py._threads import threads_without_signals


def in_daemon_threads(work: Callable[[int], None], count: int, workers: int) -> None:
    """work(0..count-1) on at most `workers` daemon threads, each taking the next index when
    done; after the first failure no new index is started, and that failure is re-raised
    here once the threads have stopped."""
    if count == 0:
        return
    next_index = [0]
    lock = threading.Lock()
    failures: list[BaseException] = []

    def worker() -> None:
        while not failures:
            with lock:
                index = next_index[0]
                next_index[0] += 1
            if index >= count:
                return
            try:
                work(index)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
                failures.append(exc)
                return

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, min(workers, count)))]
    with threads_without_signals():
        for thread in threads:
            thread.start()
    for thread in threads:
        while thread.is_alive():  # short joins: a signal's handler runs between them
            thread.join(0.1)
    if failures:
        raise failures[0]
