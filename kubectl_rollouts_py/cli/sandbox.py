"""`sandbox`: the app-backend canary story on this machine, with a simulated controller."""

from __future__ import annotations

import math
import re
import shlex
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import click

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.cli.options import CobraCommand

DEFAULT_SPEED = 10.0
TOUR_SPEED = 60.0
_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


def _check(namespace: str, speed: float) -> None:
    if not _NAMESPACE.fullmatch(namespace):
        raise errors.UsageError(f'invalid --namespace "{namespace}": use a DNS label such as ithome')
    if not (math.isfinite(speed) and 0 < speed <= 10000):
        raise errors.UsageError(f"invalid --speed {speed:g}: use a factor above 0 and at most 10000 (1 is real time)")


class _Printer:
    """Lines to stdout from any thread, flushed at once; a closed stdout is ignored."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __call__(self, text: str) -> None:
        with self._lock:
            try:
                sys.stdout.write(text)
                sys.stdout.flush()
            except (BrokenPipeError, ValueError, OSError):
                pass

    def event(self, line: str) -> None:
        from kubectl_rollouts_py.render.escape import clean_bounded

        # The controller's lines name objects (and quote messages) from the API server.
        self(f"{time.strftime('%H:%M:%S')} {clean_bounded(line)}\n")


def _banner(box: Any, speed: float) -> str:
    from kubectl_rollouts_py.sandbox import run, scenario

    opts = box.options
    if box.prometheus_binary:
        prom = f"{box.prometheus_url}  ({box.prometheus_binary}, scraping the demo app every {run.scrape_interval(speed):g}s)"
    else:
        prom = (
            f"{box.prometheus_url}  (built-in stand-in: no `prometheus` found)\n"
            f"              Analysis needs Prometheus; until you install it (Debian/Ubuntu: apt-get install prometheus,\n"
            f"              macOS: brew install prometheus), the stand-in answers only queries shaped like\n"
            f"              the success-rate template's: {run.SUPPORTED}."
        )
    pause = f"a 3m pause lasts {180 / speed:g}s" if speed != 1 else "real time"
    image = scenario.image
    lines = [
        f"Sandbox: namespace {opts.namespace}, a simulated Argo Rollouts controller, speed {speed:g}x ({pause})",
        f"  API server  {box.api_url}  (in memory, loopback only)",
        f"  Prometheus  {prom}",
        f"  Demo app    {box.app.url}/metrics  (pods of image tag {scenario.BAD_TAG} answer "
        f"{scenario.BAD_ERROR_RATIO:.0%} of requests with 500)",
        "",
        f"export KUBECONFIG={shlex.quote(str(box.kubeconfig))}",
        "",
        "Then, in another terminal:",
        f"  kubectl rollouts-py get rollout {scenario.ROLLOUT} -w      # watch it live",
        f"  kubectl rollouts-py set image {scenario.ROLLOUT} {scenario.CONTAINER}={image(scenario.GOOD_TAG)}",
        "      # passes its analysis and is promoted step by step",
        f"  kubectl rollouts-py set image {scenario.ROLLOUT} {scenario.CONTAINER}={image(scenario.BAD_TAG)}",
        "      # answers 500s: its analysis fails and the rollout is aborted",
        f"  kubectl rollouts-py status {scenario.ROLLOUT}",
        f"  kubectl rollouts-py promote|abort|pause|undo|restart {scenario.ROLLOUT};  kubectl rollouts-py retry rollout {scenario.ROLLOUT}",
        "  kubectl get rollouts.argoproj.io,replicasets,pods,analysisruns   # kubectl works too",
        "",
        "Controller events follow. Ctrl-C stops the sandbox.",
        "",
    ]
    return "\n".join(lines)


@click.command("sandbox", cls=CobraCommand)
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port of the stand-in API server on 127.0.0.1 (0 picks a free one).")
@click.option("--kubeconfig", "kubeconfig", type=click.Path(dir_okay=False), default=None, metavar="PATH",
              help="Write the sandbox's kubeconfig here (default: $XDG_CACHE_HOME/kubectl-rollouts-py/sandbox.kubeconfig). "
                   "~/.kube/config is never written.")
@click.option("--speed", type=float, default=None, metavar="FACTOR",
              help=f"Pauses and analysis intervals pass FACTOR times faster (default {DEFAULT_SPEED:g}, "
                   f"{TOUR_SPEED:g} with --tour; 1 is real time).")
@click.option("-n", "--namespace", default=None, metavar="NS", help="Namespace of the app-backend canary's objects (default: ithome).")
@click.option("--prometheus", default="auto", show_default=True, metavar="auto|builtin|PATH",
              help="auto: the `prometheus` on PATH if there is one, else the built-in stand-in; builtin: always the stand-in; "
                   "PATH: that binary.")
@click.option("--tour", is_flag=True,
              help="Run the app-backend canary story end to end with the real CLI (1.2 promoted; 1.1 aborted; undo), print every "
                   "command and its output, then stop. Exits 0 when every step did what the story says.")
@click.option("-q", "--quiet", is_flag=True, help="Do not print the controller's events.")
def sandbox(port: int, kubeconfig: str | None, speed: float | None, namespace: str | None, prometheus: str,
            tour: bool, quiet: bool) -> None:
    """Run the app-backend canary on this machine: a stand-in Kubernetes API, a simulated
    Argo Rollouts controller, demo traffic and Prometheus.

    Prints `export KUBECONFIG=...` and commands to try, then runs until Ctrl-C or SIGTERM
    and stops everything it started. The controller is a simulator (see docs/guide.md): it
    walks the canary steps, runs the background analysis with this tool's analysis engine
    and reacts to promote, abort, retry, pause, undo and restart as Argo's does.
    """
    from kubectl_rollouts_py.sandbox import run, scenario

    app = App.of(click.get_current_context())
    namespace = namespace or app.flags.get("namespace") or scenario.NAMESPACE
    factor = speed if speed is not None else (TOUR_SPEED if tour else DEFAULT_SPEED)
    _check(namespace, factor)
    path = Path(kubeconfig or app.flags.get("kubeconfig") or run.default_kubeconfig())
    printer = _Printer()
    options = run.Options(
        kubeconfig=run.check_kubeconfig_path(path), namespace=namespace, port=port, speed=factor, prometheus=prometheus,
        log=None if quiet or tour else printer.event,
    )
    box = run.Sandbox(options)
    if tour:
        _tour(box, printer)
    else:
        _serve(box, printer)


def _serve(box: Any, printer: _Printer) -> None:
    stop = threading.Event()
    previous = {signum: signal.signal(signum, lambda *_: stop.set()) for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        box.start()
        printer(_banner(box, box.options.speed))
        while not stop.wait(0.5):
            pass
        printer("\nStopping the sandbox...\n")
    finally:
        box.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    printer("Sandbox stopped.\n")


def _tour(box: Any, printer: _Printer) -> None:
    from kubectl_rollouts_py.sandbox import run

    # SIGTERM ends the tour like Ctrl-C: through the `finally` below, so nothing is left running.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    began = time.monotonic()
    try:
        box.start()
        source = f"Prometheus {box.prometheus_binary}" if box.prometheus_binary else "the built-in Prometheus stand-in"
        printer(f"Sandbox up in {time.monotonic() - began:.1f}s at {box.options.speed:g}x speed "
                f"(analysis through {source}); KUBECONFIG={box.kubeconfig}\n")
        run.run_tour(box, printer)
    finally:
        box.stop()
        signal.signal(signal.SIGTERM, previous)
    printer(f"\nTour done in {time.monotonic() - began:.1f}s. Run `kubectl rollouts-py sandbox` to try it yourself.\n")
