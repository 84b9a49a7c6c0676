"""`get analysisrun NAME`: a run's metrics, limits and every retained measurement."""

from __future__ import annotations

import click

from kubectl_rollouts_py.cli.completion import complete_names
from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.cli.get import get
from kubectl_rollouts_py.cli.options import CobraCommand, from_file_option, global_options, output_option
from kubectl_rollouts_py.cli.output import serialise


def analysis_run_frame(app: App, source, name: str, namespace: str, output: str) -> str:  # type: ignore[no-untyped-def]
    from kubectl_rollouts_py.derive import analysis as derive_analysis
    from kubectl_rollouts_py.kube import fetch
    from kubectl_rollouts_py.kube import resources as r
    from kubectl_rollouts_py.render import analysis as render_analysis

    run = fetch.fetch_object(source, r.ANALYSISRUNS, name, namespace)
    view = derive_analysis.build_analysis_run_view(run, app.now())
    if output != "text":
        return serialise(view.to_dict(), output)
    return render_analysis.render_run_detail(view, app.style())


@get.command("analysisrun", cls=CobraCommand)
@click.argument("name", shell_complete=complete_names("analysisruns"))
@output_option
@from_file_option
@global_options
def get_analysisrun(name: str, output: str, from_files: tuple[str, ...]) -> None:
    """Show AnalysisRun NAME: its status and args, each metric's conditions, counts against
    its limits and a trend, and every retained measurement, newest first."""
    app = App.of(click.get_current_context())
    with app.source(from_files) as source:
        app.write(analysis_run_frame(app, source, name, source.namespace, output))


get.add_alias("analysisrun", "ar", "analysisruns")
