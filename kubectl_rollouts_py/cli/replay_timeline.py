"""`replay` on a terminal: step through a recording's changes, the view redrawn in place.

Left/right (or h/l) move one recorded change, Home/End (or g/G) to the first and last, q
quits; Ctrl-C stops as everywhere (exit 130). The terminal reads keys unbuffered
(cbreak mode, so Ctrl-C still signals) and is restored on the way out.
"""

from __future__ import annotations

import datetime as dt
import os
import termios
import tty
from collections.abc import Sequence
from typing import Any

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.environment import Environment

KEYS: dict[bytes, int | str] = {
    b"\x1b[D": -1, b"\x1bOD": -1, b"h": -1, b"\x1b[C": 1, b"\x1bOC": 1, b"l": 1,
    b"\x1b[H": "first", b"\x1b[1~": "first", b"\x1bOH": "first", b"g": "first",
    b"\x1b[F": "last", b"\x1b[4~": "last", b"\x1bOF": "last", b"G": "last",
    b"q": "quit", b"Q": "quit",
}


def keys_in(data: bytes) -> list[int | str]:
    """The known keys in what one read returned (a held arrow key sends several at once)."""
    found: list[int | str] = []
    i = 0
    while i < len(data):
        match = next((k for k in sorted(KEYS, key=len, reverse=True) if data.startswith(k, i)), None)
        if match is None:
            i += 1
            continue
        found.append(KEYS[match])
        i += len(match)
    return found


def frame_text(app: App, store: Any, name: str, namespace: str, times: Sequence[dt.datetime], index: int) -> str:
    from kubectl_rollouts_py.watch.tree_frames import rollout_frame
    from kubectl_rollouts_py.derive.fields import rfc3339
    from kubectl_rollouts_py.ops import history as ops_history

    moment = times[index]
    header = f"Replay of {name}: change {index + 1} of {len(times)}, {rfc3339(moment)}   (←/→ step, Home/End, q quits)\n\n"
    try:
        rollout, objs = ops_history.state_at(store, name, namespace, moment)
    except errors.NotFound as exc:
        return header + exc.message + "\n"
    return header + rollout_frame(app.style(), rollout, objs, "text", now=moment).text


def timeline(app: App, env: Environment, store: Any, name: str, namespace: str, times: Sequence[dt.datetime]) -> None:
    from kubectl_rollouts_py.render.fold import fit_height
    from kubectl_rollouts_py.term.screen import Screen

    fd = env.stdin.fileno()
    saved = termios.tcgetattr(fd)
    index = len(times) - 1
    try:
        tty.setcbreak(fd)
        with Screen(env.stdout, fit=fit_height) as screen:
            while True:
                screen.show(frame_text(app, store, name, namespace, times, index))
                for key in keys_in(os.read(fd, 64)):
                    if key == "quit":
                        return
                    if key == "first":
                        index = 0
                    elif key == "last":
                        index = len(times) - 1
                    elif isinstance(key, int):
                        index = min(max(index + key, 0), len(times) - 1)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
