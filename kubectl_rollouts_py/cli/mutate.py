"""The verbs that steer a rollout: promote, abort, retry, pause, restart, terminate, set image, undo.

Each command reads what it needs, asks patches/ for a plan, and hands the plan to
kube.apply (or prints it with --dry-run). The requests are the reference plugin's.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.cli.completion import complete_names
from kubectl_rollouts_py.cli.options import AliasGroup, CobraCommand, global_options

DRY_RUN_HELP = "Print the requests that would be sent (method, path, content type, body) and send nothing."
SELECTOR_HELP = "Act on every rollout whose labels match this selector (e.g. app=web,tier!=db)."


def dry_run_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--dry-run", is_flag=True, help=DRY_RUN_HELP)(func)


def selector_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("-l", "--selector", default=None, metavar="SELECTOR", help=SELECTOR_HELP)(func)


# ------------------------------------------------------------------------------ running a plan


def _show_plan(app: App, plan: Any) -> None:
    from kubectl_rollouts_py.render.requests import ShownRequest, render_requests

    shown = [ShownRequest(q.method, q.path, q.content_type, q.body) for q in plan.requests()]
    if plan.status is not None and plan.fallback is not None:
        note = "only if the status subresource answers 404 (instead of the requests after the first)"
        shown.append(ShownRequest(plan.fallback.method, plan.fallback.path, plan.fallback.content_type, plan.fallback.body, note))
    app.write(render_requests(shown))


# Plans applied in full by this process: tells an interrupt after a plan (while its line is
# printed) from one before its first request (while reading what to change).
_plans_applied = 0


def execute(app: App, source: Any, plan: Any, dry_run: bool) -> str | None:
    """Apply (or print) a plan; return the name of the object the server returned."""
    global _plans_applied
    from kubectl_rollouts_py.kube import apply

    if dry_run:
        _show_plan(app, plan)
        return None
    notes: list[str] = []
    result = apply.apply_plan(source, plan, notes)
    _plans_applied += 1
    for note in notes:  # an unconfirmed write that reading back showed applied
        app.warn(f"Warning: {note}")
    return str(((result or {}).get("metadata") or {}).get("name") or "") or None


@contextmanager
def reporting_interrupts(what: str) -> Iterator[None]:
    """Ctrl-C, SIGTERM or SIGHUP inside says what became of `what`'s change: the requests
    applied and not (from kube.apply), else whether its plan had been applied in full or
    had not been started (nothing sent)."""
    started = _plans_applied
    try:
        yield
    except KeyboardInterrupt as exc:
        detail = getattr(exc, "detail", "") or ("its change was applied" if _plans_applied != started else "nothing was sent")
        raise errors.Interrupted(getattr(exc, "signum", signal.SIGINT), f"{what}: {detail}") from None


def for_each(app: App, names: Iterable[str], act: Callable[[str], str], *, kind: str = "rollout") -> None:
    """Run `act` per name, one result line each; go on after a failure and fail at the end.

    The reference stops at the first error; acting on the others and saying which failed
    is what its users asked for. An interrupt stops at once, and its line says which names
    were done, what became of the current one, and which were not started.
    """
    names = list(names)
    failed: list[str] = []
    for index, name in enumerate(names):
        try:
            with reporting_interrupts(f"{kind} '{name}'"):
                app.write(act(name) + "\n")
        except errors.RolloutsError as exc:
            if len(names) == 1:
                raise
            app.error(exc.message)
            failed.append(name)
        except errors.Interrupted as exc:
            if len(names) == 1:
                raise
            done = [n for n in names[:index] if n not in failed]
            parts = [exc.detail] + [f"{label}: {', '.join(items)}" for label, items in
                                    (("done", done), ("failed", failed), ("not started", names[index + 1:])) if items]
            raise errors.Interrupted(exc.signum, "; ".join(parts)) from None
    if failed:
        raise errors.RolloutsError(f"{len(failed)} of {len(names)} failed: {', '.join(failed)}")


def rollout_names(app: App, source: Any, names: tuple[str, ...], selector: str | None) -> list[str]:
    """The NAMEs given, or the rollouts matching -l in the namespace."""
    from kubectl_rollouts_py.kube import resources as r

    if names and selector:
        raise errors.UsageError("give NAMEs or -l/--selector, not both")
    if not names and not selector:
        raise errors.UsageError("give at least one rollout NAME, or -l/--selector")
    if names:
        return list(names)
    items = source.list(r.ROLLOUTS, source.namespace, label_selector=selector).items
    if not items:
        raise errors.NotFound(f'no rollouts match selector "{selector}" in namespace "{source.namespace}"')
    return [str(i["metadata"]["name"]) for i in items]


def suffix(dry_run: bool) -> str:
    return " (dry run)" if dry_run else ""


# ------------------------------------------------------------------------------ commands


@click.command("promote", cls=CobraCommand)
@click.argument("names", nargs=-1, metavar="NAME...", shell_complete=complete_names("rollouts"))
@click.option("--full", is_flag=True, help="Skip the remaining steps and analysis: go straight to the new version.")
@click.option("-c", "--skip-current-step", is_flag=True, help="(Deprecated in the reference) Skip the current step.")
@click.option("-a", "--skip-all-steps", is_flag=True, help="(Deprecated in the reference) Skip all remaining steps.")
@selector_option
@dry_run_option
@global_options
def promote(names: tuple[str, ...], full: bool, skip_current_step: bool, skip_all_steps: bool, selector: str | None, dry_run: bool) -> None:
    """Promote rollouts: resume a paused step, or with --full skip every remaining step."""
    from kubectl_rollouts_py.kube import resources as r
    from kubectl_rollouts_py.patches import rollout as plans

    plans.check_promote_flags(skip_current=skip_current_step, skip_all=skip_all_steps)
    app = App.of(click.get_current_context())
    with app.source() as source:

        def act(name: str) -> str:
            rollout = source.get(r.ROLLOUTS, name, source.namespace)
            plan = plans.plan_promote(rollout, full=full, skip_current=skip_current_step, skip_all=skip_all_steps)
            shown = execute(app, source, plan, dry_run) or name
            return f"rollout '{shown}' {'fully promoted' if full else 'promoted'}{suffix(dry_run)}"

        for_each(app, rollout_names(app, source, names, selector), act)


def _status_verb(command_name: str, verb: str, make_plan: str, help_text: str) -> click.Command:
    """abort / pause / retry rollout: the same shape, a different plan and past tense."""

    @click.command(command_name, cls=CobraCommand, help=help_text)
    @click.argument("names", nargs=-1, metavar="NAME...", shell_complete=complete_names("rollouts"))
    @selector_option
    @dry_run_option
    @global_options
    def command(names: tuple[str, ...], selector: str | None, dry_run: bool) -> None:
        from kubectl_rollouts_py.patches import rollout as plans

        app = App.of(click.get_current_context())
        builder = getattr(plans, make_plan)
        with app.source() as source:

            def act(name: str) -> str:
                shown = execute(app, source, builder(source.namespace, name), dry_run) or name
                return f"rollout '{shown}' {verb}{suffix(dry_run)}"

            for_each(app, rollout_names(app, source, names, selector), act)

    return command


abort = _status_verb("abort", "aborted", "plan_abort", "Abort rollouts: scale the canary down and go back to the stable version.")
pause = _status_verb("pause", "paused", "plan_pause", "Pause rollouts (sets spec.paused).")
retry_rollout = _status_verb("rollout", "retried", "plan_retry", "Retry aborted rollouts.")


@click.command("restart", cls=CobraCommand)
@click.argument("names", nargs=-1, metavar="NAME...", shell_complete=complete_names("rollouts"))
@click.option("-i", "--in", "delay", default=None, metavar="DURATION", help="Restart after this long (Go duration, e.g. 30s, 5m).")
@selector_option
@dry_run_option
@global_options
def restart(names: tuple[str, ...], delay: str | None, selector: str | None, dry_run: bool) -> None:
    """Restart the pods of rollouts (sets spec.restartAt; the controller does the rest)."""
    from kubectl_rollouts_py.derive.humantime import parse_go_duration
    from kubectl_rollouts_py.patches import rollout as plans

    seconds = parse_go_duration(delay) if delay is not None else 0.0
    if seconds is None or seconds < 0:
        # The reference panics on a bad --in; say what is wrong instead.
        raise errors.UsageError(f'invalid --in "{delay}": use a duration such as 30s, 5m or 1h30m')
    app = App.of(click.get_current_context())
    with app.source() as source:

        def act(name: str) -> str:
            plan = plans.plan_restart(source.namespace, name, now=app.now(), delay_seconds=seconds)
            shown = execute(app, source, plan, dry_run) or name
            return f"rollout '{shown}' restarts in {delay or '0s'}{suffix(dry_run)}"

        for_each(app, rollout_names(app, source, names, selector), act)


@click.group("retry", cls=AliasGroup)
@global_options
def retry() -> None:
    """Retry an aborted rollout or a failed experiment."""


@retry.command("experiment", cls=CobraCommand)
@click.argument("names", nargs=-1, required=True, metavar="NAME...", shell_complete=complete_names("experiments"))
@dry_run_option
@global_options
def retry_experiment(names: tuple[str, ...], dry_run: bool) -> None:
    """Retry experiments (clears their status)."""
    from kubectl_rollouts_py.patches import rollout as plans

    app = App.of(click.get_current_context())
    with app.source() as source:

        def act(name: str) -> str:
            shown = execute(app, source, plans.plan_retry_experiment(source.namespace, name), dry_run) or name
            return f"experiment '{shown}' retried{suffix(dry_run)}"

        for_each(app, names, act, kind="experiment")


retry.add_command(retry_rollout)
retry.add_alias("rollout", "ro", "rollouts")
retry.add_alias("experiment", "exp", "experiments")


@click.group("terminate", cls=AliasGroup)
@global_options
def terminate() -> None:
    """Terminate a running AnalysisRun or Experiment."""


def _terminate(command_name: str, plural: str, label: str) -> click.Command:
    @terminate.command(command_name, cls=CobraCommand, help=f"Terminate {label}s.")
    @click.argument("names", nargs=-1, required=True, metavar="NAME...", shell_complete=complete_names(plural))
    @dry_run_option
    @global_options
    def command(names: tuple[str, ...], dry_run: bool) -> None:
        from kubectl_rollouts_py.kube import resources as r
        from kubectl_rollouts_py.patches import rollout as plans

        app = App.of(click.get_current_context())
        with app.source() as source:

            def act(name: str) -> str:
                plan = plans.plan_terminate(r.BY_PLURAL[plural], source.namespace, name)
                shown = execute(app, source, plan, dry_run) or name
                # The reference says "retried" for experiments (§10 item 1); fixed.
                return f"{label} '{shown}' terminated{suffix(dry_run)}"

            for_each(app, names, act, kind=label)

    return command


_terminate("analysisrun", "analysisruns", "analysisRun")
_terminate("experiment", "experiments", "experiment")
terminate.add_alias("analysisrun", "ar", "analysisruns")
terminate.add_alias("experiment", "exp", "experiments")
