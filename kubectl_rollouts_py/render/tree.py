"""`get rollout` and `get experiment`: the header block and the tree table."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from kubectl_rollouts_py.derive.views import (
    AnalysisRunView,
    ExperimentView,
    ImageView,
    JobView,
    PodView,
    ReplicaSetView,
    RevisionView,
    RolloutView,
)
from kubectl_rollouts_py.render import style as st
from kubectl_rollouts_py.render.escape import clean, clean_bounded
from kubectl_rollouts_py.render.tabwriter import align

Row = tuple[str, str, str, str, str]
_LABEL_WIDTH = 17
WHY_LIMIT = 300  # the most of the one-line "why" shown: a summary with a hostile name stays one short line


def _header(label: str, value: str = "") -> str:
    # Go's "%-17s%v": the label is padded even when the value is empty.
    return f"{label:<{_LABEL_WIDTH}}{value}"


def _images(images: Sequence[ImageView], style: st.Style) -> list[str]:
    lines = []
    for i, image in enumerate(images):
        value = clean(image.image)
        if image.tags:
            value += " (" + ", ".join(style.tag(clean(t)) for t in image.tags) + ")"
        lines.append(_header("Images:" if i == 0 else "", value))
    return lines


def _status(glyph: str, status: str, style: st.Style) -> str:
    return f"{style.icon(glyph)} {clean(status)}"


def _children(prefix: str, items: Sequence[object]) -> Iterator[tuple[str, str, object]]:
    """(row prefix, sub-prefix for the item's own children, item) per Argo's tree rule."""
    for i, item in enumerate(items):
        if i == len(items) - 1:
            yield prefix + "└──", prefix + "   ", item
        else:
            yield prefix + "├──", prefix + "│  ", item


def _pod_rows(pods: Sequence[PodView], prefix: str, style: st.Style) -> Iterator[Row]:
    for row_prefix, _, pod in _children(prefix, pods):
        assert isinstance(pod, PodView)
        info = f"ready:{pod.ready}/{pod.total}" + (f",restarts:{pod.restarts}" if pod.restarts > 0 else "")
        yield (f"{row_prefix}{st.GLYPH_POD} {clean(pod.name)}", "Pod", _status(st.pod_icon(pod.status), pod.status, style), pod.age, info)


def _replica_set_row(rs: ReplicaSetView, row_prefix: str, sub_prefix: str, style: st.Style) -> Iterator[Row]:
    name = style.replica_set_name(rs.tags, clean(rs.name))
    info = ",".join(style.tag(t) for t in rs.tags)
    if rs.scale_down_delay is not None:
        info = ",".join(filter(None, (info, f"delay:{clean(rs.scale_down_delay)}")))
    status = _status(st.REPLICA_SET_ICONS.get(rs.status, " "), rs.status, style)
    yield (f"{row_prefix}{st.GLYPH_REPLICA_SET} {name}", "ReplicaSet", status, rs.age, info)
    yield from _pod_rows(rs.pods, sub_prefix, style)


def _job_rows(jobs: Sequence[JobView], prefix: str, style: st.Style) -> Iterator[Row]:
    for row_prefix, _, job in _children(prefix, jobs):
        assert isinstance(job, JobView)
        name = style.phase_name(job.status, clean(job.name))
        status = _status(st.ANALYSIS_ICONS.get(job.status, " "), job.status, style)
        yield (f"{row_prefix}{st.GLYPH_JOB} {name}", "Job", status, job.age, "")


def _analysis_run_row(run: AnalysisRunView, row_prefix: str, sub_prefix: str, style: st.Style) -> Iterator[Row]:
    counters = [(glyph, n) for glyph, n in (("✔", run.successful), ("✖", run.failed), ("?", run.inconclusive), ("⚠", run.error)) if n]
    info = ",".join(f"{style.icon(glyph)} {n}" for glyph, n in counters)
    name = style.phase_name(run.status, clean(run.name))
    status = _status(st.ANALYSIS_ICONS.get(run.status, " "), run.status, style)
    yield (f"{row_prefix}{st.GLYPH_ANALYSIS_RUN} {name}", "AnalysisRun", status, run.age, info)
    yield from _job_rows(run.jobs, sub_prefix, style)


def _experiment_children(experiment: ExperimentView, prefix: str, style: st.Style) -> Iterator[Row]:
    items: list[object] = [*experiment.replica_sets, *experiment.analysis_runs]
    for row_prefix, sub_prefix, item in _children(prefix, items):
        if isinstance(item, ReplicaSetView):
            yield from _replica_set_row(item, row_prefix, sub_prefix, style)
        else:
            assert isinstance(item, AnalysisRunView)
            yield from _analysis_run_row(item, row_prefix, sub_prefix, style)


def _experiment_row(experiment: ExperimentView, row_prefix: str, sub_prefix: str, style: st.Style) -> Iterator[Row]:
    name = style.phase_name(experiment.status, clean(experiment.name))
    status = _status(st.ANALYSIS_ICONS.get(experiment.status, " "), experiment.status, style)
    yield (f"{row_prefix}{st.GLYPH_EXPERIMENT} {name}", "Experiment", status, experiment.age, "")
    yield from _experiment_children(experiment, sub_prefix, style)


def _revision_rows(revision: RevisionView, row_prefix: str, sub_prefix: str, style: st.Style) -> Iterator[Row]:
    yield (f"{row_prefix}{st.GLYPH_REVISION} revision:{revision.revision}", "", " ", "", "")
    items: list[object] = [*revision.replica_sets, *revision.experiments, *revision.analysis_runs]
    for item_prefix, item_sub, item in _children(sub_prefix, items):
        if isinstance(item, ReplicaSetView):
            yield from _replica_set_row(item, item_prefix, item_sub, style)
        elif isinstance(item, ExperimentView):
            yield from _experiment_row(item, item_prefix, item_sub, style)
        else:
            assert isinstance(item, AnalysisRunView)
            yield from _analysis_run_row(item, item_prefix, item_sub, style)


def _table(rows: list[Row]) -> str:
    header: Row = ("NAME", "KIND", "STATUS", "AGE", "INFO")
    return "\n".join(align([header, *rows])) + "\n"


def render_rollout(view: RolloutView, style: st.Style = st.PLAIN, why: str = "") -> str:
    """The full `get rollout` output: header, empty line, tree. `why` (the first cause of
    `explain`, one line) follows Status and Message when it is not ""."""
    lines = [
        _header("Name:", clean(view.name)),
        _header("Namespace:", clean(view.namespace)),
        _header("Status:", _status(st.ROLLOUT_ICONS.get(view.status, " "), view.status, style)),
    ]
    if view.message:
        lines.append(_header("Message:", clean_bounded(view.message)))
    if why:
        lines.append(_header("Why:", clean_bounded(why, WHY_LIMIT)))
    lines.append(_header("Strategy:", view.strategy))
    if view.strategy == "Canary":
        lines += [
            _header("  Step:", view.step),
            _header("  SetWeight:", view.set_weight),
            _header("  ActualWeight:", view.actual_weight),
        ]
    lines += _images(view.images, style)
    replicas = view.replicas
    lines += [
        "Replicas:",
        _header("  Desired:", str(replicas.desired)),
        _header("  Current:", str(replicas.current)),
        _header("  Updated:", str(replicas.updated)),
        _header("  Ready:", str(replicas.ready)),
        _header("  Available:", str(replicas.available)),
        "",
    ]
    root_status = _status(st.ROLLOUT_ICONS.get(view.status, " "), view.status, style)
    rows: list[Row] = [(f"{st.GLYPH_ROLLOUT} {clean(view.name)}", "Rollout", root_status, view.age, "")]
    for row_prefix, sub_prefix, revision in _children("", view.revisions):
        assert isinstance(revision, RevisionView)
        rows.extend(_revision_rows(revision, row_prefix, sub_prefix, style))
    return "\n".join(lines) + "\n" + _table(rows)


def render_experiment(view: ExperimentView, style: st.Style = st.PLAIN) -> str:
    """The full `get experiment` output."""
    status = _status(st.ANALYSIS_ICONS.get(view.status, " "), view.status, style)
    lines = [
        _header("Name:", clean(view.name)),
        _header("Namespace:", clean(view.namespace)),
        _header("Status:", status),
    ]
    if view.message:
        lines.append(_header("Message:", clean_bounded(view.message)))
    lines += _images(view.images, style)
    lines.append("")
    name = style.phase_name(view.status, clean(view.name))
    rows: list[Row] = [(f"{st.GLYPH_EXPERIMENT} {name}", "Experiment", status, view.age, "")]
    rows.extend(_experiment_children(view, "", style))
    return "\n".join(lines) + "\n" + _table(rows)
