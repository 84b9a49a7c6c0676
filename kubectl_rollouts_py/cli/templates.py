"""`set image` and `undo`: commands that rewrite a pod template (ops/templates.py does the
work, retrying on conflicts; the dashboard calls the same operations)."""

from __future__ import annotations

import click

from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.cli.completion import complete_names
from kubectl_rollouts_py.cli.mutate import dry_run_option, executor, report, reporting_interrupts
from kubectl_rollouts_py.cli.options import AliasGroup, CobraCommand, global_options
from kubectl_rollouts_py.kube import resources as r


@click.group("set", cls=AliasGroup)
@global_options
def set_() -> None:
    """Change a rollout's pod template."""


@set_.command("image", cls=CobraCommand)
@click.argument("name", shell_complete=complete_names("rollouts"))
@click.argument("assignment", metavar="CONTAINER=IMAGE")
@dry_run_option
@global_options
def set_image(name: str, assignment: str, dry_run: bool) -> None:
    """Set the image of a container (CONTAINER=IMAGE; * for every container) of rollout NAME."""
    from kubectl_rollouts_py.ops import templates

    change = templates.ImageChange.parse(assignment)
    r.ROLLOUTS.check_name(name)
    app = App.of(click.get_current_context())
    carrying_out = executor(dry_run)
    with app.source() as source, reporting_interrupts(f"rollout '{name}'", carrying_out):
        app.write(report(app, templates.set_image(source, source.namespace, name, change, executor=carrying_out)) + "\n")


# The same command under a top-level name, `set-image`.
set_image_alias = CobraCommand("set-image", params=set_image.params, callback=set_image.callback, help="Same as `set image`.")


@click.command("undo", cls=CobraCommand)
@click.argument("name", shell_complete=complete_names("rollouts"))
@click.option("--to-revision", type=click.IntRange(min=0), default=0, help="The revision to go back to (default: the previous one).")
@dry_run_option
@global_options
def undo(name: str, to_revision: int, dry_run: bool) -> None:
    """Roll rollout NAME back to the pod template of an earlier revision."""
    from kubectl_rollouts_py.ops import templates

    r.ROLLOUTS.check_name(name)
    app = App.of(click.get_current_context())
    carrying_out = executor(dry_run)
    with app.source() as source, reporting_interrupts(f"rollout '{name}'", carrying_out):
        outcome = templates.undo(source, source.namespace, name, to_revision=to_revision, executor=carrying_out)
        # A skipped undo's line ends without a newline, as the Argo Rollouts kubectl plugin's.
        app.write(report(app, outcome) + ("" if outcome.skipped else "\n"))
