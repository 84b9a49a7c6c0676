"""Turn every outcome into an exit code and at most one `Error: ...` line."""

from __future__ import annotations

import os
import sys

import click

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.render.escape import clean


def print_error(message: str) -> None:
    """The one format of an error line: `Error: <message>`, escaped for the terminal."""
    sys.stderr.write(f"Error: {clean(message)}\n")
    sys.stderr.flush()


def _silence_broken_pipe() -> None:
    # `... | head` closed our stdout: point it at /dev/null so the interpreter's final
    # flush does not raise again, then exit quietly.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _closed_pipe(exc: BaseException | None) -> bool:
    import errno

    return isinstance(exc, OSError) and exc.errno == errno.EPIPE


def run(argv: list[str] | None, *, prog_name: str) -> int:
    """Run the root command; return the exit code (see errors.ExitCode and the README)."""
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
    except (click.Abort, KeyboardInterrupt):
        sys.stderr.write("\n")
        print_error("interrupted")
        return errors.ExitCode.INTERRUPTED
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
