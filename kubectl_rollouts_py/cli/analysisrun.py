"""`get analysisrun NAME`: a run's metrics, limits and every retained measurement."""

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
@click.argument("name", shell_complete=complete_names("analysisruns"))
@click.option("-w", "--watch", is_flag=True, help="Keep watching and redraw the moment a measurement is added.")
@output_option
@from_file_option
@global_options
def get_analysisrun(name: str, watch: bool, output: str, from_files: tuple[str, ...]) -> None:
    """Show AnalysisRun NAME: its status and args, each metric's conditions, counts against
    its limits and a trend, and every retained measurement, newest first."""
    from kubectl_rollouts_py.kube import fetch
    from kubectl_rollouts_py.kube import resources as r
    from kubectl_rollouts_py.watch.views import watch_view

    app = App.of(click.get_current_context())
    r.ANALYSISRUNS.check_name(name)  # before any request (or file lookup): a usage error
    if watch:
        from kubectl_rollouts_py.cli.errors import leaving_on_ctrl_c

        with leaving_on_ctrl_c(app.env), app.source(from_files) as source:  # Ctrl-C leaves: exit 130, no Error line
            watch_view(app.env, source, r.ANALYSISRUNS, name, functools.partial(_frame, app), output, related=())
        return
    with app.source(from_files) as source:
        run = fetch.fetch_object(source, r.ANALYSISRUNS, name, source.namespace)
        app.write(_frame(app, run, None, output, now=app.now()).text)


get.add_alias("analysisrun", "ar", "analysisruns")
