"""Turn every outcome into an exit code and at most one `Error: ...` line."""

from __future__ import annotations

import errno
import os
import signal
import sys
from typing import Any

import click

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.render.escape import clean


def print_error(message: str) -> None:
    """The one format of an error line: `Error: <message>`, escaped for the terminal."""
    sys.stderr.write(f"Error: {clean(message)}\n")
    sys.stderr.flush()


def _silence_broken_pipe(*streams: Any) -> None:
    # `... | head` closed our stdout (or the terminal hung up): point it at /dev/null so
    # the interpreter's final flush does not raise again (Python would exit 120), then
    # exit quietly.
    for stream in streams or (sys.stdout,):
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError, AttributeError):
            pass


# Exit code and words for each signal that stops the CLI (see errors.Interrupted).
_SIGNALS = {
    signal.SIGINT: (errors.ExitCode.INTERRUPTED, "interrupted"),
    signal.SIGTERM: (errors.ExitCode.TERMINATED, "interrupted by SIGTERM"),
    signal.SIGHUP: (errors.ExitCode.HANGUP, "interrupted by SIGHUP"),
}


def _interrupted(exc: BaseException | None) -> int:
    """The one line for Ctrl-C, SIGTERM or SIGHUP (with what was done, when known)."""
    # click turns KeyboardInterrupt into Abort, chained (having ended the line after the ^C
    # the terminal echoed): find the original.
    newline = not isinstance(exc, click.Abort)
    while exc is not None and not isinstance(exc, KeyboardInterrupt):
        exc = exc.__cause__ or exc.__context__
    signum = getattr(exc, "signum", signal.SIGINT)
    detail = getattr(exc, "detail", "")
    code, words = _SIGNALS.get(signum, _SIGNALS[signal.SIGINT])
    try:
        if newline:
            sys.stderr.write("\n")  # after the ^C the terminal echoed
        print_error(f"{words}: {detail}" if detail else words)
    except (OSError, ValueError):  # SIGHUP: the terminal is gone, nobody to tell
        _silence_broken_pipe(sys.stdout, sys.stderr)
    return code


def _closed_pipe(exc: BaseException | None) -> bool:
    return isinstance(exc, OSError) and exc.errno == errno.EPIPE


def run(argv: list[str] | None, *, prog_name: str) -> int:
    """Run the root command; return the exit code (see errors.ExitCode and the README)."""
    from kubectl_rollouts_py.term.signals import stopping_raise_interrupted

    try:
        with stopping_raise_interrupted():
            return _run(argv, prog_name)
    except KeyboardInterrupt as exc:  # a signal after the command ended, while unwinding
        return _interrupted(exc)
    except OSError as exc:
        # The error line itself could not be written: stderr is gone too (the terminal hung
        # up, EIO, before SIGHUP came or with SIGHUP ignored). Nobody is left to tell.
        _silence_broken_pipe(sys.stdout, sys.stderr)
        return errors.ExitCode.HANGUP if exc.errno in (errno.EIO, errno.ENXIO) else errors.ExitCode.ERROR


def _run(argv: list[str] | None, prog_name: str) -> int:
    try:
        from kubectl_rollouts_py.cli.app import root

        root.main(args=argv, prog_name=prog_name, standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:
        # click answers a closed pipe (EPIPE while a command writes) with sys.exit(1); for
        # `... | head` that is the reader's choice, not a failure: exit 0, quietly. Click
        # 8.4 raises that exit inside its `except OSError` (so it carries the EPIPE as
        # context); 8.5 raises it afterwards, having wrapped stdout in its
        # (_)PacifyFlushWrapper, which is then the only sign left.
        if _closed_pipe(exc.__context__) or type(sys.stdout).__name__.endswith("PacifyFlushWrapper"):
            _silence_broken_pipe()
            return errors.ExitCode.SUCCESS
        raise
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except (click.Abort, KeyboardInterrupt) as exc:
        return _interrupted(exc)
    except errors.RolloutsError as exc:
        print_error(exc.message)
        return exc.exit_code
    except BrokenPipeError:
        _silence_broken_pipe()
        return errors.ExitCode.SUCCESS
    except Exception as exc:  # a bug of ours: still one line, never a traceback
        print_error(f"internal error: {type(exc).__name__}: {exc} (please report this)")
        return errors.ExitCode.ERROR
    return errors.ExitCode.SUCCESS
