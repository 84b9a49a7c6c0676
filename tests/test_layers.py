"""Layer rules, checked on the source: who may import what, and what start-up costs."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kubectl_rollouts_py"

# layer -> modules it must never import (prefix match)
FORBIDDEN = {
    "derive": ("click", "kubernetes", "urllib3", "yaml", "kubectl_rollouts_py.kube", "kubectl_rollouts_py.render",
               "kubectl_rollouts_py.term", "kubectl_rollouts_py.cli"),
    "render": ("click", "kubernetes", "urllib3", "kubectl_rollouts_py.kube", "kubectl_rollouts_py.term",
               "kubectl_rollouts_py.cli", "kubectl_rollouts_py.derive.rollout", "kubectl_rollouts_py.derive.listing"),
    "term": ("click", "kubernetes", "kubectl_rollouts_py.kube", "kubectl_rollouts_py.derive", "kubectl_rollouts_py.render"),
    "kube": ("click", "kubectl_rollouts_py.cli", "kubectl_rollouts_py.derive", "kubectl_rollouts_py.render", "kubectl_rollouts_py.term"),
    "sandbox": ("click", "kubectl_rollouts_py.cli"),
}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _layer_files():
    for layer in FORBIDDEN:
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            yield layer, path


@pytest.mark.parametrize(("layer", "path"), list(_layer_files()), ids=lambda v: str(v).split("kubectl_rollouts_py/")[-1])
def test_layer_imports_only_what_it_may(layer: str, path: Path) -> None:
    bad = sorted(name for name in _imports(path) for banned in FORBIDDEN[layer] if name == banned or name.startswith(banned + "."))
    assert not bad, f"{path.name} ({layer}/) imports {bad}"


def test_only_cli_imports_click() -> None:
    offenders = [p for p in PACKAGE.rglob("*.py") if "cli" not in p.relative_to(PACKAGE).parts and "click" in _imports(p)]
    assert offenders == []


@pytest.mark.parametrize("argv", [["--help"], ["version"], ["get", "rollout", "--help"], ["list", "--help"]])
def test_fast_paths_do_not_import_heavy_modules(argv: list[str]) -> None:
    code = (
        "import sys\n"
        "from kubectl_rollouts_py.cli.errors import run\n"
        f"code = run({argv!r}, prog_name='kubectl rollouts-py')\n"
        "heavy = sorted(m for m in ('kubernetes', 'urllib3', 'yaml', 'tabulate', 'prometheus_api_client', 'requests') if m in sys.modules)\n"
        "sys.stderr.write(repr(heavy))\n"
        "sys.exit(code)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().endswith("[]"), proc.stderr
