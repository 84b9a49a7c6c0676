"""`list rollouts` and `list experiments`."""

from __future__ import annotations

import contextlib

import click

from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.cli.options import AliasGroup, CobraCommand, from_file_option, global_options, output_option
from kubectl_rollouts_py.render.output import as_list, document_text, serialise


@click.group("list", cls=AliasGroup)
@global_options
def list_() -> None:
    """List rollouts or experiments."""


def _timestamp(app: App) -> str:
    return app.now().strftime("%Y-%m-%dT%H:%M:%SZ")


@list_.command("rollouts", cls=CobraCommand)
@click.argument("ignored", nargs=-1, metavar="")
@click.option("--name", default=None, help="Only the rollout with this name.")
@click.option("-A", "--all-namespaces", is_flag=True, help="List rollouts in every namespace.")
@click.option("-w", "--watch", is_flag=True, help="After the table, print a row whenever a rollout's row changes.")
@click.option("--timestamps", is_flag=True, help="Add a TIMESTAMP column (UTC).")
@output_option
@from_file_option
@global_options
def list_rollouts(ignored: tuple[str, ...], name: str | None, all_namespaces: bool, watch: bool, timestamps: bool, output: str, from_files: tuple[str, ...]) -> None:
    """List rollouts in the namespace, or in all namespaces with -A."""
    from kubectl_rollouts_py.cli.errors import leaving_on_ctrl_c
    from kubectl_rollouts_py.derive import rollout as derive_rollout
    from kubectl_rollouts_py.kube import resources as r
    from kubectl_rollouts_py.render import listing

    app = App.of(click.get_current_context())
    selector = f"metadata.name={name}" if name else None
    # -w: Ctrl-C is how the watch is left (exit 130, no Error line)
    with leaving_on_ctrl_c(app.env) if watch else contextlib.nullcontext(), app.source(from_files) as source:
        namespace = None if all_namespaces else source.namespace
        listed = source.list(r.ROLLOUTS, namespace, field_selector=selector)
        rows = [derive_rollout.build_rollout_row(o) for o in listed.items]
        if output != "text" and not watch:
            app.write(serialise(as_list([row.to_dict() for row in rows]), output))
            return
        if not rows and not watch:
            app.warn("No resources found.")
            return

        def show(changed: list) -> str:  # type: ignore[type-arg]
            if output != "text":
                return "".join(document_text(row.to_dict(), output) for row in changed)
            stamp = _timestamp(app) if timestamps else None
            return listing.render_rollout_rows(changed, all_namespaces=all_namespaces, timestamp=stamp, header=False)

        if output == "text":
            stamp = _timestamp(app) if timestamps else None
            app.write(listing.render_rollout_rows(rows, all_namespaces=all_namespaces, timestamp=stamp))
        else:
            app.write(show(rows))
        if watch:
            from kubectl_rollouts_py.watch.views import watch_rows

            watch_rows(app.env, source, listed, namespace, selector, derive_rollout.build_rollout_row, show)


@list_.command("experiments", cls=CobraCommand)
@click.argument("ignored", nargs=-1, metavar="")
@click.option("-A", "--all-namespaces", is_flag=True, help="List experiments in every namespace.")
@output_option
@from_file_option
@global_options
def list_experiments(ignored: tuple[str, ...], all_namespaces: bool, output: str, from_files: tuple[str, ...]) -> None:
    """List experiments in the namespace, or in all namespaces with -A."""
    from kubectl_rollouts_py.derive import listing as derive_listing
    from kubectl_rollouts_py.kube import resources as r
    from kubectl_rollouts_py.render import listing

    app = App.of(click.get_current_context())
    with app.source(from_files) as source:
        listed = source.list(r.EXPERIMENTS, None if all_namespaces else source.namespace)
    now = app.now()
    rows = [derive_listing.build_experiment_row(o, now) for o in listed.items]
    if output != "text":
        app.write(serialise(as_list([row.to_dict() for row in rows]), output))
    elif not rows:
        app.warn("No resources found.")
    else:
        app.write(listing.render_experiment_rows(rows, all_namespaces=all_namespaces))


list_.add_alias("rollouts", "ro", "rollout")
list_.add_alias("experiments", "exp", "experiment")
