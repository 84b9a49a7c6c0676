"""The root command and its subcommands, loaded lazily.

A command's module is imported only when that command runs (or its own help is asked
for): `--help` of the root, `version` and completion of command names import none of
them. The root's help lists each command's short help from COMMANDS, a table that
tests/unit/test_lazy_commands.py checks against each command's own help.
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple

import click

from kubectl_rollouts_py import __version__
from kubectl_rollouts_py.cli.options import AliasGroup, global_options

EPILOG = """\b
Exit codes: 0 success; 1 error (not found, unreachable, forbidden, degraded rollout,
status timeout); 2 usage error; 3/4/5 `analyze` ended Failed/Inconclusive/Error;
130 interrupted (Ctrl-C; leaving a watch this way prints no Error line); 143 SIGTERM;
129 SIGHUP.
The global flags above are accepted anywhere after the plugin name.
Use "kubectl rollouts-py COMMAND --help" for a command's flags and examples.
"""


class LazyCommand(NamedTuple):
    """Where a command lives, and the one-line summary the root's help lists for it."""

    modules: tuple[str, ...]  # imported in order; the command is `attribute` of the first
    attribute: str
    summary: str  # one sentence, short enough to show whole in an 80-column command list


def _c(modules: str, attribute: str, summary: str) -> LazyCommand:
    return LazyCommand(tuple(f"kubectl_rollouts_py.cli.{m}" for m in modules.split()), attribute, summary)


COMMANDS: dict[str, LazyCommand] = {
    "abort": _c("mutate", "abort", "Abort a rollout: go back to the stable version."),
    "analyze": _c("analyze", "analyze", "Run an AnalysisTemplate now and exit with its outcome."),
    "create": _c("create", "create", "Create rollouts, experiments and analysis runs from files."),
    "dashboard": _c("dashboard", "dashboard", "Serve a live web dashboard of rollouts."),
    "explain": _c("explain", "explain", "Explain why a rollout is where it is, and what moves it."),
    # `get analysisrun` lives in cli/analysisrun.py, which adds itself to `get`.
    "get": _c("get analysisrun", "get", "Show a rollout, an experiment or an AnalysisRun."),
    "history": _c("history", "history", "Show a rollout's revisions and how each ended."),
    "lint": _c("lint", "lint", "Check Rollouts, AnalysisTemplates and Experiments in files."),
    "list": _c("listing", "list_", "List rollouts or experiments."),
    "pause": _c("mutate", "pause", "Pause a rollout."),
    "promote": _c("mutate", "promote", "Promote a rollout: end a pause, or skip every step."),
    "record": _c("record", "record", "Record every change of rollouts into a file."),
    "replay": _c("replay", "replay", "Show a rollout as it was at a moment, from a recording."),
    "report": _c("report", "report", "Report a revision of a rollout: Markdown, HTML or JUnit."),
    "restart": _c("mutate", "restart", "Restart the pods of a rollout."),
    "retry": _c("mutate", "retry", "Retry an aborted rollout or a failed experiment."),
    "sandbox": _c("sandbox", "sandbox", "Run the app-backend canary on a simulated cluster here."),
    "set": _c("templates", "set_", "Change a rollout's pod template (set image)."),
    "set-image": _c("templates", "set_image_alias", "Set the image of a rollout's container (as set image)."),
    "status": _c("status", "status", "Print a rollout's status until it is Healthy or Degraded."),
    "terminate": _c("mutate", "terminate", "Terminate a running AnalysisRun or Experiment."),
    "undo": _c("templates", "undo", "Roll a rollout back to an earlier revision."),
    "version": _c("version", "version", "Print the version of kubectl rollouts-py."),
    "watch": _c("get", "watch_rollout", "Watch a rollout live, redrawn as it changes."),
}


class LazyGroup(AliasGroup):
    """The root: commands come from COMMANDS, each imported the first time it is needed."""

    def __init__(self, *args: Any, lazy: dict[str, LazyCommand], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        name = self.aliases.get(cmd_name, cmd_name)
        if name not in self.commands and name in self.lazy:
            self.add_command(load(self.lazy[name]), name)
        return super().get_command(ctx, name)

    def summary_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """What the root's help and completion list for `name`: a stand-in with the table's
        summary, loaded or not."""
        if name not in self.lazy:
            return super().summary_command(ctx, name)
        return click.Command(name, short_help=self.lazy[name].summary)


def load(entry: LazyCommand) -> click.Command:
    """Import a command's modules and return the command."""
    modules = [importlib.import_module(m) for m in entry.modules]
    command = getattr(modules[0], entry.attribute)
    assert isinstance(command, click.Command)
    return command


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from kubectl_rollouts_py.cli.context import App

    App.of(ctx).write(f"kubectl-rollouts_py: v{__version__}\n")
    ctx.exit()


@click.group(cls=LazyGroup, lazy=COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}, epilog=EPILOG)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_show_version,
              help="Show the version and exit.")
@global_options(shown=True)
def root() -> None:
    """kubectl rollouts-py: watch, steer and check Argo Rollouts from the terminal.

    It shows what the Argo Rollouts kubectl plugin shows, with the same text, and adds
    machine-readable output (-o json|yaml) and rendering from saved objects (--from-file).
    """


root.add_alias("explain", "why")
