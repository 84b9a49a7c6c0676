"""Turn every outcome into an exit code and at most one `Error: ...` line.

Ctrl-C, SIGTERM and SIGHUP exit 130, 143 and 129 with one `Error: interrupted...` line,
except Ctrl-C leaving a live view or a long-running command (`leaving_on_ctrl_c`): exit
130 and no line, as kubectl's own `get -w` (which dies by SIGINT) leaves nothing either.

`run` is the edge: it builds the run's Environment (or takes the one a test passes in) and
hands it to the commands through the root context's object, an App (cli/context.py).
"""

from __future__ import annotations

import errno
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.environment import Environment
from kubectl_rollouts_py.render.escape import clean, clean_bounded

# The most of a message an Error line quotes (a server's message or a condition can be megabytes).
ERROR_LIMIT = 16384

if TYPE_CHECKING:
    from kubectl_rollouts_py.cli.context import App


def print_error(message: str, stderr: TextIO | None = None) -> None:
    """The one format of an error line: `Error: <message>`, escaped for the terminal."""
    stream = sys.stderr if stderr is None else stderr
    stream.write(f"Error: {clean_bounded(message, ERROR_LIMIT)}\n")
    stream.flush()


def _print_traceback(exc: BaseException, stderr: TextIO) -> None:
    """--debug: the internal error's traceback, after its Error line (escaped like it)."""
    import traceback

    lines = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).splitlines()
    stderr.write("".join(clean(line) + "\n" for line in lines))
    stderr.flush()


def _silence_broken_pipe(*streams: Any) -> None:
    # `... | head` closed our stdout (or the terminal hung up): point it at /dev/null so
    # the interpreter's final flush does not raise again (Python would exit 120), then
    # exit quietly. Streams without a file descriptor (an injected StringIO) are left alone.
    for stream in streams:
        try:
            fd = stream.fileno()
        except (OSError, ValueError, AttributeError):
            continue
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
        except OSError:
            continue
        try:
            os.dup2(devnull, fd)
        except OSError:
            pass
        finally:
            os.close(devnull)  # fd itself now points at /dev/null


# Exit code and words for each signal that stops the CLI (see errors.Interrupted).
_SIGNALS = {
    signal.SIGINT: (errors.ExitCode.INTERRUPTED, "interrupted"),
    signal.SIGTERM: (errors.ExitCode.TERMINATED, "interrupted by SIGTERM"),
    signal.SIGHUP: (errors.ExitCode.HANGUP, "interrupted by SIGHUP"),
}


class LeftWithCtrlC(Exception):
    """Ctrl-C ended a live view or a long-running command: how people leave a watch, not
    a failure. Exit 130 (128 + SIGINT, what a shell reports for `kubectl get -w` stopped
    the same way) with no `Error:` line. Not a KeyboardInterrupt, so that nothing on the
    way out takes it for a fresh interrupt."""


@contextmanager
def leaving_on_ctrl_c(env: Environment) -> Iterator[None]:
    """Inside, Ctrl-C (SIGINT) ends the command quietly (LeftWithCtrlC: exit 130, no Error
    line) once whatever it interrupted has unwound (a full-screen view restores the
    terminal on the way). SIGTERM and SIGHUP still end it with their Error line (143, 129),
    and so does an interrupt that carries what it cut short (a write's report)."""
    try:
        yield
    except KeyboardInterrupt as exc:
        if getattr(exc, "signum", signal.SIGINT) != signal.SIGINT or getattr(exc, "detail", ""):
            raise
        raise LeftWithCtrlC() from None


def _left_with_ctrl_c(env: Environment) -> int:
    """The end of LeftWithCtrlC: on a terminal, only a newline after the `^C` it echoed,
    so the prompt comes back on a line of its own."""
    if env.stderr_isatty:
        try:
            env.stderr.write("\n")
            env.stderr.flush()
        except (OSError, ValueError):
            pass
    return errors.ExitCode.INTERRUPTED


def _interrupted(exc: BaseException | None, env: Environment) -> int:
    """The one line for Ctrl-C, SIGTERM or SIGHUP (with what was done, when known)."""
    # click turns KeyboardInterrupt into Abort, chained (having ended the line after the ^C
    # the terminal echoed): find the original.
    click = sys.modules.get("click")  # not imported by a command that runs without it (cli/quick.py)
    newline = not (click is not None and isinstance(exc, click.Abort))
    while exc is not None and not isinstance(exc, KeyboardInterrupt):
        exc = exc.__cause__ or exc.__context__
    signum = getattr(exc, "signum", signal.SIGINT)
    detail = getattr(exc, "detail", "")
    code, words = _SIGNALS.get(signum, _SIGNALS[signal.SIGINT])
    try:
        if newline:
            env.stderr.write("\n")  # after the ^C the terminal echoed
        print_error(f"{words}: {detail}" if detail else words, env.stderr)
    except (OSError, ValueError):  # SIGHUP: the terminal is gone, nobody to tell
        _silence_broken_pipe(env.stdout, env.stderr)
    return code


def _closed_pipe(exc: BaseException | None) -> bool:
    return isinstance(exc, OSError) and exc.errno == errno.EPIPE


class _ClosedOutput:
    """Standing in for a standard output the process was started without (`>&-`): the
    first write fails as writing to a closed descriptor does, and is reported as such."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        raise OSError(errno.EBADF, "standard output is closed")

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError(errno.EBADF, "standard output is closed")


# What writing an output stream fails with: a full disk or quota, a file too large, a
# closed descriptor, an I/O error (reading files, sockets and the like fail otherwise, and
# are reported by the layers that do them).
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EBADF, errno.EIO})


def _output_failure(exc: OSError, stdout: Any) -> str | None:
    """Why the output could not be written, when `exc` came from writing it; None for any
    other OSError. A stream that still holds what it could not write fails again when
    flushed."""
    if exc.errno in _OUTPUT_ERRNOS:
        return exc.strerror or str(exc)
    try:
        stdout.flush()
    except OSError as again:
        return again.strerror or str(again)
    except (ValueError, AttributeError):  # closed or not a stream: it is not the output
        return None
    return None


def run(argv: list[str] | None, *, prog_name: str, env: Environment | None = None) -> int:
    """Run the root command; return the exit code (see errors.ExitCode and the README).

    `env` is the run's world (streams, tty facts, variables, clock); by default this
    process's, taken now. Tests pass their own to run commands in-process."""
    from kubectl_rollouts_py.cli.context import App
    from kubectl_rollouts_py.term.signals import stopping_raise_interrupted

    app = App(env=Environment.from_process() if env is None else env)
    if app.env.stdout is None:  # started with stdout closed: say so at the first write
        app.env.stdout = _ClosedOutput()  # type: ignore[assignment]
    try:
        with stopping_raise_interrupted():
            return _run(argv, prog_name, app)
    except KeyboardInterrupt as exc:  # a signal after the command ended, while unwinding
        return _interrupted(exc, app.env)
    except OSError as exc:
        # The error line itself could not be written: stderr is gone too (the terminal hung
        # up, EIO, before SIGHUP came or with SIGHUP ignored). Nobody is left to tell.
        _silence_broken_pipe(app.env.stdout, app.env.stderr)
        return errors.ExitCode.HANGUP if exc.errno in (errno.EIO, errno.ENXIO) else errors.ExitCode.ERROR


def _run(argv: list[str] | None, prog_name: str, app: App) -> int:
    # The plainest `get rollout NAME [-n NS]` and `version` run without click (cli/quick.py),
    # the rest through the root command.
    args = sys.argv[1:] if argv is None else argv
    quick = None
    if args[:1] in (["get"], ["version"]):
        from kubectl_rollouts_py.cli.quick import quick_command

        quick = quick_command(args)
    if quick is None:
        return _run_click(argv, prog_name, app)
    try:
        quick(app)
    except KeyboardInterrupt as exc:
        return _interrupted(exc, app.env)
    except Exception as exc:
        return _failed(exc, app)
    return errors.ExitCode.SUCCESS


def _run_click(argv: list[str] | None, prog_name: str, app: App) -> int:
    import click

    env = app.env
    try:
        from kubectl_rollouts_py.cli.app import root

        # The App is the root context's object: commands find the Environment there, and
        # the global flags are kept in it (so --debug is known here afterwards).
        root.main(args=argv, prog_name=prog_name, standalone_mode=False, obj=app,
                  terminal_width=_help_width(root.context_settings.get("max_content_width", 80)))
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:
        # click answers a closed pipe (EPIPE while a command writes) with sys.exit(1); for
        # `... | head` that is the reader's choice, not a failure: exit 0, quietly. Click
        # 8.4 raises that exit inside its `except OSError` (so it carries the EPIPE as
        # context); 8.5 raises it afterwards, having wrapped stdout in its
        # (_)PacifyFlushWrapper, which is then the only sign left.
        if _closed_pipe(exc.__context__) or type(sys.stdout).__name__.endswith("PacifyFlushWrapper"):
            _silence_broken_pipe(env.stdout)
            return errors.ExitCode.SUCCESS
        raise
    except click.ClickException as exc:
        exc.show(file=env.stderr)
        return exc.exit_code
    except (click.Abort, KeyboardInterrupt) as exc:
        return _interrupted(exc, env)
    except Exception as exc:
        return _failed(exc, app)
    return errors.ExitCode.SUCCESS


def _help_width(most: int) -> int:
    """The width click gives help and usage text when told none: the terminal's columns at
    most `most`, less 2, at least 50; the columns as shutil.get_terminal_size counts them
    (COLUMNS, else the terminal of sys.__stdout__, else 80). Worked out here so that
    printing help does not import shutil (and the compression modules it imports)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
        columns = columns or 80
    return max(min(columns, most) - 2, 50)


def _failed(exc: Exception, app: App) -> int:
    """The exit code (and the one line) for an exception a command ended with."""
    env = app.env
    if isinstance(exc, LeftWithCtrlC):
        return _left_with_ctrl_c(env)
    if isinstance(exc, errors.RolloutsError):
        print_error(exc.message, env.stderr)
        return exc.exit_code
    if isinstance(exc, BrokenPipeError):
        _silence_broken_pipe(env.stdout)
        return errors.ExitCode.SUCCESS
    if isinstance(exc, OSError):
        failure = _output_failure(exc, env.stdout)
        if failure is None:
            return _internal_error(exc, app)
        # One line, and nothing left buffered for the interpreter's final flush to fail on.
        print_error(f"cannot write the output: {failure}", env.stderr)
        _silence_broken_pipe(env.stdout)
        return errors.ExitCode.ERROR
    return _internal_error(exc, app)


def _internal_error(exc: Exception, app: App) -> int:
    """A bug of ours: one line; its traceback only when asked for."""
    env = app.env
    print_error(f"internal error: {type(exc).__name__}: {exc} (please report this)", env.stderr)
    if app.debug:
        _print_traceback(exc, env.stderr)
    return errors.ExitCode.ERROR
