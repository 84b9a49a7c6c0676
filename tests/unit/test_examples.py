"""examples/ stays a faithful copy of the story scenario it was made from."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

EXAMPLE = Path(__file__).parents[2] / "examples" / "app-backend-canary.yaml"


def test_example_holds_exactly_the_canary_step1_objects(load_scenario) -> None:  # type: ignore[no-untyped-def]
    docs = [d for d in yaml.safe_load_all(EXAMPLE.read_text(encoding="utf-8")) if d is not None]
    scenario = load_scenario("app-backend-canary-step1")
    objects = [o for kind in scenario.objects.values() for o in kind]

    def canonical(items: list) -> list[str]:
        return sorted(json.dumps(o, sort_keys=True) for o in items)

    assert canonical(docs) == canonical(objects)
    assert {d["metadata"]["namespace"] for d in docs} == {"ithome"}
    assert [d["kind"] for d in docs][0] == "Rollout"
