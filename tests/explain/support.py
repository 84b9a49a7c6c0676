"""Helpers for the explain tests: scenarios as saved files, explained at their own clock."""

from __future__ import annotations

from pathlib import Path

from conftest import SCENARIOS, Scenario, load_scenario_dir, scenario_names

from kubectl_rollouts_py.derive.explain import Explanation
from kubectl_rollouts_py.kube.files import FileSource
from kubectl_rollouts_py.ops import explain as ops_explain


def rollout_scenarios() -> list[str]:
    """Every scenario whose target is a Rollout (the project's own and explain-*)."""
    return [n for n in scenario_names() if load_scenario_dir(n).target.kind == "Rollout"]


def object_files(name: str) -> list[str]:
    """The scenario's object files, as `--from-file` takes them."""
    return [str(p) for p in sorted((SCENARIOS / name).glob("*.yaml")) if p.name != "scenario.yaml"]


def explain_scenario(scenario: Scenario) -> Explanation:
    """ops.explain over the scenario's saved objects, at the scenario's `now`."""
    target = scenario.target
    with FileSource(object_files(scenario.name), namespace=target.namespace) as source:
        return ops_explain.explain(source, target.name, target.namespace, now=scenario.now)


def scenario_dir(name: str) -> Path:
    return SCENARIOS / name
