"""Decide once whether output gets ANSI colour."""

from __future__ import annotations

from collections.abc import Mapping


def use_colour(*, no_color_flag: bool, environ: Mapping[str, str], is_tty: bool) -> bool:
    """Colour only on a terminal, and never with --no-color, a non-empty NO_COLOR or TERM=dumb.

    NO_COLOR counts only when set to something (https://no-color.org): `NO_COLOR=` is
    the same as not setting it. The Argo Rollouts kubectl plugin colours piped output too
    and ignores NO_COLOR; not colouring a pipe is a deliberate difference.
    """
    if no_color_flag or environ.get("NO_COLOR") or environ.get("TERM") == "dumb":
        return False
    return is_tty
