"""`status NAME`: one line of rollout status, optionally until it settles."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.cli.completion import complete_names
from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.cli.options import CobraCommand, from_file_option, global_options, output_option
from kubectl_rollouts_py.render.output import document_text, serialise

if TYPE_CHECKING:
    from kubectl_rollouts_py.kube.source import Source

SETTLED = ("Healthy", "Degraded")
PAUSED = "Paused"  # `--until-paused` stops at it too


def parse_timeout(value: str) -> float | None:
    """--timeout: a Go-style duration in seconds; None for 0 (no timeout)."""
    from kubectl_rollouts_py.govalues import duration_seconds

    seconds = duration_seconds(value)
    if seconds is None or seconds < 0:
        raise errors.UsageError(f'invalid --timeout "{value}": use a duration such as 30s, 5m or 1h30m')
    return seconds or None


def _document(name: str, namespace: str, status: str, message: str) -> dict[str, str]:
    return {"name": name, "namespace": namespace, "status": status, "message": message}


def _warn_why(app: App, source: Source, name: str, namespace: str) -> None:
    """On failure, the first cause of `explain` on stderr, as `Why: <summary>`: only when stderr
    is a terminal, so what scripts read (stdout, and stderr's Error line) stays the Argo
    plugin's byte for byte. The error and the exit code follow as before; a failed read
    leaves the line out."""
    if not app.env.stderr_isatty:
        return
    from kubectl_rollouts_py.ops import explain as ops_explain
    from kubectl_rollouts_py.render.escape import clean_bounded
    from kubectl_rollouts_py.render.tree import WHY_LIMIT

    try:
        first = ops_explain.explain(source, name, namespace, now=app.now()).first
    except errors.RolloutsError:
        return
    if first is not None:
        app.warn("Why: " + clean_bounded(first.summary, WHY_LIMIT))


@click.command("status", cls=CobraCommand)
@click.argument("name", shell_complete=complete_names("rollouts"))
@click.option("-w", "--watch/--no-watch", default=True, help="Keep printing status changes until the rollout is Healthy or Degraded; on by default (--watch=false or --no-watch: print once).")
@click.option("-t", "--timeout", "timeout", default="0", metavar="DURATION", help="Give up watching after this long (e.g. 30s, 5m); 0 waits forever.")
@click.option("--until-paused", is_flag=True, help="Also stop watching, with exit 0, as soon as the rollout is Paused (a canary pause step, spec.paused, a blue-green pause awaiting promotion).")
@output_option
@from_file_option
@global_options
def status(name: str, watch: bool, timeout: str, until_paused: bool, output: str, from_files: tuple[str, ...]) -> None:
    """Print the status of rollout NAME.

    Exits 0 when the rollout is Healthy (or, with --watch=false, not Degraded; with
    --until-paused, also Paused), 1 when it is Degraded or the watch timed out, 130 on Ctrl-C.
    """
    from kubectl_rollouts_py.cli.errors import leaving_on_ctrl_c
    from kubectl_rollouts_py.kube import resources as r

    app = App.of(click.get_current_context())
    if until_paused and not watch:
        raise errors.UsageError("--until-paused watches the rollout: it cannot be used with --watch=false")
    seconds = parse_timeout(timeout)
    r.ROLLOUTS.check_name(name)  # before any request (or file lookup): a usage error
    if not watch:
        _status(app, name, from_files, output, seconds, watch=False, until_paused=False)
        return
    with leaving_on_ctrl_c(app.env):  # Ctrl-C is how a watch is left: exit 130, no Error line
        _status(app, name, from_files, output, seconds, watch=True, until_paused=until_paused)


def _status(app: App, name: str, from_files: tuple[str, ...], output: str, seconds: float | None, *, watch: bool,
            until_paused: bool) -> None:
    from kubectl_rollouts_py.derive import rollout as derive_rollout
    from kubectl_rollouts_py.kube import fetch
    from kubectl_rollouts_py.kube import resources as r
    from kubectl_rollouts_py.render import listing

    ends = (*SETTLED, PAUSED) if until_paused else SETTLED  # the states a watch stops at
    unreachable = ""  # why a timeout may not be the rollout's doing
    with app.source(from_files) as source:
        namespace = source.namespace
        rollout = fetch.fetch_object(source, r.ROLLOUTS, name, namespace)
        state, message = derive_rollout.rollout_status(rollout)

        def show(state: str, message: str) -> str:
            if output != "text":
                document = _document(name, namespace, state, message)
                return document_text(document, output) if watch else serialise(document, output)
            return listing.status_line(state, message, watching=watch) + "\n"

        first = show(state, message)
        if not watch or state in ends:
            app.write(first)
        else:
            from kubectl_rollouts_py.watch.views import watch_status

            state, message, unreachable = watch_status(app.env, source, rollout, show, timeout=seconds,
                                                       settled=ends, printed=first)
        if state == "Degraded" or (watch and state not in ends):
            _warn_why(app, source, name, namespace)
    if state == "Degraded":
        raise errors.RolloutsError(f"The rollout is in a degraded state with message: {message}")
    if watch and state not in ends:
        raise errors.RolloutsError(f"Rollout status watch exceeded timeout{unreachable}")
