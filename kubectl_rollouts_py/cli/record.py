"""`record`: the flight recorder, following the cluster into a recording file."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.cli.options import CobraCommand, global_options

def db_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--db", "db", metavar="PATH", default=None,
                        help="The recording file (default: $XDG_STATE_HOME/kubectl-rollouts-py/rollouts.db).")(func)


@contextmanager
def _signals_stop(stop: Callable[[int], None]) -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP ask the recorder to stop after the batch in hand is
    committed, instead of raising in the middle of it."""
    wanted = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {}
    for signum in wanted:
        if signal.getsignal(signum) is signal.SIG_IGN:
            continue
        previous[signum] = signal.signal(signum, lambda number, _frame: stop(number))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@click.command("record", cls=CobraCommand,
               short_help="Record every change of rollouts into a file that outlives the cluster's cleanup.")
@click.option("-A", "--all-namespaces", is_flag=True, help="Record every namespace (default: the namespace of -n or the context).")
@db_option
@click.option("--retain", default="30d", show_default=True, metavar="DURATION",
              help="Drop history older than this (e.g. 30d, 2w, 720h); 0 keeps everything.")
@click.option("--max-size", default="1GiB", show_default=True, metavar="SIZE",
              help="Drop the oldest history while the file is bigger than this (e.g. 1GiB, 500MB); 0: no cap.")
@global_options
def record(all_namespaces: bool, db: str | None, retain: str, max_size: str) -> None:
    """Record rollouts as they change: follow Rollouts, ReplicaSets, AnalysisRuns, Experiments
    and pods, and write every change, with the time it was seen, into an SQLite file. What
    the cluster deletes later (finished AnalysisRuns, old ReplicaSets) stays in the file for
    `history`, `report` and `replay`.

    It runs until stopped (Ctrl-C, SIGTERM), committing what it has first. Restarted, it
    lists first and records what changed while it was down. Secrets are never recorded."""
    from kubectl_rollouts_py import errors
    from kubectl_rollouts_py.ops.record import Recorder
    from kubectl_rollouts_py.recording.limits import retention_seconds, size_bytes
    from kubectl_rollouts_py.recording.sqlite import open_recording

    app = App.of(click.get_current_context())
    env = app.env
    keep, cap = retention_seconds(retain), size_bytes(max_size)
    path = app.recording_path(db)
    caught: list[int] = []
    with app.source() as source:
        namespace = None if all_namespaces else source.namespace
        with open_recording(path) as store:
            def notify(text: str) -> None:
                app.warn(f"{env.now().strftime('%Y-%m-%dT%H:%M:%SZ')} {text}")

            recorder = Recorder(source, store, namespace, clock=env.now, monotonic=env.monotonic, notify=notify,
                                retain_seconds=keep, max_bytes=cap)

            def stop(signum: int) -> None:
                caught.append(signum)
                recorder.stop("interrupted")

            where = f"namespace {namespace}" if namespace else "all namespaces"
            with _signals_stop(stop):  # before saying Ctrl-C stops it, so a Ctrl-C right after is a stop
                notify(f"recording {where} into {path} (Ctrl-C stops)")
                summary = recorder.run()
    done = f"{summary.versions} versions recorded into {path}"
    if caught[:1] == [signal.SIGINT]:  # Ctrl-C, its normal stop: no Error line, exit 130
        from kubectl_rollouts_py.cli.errors import LeftWithCtrlC

        notify(f"stopped: {done}")
        raise LeftWithCtrlC()
    if caught:
        raise errors.Interrupted(caught[0], done)
