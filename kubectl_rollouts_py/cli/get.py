"""`get rollout` and `get experiment`."""

from __future__ import annotations

import click

from kubectl_rollouts_py.cli import live
from kubectl_rollouts_py.cli.completion import complete_names
from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.cli.options import AliasGroup, CobraCommand, from_file_option, global_options, output_option
from kubectl_rollouts_py.cli.output import serialise

ANALYSIS_CHOICE = click.Choice(["none", "auto", "all"])


@click.group("get", cls=AliasGroup)
@global_options
def get() -> None:
    """Show a rollout or an experiment as the reference plugin's tree."""


def _rollout_frame(app: App, source, name: str, namespace: str, output: str) -> str:  # type: ignore[no-untyped-def]
    from kubectl_rollouts_py.derive import rollout as derive_rollout
    from kubectl_rollouts_py.kube import fetch
    from kubectl_rollouts_py.kube import resources as r
    from kubectl_rollouts_py.render import tree

    rollout, objs = fetch.fetch_with_namespace(source, r.ROLLOUTS, name, namespace)
    view = derive_rollout.build_rollout_view(
        rollout, replica_sets=objs.replica_sets, pods=objs.pods, analysis_runs=objs.analysis_runs,
        experiments=objs.experiments, now=app.now(),
    )
    if output != "text":
        return serialise(view.to_dict(), output)
    return tree.render_rollout(view, app.style())


def _experiment_frame(app: App, source, name: str, namespace: str, output: str) -> str:  # type: ignore[no-untyped-def]
    from kubectl_rollouts_py.derive import rollout as derive_rollout
    from kubectl_rollouts_py.kube import fetch
    from kubectl_rollouts_py.kube import resources as r
    from kubectl_rollouts_py.render import tree

    experiment, objs = fetch.fetch_with_namespace(source, r.EXPERIMENTS, name, namespace)
    view = derive_rollout.build_experiment_view(
        experiment, replica_sets=objs.replica_sets, pods=objs.pods, analysis_runs=objs.analysis_runs, now=app.now()
    )
    if output != "text":
        return serialise(view.to_dict(), output)
    return tree.render_experiment(view, app.style())


def _show(app: App, frame, name: str, from_files: tuple[str, ...], output: str, watch: bool, timeout: float | None, kinds) -> None:  # type: ignore[no-untyped-def]
    with app.source(from_files) as source:
        namespace = source.namespace
        text = frame(app, source, name, namespace, output)  # fails fast on a missing object
        if not watch:
            app.write(text)
            return
        with live.stop_after(timeout) as stop:
            live.redraw_on_change(
                source, namespace, kinds, lambda: frame(app, source, name, namespace, output), stop=stop, write=app.write
            )


@get.command("rollout", cls=CobraCommand)
@click.argument("name", shell_complete=complete_names("rollouts"))
@click.option("-w", "--watch", is_flag=True, help="Keep watching and redraw when anything changes.")
@click.option("--timeout-seconds", type=click.IntRange(min=0), default=0, help="Stop watching after this many seconds (0: never); exits 0.")
@click.option("--analysis", type=ANALYSIS_CHOICE, default="auto", show_default=True, help="Which AnalysisRuns get measurement tables (none leaves the reference's view).")
@output_option
@from_file_option
@global_options
def get_rollout(name: str, watch: bool, timeout_seconds: int, analysis: str, output: str, from_files: tuple[str, ...]) -> None:
    """Show rollout NAME: status, steps, weights, images, and the tree of its revisions,
    ReplicaSets, pods, experiments and analysis runs."""
    from kubectl_rollouts_py.kube import resources as r

    app = App.of(click.get_current_context())
    kinds = (r.ROLLOUTS, r.REPLICASETS, r.PODS, r.ANALYSISRUNS, r.EXPERIMENTS)
    _show(app, _rollout_frame, name, from_files, output, watch, timeout_seconds or None, kinds)


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
    kinds = (r.EXPERIMENTS, r.REPLICASETS, r.PODS, r.ANALYSISRUNS)
    _show(app, _experiment_frame, name, from_files, output, watch, None, kinds)


get.add_alias("rollout", "ro", "rollouts")
get.add_alias("experiment", "exp", "experiments")
