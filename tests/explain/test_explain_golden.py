"""explain over every scenario: the text byte for byte (tests/golden/explain/), the JSON
against docs/explain-schema.json, and the cause each scenario is written for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import load_scenario_dir

from kubectl_rollouts_py.render.escape import clean
from kubectl_rollouts_py.render.explain import render_explanation, render_why
from kubectl_rollouts_py.render.output import serialise

from . import schema
from .support import explain_scenario, rollout_scenarios

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "explain-schema.json").read_text())

# The cause each scenario is there for, and where it must stand.
FIRST_CAUSE = {
    "app-backend-aborted": "aborted",
    "app-backend-canary-step1": "paused-step",
    "app-backend-healthy": "healthy",
    "bluegreen-preview": "paused-step",
    "explain-analysis-failing": "analysis-failing",
    "explain-crashloop": "pods-not-ready",
    "explain-image-pull": "pods-not-ready",
    "explain-invalid-spec": "invalid-spec",
    "explain-malformed": "no-status",
    "explain-missing-template": "missing-template",
    "explain-missing-workload": "missing-workload",
    "explain-paused-promote": "paused-step",
    "explain-paused-user": "paused-user",
    "explain-progress-deadline": "progress-deadline",
    "hostile": "progress-deadline",
}


@pytest.mark.parametrize("name", rollout_scenarios())
def test_explain_text_is_golden(load_scenario, golden, name: str) -> None:  # type: ignore[no-untyped-def]
    explanation = explain_scenario(load_scenario(name))
    golden(f"explain/{name}.txt", render_explanation(explanation.to_dict()))


@pytest.mark.parametrize("name", rollout_scenarios())
def test_explain_json_follows_the_documented_schema(load_scenario, name: str) -> None:  # type: ignore[no-untyped-def]
    document = json.loads(serialise(explain_scenario(load_scenario(name)).to_dict(), "json"))
    assert schema.errors(document, SCHEMA) == []
    assert document["causes"], "an explanation always has a cause"


def test_every_rollout_scenario_has_an_expected_first_cause() -> None:
    assert set(FIRST_CAUSE) == set(rollout_scenarios())


@pytest.mark.parametrize(("name", "kind"), sorted(FIRST_CAUSE.items()))
def test_first_cause(load_scenario, name: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    explanation = explain_scenario(load_scenario(name))
    assert explanation.causes[0].kind == kind
    assert render_why(explanation.to_dict()) == clean(explanation.causes[0].summary)


def test_schema_checker_catches_what_it_must() -> None:
    good = explain_scenario(load_scenario_dir("app-backend-aborted")).to_dict()
    assert schema.errors(good, SCHEMA) == []
    bad = json.loads(json.dumps(good))
    bad["causes"][0]["kind"] = "mystery"
    del bad["next"]
    bad["extra"] = 1
    bad["causes"][0]["evidence"].append(7)
    problems = schema.errors(bad, SCHEMA)
    assert any("mystery" in p for p in problems)
    assert any("missing 'next'" in p for p in problems)
    assert any("unexpected 'extra'" in p for p in problems)
    assert any("$.causes[0].evidence" in p for p in problems)


def test_every_explain_golden_file_has_a_scenario() -> None:
    """A golden file left behind by a renamed scenario would never be checked."""
    from conftest import GOLDEN

    present = {p.name for p in (GOLDEN / "explain").glob("*.txt")}
    assert present <= {f"{name}.txt" for name in rollout_scenarios()}
