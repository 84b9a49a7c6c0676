"""Run the CLI in-process, beside the end-to-end tests that run the installed program.

`run_cli(argv, ...)` calls `kubectl_rollouts_py.cli.errors.run` with an Environment of its
own: string streams (stdin given, stdout and stderr captured), the variables given (and
nothing from this process's environment), chosen tty facts and clock. Nothing in `sys` is
replaced, so tests can run commands quickly, read what they wrote, and set the facts a
subprocess would take from the terminal (`tty=True`) or from the clock (`now=`).

The subprocess tests (tests/e2e/standin.py's `run_cli`) stay the proof that the installed
program behaves; these are for what a test wants to control. Live views (`--watch`) draw
their screen, or print their frames, on the Environment's stdout as well.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from kubectl_rollouts_py.environment import Environment, utcnow

PROG_NAME = "kubectl rollouts-py"


@dataclass(frozen=True)
class Result:
    exit_code: int
    stdout: str
    stderr: str


class StringStream(io.StringIO):
    """A string stream that says whether it is a terminal."""

    def __init__(self, initial: str = "", *, tty: bool = False) -> None:
        super().__init__(initial)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def environment(
    *,
    stdin: str = "",
    environ: Mapping[str, str] | None = None,
    tty: bool = False,
    now: dt.datetime | Callable[[], dt.datetime] | None = None,
) -> Environment:
    """An Environment of string streams; `now` is a fixed time or a clock (default: the real one)."""
    clock: Callable[[], dt.datetime]
    if now is None:
        clock = utcnow
    elif isinstance(now, dt.datetime):
        fixed = now
        clock = lambda: fixed  # noqa: E731
    else:
        clock = now
    return Environment(
        stdin=StringStream(stdin, tty=tty),
        stdout=StringStream(tty=tty),
        stderr=StringStream(tty=tty),
        environ=dict(environ or {}),
        stdin_isatty=tty,
        stdout_isatty=tty,
        stderr_isatty=tty,
        clock=clock,
    )


def run_cli(
    argv: Sequence[str],
    *,
    stdin: str = "",
    environ: Mapping[str, str] | None = None,
    tty: bool = False,
    now: dt.datetime | Callable[[], dt.datetime] | None = None,
) -> Result:
    """Run `kubectl rollouts-py ARGV...` in this process; its exit code and what it wrote."""
    from kubectl_rollouts_py.cli.errors import run

    env = environment(stdin=stdin, environ=environ, tty=tty, now=now)
    code = run(list(argv), prog_name=PROG_NAME, env=env)
    assert isinstance(env.stdout, StringStream) and isinstance(env.stderr, StringStream)
    return Result(int(code), env.stdout.getvalue(), env.stderr.getvalue())
