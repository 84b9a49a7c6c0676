"""`set image` and `undo`: commands that rewrite a pod template, retrying on conflicts."""

from __future__ import annotations

import json
from typing import Any

import click

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.cli.completion import complete_names
from kubectl_rollouts_py.cli.mutate import dry_run_option, execute, reporting_interrupts, suffix
from kubectl_rollouts_py.cli.options import AliasGroup, CobraCommand, global_options

# The reference retries five times on 409 Conflict (then crashes); we then say so.
ATTEMPTS = 5


def _with_conflict_retry(what: str, attempt: Any) -> Any:
    """Call attempt() until it does not raise Conflict, at most ATTEMPTS times; each call
    re-reads the object, so every try starts from the server's latest version."""
    for _ in range(ATTEMPTS - 1):
        try:
            return attempt()
        except errors.Conflict:
            continue
    try:
        return attempt()
    except errors.Conflict as exc:
        raise errors.Conflict(f"{what}: the object changed under us {ATTEMPTS} times in a row; nothing was changed: {exc.message}", status=409, reason="Conflict") from exc


def _workload_name(rollout: dict[str, Any]) -> str | None:
    ref = (rollout.get("spec") or {}).get("workloadRef") if isinstance(rollout.get("spec"), dict) else None
    if not isinstance(ref, dict):
        return None
    name = ref.get("name")
    if not isinstance(name, str):
        raise errors.RolloutsError(f"spec.workloadRef.name is not a string: {name}")
    return name


@click.group("set", cls=AliasGroup)
@global_options
def set_() -> None:
    """Change a rollout's pod template."""


def _set_image(name: str, assignment: str, dry_run: bool) -> None:
    from kubectl_rollouts_py.kube import resources as r
    from kubectl_rollouts_py.patches import images
    from kubectl_rollouts_py.patches.plan import Plan, Request

    container, image = images.parse_assignment(assignment)
    app = App.of(click.get_current_context())
    with app.source() as source:
        namespace = source.namespace

        def attempt() -> str:
            rollout = source.get(r.ROLLOUTS, name, namespace)
            workload = _workload_name(rollout)
            # A workloadRef rollout takes its template from a Deployment: update that.
            resource, target = (r.DEPLOYMENTS, source.get(r.DEPLOYMENTS, workload, namespace)) if workload else (r.ROLLOUTS, rollout)
            updated = images.with_image(target, container, image)
            target_name = str(updated["metadata"]["name"])
            request = Request("PUT", resource, namespace, target_name, json.dumps(updated))
            shown = execute(app, source, Plan(spec=request), dry_run) or target_name
            return f'{resource.singular} "{shown}" image updated{suffix(dry_run)}'

        with reporting_interrupts(f"rollout '{name}'"):
            app.write(_with_conflict_retry(f'{r.ROLLOUTS.qualified} "{name}"', attempt) + "\n")


@set_.command("image", cls=CobraCommand)
@click.argument("name", shell_complete=complete_names("rollouts"))
@click.argument("assignment", metavar="CONTAINER=IMAGE")
@dry_run_option
@global_options
def set_image(name: str, assignment: str, dry_run: bool) -> None:
    """Set the image of a container (CONTAINER=IMAGE; * for every container) of rollout NAME."""
    _set_image(name, assignment, dry_run)


# The brief spells it `set-image`: the same command under a top-level name.
set_image_alias = CobraCommand("set-image", params=set_image.params, callback=set_image.callback, help="Same as `set image`.")


@click.command("undo", cls=CobraCommand)
@click.argument("name", shell_complete=complete_names("rollouts"))
@click.option("--to-revision", type=click.IntRange(min=0), default=0, help="The revision to go back to (default: the previous one).")
@dry_run_option
@global_options
def undo(name: str, to_revision: int, dry_run: bool) -> None:
    """Roll rollout NAME back to the pod template of an earlier revision."""
    from kubectl_rollouts_py.kube import resources as r
    from kubectl_rollouts_py.patches import undo as plans

    app = App.of(click.get_current_context())
    with app.source() as source:
        namespace = source.namespace

        def attempt() -> str:
            rollout = source.get(r.ROLLOUTS, name, namespace)
            listed = source.list(r.REPLICASETS, namespace, label_selector=plans.label_selector(rollout) or None)
            plan = plans.plan_undo(rollout, listed.items, to_revision)
            if isinstance(plan, plans.Skip):
                return plan.message  # no newline, as the reference (§10 item 5, kept)
            try:
                execute(app, source, plan, dry_run)
            except errors.Conflict:
                raise
            except errors.RolloutsError as exc:
                raise errors.RolloutsError(f"failed restoring revision {to_revision}: {exc.message}") from exc
            return f"rollout '{name}' undo{suffix(dry_run)}\n"

        with reporting_interrupts(f"rollout '{name}'"):
            app.write(_with_conflict_retry(f'{r.ROLLOUTS.qualified} "{name}"', attempt))
