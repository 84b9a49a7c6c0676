"""What a live view shows: frames, the memo that lets a clock tick re-age the last view, and
the frame of a rollout, experiment or AnalysisRun view."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from kubectl_rollouts_py.derive.verdict import Verdict

V = TypeVar("V")


@dataclass(frozen=True)
class Frame:
    """One state of a live view.

    text: what to show. key: what counts as a change when frames are printed rather than
    drawn (default: the text; views pass their clock-free document so that ticking ages alone
    print nothing). wake_at: when the text would change with the clock alone. done: stop
    after showing this frame, with this verdict.
    """

    text: str
    key: str | Callable[[], str] | None = None  # a callable is only called when needed
    wake_at: dt.datetime | None = None
    done: Verdict | None = None

    def change_key(self) -> str:
        key = self.key() if callable(self.key) else self.key
        return self.text if key is None else key


class Memo:
    """The last view of a live frame, kept while the cluster does not change: a clock tick
    then re-ages it (derive.clock.reaged) instead of deriving it again from every object.

    The loop sets `version` (the cache's change count) before each frame is built.
    """

    def __init__(self) -> None:
        self.version = 0
        self._built_for: int | None = None
        self._view: Any = None

    def view(self, build: Callable[[], V], now: dt.datetime) -> V:
        from kubectl_rollouts_py.derive import clock

        if self._view is not None and self._built_for == self.version:
            self._view = clock.reaged(self._view, now)
        else:
            self._view, self._built_for = build(), self.version
        return self._view  # type: ignore[no-any-return]


def with_countdown(view: Any) -> Any:
    """The view with a timed pause's time left added to its message (live views only)."""
    remaining = getattr(view, "pause_remaining", None)
    if not remaining:
        return view
    message = f"{view.message} ({remaining} left)" if view.message else f"{remaining} left"
    return dataclasses.replace(view, message=message)


def view_frame(view: Any, output: str, now: dt.datetime, render: Callable[[Any], str], *, live: bool) -> Frame:
    """The frame of a rollout, experiment or AnalysisRun view: `render(view)` for text, else
    the view's document. Live frames add the pause countdown and know when the clock changes
    them."""
    from kubectl_rollouts_py.render.output import document_text, serialise

    if output != "text":
        return Frame(document_text(view.to_dict(), output) if live else serialise(view.to_dict(), output))
    if not live:
        return Frame(render(view))
    from kubectl_rollouts_py.derive import clock

    def key() -> str:  # the clock-free content: what counts as a change for printed frames
        return json.dumps(view.to_dict(), sort_keys=True, ensure_ascii=True)

    return Frame(render(with_countdown(view)), key=key, wake_at=clock.next_change(view, now))
