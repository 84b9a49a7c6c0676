"""`get analysisrun NAME`: a run's metrics, limits and every retained measurement; without NAME,
the namespace's runs as a table."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import click

from kubectl_rollouts_py.cli.completion import complete_names
from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.cli.get import get
from kubectl_rollouts_py.cli.options import CobraCommand, from_file_option, global_options, output_option

if TYPE_CHECKING:  # the live engine is imported only by the commands that watch
    from kubectl_rollouts_py.watch.frames import Frame, Memo


def _frame(app: App, run, objs, output: str, *, now, live: Memo | None = None) -> Frame:  # type: ignore[no-untyped-def]
    """One frame of `get analysisrun` from the run alone (`objs` is unused: no related kinds)."""
    from kubectl_rollouts_py.watch.frames import view_frame
    from kubectl_rollouts_py.derive import analysis as derive_analysis
    from kubectl_rollouts_py.render import analysis as render_analysis

    def derive():  # type: ignore[no-untyped-def]
        return derive_analysis.build_analysis_run_view(run, now)

    view = live.view(derive, now) if live else derive()
    render = functools.partial(render_analysis.render_run_detail, style=app.style())
    return view_frame(view, output, now, render, live=live is not None)


@get.command("analysisrun", cls=CobraCommand)
@click.argument("name", required=False, default=None, shell_complete=complete_names("analysisruns"))
@click.option("-w", "--watch", is_flag=True, help="Keep watching and redraw the moment a measurement is added.")
@click.option("-A", "--all-namespaces", is_flag=True, help="Without NAME: list the AnalysisRuns of every namespace.")
@output_option
@from_file_option
@global_options
def get_analysisrun(name: str | None, watch: bool, all_namespaces: bool, output: str, from_files: tuple[str, ...]) -> None:
    """Show AnalysisRun NAME: its status and args, each metric's conditions, counts against
    its limits and a trend, and every retained measurement, newest first.

    Without NAME, list the namespace's AnalysisRuns (every namespace's with -A): status,
    owning rollout and revision, how many metrics are in each phase, and age.
    """
    from kubectl_rollouts_py import errors
    from kubectl_rollouts_py.kube import fetch
    from kubectl_rollouts_py.kube import resources as r

    app = App.of(click.get_current_context())
    if name is None:
        if watch:
            raise errors.UsageError("-w/--watch needs an AnalysisRun NAME")
        _list_runs(app, all_namespaces, output, from_files)
        return
    if all_namespaces:
        raise errors.UsageError("a resource cannot be retrieved by name across all namespaces")
    r.ANALYSISRUNS.check_name(name)  # before any request (or file lookup): a usage error
    if watch:
        from kubectl_rollouts_py.cli.errors import leaving_on_ctrl_c
        from kubectl_rollouts_py.watch.views import watch_view

        with leaving_on_ctrl_c(app.env), app.source(from_files) as source:  # Ctrl-C leaves: exit 130, no Error line
            watch_view(app.env, source, r.ANALYSISRUNS, name, functools.partial(_frame, app), output, related=())
        return
    with app.source(from_files) as source:
        run = fetch.fetch_object(source, r.ANALYSISRUNS, name, source.namespace)
        app.write(_frame(app, run, None, output, now=app.now()).text)


def _list_runs(app: App, all_namespaces: bool, output: str, from_files: tuple[str, ...]) -> None:
    """The namespace's AnalysisRuns (every namespace's with -A) as a table, or -o json|yaml
    as a List of their rows' documents."""
    from kubectl_rollouts_py.derive.run_list import build_run_rows
    from kubectl_rollouts_py.kube import resources as r
    from kubectl_rollouts_py.render.output import as_list, serialise
    from kubectl_rollouts_py.render.run_list import render_run_rows

    with app.source(from_files) as source:
        namespace = None if all_namespaces else source.namespace
        listed = source.list(r.ANALYSISRUNS, namespace)
    rows = build_run_rows(listed.items, app.now())
    if output != "text":
        app.write(serialise(as_list([row.to_dict() for row in rows]), output))
    elif not rows:
        from kubectl_rollouts_py.render.escape import clean

        app.warn("No resources found." if namespace is None else f"No resources found in {clean(namespace)} namespace.")
    else:
        app.write(render_run_rows(rows, all_namespaces=all_namespaces))


get.add_alias("analysisrun", "ar", "analysisruns")
