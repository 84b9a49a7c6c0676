"""Decide once whether output gets ANSI colour."""

from __future__ import annotations

from collections.abc import Mapping


def use_colour(*, no_color_flag: bool, environ: Mapping[str, str], is_tty: bool) -> bool:
    """Colour only on a terminal, and never with --no-color, NO_COLOR (any value) or TERM=dumb.

    The Argo Rollouts kubectl plugin colours piped output too and ignores NO_COLOR; not
    colouring a pipe is a deliberate difference.
    """
    if no_color_flag or "NO_COLOR" in environ or environ.get("TERM") == "dumb":
        return False
    return is_tty
