"""`analyze`: run an AnalysisTemplate against Prometheus with Argo's rules, before any rollout.

The flags, the output frames and the exit codes; the run itself is `ops.analysis` (templates,
arguments, the plan) and `ops.analysis_run` (Secrets, measuring, the schedule, the
AnalysisRun document), the same code the sandbox's controller drives its runs with.

    TEMPLATE | -f FILE ─▶ ops.analysis.plan_run ─▶ ops.analysis_run.run_schedule (or run_once)
    ─▶ run_document ─▶ derive.analysis ─▶ render.analysis (the view `get analysisrun` shows)
    ─▶ exit code from the run's phase.

Decisions (also in docs/commands.md):

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
import signal
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
    from kubectl_rollouts_py.ops.backtest import Request
    from kubectl_rollouts_py.watch.sinks import Printer, ScreenSink

PROMETHEUS_ADDRESS_ENV = "ARGO_ROLLOUTS_PROMETHEUS_ADDRESS"

EPILOG = """\b
Exit codes, from the run's phase: 0 Successful; 3 Failed; 4 Inconclusive; 5 Error.
With --backtest, from the worst window's phase (Failed, then Error, then Inconclusive).
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
    """Where each state goes, on the live engine's sinks (watch/sinks.py): redrawn in place on
    a terminal, printed with a `--- <time>` line between states otherwise, one compact JSON
    document a line with -o json; with --once, one state written as it is."""

    def __init__(self, app: App, output: str) -> None:
        self.app = app
        self.output = output
        self.style = app.style()
        self.sink: Printer | ScreenSink | None = None
        self._shown = 0
        self._held: list[str] = []

    def warn(self, text: str) -> None:
        """A warning line on stderr; held while a live screen is up (it would be drawn over,
        or break the redraw) and written when the screen is restored."""
        from kubectl_rollouts_py.watch.sinks import ScreenSink

        if isinstance(self.sink, ScreenSink):
            self._held.append(text)
        else:
            self.app.warn(text)

    @contextmanager
    def opened(self) -> Iterator[Frames]:
        """The live sink for the run (a Screen only for text on a terminal, restored on
        Ctrl-C, SIGTERM and SIGHUP: cli/errors.py); held warnings are written after it."""
        from kubectl_rollouts_py.watch.sinks import sink_for

        try:
            with sink_for(self.app.env, self.output) as sink:
                self.sink = sink
                yield self
        finally:
            self.sink = None
            held, self._held = self._held, []
            for text in held:
                self.app.warn(text)

    def _text(self, view: Any, footer: str) -> str:
        from kubectl_rollouts_py.render import analysis as render_analysis

        return render_analysis.render_run_detail(view, self.style) + (f"\n{footer}\n" if footer else "")

    def show(self, view: Any, footer: str = "") -> None:
        """One reconcile's state on the open sink; every reconcile is shown, even one that
        looks like the last."""
        from kubectl_rollouts_py.watch.frames import Frame

        assert self.sink is not None, "show() outside opened()"
        if self.output == "json":
            import json

            text = json.dumps(view.to_dict(), separators=(",", ":"), ensure_ascii=True) + "\n"
        else:
            text = self._text(view, footer)
        self._shown += 1
        self.sink.show(Frame(text, key=str(self._shown)))

    def write_once(self, view: Any) -> None:
        """The one state of --once: the text, or one indented JSON document."""
        from kubectl_rollouts_py.render.output import serialise

        self.app.write(serialise(view.to_dict(), "json") if self.output == "json" else self._text(view, ""))


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
@click.option("-o", "--output", type=click.Choice(["text", "json", "yaml"]), default="text", show_default=True,
              help="json: the AnalysisRunView, one compact document per reconcile (one indented document with --once); "
                   "with --backtest, json or yaml: the backtest document.")
@click.option("--allow-secrets", is_flag=True, help="Read secretKeyRef args from their Secrets (values are never printed).")
@click.option("--backtest", is_flag=True,
              help="Replay the template over past data: a run as if started at every --step from --from to --to, "
                   "each query evaluated at its past instant.")
@click.option("--from", "from_", default=None, metavar="TIME",
              help="--backtest: the first window's start (RFC 3339, now, or before now: -14d, -2h, now-90m).")
@click.option("--to", default=None, metavar="TIME",
              help="--backtest: the last window's start, at most (default: the last one whose measurements are all before now).")
@click.option("--step", default=None, metavar="DURATION", help="--backtest: time between window starts (e.g. 20m, 1h).")
@click.option("--window", default=None, metavar="DURATION",
              help="--backtest: how long each run lasts (required when a metric has no count; its run is terminated then).")
@click.option("--incident", "incidents", multiple=True, metavar="FROM/TO",
              help="--backtest: a known incident, when windows should fail: scores the template and suggests thresholds. Repeatable.")
@click.option("--max-queries", default=None, type=int, metavar="N",
              help="--backtest: allow up to N measurements in all (windows × measurements per window; default 10000).")
@click.option("--query-mode", type=click.Choice(["auto", "instant"]), default="auto", show_default=True,
              help="--backtest: auto reads a metric's instants from one range query where that gives the same samples; "
                   "instant sends one instant query per measurement.")
@global_options
def analyze(template: str | None, filename: str | None, cluster_template: bool, cli_args: tuple[str, ...], rollout: str | None,
            prometheus: str | None, once: bool, timeout: str | None, output: str, allow_secrets: bool, backtest: bool,
            from_: str | None, to: str | None, step: str | None, window: str | None, incidents: tuple[str, ...],
            max_queries: int | None, query_mode: str) -> None:
    """Run an AnalysisTemplate against Prometheus now, with Argo's rules, and exit with its outcome.

    By default the metrics are measured on their own schedule (initialDelay, interval,
    count, limits) exactly as the Argo controller does, with a live table; --once takes one
    measurement of each metric now. --backtest replays it over past data instead: one run
    per window, a timeline and a summary; the exit code is the worst window's phase.
    """
    if template is None and filename is None:
        raise errors.UsageError("give a TEMPLATE name or -f FILE")
    backtest_flags = {"--from": from_, "--to": to, "--step": step, "--window": window, "--incident": incidents or None,
                      "--max-queries": max_queries, "--query-mode": None if query_mode == "auto" else query_mode}
    if not backtest:
        given = [name for name, value in backtest_flags.items() if value is not None]
        if given:
            raise errors.UsageError(f"{given[0]} is a --backtest flag: add --backtest")
        if output == "yaml":
            raise errors.UsageError("-o yaml is for --backtest; a live run prints json or text")
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
    request = _backtest_request(app, from_, to, step, window, incidents, max_queries, query_mode, once, timeout) if backtest else None
    inputs = ops_analysis.Inputs(template, filename, cluster_template, cli_args, rollout, allow_secrets)
    with ExitStack() as stack:
        cluster = ops_analysis.OnDemand(lambda: stack.enter_context(app.source()), app.namespace_without_cluster)
        plan = ops_analysis.plan_run(inputs, cluster, lambda text: app.warn(f"Warning: {text}"))
        measurer = analysis_run.Measurer.for_plan(
            plan, app.now, address_override=address, default_address=app.env.environ.get(PROMETHEUS_ADDRESS_ENV) or None,
            resolve_secret=analysis_run.SecretReader(cluster) if allow_secrets else None,
        )
        measurer.check_secrets()
        if request is not None:
            _backtest(app, plan, request, measurer, output)
            return
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
    frames = Frames(app, output)
    measurer.warn = lambda text: frames.warn(clean(f"Warning: {text}"))

    def view_of(status: evaluate.RunStatus) -> Any:
        return derive_analysis.build_analysis_run_view(run_document(plan, status, created), app.now())

    if once:
        try:
            status = run_once(plan.spec, measurer.measure, clock=app.now)
        except KeyboardInterrupt as exc:
            raise errors.Interrupted(getattr(exc, "signum", signal.SIGINT), f'analysis "{plan.name}": no measurement taken') from None
        frames.write_once(view_of(status))
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
        frames.show(view_of(status), footer)

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



# ------------------------------------------------------------------------------ --backtest


def _backtest_request(app: App, from_: str | None, to: str | None, step: str | None, window: str | None,
                      incidents: tuple[str, ...], max_queries: int | None, query_mode: str, once: bool,
                      timeout: str | None) -> Request:
    from kubectl_rollouts_py.derive import backtest as bt
    from kubectl_rollouts_py.ops import backtest as ops_backtest

    if once or timeout is not None:
        raise errors.UsageError(f"{'--once' if once else '--timeout'} cannot be used with --backtest")
    if from_ is None or step is None:
        raise errors.UsageError("--backtest needs --from TIME and --step DURATION (and --to TIME, by default the last window that ends before now)")
    now = app.now().astimezone(dt.timezone.utc).replace(microsecond=0)

    def moment(flag: str, text: str) -> dt.datetime:
        try:
            return bt.parse_time(text, now)
        except ValueError as exc:
            raise errors.UsageError(f"invalid {flag}: {exc}") from None

    def duration(flag: str, text: str) -> dt.timedelta:
        try:
            return bt.parse_duration(text)
        except ValueError as exc:
            raise errors.UsageError(f"invalid {flag} {text!r}: {exc} (use a duration such as 20m, 1h or 1d)") from None

    marked = []
    for text in incidents:
        try:
            marked.append(bt.parse_incident(text, now))
        except ValueError as exc:
            raise errors.UsageError(f"invalid --incident {exc}") from None
    if max_queries is not None and max_queries <= 0:
        raise errors.UsageError(f"--max-queries must be positive, not {max_queries}")
    request = ops_backtest.Request(
        start=moment("--from", from_),
        end=moment("--to", to) if to is not None else None,
        step=duration("--step", step),
        window=duration("--window", window) if window is not None else None,
        incidents=tuple(marked),
        max_queries=max_queries if max_queries is not None else ops_backtest.DEFAULT_MAX_QUERIES,
        mode=query_mode,
        now=now,
    )
    ops_backtest.check_bounds(request)  # before any template is read
    return request


def _backtest(app: App, plan: Plan, request: Request, measurer: Measurer, output: str) -> None:
    from kubectl_rollouts_py.ops import backtest as ops_backtest
    from kubectl_rollouts_py.render import backtest as render_backtest
    from kubectl_rollouts_py.render.escape import clean
    from kubectl_rollouts_py.render.output import serialise

    connection = ops_backtest.Connection(measurer.address_override, measurer.default_address, measurer.resolve_secret)
    try:
        outcome = ops_backtest.backtest(plan, request, connection, warn=lambda text: app.warn(clean(f"Warning: {text}")))
    except KeyboardInterrupt as exc:
        raise errors.Interrupted(getattr(exc, "signum", signal.SIGINT), f'backtest of "{plan.name}" interrupted') from None
    if output == "text":
        app.write(render_backtest.render_backtest(outcome.document, app.style()))
    else:
        app.write(serialise(outcome.document, output))
    code = _PHASE_EXIT.get(outcome.phase, errors.ExitCode.ANALYSIS_ERROR)
    if code != errors.ExitCode.SUCCESS:
        summary = outcome.document["summary"]
        counts = ", ".join(f"{summary[key]} {key.capitalize()}" for key in ("failed", "error", "inconclusive", "successful") if summary[key])
        message = f'backtest of "{plan.name}": {summary["windows"]} windows: {counts}'
        if outcome.phase == "Error" and outcome.first_error:
            message += f"; first error: {outcome.first_error}"
        raise AnalysisOutcome(clean(message), code)
