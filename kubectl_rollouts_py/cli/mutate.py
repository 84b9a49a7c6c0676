"""The verbs that steer a rollout: promote, abort, retry, pause, restart, terminate.

Each command parses its flags and calls the operation in ops/ (which reads, plans with
patches/ and applies with kube.apply), once per name; it prints the outcome's line, or
with --dry-run the requests the plan holds. The dashboard calls the same operations.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.cli.completion import complete_names
from kubectl_rollouts_py.cli.options import AliasGroup, CobraCommand, global_options
from kubectl_rollouts_py.kube import resources as r

if TYPE_CHECKING:
    from kubectl_rollouts_py.ops.writes import Executor, Outcome

DRY_RUN_HELP = "Print the requests that would be sent (method, path, content type, body) and send nothing."
SELECTOR_HELP = "Act on every rollout whose labels match this selector (e.g. app=web,tier!=db)."


def dry_run_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--dry-run", is_flag=True, help=DRY_RUN_HELP)(func)


def selector_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("-l", "--selector", default=None, metavar="SELECTOR", help=SELECTOR_HELP)(func)


# ------------------------------------------------------------------------------ outcomes


def executor(dry_run: bool) -> Executor:
    """One per command: carries out (or, dry run, keeps) every plan the command makes."""
    from kubectl_rollouts_py.ops.writes import Executor

    return Executor(dry_run=dry_run)


def _show_plan(app: App, plan: Any) -> None:
    from kubectl_rollouts_py.render.requests import ShownRequest, render_requests

    shown = [ShownRequest(q.method, q.path, q.content_type, q.body) for q in plan.requests()]
    if plan.status is not None and plan.fallback is not None:
        note = "only if the status subresource answers 404 (instead of the requests after the first)"
        shown.append(ShownRequest(plan.fallback.method, plan.fallback.path, plan.fallback.content_type, plan.fallback.body, note))
    app.write(render_requests(shown))


def report(app: App, outcome: Outcome) -> str:
    """Print a dry run's requests and the notes of unconfirmed writes that reading back
    showed applied; return the outcome's line (no newline)."""
    from kubectl_rollouts_py.render.escape import clean

    if outcome.dry_run and outcome.plan is not None:
        _show_plan(app, outcome.plan)
    for note in outcome.notes:
        app.warn(f"Warning: {clean(note)}")
    # The line may hold a name the server chose (generateName): escaped like all server text.
    return clean(outcome.message) + ("" if outcome.skipped else suffix(outcome.dry_run))


@contextmanager
def reporting_interrupts(what: str, carrying_out: Executor) -> Iterator[None]:
    """Ctrl-C, SIGTERM or SIGHUP inside says what became of `what`'s change: the requests
    applied and not (from kube.apply), else whether its plan had been applied in full or
    had not been started (nothing sent)."""
    started = carrying_out.applied
    try:
        yield
    except KeyboardInterrupt as exc:
        applied = carrying_out.applied != started
        detail = getattr(exc, "detail", "") or ("its change was applied" if applied else "nothing was sent")
        raise errors.Interrupted(getattr(exc, "signum", signal.SIGINT), f"{what}: {detail}") from None


def for_each(app: App, names: Iterable[str], act: Callable[[str], str], carrying_out: Executor, *, kind: str = "rollout") -> None:
    """Run `act` per name, one result line each; go on after a failure and fail at the end.

    The Argo Rollouts kubectl plugin stops at the first error; acting on the others and
    saying which failed is what its users asked for. An interrupt stops at once, and its
    line says which names were done, what became of the current one, and which were not
    started.
    """
    names = list(names)
    failed: list[str] = []
    for index, name in enumerate(names):
        try:
            with reporting_interrupts(f"{kind} '{name}'", carrying_out):
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


def rollout_names(source: Any, names: tuple[str, ...], selector: str | None) -> list[str]:
    """The NAMEs given, or the rollouts matching -l in the namespace."""
    from kubectl_rollouts_py.ops import steer

    if names and selector:
        raise errors.UsageError("give NAMEs or -l/--selector, not both")
    if not names and not selector:
        raise errors.UsageError("give at least one rollout NAME, or -l/--selector")
    if names:
        return checked_names(r.ROLLOUTS, names)
    assert selector is not None
    return steer.matching_rollouts(source, source.namespace, selector)


def checked_names(resource: r.Resource, names: Iterable[str]) -> list[str]:
    """The names, each a valid name of `resource`'s kind; UsageError (exit 2, nothing sent)
    for the first that is not: a `/`, `?` or `..` in a name would change the request's path."""
    return [resource.check_name(name) for name in names]


def suffix(dry_run: bool) -> str:
    return " (dry run)" if dry_run else ""


# ------------------------------------------------------------------------------ commands


@click.command("promote", cls=CobraCommand)
@click.argument("names", nargs=-1, metavar="NAME...", shell_complete=complete_names("rollouts"))
@click.option("--full", is_flag=True, help="Skip the remaining steps and analysis: go straight to the new version.")
@click.option("-c", "--skip-current-step", is_flag=True, help="(Deprecated in the Argo Rollouts kubectl plugin) Skip the current step.")
@click.option("-a", "--skip-all-steps", is_flag=True, help="(Deprecated in the Argo Rollouts kubectl plugin) Skip all remaining steps.")
@selector_option
@dry_run_option
@global_options
def promote(names: tuple[str, ...], full: bool, skip_current_step: bool, skip_all_steps: bool, selector: str | None, dry_run: bool) -> None:
    """Promote rollouts: resume a paused step, or with --full skip every remaining step."""
    from kubectl_rollouts_py.ops import steer

    promotion = steer.Promotion(full=full, skip_current=skip_current_step, skip_all=skip_all_steps)
    app = App.of(click.get_current_context())
    carrying_out = executor(dry_run)
    with app.source() as source:

        def act(name: str) -> str:
            return report(app, steer.promote(source, source.namespace, name, promotion, executor=carrying_out))

        for_each(app, rollout_names(source, names, selector), act, carrying_out)


def _status_verb(command_name: str, operation: str, help_text: str) -> click.Command:
    """abort / pause / retry rollout: the same shape, a different operation."""

    @click.command(command_name, cls=CobraCommand, help=help_text)
    @click.argument("names", nargs=-1, metavar="NAME...", shell_complete=complete_names("rollouts"))
    @selector_option
    @dry_run_option
    @global_options
    def command(names: tuple[str, ...], selector: str | None, dry_run: bool) -> None:
        from kubectl_rollouts_py.ops import steer

        app = App.of(click.get_current_context())
        carrying_out = executor(dry_run)
        with app.source() as source:

            def act(name: str) -> str:
                return report(app, getattr(steer, operation)(source, source.namespace, name, executor=carrying_out))

            for_each(app, rollout_names(source, names, selector), act, carrying_out)

    return command


abort = _status_verb("abort", "abort", "Abort rollouts: scale the canary down and go back to the stable version.")
pause = _status_verb("pause", "pause", "Pause rollouts (sets spec.paused).")
retry_rollout = _status_verb("rollout", "retry", "Retry aborted rollouts.")


@click.command("restart", cls=CobraCommand)
@click.argument("names", nargs=-1, metavar="NAME...", shell_complete=complete_names("rollouts"))
@click.option("-i", "--in", "delay", default=None, metavar="DURATION", help="Restart after this long (Go duration, e.g. 30s, 5m).")
@selector_option
@dry_run_option
@global_options
def restart(names: tuple[str, ...], delay: str | None, selector: str | None, dry_run: bool) -> None:
    """Restart the pods of rollouts (sets spec.restartAt; the controller does the rest)."""
    from kubectl_rollouts_py.ops import steer

    steer.restart_delay(delay)  # a bad --in is a usage error before anything is read
    app = App.of(click.get_current_context())
    carrying_out = executor(dry_run)
    with app.source() as source:

        def act(name: str) -> str:
            return report(app, steer.restart(source, source.namespace, name, now=app.now(), delay=delay, executor=carrying_out))

        for_each(app, rollout_names(source, names, selector), act, carrying_out)


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
    from kubectl_rollouts_py.ops import steer

    app = App.of(click.get_current_context())
    carrying_out = executor(dry_run)
    with app.source() as source:

        def act(name: str) -> str:
            return report(app, steer.retry_experiment(source, source.namespace, name, executor=carrying_out))

        for_each(app, checked_names(r.EXPERIMENTS, names), act, carrying_out, kind="experiment")


retry.add_command(retry_rollout)
retry.add_alias("rollout", "ro", "rollouts")
retry.add_alias("experiment", "exp", "experiments")


@click.group("terminate", cls=AliasGroup)
@global_options
def terminate() -> None:
    """Terminate a running AnalysisRun or Experiment."""


def _terminate(command_name: str, plural: str, kind: str, label: str) -> click.Command:
    @terminate.command(command_name, cls=CobraCommand, help=f"Terminate {label}s.")
    @click.argument("names", nargs=-1, required=True, metavar="NAME...", shell_complete=complete_names(plural))
    @dry_run_option
    @global_options
    def command(names: tuple[str, ...], dry_run: bool) -> None:
        from kubectl_rollouts_py.ops import steer

        app = App.of(click.get_current_context())
        carrying_out = executor(dry_run)
        with app.source() as source:

            def act(name: str) -> str:
                return report(app, steer.terminate(source, source.namespace, name, kind=kind, executor=carrying_out))

            for_each(app, checked_names(r.BY_KIND[kind], names), act, carrying_out, kind=label)

    return command


_terminate("analysisrun", "analysisruns", "AnalysisRun", "analysisRun")
_terminate("experiment", "experiments", "Experiment", "experiment")
terminate.add_alias("analysisrun", "ar", "analysisruns")
terminate.add_alias("experiment", "exp", "experiments")
