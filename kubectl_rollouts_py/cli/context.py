"""The per-invocation world: flags, streams, clock and the object source, built at the edge."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import click

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.cli.options import GLOBALS_KEY
from kubectl_rollouts_py.kube.options import ConnectionOptions
from kubectl_rollouts_py.render.style import Style
from kubectl_rollouts_py.term.colour import use_colour


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
    """What every command needs; commands get it with `App.of(ctx)`."""

    flags: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, ctx: click.Context) -> App:
        return cls(dict(ctx.find_root().meta.get(GLOBALS_KEY, {})))

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
        )

    @contextmanager
    def source(self, from_files: tuple[str, ...] = ()) -> Iterator[Any]:
        """The cluster, or the saved objects of --from-file; closed on exit."""
        from kubectl_rollouts_py.kube import source as kube_source

        src = kube_source.open_source(self.connection(), tuple(from_files))
        try:
            yield src
        finally:
            src.close()

    def style(self) -> Style:
        stdout = sys.stdout
        return Style(
            colour=use_colour(
                no_color_flag=bool(self.flags.get("no_color")),
                environ=os.environ,
                is_tty=stdout.isatty(),
            )
        )

    @staticmethod
    def now() -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)

    @staticmethod
    def write(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    @staticmethod
    def error(message: str) -> None:
        from kubectl_rollouts_py.cli.errors import print_error

        print_error(message)

    @staticmethod
    def warn(text: str) -> None:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
