"""`history NAME`: a rollout's revisions, from the cluster, saved files or a recording."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from kubectl_rollouts_py.cli.completion import complete_names
from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.cli.options import CobraCommand, from_file_option, global_options, output_option

if TYPE_CHECKING:  # pragma: no cover
    from kubectl_rollouts_py.ops.history import Evidence

def load_evidence(app: App, name: str, db: str | None, from_files: tuple[str, ...]) -> Evidence:
    """The history's evidence: a recording (--db), saved files, or the cluster."""
    from kubectl_rollouts_py import errors
    from kubectl_rollouts_py.ops import history as ops_history

    if db is not None:
        if from_files:
            raise errors.UsageError("--db and --from-file cannot be used together")
        from kubectl_rollouts_py.recording.sqlite import open_recording

        namespace = app.namespace_without_cluster()
        with open_recording(app.recording_path(db), readonly=True) as store:
            return ops_history.from_recording(store, name, namespace)
    with app.source(from_files) as source:
        return ops_history.from_source(source, name, source.namespace, kind="files" if from_files else "cluster")


@click.command("history", cls=CobraCommand,
               short_help="Show rollout NAME's revisions, newest first, and how each ended.")
@click.argument("name", shell_complete=complete_names("rollouts"))
@click.option("--revision", type=click.IntRange(min=0), default=None, help="Show this revision in detail.")
@click.option("--db", "db", metavar="PATH", default=None, help="Read a recording (see `record`) instead of the cluster.")
@output_option
@from_file_option
@global_options
def history(name: str, revision: int | None, db: str | None, output: str, from_files: tuple[str, ...]) -> None:
    """Show rollout NAME's revisions, newest first: images, when each started and ended, how
    it ended (promoted, aborted, rolled back, superseded, current), how long each step took,
    and each AnalysisRun's verdict with its metrics' last values. With --revision, one
    revision in detail: the step timeline with weights, every measurement of every run, and
    the pod template's difference from the revision before (images and env first).

    From the cluster by default (what it still holds), from a recording with --db
    (everything seen, runs the cluster deleted included), or from --from-file."""
    from kubectl_rollouts_py.ops import history as ops_history
    from kubectl_rollouts_py.render import history as render_history
    from kubectl_rollouts_py.render.output import serialise

    app = App.of(click.get_current_context())
    evidence = load_evidence(app, name, db, from_files)
    now = app.now()
    if revision is None:
        document = ops_history.history(evidence, now=now).to_dict()
        app.write(render_history.render_history(document) if output == "text" else serialise(document, output))
        return
    document = ops_history.revision(evidence, revision, now=now).to_dict()
    app.write(render_history.render_revision(document) if output == "text" else serialise(document, output))
