"""`report NAME`: one rollout revision as Markdown, a self-contained HTML file, or JUnit XML."""

from __future__ import annotations

import click

from kubectl_rollouts_py.cli.completion import complete_names
from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.cli.options import CobraCommand, from_file_option, global_options

@click.command("report", cls=CobraCommand,
               short_help="Report one revision of rollout NAME as Markdown, HTML or JUnit XML.")
@click.argument("name", shell_complete=complete_names("rollouts"))
@click.option("--revision", type=click.IntRange(min=0), default=None, help="The revision to report (default: the newest).")
@click.option("--format", "fmt", type=click.Choice(["markdown", "html", "junit"]), default="markdown", show_default=True,
              help="markdown for pull requests and chat, html for one self-contained file with charts, junit for CI.")
@click.option("--db", "db", metavar="PATH", default=None, help="Read a recording (see `record`) instead of the cluster.")
@from_file_option
@global_options
def report(name: str, revision: int | None, fmt: str, db: str | None, from_files: tuple[str, ...]) -> None:
    """Write a shareable account of one revision of rollout NAME: how it ended and why, its
    timeline and steps, and every AnalysisRun with every measurement and condition; with
    the pod template's changes from the revision before. From the cluster by default, from
    a recording with --db (runs the cluster deleted included), or from --from-file."""
    from kubectl_rollouts_py.cli.history import load_evidence
    from kubectl_rollouts_py.ops import history as ops_history
    from kubectl_rollouts_py.render.report import render_report

    app = App.of(click.get_current_context())
    evidence = load_evidence(app, name, db, from_files)
    document = ops_history.revision(evidence, revision, now=app.now()).to_dict()
    app.write(render_report(document, fmt))
