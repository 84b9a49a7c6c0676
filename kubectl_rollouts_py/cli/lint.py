"""`lint -f FILE`: check Rollouts, AnalysisTemplates and Experiments before they are applied."""

from __future__ import annotations

import click

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.cli.options import CobraCommand, global_options

EXIT_STATUS = """\b
Exit status: 0 clean; 1 problems found (or a file that cannot be read or parsed);
2 usage error. Each problem is printed on stdout, the first again as the Error line.
"""


@click.command("lint", cls=CobraCommand, epilog=EXIT_STATUS)
@click.option("-f", "--filename", "filenames", multiple=True, metavar="FILE",
              help="File to lint (YAML or JSON, several documents allowed; - for stdin). Repeatable.")
@click.option("--require-references", is_flag=True,
              help="Report AnalysisTemplates, Services and Deployments that are named but not in the files.")
@click.option("--cluster-lookup", is_flag=True,
              help="With --require-references, look up what the files do not hold in the cluster "
                   "(or in the saved objects of --from-file).")
@click.option("--from-file", "from_files", multiple=True, type=click.Path(), metavar="PATH",
              help="With --cluster-lookup, read saved objects (a file or a directory) instead of a cluster.")
@global_options
def lint(filenames: tuple[str, ...], require_references: bool, cluster_lookup: bool, from_files: tuple[str, ...]) -> None:
    """Lint and validate Rollouts, AnalysisTemplates and Experiments from files.

    The Rollout checks are those of the Argo Rollouts kubectl plugin's lint, with its
    messages: unknown fields and wrongly typed values, the strategy, maxSurge and
    maxUnavailable, the selector and the pod template's labels, the Services, Ingresses and
    Istio VirtualServices named in the same files, traffic routing and experiment steps.
    Beyond it: AnalysisTemplates and ClusterAnalysisTemplates (conditions parse, arguments
    used are declared, durations parse, limits are sane, providers are complete), a
    Rollout's analyses against the templates in the files, Experiments, and every pod
    template (resource quantities, ports, probes, labels) as the API server would check it."""
    ctx = click.get_current_context()
    if not filenames:
        raise click.UsageError("required flag -f/--filename not given", ctx)
    if cluster_lookup and not require_references:
        raise errors.UsageError("--cluster-lookup needs --require-references")
    if from_files and not cluster_lookup:
        raise errors.UsageError("--from-file needs --cluster-lookup")
    from kubectl_rollouts_py.lint.templates import PROMETHEUS_ADDRESS_ENV
    from kubectl_rollouts_py.ops import lint as linting
    from kubectl_rollouts_py.render.escape import clean_bounded

    app = App.of(ctx)
    options = linting.LintOptions(require_references=require_references,
                                  prometheus_default=app.env.environ.get(PROMETHEUS_ADDRESS_ENV) or None)
    if cluster_lookup:
        with app.source(from_files) as source:
            report = linting.lint(filenames, read_stdin=app.env.read_stdin_bytes, options=options, source=source)
    else:
        report = linting.lint(filenames, read_stdin=app.env.read_stdin_bytes, options=options)
    if report.problems:
        # Values come from the files: control characters are shown, never sent to the
        # terminal, and a megabyte value is quoted in part.
        app.write("".join(clean_bounded(problem.line()) + "\n" for problem in report.problems))
    message = report.error()
    if message is not None:
        raise errors.RolloutsError(message)
