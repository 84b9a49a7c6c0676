"""Golden files: every renderer over every scenario, byte for byte.

tests/golden/<renderer>/<scenario>[.<variant>].txt; `pytest --update-golden` rewrites them.
Trailing spaces are part of the Argo Rollouts kubectl plugin's output and are kept.

The files were produced by the code and then checked line by line against the spec. Where
the code was wrong, the file holds the correct text instead, so the test fails until the
code is fixed: the hostile scenario's U+061C ARABIC LETTER MARK (a bidi control) is written
escaped, `\u061c`, in render_rollout/hostile{,.ansi}.txt and status/hostile.watch.txt.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import Scenario, load_scenario_dir, scenario_names

from kubectl_rollouts_py.derive.listing import build_experiment_row
from kubectl_rollouts_py.derive.rollout import build_rollout_row
from kubectl_rollouts_py.render import listing, tree
from kubectl_rollouts_py.render.style import Style

PLAIN, ANSI = Style(colour=False), Style(colour=True)


def _with(kind: str) -> list[str]:
    return [n for n in scenario_names() if load_scenario_dir(n).refs(kind)]


def _with_objects(kind: str) -> list[str]:
    return [n for n in scenario_names() if load_scenario_dir(n).of(kind)]


def _timestamp(sc: Scenario) -> str:
    return sc.now.strftime("%Y-%m-%dT%H:%M:%SZ")


RENDERERS: dict[str, Callable[[Scenario, str], str]] = {
    "render_rollout": lambda sc, v: tree.render_rollout(sc.rollout_view(), ANSI if v == "ansi" else PLAIN),
    "render_experiment": lambda sc, v: tree.render_experiment(sc.experiment_view(), ANSI if v == "ansi" else PLAIN),
    # `list rollouts`: every Rollout of the scenario, in file order (the API's order is kept, as Argo does).
    "list_rollouts": lambda sc, v: listing.render_rollout_rows(
        [build_rollout_row(r) for r in sc.of("Rollout")],
        all_namespaces=v == "wide",
        timestamp=_timestamp(sc) if v == "wide" else None,
    ),
    "list_experiments": lambda sc, v: listing.render_experiment_rows(
        [build_experiment_row(e, sc.now) for e in sc.of("Experiment")], all_namespaces=v == "all-namespaces"
    ),
    # `status NAME`: the line printed with --watch=false, and the line printed while watching.
    "status": lambda sc, v: listing.status_line(*_status(sc), watching=v == "watch") + "\n",
}


def _status(sc: Scenario) -> tuple[str, str]:
    view = sc.rollout_view()
    return view.status, view.message


CASES = [
    *[("render_rollout", n, v) for n in _with("Rollout") for v in ("", "ansi")],
    *[("render_experiment", n, v) for n in _with("Experiment") for v in ("", "ansi")],
    *[("list_rollouts", n, v) for n in _with_objects("Rollout") for v in ("", "wide")],
    *[("list_experiments", n, v) for n in _with_objects("Experiment") for v in ("", "all-namespaces")],
    *[("status", n, v) for n in _with("Rollout") for v in ("", "watch")],
]


@pytest.mark.parametrize(("renderer", "scenario", "variant"), CASES, ids=[f"{r}/{n}{'.' + v if v else ''}" for r, n, v in CASES])
def test_golden(load_scenario, golden, renderer: str, scenario: str, variant: str) -> None:  # type: ignore[no-untyped-def]
    text = RENDERERS[renderer](load_scenario(scenario), variant)
    golden(f"{renderer}/{scenario}{'.' + variant if variant else ''}.txt", text)


def test_every_golden_file_has_a_case() -> None:
    """A golden file left behind by a renamed scenario would never be checked."""
    from conftest import GOLDEN

    expected = {f"{r}/{n}{'.' + v if v else ''}.txt" for r, n, v in CASES}
    present = {str(p.relative_to(GOLDEN)) for p in GOLDEN.rglob("*.txt") if p.parent.name != "explain"}  # tests/explain checks those
    assert present <= expected
