"""`create -f FILE` and `create analysisrun`."""

from __future__ import annotations

import json

import click

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.cli.mutate import dry_run_option, execute, reporting_interrupts, suffix
from kubectl_rollouts_py.cli.options import AliasGroup, CobraCommand, global_options


def _single_object(path: str) -> dict:
    from kubectl_rollouts_py.kube import files

    objects = files.load_file(path)
    if len(objects) != 1:
        raise errors.InputError(f"{path}: expected exactly one object, found {len(objects)}")
    return objects[0]


def _given_name(obj: dict) -> str:
    """The object's name in the file (a generateName prefix ends with `*`: the server names it)."""
    metadata = obj.get("metadata") or {}
    if metadata.get("name"):
        return str(metadata["name"])
    return f"{metadata['generateName']}*" if metadata.get("generateName") else ""


def _watch(app: App, kind: str, name: str) -> None:
    """`-w`: follow the created object like `get ... -w` (the reference always failed here)."""
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
    from kubectl_rollouts_py.patches import create as plans
    from kubectl_rollouts_py.patches.plan import Plan

    if not filenames:
        raise click.UsageError("required flag -f/--filename not given", ctx)
    if watch and len(filenames) > 1:
        raise errors.UsageError("Cannot watch multiple resources")
    app = App.of(ctx)
    objects = [_single_object(path) for path in filenames]  # all parsed before anything is sent
    with app.source() as source:
        requests = [plans.plan_create(obj, source.namespace) for obj in objects]
        created: list[tuple[str, str]] = []  # (kind, name as the server named it)
        done: list[str] = []  # `kind/name` of each object created, for an interrupt's line
        wanted = [f"{request.resource.qualified_singular}/{_given_name(obj)}" for obj, request in zip(objects, requests)]
        for index, (obj, request) in enumerate(zip(objects, requests)):
            try:
                # The current object's line comes from kube.apply (its POST applied, not
                # sent, or read back); the objects before and after it are added below.
                with reporting_interrupts(wanted[index]):
                    name = execute(app, source, Plan(spec=request), dry_run) or str((obj.get("metadata") or {}).get("name") or "")
                    app.write(f"{request.resource.qualified_singular}/{name} created{suffix(dry_run)}\n")
                    created.append((obj.get("kind"), name))
                    done.append(f"{request.resource.qualified_singular}/{name}")
            except errors.Interrupted as exc:
                if len(objects) == 1:
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
    from kubectl_rollouts_py.kube import resources as r
    from kubectl_rollouts_py.patches import create as plans
    from kubectl_rollouts_py.patches.plan import Plan, Request

    if (from_template is None) == (from_file is None):
        raise errors.UsageError("one of --from or --from-file must be specified")
    parsed = plans.parse_arguments(arguments)
    app = App.of(click.get_current_context())
    with app.source() as source:
        if from_file is not None:
            template = _single_object(from_file)
        elif global_:
            template = source.get(r.CLUSTERANALYSISTEMPLATES, from_template, None)
        else:
            template = source.get(r.ANALYSISTEMPLATES, from_template, source.namespace)
        run = plans.analysis_run_from_template(template, namespace=source.namespace, arguments=parsed, name=name,
                                               generate_name=generate_name, instance_id=instance_id)
        request = Request("POST", r.ANALYSISRUNS, source.namespace, None, json.dumps(run))
        with reporting_interrupts(f"analysisrun.argoproj.io/{_given_name(run)}"):
            created = execute(app, source, Plan(spec=request), dry_run) or str(run["metadata"].get("name") or run["metadata"].get("generateName"))
            app.write(f"analysisrun.argoproj.io/{created} created{suffix(dry_run)}\n")


create.add_alias("analysisrun", "ar")
