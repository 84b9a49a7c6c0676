"""What ends the CLI from outside: Ctrl-C (SIGINT), SIGTERM and SIGHUP, all alike, and the
reader of a piped stdout going away.

`stopping_raise_interrupted()` makes SIGTERM and SIGHUP raise errors.Interrupted in the main
thread, as SIGINT raises KeyboardInterrupt: every command then unwinds the same way (the
terminal restored in `finally`, writes reported, one `Error:` line), and cli/errors.py
picks the exit code from the signal (130, 143, 129).

Python runs signal handlers in the main thread only, but the kernel hands a signal sent to
the process to any thread that does not block it. A worker thread that takes it runs the
C-level handler, which merely flags the signal; the main thread, asleep in a queue or lock
wait that only EINTR would end, sleeps on. An idle live view then outlived its terminal
(tmux killed: SIGHUP and SIGCONT come together; the second wakes the main thread's wait
for nothing while a worker thread takes the first). So every thread the CLI starts is
started inside `threads_without_signals()`: it blocks them, and only the main thread can
receive them. The one exception, a thread starting an exec credential plugin (which must
not inherit a blocked mask), unblocks them for the while and may take one meanwhile; it
then wakes the main thread, which runs the handler (`_threads.signals_for_children`).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from kubectl_rollouts_py import errors

# Kept in kubectl_rollouts_py/_threads.py, which kube/ may import too; re-exported here.
from kubectl_rollouts_py._threads import MAIN_THREAD_ONLY, threads_without_signals  # noqa: F401


def _raise_interrupted(signum: int, _frame: object) -> None:
    raise errors.Interrupted(signum)


@contextmanager
def stopping_raise_interrupted() -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP raise errors.Interrupted (SIGINT keeps raising
    KeyboardInterrupt). A signal set to be ignored stays ignored (`nohup` ignores SIGHUP).
    Does nothing outside the main thread, where handlers cannot be set."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is not signal.SIG_IGN:
            previous[signum] = signal.signal(signum, _raise_interrupted)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def when_stdout_reader_goes(callback: Callable[[], None]) -> Iterator[None]:
    """Call `callback` (from a helper thread) when stdout is a pipe whose reader went away:
    `watch x | head` once head has its lines. A view waiting for the next change or the
    next measurement writes nothing, so no EPIPE would tell it for minutes; the thread
    waits in poll() for the pipe's POLLERR instead, costing no CPU. Nothing for a terminal
    or a file."""
    import select
    import stat

    try:
        fd = sys.stdout.fileno()
        is_pipe = stat.S_ISFIFO(os.fstat(fd).st_mode)
    except (OSError, ValueError, AttributeError):
        is_pipe = False
    if not is_pipe:
        yield
        return
    done_read, done_write = os.pipe()  # ends the helper thread when we are done
    poller = select.poll()
    poller.register(fd, 0)  # POLLERR and POLLHUP are reported without asking
    poller.register(done_read, select.POLLIN)

    def wait() -> None:
        if any(ready == fd for ready, _ in poller.poll()):
            callback()

    thread = threading.Thread(target=wait, name="stdout-reader-gone", daemon=True)
    with threads_without_signals():
        thread.start()
    try:
        yield
    finally:
        os.write(done_write, b"x")
        thread.join(1.0)
        os.close(done_read)
        os.close(done_write)
