"""`dashboard`: serve the web dashboard until Ctrl-C."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.cli.options import CobraCommand, global_options

if TYPE_CHECKING:
    from kubectl_rollouts_py.dashboard.access import Access
    from kubectl_rollouts_py.dashboard.server import Dashboard


@click.command("dashboard", cls=CobraCommand)
@click.option("-p", "--port", type=click.IntRange(0, 65535), default=3100, show_default=True, help="Port to serve on (0: any free port).")
@click.option("--address", default="127.0.0.1", show_default=True, metavar="ADDR",
              help="Address to bind to: loopback unless asked (0.0.0.0 or :: for every interface; a warning says who can reach it).")
@click.option("--root-path", default="", metavar="PREFIX",
              help="Serve every page, asset and API under PREFIX (e.g. /rollouts), for a reverse proxy that forwards it.")
@click.option("--auth", "auth_mode", type=click.Choice(["token", "proxy"]), default="token", show_default=True,
              help="token: the page carries a random action token (for loopback). proxy: trust X-Forwarded-User and "
                   "X-Forwarded-Groups from --trusted-proxy addresses and act as that person (Impersonate-User).")
@click.option("--trusted-proxy", multiple=True, metavar="CIDR",
              help="With --auth proxy: an address or CIDR the signing-in proxy connects from (repeatable); others are refused.")
@click.option("--access-log/--no-access-log", "access_log", default=None,
              help="Log every request on stderr as one JSON line (default: on when serving beyond loopback or "
                   "with --auth proxy, off for a dashboard on your own machine).")
@click.option("--read-only", is_flag=True, help="Hide and refuse every action (promote, abort, ...).")
@click.option("-A", "--all-namespaces", is_flag=True, help="Show rollouts of every namespace.")
# Hidden: a watch is renewed after this many seconds to twice that, at random (300 s, as
# client-go). The soak benchmark shortens it so that several renewals happen within minutes.
@click.option("--renew-seconds", type=click.IntRange(5, 3600), default=None, hidden=True)
@global_options
def dashboard(port: int, address: str, root_path: str, auth_mode: str, trusted_proxy: tuple[str, ...],
              access_log: bool | None, read_only: bool, all_namespaces: bool, renew_seconds: int | None) -> None:
    """Serve a live web dashboard of rollouts and their analysis (Ctrl-C stops it).

    Served for a team (beyond loopback, or with --auth proxy), every request is logged on
    stderr as one JSON line (time, method, path, status, duration, user); tokens, cookies
    and Authorization are never logged.
    """
    import dataclasses
    import signal
    import threading

    from kubectl_rollouts_py import errors
    from kubectl_rollouts_py.dashboard import access
    from kubectl_rollouts_py.dashboard.server import Dashboard
    from kubectl_rollouts_py.kube import source as kube_source

    app = App.of(click.get_current_context())
    root = access.root_path(root_path)
    auth = access.Access(auth_mode, access.networks(trusted_proxy))
    stopped = threading.Event()
    connection = app.connection()
    if auth.proxy and (connection.impersonate or connection.impersonate_groups or connection.impersonate_uid):
        raise errors.UsageError("--auth proxy sends each action as the person the proxy names: --as, --as-group and "
                                "--as-uid do not go with it")

    def as_person(identity: access.Identity) -> kube_source.Source:
        """The dashboard's own connection, impersonating the person a trusted proxy named."""
        options = dataclasses.replace(connection, impersonate=identity.user, impersonate_groups=identity.groups,
                                      impersonate_uid=None)
        return kube_source.open_source(options, environ=app.env.environ)

    def stop(*_: object) -> None:  # Ctrl-C (SIGINT) and SIGTERM: stop serving, exit 0
        stopped.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C interrupts at once

    from kubectl_rollouts_py.cli.errors import leaving_on_ctrl_c

    # A second Ctrl-C while it stops ends it at once: exit 130, without an Error line either.
    with leaving_on_ctrl_c(app.env), app.source() as source:
        namespace = None if all_namespaces else source.namespace
        try:
            dash = Dashboard(source, namespace, address=address, port=port, read_only=read_only, renew_seconds=renew_seconds,
                             root_path=root, access=auth, identity_source=as_person if auth.proxy else None,
                             log=None, clock=app.env.clock)
        except OSError as exc:
            raise errors.RolloutsError(f"cannot serve on {address}:{port}: {exc.strerror or exc}") from exc
        if access_log if access_log is not None else (auth.proxy or not dash.loopback):
            dash.log.stream = app.env.stderr
        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            with dash:
                scope = "all namespaces" if namespace is None else f'namespace "{namespace}"'
                mode = ", read-only" if read_only else ""
                app.write(f"Dashboard for {scope}{mode}: {dash.url}\nPress Ctrl-C to stop.\n")
                if warning := reach_warning(dash, auth, read_only):
                    app.warn(warning)
                while not stopped.wait(0.5):
                    pass
            app.write("Dashboard stopped.\n")
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def reach_warning(dash: Dashboard, auth: Access, read_only: bool) -> str | None:
    """The stderr line that says who can reach the dashboard and what protects it; None on
    loopback with the token."""
    where = f"{dash.address!s}:{dash.port}"
    health = f"{dash.root}/healthz and {dash.root}/readyz answer anyone"
    if auth.proxy:
        acts = "" if read_only else "; actions are sent as that person (Impersonate-User/-Group)"
        return (f"Warning: serving on {where}: only requests from the trusted proxies ({auth.describe_trusted()}) are served, "
                f"as the person in their X-Forwarded-User header; reads use the dashboard's own credentials{acts}; {health}.")
    if dash.loopback:
        return None
    acts = " (read-only: no actions)" if read_only else (
        "; actions need the page's token, which the page gives to whoever opens it (no sign-in; "
        "use --auth proxy behind a signing-in proxy to share it)")
    return f"Warning: serving on {where}, not loopback: whoever can reach it can see these rollouts{acts}."
