"""`analyze`: run an AnalysisTemplate against Prometheus with Argo's rules, before any rollout.

The flags, the output frames and the exit codes; the run itself is `ops.analysis` (templates,
arguments, the plan) and `ops.analysis_run` (Secrets, measuring, the schedule, the
AnalysisRun document), the same code the sandbox's controller drives its runs with.

    TEMPLATE | -f FILE ─▶ ops.analysis.plan_run ─▶ ops.analysis_run.run_schedule (or run_once)
    ─▶ run_document ─▶ derive.analysis ─▶ render.analysis (the view `get analysisrun` shows)
    ─▶ exit code from the run's phase.

Decisions (also in the README):

* `--timeout` terminates the run as `terminate analysisrun` would: unfinished metrics become
  Successful and the run's phase (the worst finished metric) decides the exit code.
* `-o json`: one compact AnalysisRunView document per reconcile, newline-delimited (the last
  line is the outcome); with `--once` one indented document.
* Anything found wrong before the first measurement is a runtime error (exit 1) with
  Argo's run message, not a run in phase Error.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

import click

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.cli.completion import complete_names
from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.cli.options import CobraCommand, global_options

if TYPE_CHECKING:  # pragma: no cover
    from kubectl_rollouts_py.analysis import evaluate
    from kubectl_rollouts_py.ops.analysis import Plan
    from kubectl_rollouts_py.ops.analysis_run import Measurer

PROMETHEUS_ADDRESS_ENV = "ARGO_ROLLOUTS_PROMETHEUS_ADDRESS"

EPILOG = """\b
Exit codes, from the run's phase: 0 Successful; 3 Failed; 4 Inconclusive; 5 Error.
1: runtime error (template, rollout or secret not found, unreadable file, unresolved
argument, a template Argo would reject); 2: usage error; 130: interrupted (Ctrl-C).
143: SIGTERM; 129: SIGHUP (both stop it as Ctrl-C does).
Metrics of other providers than prometheus are listed as Skipped and do not count.
"""

_PHASE_EXIT = {
    "Successful": errors.ExitCode.SUCCESS,
    "Failed": errors.ExitCode.ANALYSIS_FAILED,
    "Inconclusive": errors.ExitCode.ANALYSIS_INCONCLUSIVE,
    "Error": errors.ExitCode.ANALYSIS_ERROR,
}


class AnalysisOutcome(errors.RolloutsError):
    """The run ended Failed, Inconclusive or Error: one line on stderr, exit 3, 4 or 5."""

    def __init__(self, message: str, exit_code: errors.ExitCode) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _in(delta: dt.timedelta) -> str:
    seconds = max(0.0, delta.total_seconds())
    return f"{seconds:.1f}s" if seconds < 10 else f"{round(seconds)}s"


# ------------------------------------------------------------------------------ output


class Frames:
    """Where each state goes: redrawn in place on a terminal, printed otherwise, or NDJSON."""

    def __init__(self, app: App, output: str, *, live: bool) -> None:
        self.app = app
        self.output = output
        self.live = live
        self.style = app.style()
        self.screen: Any = None
        self._printed = False
        self._held: list[str] = []

    def warn(self, text: str) -> None:
        """A warning line on stderr; held while a live screen is up (it would be drawn over,
        or break the redraw) and written when the screen is restored."""
        if self.screen is not None:
            self._held.append(text)
        else:
            self.app.warn(text)

    @contextmanager
    def opened(self) -> Iterator[Frames]:
        on_terminal = sys.stdout.isatty() and os.environ.get("TERM") != "dumb"
        if self.output == "text" and self.live and on_terminal:
            from kubectl_rollouts_py.term.screen import Screen

            try:
                with Screen(sys.stdout) as screen:  # Ctrl-C, SIGTERM, SIGHUP: restored (cli/errors.py)
                    self.screen = screen
                    yield self
            finally:
                self.screen = None
                held, self._held = self._held, []
                for text in held:
                    self.app.warn(text)
            return
        yield self

    def show(self, view: Any, footer: str = "", *, final: bool = False) -> None:
        from kubectl_rollouts_py.render.output import serialise

        if self.output == "json":
            if self.live:
                import json

                self.app.write(json.dumps(view.to_dict(), separators=(",", ":"), ensure_ascii=True) + "\n")
            elif final:
                self.app.write(serialise(view.to_dict(), "json"))
            return
        from kubectl_rollouts_py.render import analysis as render_analysis

        text = render_analysis.render_run_detail(view, self.style) + (f"\n{footer}\n" if footer else "")
        if self.screen is not None:
            self.screen.show(text)
            return
        if self._printed:
            self.app.write(f"\n--- {self.app.now().strftime('%Y-%m-%dT%H:%M:%SZ')}\n")
        self._printed = True
        self.app.write(text)


def _parse_timeout(value: str | None) -> dt.timedelta | None:
    from kubectl_rollouts_py import govalues

    if value is None:
        return None
    try:
        nanos = govalues.parse_go_duration(value.strip())
    except ValueError as exc:
        raise errors.UsageError(f"invalid --timeout {value!r}: {exc} (use a duration such as 30s, 5m or 1h30m)") from None
    if nanos < 0:
        raise errors.UsageError(f"invalid --timeout {value!r}: must not be negative")
    return dt.timedelta(microseconds=nanos / 1000) if nanos else None


def _check_url(url: str | None) -> str | None:
    from urllib.parse import urlsplit

    if url is None:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or not parts.scheme or not parts.netloc:
        raise errors.UsageError(f"invalid --prometheus {url!r}: give a URL with a scheme and a host, e.g. http://localhost:9090")
    return url


# ------------------------------------------------------------------------------ the command


@click.command("analyze", cls=CobraCommand, epilog=EPILOG)
@click.argument("template", required=False, metavar="[TEMPLATE]", shell_complete=complete_names("analysistemplates"))
@click.option("-f", "--filename", type=click.Path(), default=None, metavar="FILE",
              help="Run the template in FILE (YAML or JSON) instead of one from the cluster; name it with TEMPLATE if FILE holds several.")
@click.option("--cluster-template", is_flag=True, help="TEMPLATE is a ClusterAnalysisTemplate.")
@click.option("-a", "--arg", "cli_args", multiple=True, metavar="NAME=VALUE",
              help="Argument value; overrides the template default and --rollout. Repeatable.")
@click.option("--rollout", default=None, metavar="NAME",
              help="Take args from this rollout's analysis (podTemplateHashValue Stable/Latest, fieldRef resolved).")
@click.option("--prometheus", default=None, metavar="URL",
              help=f"Query this Prometheus instead of every metric's address (default address: ${PROMETHEUS_ADDRESS_ENV}).")
@click.option("--once", is_flag=True, help="Take one measurement per metric now and assess it, ignoring count, interval and limits.")
@click.option("--timeout", default=None, metavar="DURATION",
              help="Terminate the run after this long (e.g. 5m), as `terminate analysisrun` does; its phase then decides.")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: the AnalysisRunView, one compact document per reconcile (one indented document with --once).")
@click.option("--allow-secrets", is_flag=True, help="Read secretKeyRef args from their Secrets (values are never printed).")
@global_options
def analyze(template: str | None, filename: str | None, cluster_template: bool, cli_args: tuple[str, ...], rollout: str | None,
            prometheus: str | None, once: bool, timeout: str | None, output: str, allow_secrets: bool) -> None:
    """Run an AnalysisTemplate against Prometheus now, with Argo's rules, and exit with its outcome.

    By default the metrics are measured on their own schedule (initialDelay, interval,
    count, limits) exactly as the Argo controller does, with a live table; --once takes one
    measurement of each metric now.
    """
    if template is None and filename is None:
        raise errors.UsageError("give a TEMPLATE name or -f FILE")
    if cluster_template and filename:
        raise errors.UsageError("--cluster-template names a template in the cluster; it cannot be used with -f")
    if once and timeout is not None:
        raise errors.UsageError("--once takes one measurement now; --timeout cannot be used with it")
    limit = _parse_timeout(timeout)
    address = _check_url(prometheus)
    for item in cli_args:
        if "=" not in item:
            raise errors.UsageError(f"invalid --arg {item!r}: use NAME=VALUE")
    from kubectl_rollouts_py.ops import analysis as ops_analysis
    from kubectl_rollouts_py.ops import analysis_run

    app = App.of(click.get_current_context())
    inputs = ops_analysis.Inputs(template, filename, cluster_template, cli_args, rollout, allow_secrets)
    with ExitStack() as stack:
        from kubectl_rollouts_py.kube import config as kube_config

        cluster = ops_analysis.OnDemand(lambda: stack.enter_context(app.source()),
                                        lambda: kube_config.resolve_namespace_leniently(app.connection()))
        plan = ops_analysis.plan_run(inputs, cluster, lambda text: app.warn(f"Warning: {text}"))
        measurer = analysis_run.Measurer.for_plan(
            plan, app.now, address_override=address, default_address=os.environ.get(PROMETHEUS_ADDRESS_ENV) or None,
            resolve_secret=analysis_run.SecretReader(cluster) if allow_secrets else None,
        )
        measurer.check_secrets()
        status = _run(app, plan, measurer, output=output, once=once, limit=limit)
    phase = status.phase.value if status.phase is not None else "Error"
    code = _PHASE_EXIT.get(phase, errors.ExitCode.ANALYSIS_ERROR)
    if code != errors.ExitCode.SUCCESS:
        raise AnalysisOutcome(f'analysis "{plan.name}" ended in phase {phase}' + (f": {status.message}" if status.message else ""), code)


def _run(app: App, plan: Plan, measurer: Measurer, *, output: str, once: bool, limit: dt.timedelta | None) -> evaluate.RunStatus:
    from kubectl_rollouts_py.derive import analysis as derive_analysis
    from kubectl_rollouts_py.ops.analysis_run import interrupted_summary, run_document, run_once, run_schedule, timestamp
    from kubectl_rollouts_py.render.escape import clean
    from kubectl_rollouts_py.term.signals import when_stdout_reader_goes

    created = app.now()
    frames = Frames(app, output, live=not once)
    measurer.warn = lambda text: frames.warn(clean(f"Warning: {text}"))

    def view_of(status: evaluate.RunStatus) -> Any:
        return derive_analysis.build_analysis_run_view(run_document(plan, status, created), app.now())

    if once:
        try:
            status = run_once(plan.spec, measurer.measure, clock=app.now)
        except KeyboardInterrupt as exc:
            raise errors.Interrupted(getattr(exc, "signum", signal.SIGINT), f'analysis "{plan.name}": no measurement taken') from None
        frames.show(view_of(status), final=True)
        return status
    last: list[evaluate.RunStatus] = []

    def show(status: evaluate.RunStatus, upcoming: dt.datetime | None) -> None:
        last[:] = [status]
        footer = ""
        if not status.completed and upcoming is not None:
            when = min(upcoming, deadline) if deadline is not None else upcoming
            footer = f"Next reconcile in {_in(when - app.now())} ({timestamp(when)})"
            if deadline is not None and when >= deadline:
                footer = f"Terminating at the timeout in {_in(deadline - app.now())} ({timestamp(deadline)})"
        frames.show(view_of(status), footer, final=status.completed)

    reader_gone = threading.Event()

    def sleep_until(moment: dt.datetime) -> None:
        # An Event, not time.sleep: `analyze ... | head` ends when head does, not at the
        # next reconcile (maybe minutes away). Signals still interrupt the wait.
        if reader_gone.wait(max(0.0, (moment - app.now()).total_seconds())):
            raise BrokenPipeError(errno.EPIPE, "the reader of stdout is gone")  # exit 0, quietly

    deadline = created + limit if limit is not None else None
    if limit is not None:
        measurer.deadline = time.monotonic() + limit.total_seconds()
    try:
        with frames.opened(), when_stdout_reader_goes(reader_gone.set):
            return run_schedule(plan.spec, measurer.measure, clock=app.now, sleep_until=sleep_until, show=show, deadline=deadline)
    except KeyboardInterrupt as exc:
        # After the screen is restored (its last frame, the table so far, stays on the main
        # screen); the line says how far the run got. Exit 130, not the phase's code: the
        # run did not end.
        detail = interrupted_summary(plan.name, last[0] if last else None)
        raise errors.Interrupted(getattr(exc, "signum", signal.SIGINT), detail) from None

