"""The process's world, injected: standard streams, terminal facts, environment variables, clocks.

Front ends build one `Environment` at the edge (`Environment.from_process()`); everything
below them takes what it needs from it instead of reaching for `sys.stdout`, `os.environ`
or `datetime.now()`. Tests build their own, with string streams, a fixed clock and
chosen tty facts, and run commands in-process.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TextIO


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


@dataclass
class Environment:
    """Streams, tty facts, variables and clocks of one run of the program."""

    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    environ: Mapping[str, str] = field(default_factory=dict)
    stdin_isatty: bool = False
    stdout_isatty: bool = False
    stderr_isatty: bool = False
    clock: Callable[[], dt.datetime] = utcnow
    monotonic: Callable[[], float] = time.monotonic

    @classmethod
    def from_process(cls) -> Environment:
        """This process's streams (as they are now), os.environ and the real clocks."""
        return cls(
            stdin=sys.stdin,
            stdout=sys.stdout,
            stderr=sys.stderr,
            environ=os.environ,
            stdin_isatty=_isatty(sys.stdin),
            stdout_isatty=_isatty(sys.stdout),
            stderr_isatty=_isatty(sys.stderr),
        )

    @property
    def on_terminal(self) -> bool:
        """stdout is a terminal that can take escape sequences (not TERM=dumb)."""
        return self.stdout_isatty and self.environ.get("TERM") != "dumb"

    def now(self) -> dt.datetime:
        return self.clock()

    def read_stdin_bytes(self) -> bytes:
        """All of stdin as bytes (`-f -`): the binary buffer under a real stream, else the
        text of a string stream, UTF-8 encoded."""
        buffer = getattr(self.stdin, "buffer", None)
        if buffer is not None:
            data: bytes = buffer.read()
            return data
        return self.stdin.read().encode("utf-8")
