"""lint on broken and hostile documents: every mutation of the cases gives a report, never an
exception, and values from the files reach the terminal escaped."""

from __future__ import annotations

import copy
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from kubectl_rollouts_py import lint

CASES = Path(__file__).parent / "cases"
GARBAGE: list[Any] = [None, 0, -1, 1.5, "", "x", True, [], {}, [1], {"a": 1}, "{{args.x}}", 10**12, "\x1b[2J"]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    if isinstance(value, dict):
        for key in value:
            yield from _paths(value[key], (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, (*prefix, i))


def test_mutated_cases_always_give_a_report() -> None:
    rng = random.Random(17)
    files = [[d for d in yaml.safe_load_all(p.read_text()) if d is not None] for p in sorted(CASES.rglob("*.y*ml"))]
    for _ in range(400):
        group = copy.deepcopy(rng.choice(files))
        for _ in range(rng.randint(1, 4)):
            doc = rng.choice(group)
            paths = list(_paths(doc))
            path = rng.choice(paths)
            target = doc
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = copy.deepcopy(rng.choice(GARBAGE))
        report = lint.check([lint.Document("f", i, d) for i, d in enumerate(group)], require_references=True,
                            lookup=lambda ref: False)
        assert isinstance(report, lint.Report)


def test_values_reach_the_terminal_escaped(tmp_path: Path) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_text('apiVersion: argoproj.io/v1alpha1\nkind: Experiment\nmetadata: {name: x}\nspec: {duration: "\\e[2J1d"}\n')
    result = subprocess.run(["kubectl-rollouts_py", "lint", "-f", str(path)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert "\x1b" not in result.stdout + result.stderr
    assert "\\x1b[2J1d" in result.stdout
