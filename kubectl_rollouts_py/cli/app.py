"""The root command and its subcommands."""

from __future__ import annotations

import click

from kubectl_rollouts_py import __version__
from kubectl_rollouts_py.cli import analysisrun as _analysisrun  # noqa: F401  (adds `get analysisrun`)
from kubectl_rollouts_py.cli.analyze import analyze
from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.cli.create import create
from kubectl_rollouts_py.cli.dashboard import dashboard
from kubectl_rollouts_py.cli.explain import explain
from kubectl_rollouts_py.cli.get import get, watch_rollout
from kubectl_rollouts_py.cli.history import history
from kubectl_rollouts_py.cli.lint import lint
from kubectl_rollouts_py.cli.listing import list_
from kubectl_rollouts_py.cli.mutate import abort, pause, promote, restart, retry, terminate
from kubectl_rollouts_py.cli.options import AliasGroup, global_options
from kubectl_rollouts_py.cli.record import record
from kubectl_rollouts_py.cli.replay import replay
from kubectl_rollouts_py.cli.report import report
from kubectl_rollouts_py.cli.sandbox import sandbox
from kubectl_rollouts_py.cli.status import status
from kubectl_rollouts_py.cli.templates import set_, set_image_alias, undo
from kubectl_rollouts_py.cli.version import version

EPILOG = """\b
Exit codes: 0 success; 1 error (not found, unreachable, forbidden, degraded rollout,
status timeout); 2 usage error; 3/4/5 `analyze` ended Failed/Inconclusive/Error;
130 interrupted (Ctrl-C); 143 SIGTERM; 129 SIGHUP.
The global flags above are accepted anywhere after the plugin name.
"""


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    App.of(ctx).write(f"kubectl-rollouts_py: v{__version__}\n")
    ctx.exit()


@click.group(cls=AliasGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}, epilog=EPILOG)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_show_version,
              help="Show the version and exit.")
@global_options(shown=True)
def root() -> None:
    """kubectl rollouts-py: watch, steer and check Argo Rollouts from the terminal.

    It shows what the Argo Rollouts kubectl plugin shows, with the same text, and adds
    machine-readable output (-o json|yaml) and rendering from saved objects (--from-file).
    """


for command in (analyze, get, watch_rollout, list_, status, explain, promote, abort, retry, pause, set_, set_image_alias, undo, restart, terminate, create, lint, sandbox, dashboard, record, history, report, replay, version):
    root.add_command(command)
root.add_alias("explain", "why")
