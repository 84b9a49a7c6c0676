"""The pure engine's layer rules: the standard library, `errors` and `govalues` only, and no code
execution."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests import syntax_trees

ANALYSIS = Path(__file__).resolve().parents[2] / "kubectl_rollouts_py" / "analysis"
GOVALUES = ANALYSIS.parent / "govalues.py"
ENGINE = sorted(p for p in ANALYSIS.rglob("*.py") if p.name != "prometheus.py") + [GOVALUES]
ALLOWED_PROJECT = ("kubectl_rollouts_py.errors", "kubectl_rollouts_py.govalues", "kubectl_rollouts_py._frozen",
                   "kubectl_rollouts_py.analysis")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(syntax_trees.tree(path)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from kubectl_rollouts_py import govalues` names the module it imports
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _id(path: Path) -> str:
    return str(path.relative_to(ANALYSIS.parent))


@pytest.mark.parametrize("path", ENGINE, ids=_id)
def test_engine_imports_only_the_standard_library_and_errors(path: Path) -> None:
    for name in _imports(path):
        top = name.split(".")[0]
        if top == "kubectl_rollouts_py":
            assert name.startswith(ALLOWED_PROJECT), f"{path.name} imports {name}"
            assert not name.startswith("kubectl_rollouts_py.analysis.prometheus"), f"{path.name} imports the adapter"
            if path == GOVALUES:
                assert name.startswith("kubectl_rollouts_py.errors"), f"govalues.py is a leaf; it imports {name}"
        else:
            assert top in sys.stdlib_module_names, f"{path.name} imports {name}"


@pytest.mark.parametrize("path", ENGINE, ids=_id)
def test_engine_never_executes_text(path: Path) -> None:
    tree = syntax_trees.tree(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                assert func.id not in ("eval", "exec", "compile", "__import__"), f"{path.name}: {func.id}()"
            elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                banned = func.value.id in ("builtins", "ast") and func.attr in ("eval", "exec", "compile", "literal_eval")
                assert not banned, f"{path.name}: {func.value.id}.{func.attr}()"


def test_importing_the_engine_loads_no_third_party_module() -> None:
    code = (
        "import sys\n"
        "import kubectl_rollouts_py.analysis.conditions, kubectl_rollouts_py.analysis.evaluate, kubectl_rollouts_py.analysis.args\n"
        "third = sorted(m for m in ('click', 'kubernetes', 'requests', 'urllib3', 'yaml', 'prometheus_api_client') if m in sys.modules)\n"
        "print(third)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip() == "[]"
