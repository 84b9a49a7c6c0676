"""What `get rollout` and `get experiment` do once their arguments are read: one view of
NAME, or the live view. Free of click, so that cli/quick.py can run it for the plainest
`get rollout NAME` without importing click; cli/get.py's commands call the same functions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubectl_rollouts_py.cli.context import App
    from kubectl_rollouts_py.kube.resources import Resource
    from kubectl_rollouts_py.watch.frames import Frame


def rollout_frame(app: App, analysis: str, revisions: int | None) -> Callable[..., Frame]:
    """`get rollout`'s frame for this run (watch.tree_frames.rollout_frame with its style)."""
    from kubectl_rollouts_py.watch.tree_frames import rollout_frame as frame

    return functools.partial(frame, app.style(), analysis=analysis, revisions=revisions)


def show(app: App, frame: Callable[..., Frame], resource: Resource, name: str, from_files: tuple[str, ...], output: str,
         watch: bool, timeout: float | None = None, until_complete: bool = False) -> None:
    """One view of NAME (`frame(obj, objs, output, now=...)`, see watch.tree_frames), or with
    `watch` the live view, which Ctrl-C leaves quietly (exit 130, no Error line)."""
    resource.check_name(name)  # before any request (or file lookup): a usage error
    if watch:
        from kubectl_rollouts_py.cli.errors import leaving_on_ctrl_c
        from kubectl_rollouts_py.watch.views import watch_view  # the live engine, for watches alone

        with leaving_on_ctrl_c(app.env), app.source(from_files) as source:
            watch_view(app.env, source, resource, name, frame, output, timeout=timeout, until_complete=until_complete)
        return
    with app.source(from_files) as source:
        from kubectl_rollouts_py.kube import fetch

        hints = None
        if not from_files:  # saved objects cost no round trip
            from kubectl_rollouts_py.kube.view_hints import ViewHints

            hints = ViewHints(app.env.environ, app.flags.get("cache_dir"))
        obj, objs = fetch.fetch_with_namespace(source, resource, name, source.namespace, hints=hints)
        app.write(frame(obj, objs, output, now=app.now()).text)
