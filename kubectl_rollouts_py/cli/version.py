"""`version`."""

from __future__ import annotations

import platform
import sys

import click

from kubectl_rollouts_py import __version__
from kubectl_rollouts_py.cli.options import CobraCommand, global_options

_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64", "amd64": "amd64"}


@click.command("version", cls=CobraCommand)
@click.option("--short", is_flag=True, help="Print only the version.")
@global_options
def version(short: bool) -> None:
    """Print the version of kubectl rollouts-py."""
    from kubectl_rollouts_py.cli.context import App

    lines = [f"kubectl-rollouts_py: v{__version__}"]
    if not short:
        machine = platform.machine().lower()
        lines += [
            f"  PythonVersion: {platform.python_version()}",
            f"  Platform: {sys.platform}/{_ARCH.get(machine, machine)}",
        ]
    App.of(click.get_current_context()).write("\n".join(lines) + "\n")
