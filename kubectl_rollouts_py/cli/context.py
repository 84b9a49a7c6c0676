"""The per-invocation world: flags, the injected environment (streams, tty facts, variables,
clock) and the object source, built at the edge (cli/errors.run)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.environment import Environment
from kubectl_rollouts_py.kube.options import ConnectionOptions
from kubectl_rollouts_py.render.style import Style
from kubectl_rollouts_py.term.colour import use_colour

if TYPE_CHECKING:
    from pathlib import Path  # imported by the commands that use recordings

    import click  # the commands' modules import it; cli/quick.py runs without it

    from kubectl_rollouts_py.kube.source import Source


def parse_request_timeout(value: str | None) -> float | None:
    """kubectl's --request-timeout: a plain number of seconds or a Go duration; 0 = none."""
    from kubectl_rollouts_py.govalues import duration_seconds

    if value is None:
        return None
    text = value.strip()
    seconds = float(text) if text.isdigit() else duration_seconds(text)
    if seconds is None or seconds < 0:
        raise errors.UsageError(f"invalid --request-timeout {value!r}: use a duration such as 5s or 1m, or 0 for none")
    return seconds or None


@dataclass
class App:
    """What every command needs; commands get it with `App.of(ctx)`.

    `env` is the run's Environment: every write, warning, colour decision and clock reading
    goes through it, so a command run in-process (tests/inprocess.py) is seen whole.
    """

    flags: dict[str, Any] = field(default_factory=dict)
    env: Environment = field(default_factory=Environment.from_process)

    @classmethod
    def of(cls, ctx: click.Context) -> App:
        """The App of this run: the root context's object (set by cli/errors.run), with the
        global flags given so far; outside run() (shell completion), this process's world."""
        from kubectl_rollouts_py.cli.options import global_flags

        root = ctx.find_root()
        env = root.obj.env if isinstance(root.obj, App) else Environment.from_process()
        return cls(dict(global_flags(ctx)), env)

    def connection(self) -> ConnectionOptions:
        flags = self.flags
        return ConnectionOptions(
            kubeconfig=flags.get("kubeconfig"),
            context=flags.get("context"),
            cluster=flags.get("cluster"),
            user=flags.get("user"),
            namespace=flags.get("namespace"),
            server=flags.get("server"),
            token=flags.get("token"),
            insecure_skip_tls_verify=bool(flags.get("insecure_skip_tls_verify")),
            certificate_authority=flags.get("certificate_authority"),
            request_timeout=parse_request_timeout(flags.get("request_timeout")),
            impersonate=flags.get("as_user"),
            impersonate_groups=tuple(flags.get("as_group", ())),
            impersonate_uid=flags.get("as_uid"),
            client_certificate=flags.get("client_certificate"),
            client_key=flags.get("client_key"),
            tls_server_name=flags.get("tls_server_name"),
            cache_dir=flags.get("cache_dir"),
            verbosity=flags.get("verbosity") or 0,
        )

    @contextmanager
    def source(self, from_files: tuple[str, ...] = ()) -> Iterator[Source]:
        """The cluster, or the saved objects of --from-file; closed on exit. The kubeconfig
        is found through the environment's KUBECONFIG and HOME."""
        from kubectl_rollouts_py.kube import source as kube_source

        src = kube_source.open_source(self.connection(), tuple(from_files), environ=self.env.environ, log=self.env.stderr)
        try:
            yield src
        finally:
            src.close()

    def namespace_without_cluster(self) -> str:
        """The namespace for saved objects and recordings: -n, else the kubeconfig context's
        (found through the environment's KUBECONFIG and HOME), else "default". Never fails and
        never asks the cluster."""
        from kubectl_rollouts_py.kube.config import resolve_namespace_leniently

        return resolve_namespace_leniently(self.connection(), environ=self.env.environ)

    def recording_path(self, db: str | None) -> Path:
        """The recording file: --db, else the default under the environment's XDG_STATE_HOME
        (or HOME)."""
        from pathlib import Path

        from kubectl_rollouts_py.recording.paths import default_path

        return Path(db) if db else default_path(self.env.environ)

    @property
    def debug(self) -> bool:
        """--debug or KUBECTL_ROLLOUTS_PY_DEBUG=1: an internal error shows its traceback."""
        return bool(self.flags.get("debug")) or debug_from_environment(self.env.environ)

    def style(self) -> Style:
        return Style(
            colour=use_colour(
                no_color_flag=bool(self.flags.get("no_color")),
                environ=self.env.environ,
                is_tty=self.env.stdout_isatty,
            )
        )

    def now(self) -> dt.datetime:
        return self.env.now()

    def write(self, text: str) -> None:
        stdout = self.env.stdout
        stdout.write(text)
        stdout.flush()

    def error(self, message: str) -> None:
        from kubectl_rollouts_py.cli.errors import print_error

        print_error(message, self.env.stderr)

    def warn(self, text: str) -> None:
        stderr = self.env.stderr
        stderr.write(text + "\n")
        stderr.flush()


DEBUG_ENV = "KUBECTL_ROLLOUTS_PY_DEBUG"


def debug_from_environment(environ: Mapping[str, str]) -> bool:
    """KUBECTL_ROLLOUTS_PY_DEBUG set to a true value (1, t, true, as the boolean flags take)."""
    return environ.get(DEBUG_ENV, "").strip() in {"1", "t", "T", "TRUE", "true", "True"}
