"""`create -f FILE` and `create analysisrun` (ops/create.py does the work)."""

from __future__ import annotations

import click

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.cli.mutate import dry_run_option, executor, report, reporting_interrupts
from kubectl_rollouts_py.cli.options import AliasGroup, CobraCommand, global_options


def _watch(app: App, kind: str, name: str) -> None:
    """`-w`: follow the created object like `get ... -w` (the Argo Rollouts kubectl plugin
    always failed here)."""
    from kubectl_rollouts_py.cli import get

    ctx = click.get_current_context()
    command = {"Rollout": get.get_rollout, "Experiment": get.get_experiment}.get(kind)
    if command is None:
        raise errors.UsageError("Can only watch resources of type Rollout or Experiment")
    ctx.invoke(command, name=name, watch=True, output="text", from_files=())


@click.group("create", cls=AliasGroup, invoke_without_command=True)
@click.option("-f", "--filename", "filenames", multiple=True, type=click.Path(), help="File with one object to create (YAML or JSON). Repeatable.")
@click.option("-w", "--watch", is_flag=True, help="After creating a Rollout or Experiment, watch it.")
@dry_run_option
@global_options
@click.pass_context
def create(ctx: click.Context, filenames: tuple[str, ...], watch: bool, dry_run: bool) -> None:
    """Create Rollouts, Experiments, AnalysisTemplates, ClusterAnalysisTemplates and
    AnalysisRuns from files, or an AnalysisRun from a template (`create analysisrun`)."""
    if ctx.invoked_subcommand is not None:
        return
    from kubectl_rollouts_py.ops import create as creating

    if not filenames:
        raise click.UsageError("required flag -f/--filename not given", ctx)
    if watch and len(filenames) > 1:
        raise errors.UsageError("Cannot watch multiple resources")
    app = App.of(ctx)
    objects = [creating.single_object(path) for path in filenames]  # all parsed before anything is sent
    carrying_out = executor(dry_run)
    with app.source() as source:
        creations = creating.prepare(objects, source.namespace)  # every kind checked before the first POST
        created: list[tuple[str, str]] = []  # (kind, name as the server named it)
        done: list[str] = []  # `kind/name` of each object created, for an interrupt's line
        wanted = [creation.what for creation in creations]
        for index, creation in enumerate(creations):
            try:
                # The current object's line comes from kube.apply (its POST applied, not
                # sent, or read back); the objects before and after it are added below.
                with reporting_interrupts(wanted[index], carrying_out):
                    outcome = creating.create(source, creation, executor=carrying_out)
                    app.write(report(app, outcome) + "\n")
                    created.append((creation.kind, outcome.name))
                    done.append(f"{creation.request.resource.qualified_singular}/{outcome.name}")
            except errors.Interrupted as exc:
                if len(creations) == 1:
                    raise
                parts = [exc.detail] + [f"{label}: {', '.join(items)}" for label, items in
                                        (("created", done[:index]), ("not created", wanted[index + 1:])) if items]
                raise errors.Interrupted(exc.signum, "; ".join(parts)) from None
    if watch and not dry_run:
        _watch(app, *created[0])


@create.command("analysisrun", cls=CobraCommand)
@click.option("--from", "from_template", default=None, metavar="TEMPLATE", help="Create from this AnalysisTemplate (ClusterAnalysisTemplate with --global).")
@click.option("--from-file", "from_file", default=None, type=click.Path(), help="Create from the template in this file.")
@click.option("--global", "global_", is_flag=True, help="--from names a ClusterAnalysisTemplate.")
@click.option("--name", default=None, help="Name of the AnalysisRun.")
@click.option("--generate-name", default=None, help="Name prefix; the server adds a suffix (default: the template's name and -).")
@click.option("--instance-id", default=None, help="Controller instance id label.")
@click.option("-a", "--argument", "arguments", multiple=True, metavar="NAME=VALUE", help="Argument for the template. Repeatable.")
@dry_run_option
@global_options
def create_analysisrun(from_template: str | None, from_file: str | None, global_: bool, name: str | None, generate_name: str | None,
                       instance_id: str | None, arguments: tuple[str, ...], dry_run: bool) -> None:
    """Create an AnalysisRun from an AnalysisTemplate, with arguments."""
    from kubectl_rollouts_py.ops import create as creating

    if (from_template is None) == (from_file is None):
        raise errors.UsageError("one of --from or --from-file must be specified")
    options = creating.RunOptions.from_flags(arguments, name=name, generate_name=generate_name, instance_id=instance_id)
    app = App.of(click.get_current_context())
    carrying_out = executor(dry_run)
    with app.source() as source:
        if from_file is not None:
            template = creating.single_object(from_file)
        else:
            assert from_template is not None
            template = creating.read_template(source, source.namespace, from_template, cluster_scoped=global_)
        creation = creating.prepare_analysis_run(template, source.namespace, options)
        with reporting_interrupts(creation.what, carrying_out):
            app.write(report(app, creating.create(source, creation, executor=carrying_out)) + "\n")


create.add_alias("analysisrun", "ar")
