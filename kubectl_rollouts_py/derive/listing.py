"""Rows of `list experiments` (rollout rows live with the rollout view)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kubectl_rollouts_py.derive import fields as f
from kubectl_rollouts_py.derive.humantime import age, human_duration, seconds_between
from kubectl_rollouts_py.derive.rollout import COMPLETED_ANALYSIS_PHASES
from kubectl_rollouts_py.derive.views import ExperimentRow
from kubectl_rollouts_py.govalues import duration_seconds


def build_experiment_row(experiment: dict[str, Any], now: dt.datetime) -> ExperimentRow:
    status = f.mapping(experiment, "status")
    phase = f.text(status.get("phase"))
    duration = duration_seconds(f.text(f.mapping(experiment, "spec").get("duration")))
    shown_duration = remaining = "-"
    if duration is not None:
        shown_duration = human_duration(duration)
        available_at = f.parse_time(status.get("availableAt"))
        if phase not in COMPLETED_ANALYSIS_PHASES and available_at is not None:
            left = seconds_between(now, available_at) + duration
            if left > 0:
                remaining = human_duration(left)
    created = f.created_of(experiment)
    return ExperimentRow(
        namespace=f.namespace_of(experiment),
        name=f.name_of(experiment),
        status=phase,
        duration=shown_duration,
        remaining=remaining,
        age=age(created, now),
        created=created,
    )
