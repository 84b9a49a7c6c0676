"""The dashboard's actions and the CLI's write commands are one implementation.

For every dashboard action, the installed CLI's command and the dashboard's HTTP action
run against stand-in API servers seeded alike, and the requests each server received
(method, path, query, content type, body bytes) must be the same, as must the
confirmation line. In-process, both front ends must reach the ops/ function itself (a
spy wraps it): a front end with its own copy of the operation sends the same bytes but
never calls the spy. And on the source, no module of cli/ or dashboard/ may import a
plan builder (patches/) or kube.apply: only ops/ does.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kubectl_rollouts_py.ops import steer, templates
from kubectl_rollouts_py.sandbox.apiserver import APIServer
from tests.dashboard.conftest import post_action, serve
from tests import syntax_trees
from tests.e2e.standin import NS, app_backend_objects, run_cli

PACKAGE = Path(__file__).resolve().parents[2] / "kubectl_rollouts_py"
RO = f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/rollouts/app-backend"
RESTART_AT = re.compile(rb'"restartAt": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"')


def _paused(srv: APIServer) -> None:
    """spec.paused too: promote then sends a status patch and a spec patch."""
    rollout = srv.get_object("rollouts", NS, "app-backend")
    rollout["spec"]["paused"] = True
    srv.apply_change(rollout)


@dataclass(frozen=True)
class Case:
    action: str
    body: dict[str, Any]
    argv: tuple[str, ...]
    operation: Callable[..., Any]
    prepare: Callable[[APIServer], None] = field(default=lambda srv: None)


CASES = {
    "promote": Case("promote", {}, ("promote", "app-backend"), steer.promote),
    "promote-of-a-paused-rollout": Case("promote", {}, ("promote", "app-backend"), steer.promote, _paused),
    "promote-full": Case("promote-full", {}, ("promote", "app-backend", "--full"), steer.promote),
    "abort": Case("abort", {}, ("abort", "app-backend"), steer.abort),
    "abort-without-status-subresource": Case("abort", {}, ("abort", "app-backend"), steer.abort,
                                             lambda srv: srv.fail_next("PATCH", RO + "/status", 404)),
    "retry": Case("retry", {}, ("retry", "rollout", "app-backend"), steer.retry),
    "pause": Case("pause", {}, ("pause", "app-backend"), steer.pause),
    "restart": Case("restart", {}, ("restart", "app-backend"), steer.restart),
    "set-image": Case("set-image", {"container": "app-backend", "image": "example/app:3.0"},
                      ("set", "image", "app-backend", "app-backend=example/app:3.0"), templates.set_image),
    "set-image-after-a-conflict": Case("set-image", {"container": "*", "image": "example/app:3.1"},
                                       ("set", "image", "app-backend", "*=example/app:3.1"), templates.set_image,
                                       lambda srv: srv.fail_next("PUT", RO, 409)),
    "undo": Case("undo", {}, ("undo", "app-backend"), templates.undo),
    "undo-to-revision": Case("undo", {"revision": 1}, ("undo", "app-backend", "--to-revision", "1"), templates.undo),
}


@contextmanager
def seeded(tmp_path: Path, case: Case) -> Iterator[APIServer]:
    tmp_path.mkdir()
    with APIServer() as srv:
        srv.seed(app_backend_objects())
        srv.kubeconfig = srv.write_kubeconfig(tmp_path / "kubeconfig", namespace=NS)  # type: ignore[attr-defined]
        case.prepare(srv)
        srv.clear_requests()
        yield srv


def writes(srv: APIServer) -> list[tuple[str, str, dict[str, str], str, str | None, bytes]]:
    """Every write the server received, as sent: method, path, query, media type, the
    Content-Type header and the body bytes (restartAt, a clock reading, masked)."""
    return [(r.method, r.path, r.query, r.content_type, r.headers.get("Content-Type"),
             RESTART_AT.sub(b'"restartAt": "<now>"', r.body)) for r in srv.requests if r.method != "GET"]


def through_dashboard(srv: APIServer, case: Case) -> tuple[str, list[Any]]:
    dash = serve(srv)
    try:
        srv.clear_requests()  # the dashboard's lists and watches are reads: only what the action sends counts
        got = post_action(dash, case.action, case.body)
        assert got.status == 200, got.json()
        return got.json()["message"], writes(srv)
    finally:
        dash.close()
        dash.closing_source.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_cli_and_the_dashboard_send_the_same_bytes(tmp_path: Path, case: Case) -> None:
    with seeded(tmp_path / "cli", case) as srv:
        result = run_cli(*case.argv, kubeconfig=srv.kubeconfig)  # type: ignore[attr-defined]
        assert (result.code, result.err) == (0, ""), result
        by_cli = writes(srv)
    with seeded(tmp_path / "dashboard", case) as srv:
        line, by_dashboard = through_dashboard(srv, case)
    assert by_cli, "the command sent nothing"
    assert by_dashboard == by_cli
    assert result.out == line + "\n"
    if case.action == "restart":
        assert all(b'"restartAt": "<now>"' in body for *_, body in by_cli)


# ------------------------------------------------------------------ the same function, not a copy


class Spy:
    """Wraps an ops function, counting the calls that reach it."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function, self.calls = function, 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.function(*args, **kwargs)


def run_cli_in_process(argv: tuple[str, ...], kubeconfig: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    from kubectl_rollouts_py.cli.errors import run

    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    monkeypatch.delenv("NO_COLOR", raising=False)
    return run(list(argv), prog_name="kubectl rollouts-py")


@pytest.mark.parametrize("case", [CASES[k] for k in ("promote", "promote-full", "abort", "retry", "pause", "restart", "set-image", "undo")],
                         ids=lambda c: c.action)
def test_both_front_ends_call_the_ops_function(tmp_path: Path, case: Case, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    module = steer if case.operation.__module__.endswith("steer") else templates
    spy = Spy(case.operation)
    monkeypatch.setattr(module, case.operation.__name__, spy)
    with seeded(tmp_path / "cli", case) as srv:
        assert run_cli_in_process(case.argv, srv.kubeconfig, monkeypatch) == 0, capsys.readouterr()  # type: ignore[attr-defined]
        assert spy.calls == 1, f"`{' '.join(case.argv)}` did not call ops {case.operation.__name__}"
        by_cli = writes(srv)
    with seeded(tmp_path / "dashboard", case) as srv:
        _, by_dashboard = through_dashboard(srv, case)
    assert spy.calls == 2, f"the dashboard's {case.action} did not call ops {case.operation.__name__}"
    assert by_dashboard == by_cli


def _imports(path: Path, source: str | None = None) -> set[str]:
    """The dotted names a module of the package imports, relative imports made absolute
    (`from ..patches import plans` in cli/x.py: kubectl_rollouts_py.patches and
    kubectl_rollouts_py.patches.plans)."""
    package = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)[:-1]  # a module's or __init__'s package
    names: set[str] = set()
    module_tree = syntax_trees.tree(path) if source is None else syntax_trees.parse(source, str(path))
    for node in ast.walk(module_tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_relative_imports_are_resolved() -> None:
    fake = PACKAGE / "cli" / "fake.py"
    found = _imports(fake, "from ..patches import plans\nfrom ..kube.apply import apply_plan\nfrom . import context\n")
    assert {"kubectl_rollouts_py.patches.plans", "kubectl_rollouts_py.kube.apply", "kubectl_rollouts_py.cli.context"} <= found
    init = PACKAGE / "dashboard" / "__init__.py"
    assert "kubectl_rollouts_py.patches" in _imports(init, "from ..patches import plans\n")


def _writers(name: str) -> list[str]:
    """Modules of the package importing `name` (or a module under it)."""
    return sorted(str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
                  if any(i == name or i.startswith(name + ".") for i in _imports(path)))


def test_only_ops_builds_and_applies_plans() -> None:
    front_ends = ("cli/", "dashboard/")
    for module in ("kubectl_rollouts_py.patches", "kubectl_rollouts_py.kube.apply"):
        copies = [path for path in _writers(module) if path.startswith(front_ends)]
        assert copies == [], f"{copies} import {module}: a front end's writes go through ops/"
    appliers = [path for path in _writers("kubectl_rollouts_py.kube.apply") if not path.startswith("kube/")]
    assert "ops/writes.py" in appliers and all(path.startswith("ops/") for path in appliers), appliers
    assert not (PACKAGE / "dashboard" / "actions.py").exists()
