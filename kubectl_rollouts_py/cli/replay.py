"""`replay NAME --db PATH`: the `get rollout` view as a recording says it was at a moment."""

from __future__ import annotations

import datetime as dt

import click

from kubectl_rollouts_py.cli.completion import complete_names
from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.cli.options import CobraCommand, global_options, output_option

def parse_moment(value: str, now: dt.datetime) -> dt.datetime:
    """An RFC 3339 time (2026-12-01T08:05:00Z), or a duration meaning that long ago (20m, 1h30m)."""
    from kubectl_rollouts_py import errors
    from kubectl_rollouts_py.derive.fields import parse_time
    from kubectl_rollouts_py.govalues import duration_seconds

    moment = parse_time(value)
    if moment is not None:
        return moment
    seconds = duration_seconds(value.strip())
    if seconds is None or seconds < 0:
        raise errors.UsageError(f"invalid --at {value!r}: use a time such as 2026-12-01T08:05:00Z, or a duration ago such as 20m")
    return now - dt.timedelta(seconds=seconds)


@click.command("replay", cls=CobraCommand)
@click.argument("name", shell_complete=complete_names("rollouts"))
@click.option("--db", "db", metavar="PATH", required=True, help="The recording to replay (see `record`).")
@click.option("--at", "at", metavar="TIME", default=None,
              help="The moment to show: an RFC 3339 time, or a duration ago (20m). Default: the last recorded change.")
@output_option
@global_options
def replay(name: str, db: str, at: str | None, output: str) -> None:
    """Show rollout NAME as `get rollout` showed it at a moment, from a recording. On a
    terminal without --at, step through the recorded changes: left and right (or h and l)
    move one change, Home and End to the first and last, q quits."""
    from kubectl_rollouts_py.watch.tree_frames import rollout_frame
    from kubectl_rollouts_py.ops import history as ops_history
    from kubectl_rollouts_py.recording.sqlite import open_recording

    app = App.of(click.get_current_context())
    namespace = app.namespace_without_cluster()
    with open_recording(app.recording_path(db), readonly=True) as store:
        if at is None:
            times = ops_history.change_times(store, name, namespace)
            env = app.env
            if env.on_terminal and env.stdin_isatty and output == "text":
                from kubectl_rollouts_py.cli.replay_timeline import timeline

                timeline(app, env, store, name, namespace, times)
                return
            moment = times[-1]
        else:
            moment = parse_moment(at, app.now())
        rollout, objs = ops_history.state_at(store, name, namespace, moment)
    app.write(rollout_frame(app.style(), rollout, objs, output, now=moment).text)
