"""Syntax trees of source files, parsed in a child process.

CPython 3.11 keeps the AST converter's recursion counter in interpreter-wide state, so an
`ast.parse` in the test's thread while another thread of the process parses too (pytest
rewriting the asserts of a module that a server thread left by an earlier test imports, say)
can fail with "SystemError: AST constructor recursion depth mismatch" (seen in a CI run).
A child process, where nothing else runs, cannot race: every test that reads the package's
source as a tree parses it here.
"""

from __future__ import annotations

import ast
import functools
import pickle
import subprocess
import sys
from pathlib import Path

_CHILD = (
    "import ast, pickle, sys\n"
    "sources = pickle.load(sys.stdin.buffer)\n"
    "pickle.dump({name: ast.parse(text, name) for name, text in sources.items()}, sys.stdout.buffer)\n"
)


def parse_all(sources: dict[str, str]) -> dict[str, ast.Module]:
    """{filename: tree} for {filename: source text}, parsed in one child process."""
    proc = subprocess.run([sys.executable, "-c", _CHILD], input=pickle.dumps(sources),
                          capture_output=True, timeout=120)
    if proc.returncode != 0:
        raise SyntaxError(proc.stderr.decode(errors="replace").strip().splitlines()[-1])
    trees: dict[str, ast.Module] = pickle.loads(proc.stdout)
    return trees


def parse(text: str, filename: str = "<test>") -> ast.Module:
    return parse_all({filename: text})[filename]


@functools.cache
def _trees_under(root: Path) -> dict[Path, ast.Module]:
    paths = sorted(root.rglob("*.py"))
    trees = parse_all({str(path): path.read_text(encoding="utf-8") for path in paths})
    return {path: trees[str(path)] for path in paths}


def tree(path: Path) -> ast.Module:
    """The tree of one file of the package (all of the package is parsed at the first call)."""
    path = path.resolve()
    package = Path(__file__).resolve().parent.parent / "kubectl_rollouts_py"
    if package in path.parents:
        return _trees_under(package)[path]
    return parse(path.read_text(encoding="utf-8"), str(path))
