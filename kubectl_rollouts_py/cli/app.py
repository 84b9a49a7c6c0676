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
130 interrupted (Ctrl-C); 143 SIGTERM; 129 SIGHUP.
The global flags above are accepted anywhere after the plugin name.
"""


class LazyCommand(NamedTuple):
    """Where a command lives and what the root's help says of it without importing it."""

    modules: tuple[str, ...]  # imported in order; the command is `attribute` of the first
    attribute: str
    help: str  # the first paragraph of the command's help
    short_help: str | None = None  # the command's short_help, where it sets one


def _c(modules: str, attribute: str, help: str, short_help: str | None = None) -> LazyCommand:
    return LazyCommand(tuple(f"kubectl_rollouts_py.cli.{m}" for m in modules.split()), attribute, help, short_help)


COMMANDS: dict[str, LazyCommand] = {
    "abort": _c("mutate", "abort", "Abort rollouts: scale the canary down and go back to the stable version."),
    "analyze": _c("analyze", "analyze", "Run an AnalysisTemplate against Prometheus now, with Argo's rules, and exit with its outcome."),
    "create": _c("create", "create", "Create Rollouts, Experiments, AnalysisTemplates, ClusterAnalysisTemplates and\n"
                 "AnalysisRuns from files, or an AnalysisRun from a template (`create analysisrun`)."),
    "dashboard": _c("dashboard", "dashboard", "Serve a live web dashboard of rollouts and their analysis (Ctrl-C stops it)."),
    "explain": _c("explain", "explain", "Explain why rollout NAME is where it is: each cause with its evidence (the step and\n"
                  "the time left of a pause, the failing metric with its values and limits, why pods are\n"
                  "not ready, the controller's conditions), the commands that move it on, and what\n"
                  "happens next (the steps to come, their weights, the analyses that will start)."),
    # `get analysisrun` lives in cli/analysisrun.py, which adds itself to `get`.
    "get": _c("get analysisrun", "get", "Show a rollout or an experiment as the Argo Rollouts kubectl plugin's tree."),
    "history": _c("history", "history", "Show rollout NAME's revisions, newest first: images, when each started and ended, how\n"
                  "it ended (promoted, aborted, rolled back, superseded, current), how long each step took,\n"
                  "and each AnalysisRun's verdict with its metrics' last values. With --revision, one\n"
                  "revision in detail: the step timeline with weights, every measurement of every run, and\n"
                  "the pod template's difference from the revision before (images and env first).",
                  "Show rollout NAME's revisions, newest first, and how each ended."),
    "lint": _c("lint", "lint", "Lint and validate Rollouts, AnalysisTemplates and Experiments from files."),
    "list": _c("listing", "list_", "List rollouts or experiments."),
    "pause": _c("mutate", "pause", "Pause rollouts (sets spec.paused)."),
    "promote": _c("mutate", "promote", "Promote rollouts: resume a paused step, or with --full skip every remaining step."),
    "record": _c("record", "record", "Record rollouts as they change: follow Rollouts, ReplicaSets, AnalysisRuns, Experiments\n"
                 "and pods, and write every change, with the time it was seen, into an SQLite file. What\n"
                 "the cluster deletes later (finished AnalysisRuns, old ReplicaSets) stays in the file for\n"
                 "`history`, `report` and `replay`.",
                 "Record every change of rollouts into a file that outlives the cluster's cleanup."),
    "replay": _c("replay", "replay", "Show rollout NAME as `get rollout` showed it at a moment, from a recording. On a\n"
                 "terminal without --at, step through the recorded changes: left and right (or h and l)\n"
                 "move one change, Home and End to the first and last, q quits."),
    "report": _c("report", "report", "Write a shareable account of one revision of rollout NAME: how it ended and why, its\n"
                 "timeline and steps, and every AnalysisRun with every measurement and condition; with\n"
                 "the pod template's changes from the revision before. From the cluster by default, from\n"
                 "a recording with --db (runs the cluster deleted included), or from --from-file.",
                 "Report one revision of rollout NAME as Markdown, HTML or JUnit XML."),
    "restart": _c("mutate", "restart", "Restart the pods of rollouts (sets spec.restartAt; the controller does the rest)."),
    "retry": _c("mutate", "retry", "Retry an aborted rollout or a failed experiment."),
    "sandbox": _c("sandbox", "sandbox", "Run the app-backend canary on this machine: a stand-in Kubernetes API, a simulated\n"
                  "Argo Rollouts controller, demo traffic and Prometheus."),
    "set": _c("templates", "set_", "Change a rollout's pod template."),
    "set-image": _c("templates", "set_image_alias", "Same as `set image`."),
    "status": _c("status", "status", "Print the status of rollout NAME."),
    "terminate": _c("mutate", "terminate", "Terminate a running AnalysisRun or Experiment."),
    "undo": _c("templates", "undo", "Roll rollout NAME back to the pod template of an earlier revision."),
    "version": _c("version", "version", "Print the version of kubectl rollouts-py."),
    "watch": _c("get", "watch_rollout", "Watch rollout NAME live: `get rollout NAME -w`, redrawn in place as the cluster\n"
                "changes, with the time left of a timed pause."),
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
        """What the root's help and completion list for `name`: the command if loaded, else
        a stand-in with the table's help."""
        if name in self.commands or name not in self.lazy:
            return super().summary_command(ctx, name)
        entry = self.lazy[name]
        return click.Command(name, help=entry.help, short_help=entry.short_help)


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
