"""A canary's steps as the spec says them: the list, and one line of text per step (the
history's step timeline, explain's causes and next steps). Pure: dicts in, text out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubectl_rollouts_py.derive import fields as f


def steps_of(rollout: Mapping[str, Any]) -> list[Any]:
    """spec.strategy.canary.steps, or [] (no canary, no steps, or not a list)."""
    return f.seq(rollout, "spec", "strategy", "canary", "steps")


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    return "?"


def _duration(value: Any) -> str | None:
    """A step's duration as written: "3m" stays "3m", a number of seconds is "30s"."""
    if isinstance(value, str):
        return value
    seconds = f.integer(value)
    return f"{seconds}s" if seconds is not None else None


def _analysis_names(analysis: Any) -> list[str]:
    return [name for name in (f.text(t.get("templateName")) or f.text(t.get("clusterTemplateName"))
                              for t in f.seq(analysis, "templates") if isinstance(t, Mapping)) if name]


def step_text(step: Any) -> str:
    """One canary step as the spec says it: `setWeight 10`, `pause 3m`, `pause (until
    promoted)`, `analysis success-rate`, `experiment canary (5m)`, `setCanaryScale replicas=2`, `setHeaderRoute canary-header`."""
    if not isinstance(step, Mapping):
        return "an unreadable step"
    if not step:
        return "an empty step"
    if "setWeight" in step:
        weight = f.integer(step.get("setWeight"))
        return f"setWeight {weight}" if weight is not None else "setWeight (unreadable)"
    if "pause" in step:
        duration = f.mapping(step, "pause").get("duration")
        if duration is None or duration == "":
            return "pause (until promoted)"
        text = _duration(duration)
        return f"pause {text}" if text is not None else "pause (unreadable duration)"
    if "analysis" in step:
        return "analysis " + (", ".join(_analysis_names(step.get("analysis"))) or "(no templates)")
    if "experiment" in step:
        experiment = f.mapping(step, "experiment")
        names = [f.text(t.get("name")) for t in f.seq(experiment, "templates") if isinstance(t, Mapping)]
        duration = _duration(experiment.get("duration"))
        return ("experiment " + (", ".join(n for n in names if n) or "(no templates)")
                + (f" ({duration})" if duration else " (until done)"))
    if "setCanaryScale" in step:
        scale = f.mapping(step, "setCanaryScale")
        parts = [f"{key}={_scalar(value)}" for key, value in sorted(scale.items())]
        return " ".join(["setCanaryScale", ", ".join(parts)]) if parts else "setCanaryScale"
    for route in ("setHeaderRoute", "setMirrorRoute"):
        if route in step:
            name = f.text(f.mapping(step, route).get("name"))
            return f"{route} {name}" if name else route
    keys = [k for k in step if isinstance(k, str)]
    return keys[0] if keys else "an unreadable step"
