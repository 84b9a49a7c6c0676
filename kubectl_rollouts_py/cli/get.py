"""`get rollout` and `get experiment`."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import click

from kubectl_rollouts_py.cli.completion import complete_names
from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.cli.options import AliasGroup, CobraCommand, from_file_option, global_options, output_option

if TYPE_CHECKING:  # the live engine is imported only by the commands that watch
    from kubectl_rollouts_py.watch.frames import Frame, Memo

ANALYSIS_CHOICE = click.Choice(["none", "auto", "all"])


@click.group("get", cls=AliasGroup)
@global_options
def get() -> None:
    """Show a rollout or an experiment as the Argo Rollouts kubectl plugin's tree."""


def _rollout_frame(app: App, rollout, objs, output: str, *, now, live: Memo | None = None, analysis: str = "auto") -> Frame:  # type: ignore[no-untyped-def]
    """`get rollout` for one snapshot of the cluster; `-w` and `watch` call it for every frame
    (with `live`, which keeps the last view for clock ticks). `analysis` picks the runs whose
    metric table follows the Argo plugin's tree (none, auto: the current revision's, all).
    Unless `analysis` is none (the Argo plugin's output exactly), a rollout that is not Healthy
    gets a `Why:` line (JSON: a `why` field): the first cause of `explain`, without the clock."""
    from kubectl_rollouts_py.watch.frames import Frame, view_frame
    from kubectl_rollouts_py.derive import analysis as derive_analysis
    from kubectl_rollouts_py.derive import rollout as derive_rollout
    from kubectl_rollouts_py.render import analysis as render_analysis
    from kubectl_rollouts_py.render import tree

    def derive():  # type: ignore[no-untyped-def]
        view = derive_rollout.build_rollout_view(
            rollout, replica_sets=objs.replica_sets, pods=objs.pods, analysis_runs=objs.analysis_runs,
            experiments=objs.experiments, now=now,
        )
        return derive_analysis.attach_analysis(
            view, rollout, analysis_runs=objs.analysis_runs, replica_sets=objs.replica_sets, scope=analysis, now=now
        )

    view = live.view(derive, now) if live else derive()
    why = _why(rollout, objs, now) if analysis != "none" and view.status != "Healthy" else ""
    if output != "text" and why:
        from kubectl_rollouts_py.render.output import document_text, serialise

        document = {**view.to_dict(), "why": why}
        return Frame(document_text(document, output) if live else serialise(document, output))
    style = app.style()

    def render(shown) -> str:  # type: ignore[no-untyped-def]
        summary = render_analysis.render_run_summary(shown.analysis, style)
        return tree.render_rollout(shown, style, why=why) + ("\n" + summary if summary else "")

    return view_frame(view, output, now, render, live=live is not None)


def _why(rollout, objs, now) -> str:  # type: ignore[no-untyped-def]
    """The one-line "why" of a rollout from the objects get rollout already has (no reads):
    the first cause of `explain`, free of the clock (the Message line has the countdown)."""
    from kubectl_rollouts_py.derive import explain

    explanation = explain.explain_rollout(
        rollout, replica_sets=objs.replica_sets, pods=objs.pods, analysis_runs=objs.analysis_runs,
        experiments=objs.experiments, now=now,
    )
    return explain.why_line(explanation)


def _experiment_frame(app: App, experiment, objs, output: str, *, now, live: Memo | None = None) -> Frame:  # type: ignore[no-untyped-def]
    """`get experiment` for one snapshot of the cluster; `-w` calls it for every frame."""
    from kubectl_rollouts_py.watch.frames import view_frame
    from kubectl_rollouts_py.derive import rollout as derive_rollout
    from kubectl_rollouts_py.render import tree

    def derive():  # type: ignore[no-untyped-def]
        return derive_rollout.build_experiment_view(
            experiment, replica_sets=objs.replica_sets, pods=objs.pods, analysis_runs=objs.analysis_runs, now=now
        )

    view = live.view(derive, now) if live else derive()
    return view_frame(view, output, now, lambda shown: tree.render_experiment(shown, app.style()), live=live is not None)


def _show(app: App, frame, resource, name: str, from_files: tuple[str, ...], output: str, watch: bool, timeout: float | None = None, until_complete: bool = False) -> None:  # type: ignore[no-untyped-def]
    resource.check_name(name)  # before any request (or file lookup): a usage error
    with app.source(from_files) as source:
        if watch:
            from kubectl_rollouts_py.watch.views import watch_view  # the live engine, for watches alone

            watch_view(app.env, source, resource, name, functools.partial(frame, app), output,
                       timeout=timeout, until_complete=until_complete)
            return
        from kubectl_rollouts_py.kube import fetch

        hints = None
        if not from_files:  # saved objects cost no round trip
            from kubectl_rollouts_py.kube.view_hints import ViewHints

            hints = ViewHints(app.env.environ)
        obj, objs = fetch.fetch_with_namespace(source, resource, name, source.namespace, hints=hints)
        app.write(frame(app, obj, objs, output, now=app.now()).text)


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
@output_option
@from_file_option
@global_options
def get_rollout(name: str, watch: bool, timeout_seconds: int, timeout: str, until_complete: bool, analysis: str, output: str, from_files: tuple[str, ...]) -> None:
    """Show rollout NAME: status, steps, weights, images, and the tree of its revisions,
    ReplicaSets, pods, experiments and analysis runs."""
    from kubectl_rollouts_py.kube import resources as r

    app = App.of(click.get_current_context())
    _show(app, functools.partial(_rollout_frame, analysis=analysis), r.ROLLOUTS, name, from_files, output, watch or until_complete,
          _watch_seconds(timeout_seconds, timeout), until_complete)


@click.command("watch", cls=CobraCommand)
@click.argument("name", shell_complete=complete_names("rollouts"))
@_watch_options
@click.option("--analysis", type=ANALYSIS_CHOICE, default="auto", show_default=True, help="Which AnalysisRuns get measurement tables (none leaves the Argo plugin's view).")
@output_option
@from_file_option
@global_options
def watch_rollout(name: str, timeout_seconds: int, timeout: str, until_complete: bool, analysis: str, output: str, from_files: tuple[str, ...]) -> None:
    """Watch rollout NAME live: `get rollout NAME -w`, redrawn in place as the cluster
    changes, with the time left of a timed pause."""
    click.get_current_context().invoke(get_rollout, name=name, watch=True, timeout_seconds=timeout_seconds, timeout=timeout,
                                       until_complete=until_complete, analysis=analysis, output=output, from_files=from_files)


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
    _show(app, _experiment_frame, r.EXPERIMENTS, name, from_files, output, watch)


get.add_alias("rollout", "ro", "rollouts")
get.add_alias("experiment", "exp", "experiments")
