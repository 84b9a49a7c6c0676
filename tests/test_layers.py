"""Layer rules, checked on the source: who may import what, no import cycles, and what
start-up costs.

Every package and top-level module of kubectl_rollouts_py is named in LAYERS with the parts
of the project it may import (an allow-list) and the libraries beyond the standard library
it may use. A new package or module that is not placed there fails
`test_every_package_is_placed`: decide where it sits before it grows.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from tests import syntax_trees

PACKAGE = Path(__file__).resolve().parent.parent / "kubectl_rollouts_py"
ROOT = PACKAGE.name


@dataclass(frozen=True)
class Layer:
    """What the modules of one package (or one top-level module) may import.

    `project`: parts of the package, besides the unit itself: a top-level module or package
    ("kube") or a module inside one ("derive.views"); a name allows everything under it.
    `libraries`: top-level names of third-party distributions; the standard library is
    always allowed. `never`: parts excluded from what `project` allows.
    """

    project: tuple[str, ...] = ()
    libraries: tuple[str, ...] = ()
    never: tuple[str, ...] = ()


LEAF = Layer()
WRITES = "kube.apply"  # where plans become requests: only ops/ carries out writes
FOLLOWING = ("kube.follow", "kube.cache")  # streams and their cache: watch/ follows for the front ends

LAYERS: dict[str, Layer] = {
    # leaves: the standard library only
    "__init__": LEAF,
    "errors": LEAF,
    "_threads": LEAF,
    "_frozen": Layer(libraries=("typing_extensions",)),  # dataclass_transform, for the type checker only
    "environment": LEAF,
    "govalues": LEAF,
    # the lower layers
    "term": Layer(project=("errors", "_threads", "environment")),
    "kube": Layer(project=("errors", "_threads", "_frozen", "environment", "govalues"),
                  libraries=("kubernetes", "urllib3", "yaml")),
    # derive.trend reads a condition's thresholds with the expr parser (pure, standard library only)
    "derive": Layer(project=("errors", "_frozen", "govalues", "analysis.expr")),
    # render/ lays out finished view models; the builders (derive.rollout, derive.listing)
    # are not its business
    "render": Layer(project=("errors", "_frozen", "derive.views"), libraries=("tabulate", "yaml")),
    "patches": Layer(project=("errors", "kube.resources")),
    "analysis": Layer(project=("errors", "_frozen", "govalues"), libraries=("prometheus_api_client", "requests", "urllib3")),
    # the use cases: no front end, no text
    # the flight recorder's store (SQLite through the standard library's sqlite3)
    "recording": Layer(project=("errors", "govalues")),
    # lint rules: pure, over parsed documents (the analysis engine parses conditions)
    "lint": Layer(project=("errors", "govalues", "analysis")),
    "ops": Layer(project=("errors", "_threads", "environment", "govalues", "kube", "derive", "patches", "analysis",
                          "recording", "lint")),
    # the live engine
    "watch": Layer(project=("errors", "_threads", "environment", "kube", "derive", "render", "term", "ops"),
                   never=(WRITES,)),
    # the front ends: thin, over ops/ and watch/; only cli/ knows click
    "dashboard": Layer(project=("errors", "_threads", "environment", "kube", "derive", "render", "ops", "watch"),
                       never=(WRITES, *FOLLOWING)),
    "sandbox": Layer(project=("errors", "environment", "govalues", "kube", "derive", "patches", "analysis", "ops", "watch"),
                     libraries=("yaml",), never=(WRITES,)),
    "cli": Layer(project=("*",), libraries=("click",), never=(WRITES, *FOLLOWING)),
    "__main__": Layer(project=("cli",)),
}

@dataclass(frozen=True)
class Import:
    module: str  # dotted, resolved (relative imports made absolute)
    line: int
    top_level: bool  # runs when the importing module is imported (not in a function or TYPE_CHECKING)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _unit(module: str) -> str:
    """The entry of LAYERS a module of the package belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(body: list[ast.stmt], top_level: bool):
    """(node, top_level) for each import statement, anywhere in the body."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, top_level
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from _walk(node.body, False)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _walk(node.body, False)
            yield from _walk(node.orelse, top_level)
        else:
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                for child in getattr(node, field, None) or ():
                    yield from _walk(child.body if isinstance(child, (ast.ExceptHandler, ast.match_case))
                                     else [child], top_level)


@cache
def _imports(module: str) -> tuple[Import, ...]:
    path = _modules()[module]
    is_package = path.name == "__init__.py"
    found = []
    for node, top_level in _walk(syntax_trees.tree(path).body, True):
        if isinstance(node, ast.Import):
            found += [Import(alias.name, node.lineno, top_level) for alias in node.names]
            continue
        if node.level:  # relative: from the package the module is in
            base = module.split(".")
            base = base if is_package else base[:-1]
            base = base[:len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        for alias in node.names:
            # `from package import module` imports that module
            child = f"{target}.{alias.name}"
            found.append(Import(child if child in _modules() else target, node.lineno, top_level))
    return tuple(found)


def _allowed(layer: Layer, unit: str, target: str) -> bool:
    def under(name: str) -> bool:
        dotted = f"{ROOT}.{name}"
        return target == dotted or target.startswith(dotted + ".")

    if target == ROOT:
        return True  # the package itself (__version__): every import of a module runs it anyway
    if any(under(name) for name in layer.never):
        return False
    return "*" in layer.project or _unit(target) == unit or any(under(name) for name in layer.project)


def _violations(unit: str) -> list[str]:
    layer = LAYERS[unit]
    bad = []
    for module in (m for m in _modules() if _unit(m) == unit):
        for imp in _imports(module):
            top = imp.module.split(".")[0]
            if top == ROOT:
                ok = _allowed(layer, unit, imp.module)
            else:
                ok = top in sys.stdlib_module_names or top == "__future__" or top in layer.libraries
            if not ok:
                bad.append(f"{_modules()[module].relative_to(PACKAGE.parent)}:{imp.line} imports {imp.module}")
    return bad


def test_every_package_is_placed() -> None:
    units = {_unit(m) for m in _modules()}
    assert sorted(units - set(LAYERS)) == [], "packages or modules not placed in LAYERS"
    assert sorted(set(LAYERS) - units) == [], "LAYERS names packages or modules that are gone"


@pytest.mark.parametrize("unit", sorted(LAYERS))
def test_layer_imports_only_what_it_may(unit: str) -> None:
    assert _violations(unit) == []


def test_violations_finds_a_forbidden_import(monkeypatch: pytest.MonkeyPatch) -> None:
    """The checker itself: a layer that may import nothing, another that may not use its
    libraries, and one whose `never` excludes what it imports, each have violations."""
    monkeypatch.setitem(LAYERS, "render", Layer())
    found = _violations("render")
    assert any(line.endswith(f"imports {ROOT}.derive.views") for line in found), found
    assert any(line.endswith(" imports yaml") or line.endswith(" imports tabulate") for line in found), found
    monkeypatch.setitem(LAYERS, "ops", Layer(project=("*",), never=("kube",)))
    assert any(f"imports {ROOT}.kube." in line for line in _violations("ops"))
    monkeypatch.setitem(LAYERS, "ops", Layer(project=("*",)))
    assert _violations("ops") == []


def test_only_cli_imports_click() -> None:
    offenders = [m for m in _modules() if _unit(m) != "cli"
                 and any(imp.module.split(".")[0] == "click" for imp in _imports(m))]
    assert offenders == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module, or a module importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _import_graph() -> dict[str, set[str]]:
    """module -> the project's modules its module-level imports run. `import a.b.c` runs the
    packages a and a.b first, except those the importing module is itself inside of."""
    graph: dict[str, set[str]] = {}
    for module in _modules():
        own = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
        edges = graph.setdefault(module, set())
        for imp in _imports(module):
            if not imp.top_level or imp.module.split(".")[0] != ROOT:
                continue
            parts = imp.module.split(".")
            for i in range(1, len(parts) + 1):
                name = ".".join(parts[:i])
                if name in _modules() and name not in own and name != module:
                    edges.add(name)
    return graph


def test_module_level_imports_form_no_cycle() -> None:
    assert _cycles(_import_graph()) == []


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_every_module_imports_on_its_own() -> None:
    """In a fresh interpreter, each module imported first (the project's modules dropped from
    sys.modules before each) loads: no cycle that only shows with one import order."""
    modules = sorted(m for m in _modules() if not m.endswith(".__main__"))
    code = (
        "import importlib, json, sys, traceback\n"
        f"modules = {modules!r}\n"
        "failed = {}\n"
        "for name in modules:\n"
        f"    for loaded in [m for m in sys.modules if m == {ROOT!r} or m.startswith({ROOT + '.'!r})]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except BaseException:\n"
        "        failed[name] = traceback.format_exc(limit=-3)\n"
        "print(json.dumps(failed))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=PACKAGE.parent)
    assert proc.returncode == 0, proc.stderr
    failed = json.loads(proc.stdout.strip().splitlines()[-1])
    assert failed == {}, "\n".join(f"{name}:\n{trace}" for name, trace in failed.items())


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
