"""`get rollout` and `get experiment`."""

from __future__ import annotations

import functools

import click

from kubectl_rollouts_py.cli.completion import complete_names
from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.cli.options import AliasGroup, CobraCommand, from_file_option, global_options, output_option
# What the commands do once their arguments are read: free of click, so that cli/quick.py runs it too.
from kubectl_rollouts_py.cli.showing import rollout_frame as _rollout_frame
from kubectl_rollouts_py.cli.showing import show as _show

ANALYSIS_CHOICE = click.Choice(["none", "auto", "all"])


def _revisions_option(func):  # type: ignore[no-untyped-def]
    return click.option("--revisions", "revisions", type=click.IntRange(min=1), default=None, metavar="N",
                        help="Show only the N newest revisions in the tree (and in -o json|yaml).")(func)


@click.group("get", cls=AliasGroup)
@global_options
def get() -> None:
    """Show a rollout or an experiment as the Argo Rollouts kubectl plugin's tree."""


def _watch_options(func):  # type: ignore[no-untyped-def]
    func = click.option("--until-complete", is_flag=True, help="Stop watching when the rollout is Healthy (exit 0) or Degraded or aborted (exit 1); implies --watch.")(func)
    func = click.option("--timeout", "timeout", default="0", metavar="DURATION", help="Stop watching after this long (e.g. 30s, 5m); 0 waits forever.")(func)
    return click.option("--timeout-seconds", type=click.IntRange(min=0), default=0, help="Stop watching after this many seconds (0: never); exits 0.")(func)


def _watch_seconds(timeout_seconds: int, timeout: str) -> float | None:
    if timeout_seconds or timeout == "0":  # the defaults: no need to load `status` to parse them
        return timeout_seconds or None
    from kubectl_rollouts_py.cli.status import parse_timeout

    return parse_timeout(timeout)


@get.command("rollout", cls=CobraCommand)
@click.argument("name", shell_complete=complete_names("rollouts"))
@click.option("-w", "--watch", is_flag=True, help="Keep watching and redraw in place the moment anything changes.")
@_watch_options
@click.option("--analysis", type=ANALYSIS_CHOICE, default="auto", show_default=True, help="Which AnalysisRuns get measurement tables (none leaves the Argo plugin's view).")
@_revisions_option
@output_option
@from_file_option
@global_options
def get_rollout(name: str, watch: bool, timeout_seconds: int, timeout: str, until_complete: bool, analysis: str, output: str,
                from_files: tuple[str, ...], revisions: int | None = None) -> None:
    """Show rollout NAME: status, steps, weights, images, and the tree of its revisions,
    ReplicaSets, pods, experiments and analysis runs."""
    from kubectl_rollouts_py.kube import resources as r

    app = App.of(click.get_current_context())
    _show(app, _rollout_frame(app, analysis, revisions), r.ROLLOUTS, name, from_files, output, watch or until_complete,
          _watch_seconds(timeout_seconds, timeout), until_complete)


@click.command("watch", cls=CobraCommand)
@click.argument("name", shell_complete=complete_names("rollouts"))
@_watch_options
@click.option("--analysis", type=ANALYSIS_CHOICE, default="auto", show_default=True, help="Which AnalysisRuns get measurement tables (none leaves the Argo plugin's view).")
@_revisions_option
@output_option
@from_file_option
@global_options
def watch_rollout(name: str, timeout_seconds: int, timeout: str, until_complete: bool, analysis: str, revisions: int | None,
                  output: str, from_files: tuple[str, ...]) -> None:
    """Watch rollout NAME live: `get rollout NAME -w`, redrawn in place as the cluster
    changes, with the time left of a timed pause."""
    click.get_current_context().invoke(get_rollout, name=name, watch=True, timeout_seconds=timeout_seconds, timeout=timeout,
                                       until_complete=until_complete, analysis=analysis, revisions=revisions, output=output,
                                       from_files=from_files)


@get.command("experiment", cls=CobraCommand)
@click.argument("name", shell_complete=complete_names("experiments"))
@click.option("-w", "--watch", is_flag=True, help="Keep watching and redraw when anything changes.")
@click.option("--analysis", type=ANALYSIS_CHOICE, default="auto", show_default=True, help="Which AnalysisRuns get measurement tables.")
@output_option
@from_file_option
@global_options
def get_experiment(name: str, watch: bool, analysis: str, output: str, from_files: tuple[str, ...]) -> None:
    """Show experiment NAME with its ReplicaSets, pods and analysis runs."""
    from kubectl_rollouts_py.kube import resources as r

    app = App.of(click.get_current_context())
    from kubectl_rollouts_py.watch.tree_frames import experiment_frame

    _show(app, functools.partial(experiment_frame, app.style()), r.EXPERIMENTS, name, from_files, output, watch)


get.add_alias("rollout", "ro", "rollouts")
get.add_alias("experiment", "exp", "experiments")
