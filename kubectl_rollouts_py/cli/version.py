"""`version`."""

from __future__ import annotations

import click

from kubectl_rollouts_py.cli.options import CobraCommand, global_options


@click.command("version", cls=CobraCommand)
@click.option("--short", is_flag=True, help="Print only the version.")
@global_options
def version(short: bool) -> None:
    """Print the version of kubectl rollouts-py."""
    from kubectl_rollouts_py.cli.context import App
    from kubectl_rollouts_py.cli.quick import version_text  # `version` alone runs without click

    App.of(click.get_current_context()).write(version_text(short))
