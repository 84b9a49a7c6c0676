"""`dashboard`: serve the web dashboard until Ctrl-C."""

from __future__ import annotations

import click

from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.cli.options import CobraCommand, global_options


@click.command("dashboard", cls=CobraCommand)
@click.option("--port", type=click.IntRange(0, 65535), default=3100, show_default=True, help="Port to serve on (0: any free port).")
@click.option("--address", default="127.0.0.1", show_default=True, help="Address to bind to (loopback by default).")
@click.option("--read-only", is_flag=True, help="Hide and refuse every action (promote, abort, ...).")
@click.option("-A", "--all-namespaces", is_flag=True, help="Show rollouts of every namespace.")
# Hidden: a watch is renewed after this many seconds to twice that, at random (300 s, as
# client-go). The soak benchmark shortens it so that several renewals happen within minutes.
@click.option("--renew-seconds", type=click.IntRange(5, 3600), default=None, hidden=True)
@global_options
def dashboard(port: int, address: str, read_only: bool, all_namespaces: bool, renew_seconds: int | None) -> None:
    """Serve a live web dashboard of rollouts and their analysis (Ctrl-C stops it)."""
    import signal
    import threading

    from kubectl_rollouts_py import errors
    from kubectl_rollouts_py.dashboard.server import Dashboard

    app = App.of(click.get_current_context())
    stopped = threading.Event()

    def stop(*_: object) -> None:  # Ctrl-C (SIGINT) and SIGTERM: stop serving, exit 0
        stopped.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C interrupts at once

    with app.source() as source:
        namespace = None if all_namespaces else source.namespace
        try:
            dash = Dashboard(source, namespace, address=address, port=port, read_only=read_only, renew_seconds=renew_seconds)
        except OSError as exc:
            raise errors.RolloutsError(f"cannot serve on {address}:{port}: {exc.strerror or exc}") from exc
        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            with dash:
                scope = "all namespaces" if namespace is None else f'namespace "{namespace}"'
                mode = ", read-only" if read_only else ""
                app.write(f"Dashboard for {scope}{mode}: {dash.url}\nPress Ctrl-C to stop.\n")
                if not dash.loopback:
                    app.warn(f"Warning: serving on {address}, not loopback: whoever can reach it can see these rollouts"
                             + ("." if read_only else " and, with the page's token, act on them."))
                while not stopped.wait(0.5):
                    pass
            app.write("Dashboard stopped.\n")
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
