"""`explain NAME` (alias `why`): why a rollout is where it is, and what moves it on."""

from __future__ import annotations

import click

from kubectl_rollouts_py.cli.completion import complete_names
from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.cli.options import CobraCommand, from_file_option, global_options, output_option

@click.command("explain", cls=CobraCommand)
@click.argument("name", shell_complete=complete_names("rollouts"))
@output_option
@from_file_option
@global_options
def explain(name: str, output: str, from_files: tuple[str, ...]) -> None:
    """Explain why rollout NAME is where it is: each cause with its evidence (the step and
    the time left of a pause, the failing metric with its values and limits, why pods are
    not ready, the controller's conditions), the commands that move it on, and what
    happens next (the steps to come, their weights, the analyses that will start)."""
    from kubectl_rollouts_py.ops import explain as ops_explain
    from kubectl_rollouts_py.render.explain import render_explanation
    from kubectl_rollouts_py.render.output import serialise

    app = App.of(click.get_current_context())
    with app.source(from_files) as source:
        explanation = ops_explain.explain(source, name, source.namespace, now=app.now())
    document = explanation.to_dict()
    app.write(render_explanation(document) if output == "text" else serialise(document, output))
