"""The frames of the Argo Rollouts kubectl plugin's tree views, `get rollout` and `get
experiment`, from one snapshot of the cluster: what the one-shot commands print, what the
live views (`-w`, `watch`) draw for every change, and what `replay` shows of a recording.

Every front end that shows these trees calls here; none copies another's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from kubectl_rollouts_py.render.style import Style
from kubectl_rollouts_py.watch.frames import Frame, Memo, view_frame


def newest_revisions(view: Any, count: int | None) -> Any:
    """The rollout view with only its `count` newest revisions (all of them for None), and
    only the analysis tables of the runs in those revisions."""
    if count is None or len(view.revisions) <= count:
        return view
    kept = view.revisions[:count]  # newest first
    numbers = {revision.revision for revision in kept}
    return dataclasses.replace(view, revisions=kept, analysis=tuple(a for a in view.analysis if a.revision in numbers))


def rollout_frame(style: Style, rollout: dict[str, Any], objs: Any, output: str, *, now: dt.datetime,
                  live: Memo | None = None, analysis: str = "auto", revisions: int | None = None) -> Frame:
    """`get rollout` for one snapshot of the cluster (`objs`: a kube.fetch.NamespaceObjects);
    live views call it for every frame with `live`, which keeps the last view for clock
    ticks. `analysis` picks the runs whose metric table follows the Argo plugin's tree
    (none, auto: the current revision's, all). `revisions` keeps only that many of the newest
    revisions (in the tree and in `-o json|yaml`). Unless `analysis` is none (the Argo
    plugin's output exactly), a rollout that is not Healthy gets a `Why:` line (JSON: a `why`
    field): the first cause of `explain`, without the clock."""
    from kubectl_rollouts_py.derive import analysis as derive_analysis
    from kubectl_rollouts_py.derive import rollout as derive_rollout
    from kubectl_rollouts_py.render import analysis as render_analysis
    from kubectl_rollouts_py.render import tree

    def derive() -> Any:
        view = derive_rollout.build_rollout_view(
            rollout, replica_sets=objs.replica_sets, pods=objs.pods, analysis_runs=objs.analysis_runs,
            experiments=objs.experiments, now=now,
        )
        return derive_analysis.attach_analysis(
            view, rollout, analysis_runs=objs.analysis_runs, replica_sets=objs.replica_sets, scope=analysis, now=now
        )

    view = newest_revisions(live.view(derive, now) if live else derive(), revisions)
    why = rollout_why(rollout, objs, now) if analysis != "none" and view.status != "Healthy" else ""
    if output != "text" and why:
        from kubectl_rollouts_py.render.output import document_text, serialise

        document = {**view.to_dict(), "why": why}
        return Frame(document_text(document, output) if live else serialise(document, output))

    def render(shown: Any) -> str:
        summary = render_analysis.render_run_summary(shown.analysis, style)
        return tree.render_rollout(shown, style, why=why) + ("\n" + summary if summary else "")

    return view_frame(view, output, now, render, live=live is not None)


def rollout_why(rollout: dict[str, Any], objs: Any, now: dt.datetime) -> str:
    """The one-line "why" of a rollout from the objects `get rollout` already has (no reads):
    the first cause of `explain`, free of the clock (the Message line has the countdown)."""
    from kubectl_rollouts_py.derive import explain

    explanation = explain.explain_rollout(
        rollout, replica_sets=objs.replica_sets, pods=objs.pods, analysis_runs=objs.analysis_runs,
        experiments=objs.experiments, now=now,
    )
    return explain.why_line(explanation)


def experiment_frame(style: Style, experiment: dict[str, Any], objs: Any, output: str, *, now: dt.datetime,
                     live: Memo | None = None) -> Frame:
    """`get experiment` for one snapshot of the cluster; `-w` calls it for every frame."""
    from kubectl_rollouts_py.derive import rollout as derive_rollout
    from kubectl_rollouts_py.render import tree

    def derive() -> Any:
        return derive_rollout.build_experiment_view(
            experiment, replica_sets=objs.replica_sets, pods=objs.pods, analysis_runs=objs.analysis_runs, now=now
        )

    view = live.view(derive, now) if live else derive()
    return view_frame(view, output, now, lambda shown: tree.render_experiment(shown, style), live=live is not None)
