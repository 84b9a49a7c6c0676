"""Draw a frame on a terminal in place, without flicker; the only writer of screen control.

`Screen` switches to the alternate screen, hides the cursor and turns line wrapping off
(a long line is cut at the right edge instead of pushing the frame down). Each `show()`
moves the cursor home and overwrites the frame line by line, erasing the rest of every
line and everything below the last one, all inside one write wrapped in synchronized
output (mode 2026: the terminal shows the whole frame at once; terminals that do not
know the mode ignore it). Nothing is written when the fitted text did not change.

On exit (also after Ctrl-C, SIGTERM or an error) the terminal is restored: wrapping and
cursor back on, main screen back, and the last frame is printed there so it stays in the
scrollback.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TextIO

ESC = "\x1b"
SYNC_BEGIN = f"{ESC}[?2026h"
SYNC_END = f"{ESC}[?2026l"
ALT_SCREEN_ON = f"{ESC}[?1049h"
ALT_SCREEN_OFF = f"{ESC}[?1049l"
CURSOR_HIDE = f"{ESC}[?25l"
CURSOR_SHOW = f"{ESC}[?25h"
WRAP_OFF = f"{ESC}[?7l"
WRAP_ON = f"{ESC}[?7h"
HOME = f"{ESC}[H"
ERASE_LINE_END = f"{ESC}[K"
ERASE_BELOW = f"{ESC}[J"

Fit = Callable[[str, int], str]


def _terminal_lines(out: TextIO) -> int:
    try:
        return os.get_terminal_size(out.fileno()).lines
    except (OSError, ValueError, AttributeError):
        return 24


def _clip(text: str, height: int) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines[:max(height, 1)]


class Screen:
    """A full-screen view on a terminal.

    Args:
        out: the terminal's text stream.
        fit: cuts a frame to a height (e.g. render.fold.fit_height); lines beyond the
            height are dropped after it, whatever it returns.
        height: returns the terminal's height in lines (default: asked from `out`).
    """

    def __init__(self, out: TextIO, *, fit: Fit | None = None, height: Callable[[], int] | None = None) -> None:
        self.out = out
        self._fit = fit
        self._height = height or (lambda: _terminal_lines(out))
        self._text: str | None = None  # the last frame given, before fitting
        self._shown: list[str] | None = None  # the lines on screen
        self._active = False
        self.writes = 0  # frames actually written, for tests and benchmarks

    def __enter__(self) -> Screen:
        self.out.write(ALT_SCREEN_ON + CURSOR_HIDE + WRAP_OFF + HOME + ERASE_BELOW)
        self.out.flush()
        self._active = True
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def show(self, text: str) -> bool:
        """Draw `text` if it differs from what is on screen; return whether it was drawn."""
        self._text = text
        return self._draw()

    def refit(self) -> bool:
        """Draw the last frame again for a new terminal size (after SIGWINCH)."""
        return self._draw() if self._text is not None else False

    def _draw(self) -> bool:
        assert self._text is not None
        height = self._height()
        fitted = self._fit(self._text, height) if self._fit else self._text
        lines = _clip(fitted, height)
        if lines == self._shown:
            return False
        self._shown = lines
        body = "\n".join(line + ERASE_LINE_END for line in lines)
        self.out.write(SYNC_BEGIN + HOME + body + ERASE_BELOW + SYNC_END)
        self.out.flush()
        self.writes += 1
        return True

    def close(self) -> None:
        """Restore the terminal and print the last frame on the main screen. Idempotent."""
        if not self._active:
            return
        self._active = False
        try:
            self.out.write(SYNC_END + WRAP_ON + CURSOR_SHOW + ALT_SCREEN_OFF)
            if self._shown:
                self.out.write("\n".join(self._shown) + "\n")
            self.out.flush()
        except (OSError, ValueError):
            pass  # the terminal is gone (hang-up); nothing left to restore
