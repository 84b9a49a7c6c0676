"""Where a live view's frames go: drawn in place on a terminal, or printed one after another
(pipes, files, `-o json|yaml`). The streams and the terminal facts come from the
`Environment`, never from sys.stdout or os.environ."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from kubectl_rollouts_py.environment import Environment
from kubectl_rollouts_py.term.screen import Screen
from kubectl_rollouts_py.watch.frames import Frame
from kubectl_rollouts_py.watch.outage import Outage


class Sink(Protocol):
    """What the loop (watch/engine.py) shows frames on."""

    ticks: bool  # whether frames are redrawn when only the clock changed them

    def show(self, frame: Frame) -> bool: ...

    def refit(self) -> None: ...

    def trouble(self, outage: Outage) -> None: ...


class Printer:
    """Frames as a stream of text on `env.stdout`: each changed frame printed in full.

    `separator()` gives the line printed before every frame but the first (None: nothing).
    Outages are told on `env.stderr`, so that stdout stays the frames alone.
    """

    ticks = False  # printed frames do not follow the clock

    def __init__(self, env: Environment, separator: Callable[[], str] | None = None) -> None:
        self._env = env
        self._separator = separator
        self._last: str | None = None

    def _write(self, text: str) -> None:
        self._env.stdout.write(text)
        self._env.stdout.flush()

    def show(self, frame: Frame) -> bool:
        key = frame.change_key()
        if key == self._last:
            return False
        if self._last is not None and self._separator is not None:
            self._write(self._separator())
        self._last = key
        self._write(frame.text)
        return True

    def refit(self) -> None:
        """Nothing to do: printed frames do not depend on the terminal's size."""

    def trouble(self, outage: Outage) -> None:
        """A `Warning:` line on stderr when an outage starts and when it ends; not for every
        failed attempt in between."""
        if outage.ended:
            self._warn(f"Warning: reconnected to the API server after {outage.seconds():.0f}s")
        elif outage.new:
            self._warn(f"Warning: reconnecting: {outage.error}")

    def _warn(self, text: str) -> None:
        self._env.stderr.write(text + "\n")
        self._env.stderr.flush()


class ScreenSink:
    """Frames drawn in place on a terminal (term.screen.Screen), fitted to its height."""

    ticks = True

    def __init__(self, screen: Screen) -> None:
        self.screen = screen
        self._text: str | None = None
        self._status = ""  # a line above the frame while the streams cannot reconnect

    def show(self, frame: Frame) -> bool:
        self._text = frame.text
        return self._draw()

    def refit(self) -> None:
        self.screen.refit()

    def trouble(self, outage: Outage) -> None:
        # On top, so that fitting a tall frame to the terminal cannot cut it off.
        self._status = "" if outage.ended else f"reconnecting: {outage.error}\n\n"
        if self._text is not None:
            self._draw()

    def _draw(self) -> bool:
        assert self._text is not None
        return bool(self.screen.show(self._status + self._text))


def frame_separator(clock: Callable[[], dt.datetime]) -> Callable[[], str]:
    """Between printed frames: an empty line and `--- <UTC time>`."""
    return lambda: f"\n--- {clock().strftime('%Y-%m-%dT%H:%M:%SZ')}\n"


@contextmanager
def sink_for(env: Environment, output: str) -> Iterator[Printer | ScreenSink]:
    """A Screen for text on a terminal; otherwise printed frames (NDJSON for -o json)."""
    if output == "text" and env.on_terminal:
        from kubectl_rollouts_py.render.fold import fit_height

        with Screen(env.stdout, fit=fit_height) as screen:
            yield ScreenSink(screen)
    else:
        yield Printer(env, frame_separator(env.now) if output == "text" else None)
