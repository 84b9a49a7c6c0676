"""derive/steps.py: one text per canary step, shared by history and explain."""

from __future__ import annotations

from typing import Any

import pytest

from kubectl_rollouts_py.derive.steps import step_text, steps_of


@pytest.mark.parametrize(("step", "text"), [
    ({"setWeight": 10}, "setWeight 10"),
    ({"setWeight": "x"}, "setWeight (unreadable)"),
    ({"pause": {"duration": "3m"}}, "pause 3m"),
    ({"pause": {"duration": 30}}, "pause 30s"),
    ({"pause": {}}, "pause (until promoted)"),
    ({"analysis": {"templates": [{"templateName": "success-rate"}, {"clusterTemplateName": "errors"}]}},
     "analysis success-rate, errors"),
    ({"analysis": {}}, "analysis (no templates)"),
    ({"experiment": {"duration": "5m", "templates": [{"name": "canary"}]}}, "experiment canary (5m)"),
    ({"experiment": {"templates": [{"name": "canary"}]}}, "experiment canary (until done)"),
    ({"setCanaryScale": {"replicas": 2, "matchTrafficWeight": True}}, "setCanaryScale matchTrafficWeight=true, replicas=2"),
    ({"setHeaderRoute": {}}, "setHeaderRoute"),
    ({"setHeaderRoute": {"name": "canary-header"}}, "setHeaderRoute canary-header"),
    ({"setMirrorRoute": {"name": "mirror", "percentage": 50}}, "setMirrorRoute mirror"),
    ({}, "an empty step"),
    ("pause", "an unreadable step"),
])
def test_each_kind_of_step_reads_as_the_spec_says_it(step: Any, text: str) -> None:
    assert step_text(step) == text


def test_the_steps_are_the_canary_s_list_or_nothing() -> None:
    assert steps_of({"spec": {"strategy": {"canary": {"steps": [{"setWeight": 1}]}}}}) == [{"setWeight": 1}]
    assert steps_of({"spec": {"strategy": {"blueGreen": {}}}}) == []
    assert steps_of({"spec": {"strategy": {"canary": {"steps": "x"}}}}) == []
