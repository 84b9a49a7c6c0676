"""cli/quick.py: the plainest `get rollout NAME [-n NS]` and `version` run without click, and
say and fail exactly as the click commands do (each accepted form is run both ways here)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubectl_rollouts_py.cli import quick
from kubectl_rollouts_py.sandbox.apiserver import APIServer
from tests.inprocess import Result, run_cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "app-backend-canary.yaml"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The example canary on the stand-in API server; the variables that reach it."""
    from kubectl_rollouts_py.sandbox.apiserver import load_seed_documents

    home = tmp_path_factory.mktemp("home")
    objects = load_seed_documents([str(EXAMPLE)])
    for obj in objects:
        obj.setdefault("metadata", {}).setdefault("namespace", "ithome")
    with APIServer() as server:
        server.seed(objects)
        kubeconfig = server.write_kubeconfig(home / "kubeconfig", namespace="default")
        yield {"KUBECONFIG": str(kubeconfig), "HOME": str(home), "XDG_CACHE_HOME": str(home / "cache")}


def both_ways(argv: list[str], environ: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> tuple[Result, Result]:
    """The run without click, then the same arguments through click."""
    assert quick.quick_command(argv) is not None, argv
    fast = run_cli(argv, environ=environ)
    with monkeypatch.context() as patch:
        patch.setattr(quick, "quick_command", lambda argv: None)
        slow = run_cli(argv, environ=environ)
    return fast, slow


ACCEPTED = [  # the arguments, and the exit code both ways
    (["get", "rollout", "app-backend", "-n", "ithome"], 0),
    (["get", "ro", "-n", "ithome", "app-backend"], 0),
    (["get", "rollouts", "app-backend", "--namespace", "ithome"], 0),
    (["get", "rollout", "app-backend", "--namespace=ithome"], 0),
    (["get", "rollout", "app-backend", "-n=ithome"], 0),
    (["get", "rollout", "app-backend", "-n", "ithome", "-o", "json"], 0),
    (["get", "rollout", "-o=yaml", "app-backend", "--namespace=ithome"], 0),
    (["get", "rollout", "app-backend", "--output", "text", "-n", "ithome"], 0),
    (["get", "rollout", "app-backend", "-n", "ithome", "--output=json"], 0),
    (["get", "rollout", "missing", "-n", "ithome", "-o", "json"], 1),
    # failures: not found, a name or namespace Kubernetes refuses, the kubeconfig's namespace
    (["get", "rollout", "missing", "-n", "ithome"], 1),
    (["get", "rollout", "app-backend"], 1),
    (["get", "rollout", "Bad_Name", "-n", "ithome"], 2),
    (["get", "rollout", "app-backend", "-n", "Bad.NS"], 2),
    (["get", "rollout", "a=b"], 2),
]


@pytest.mark.parametrize(("argv", "code"), ACCEPTED, ids=[" ".join(argv) for argv, _ in ACCEPTED])
def test_the_same_output_and_exit_code_as_through_click(argv: list[str], code: int, cluster: dict[str, str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = both_ways(argv, cluster, monkeypatch)
    assert fast == slow
    assert fast.exit_code == code, fast
    output = next((f for f in ("json", "yaml") if f in " ".join(argv)), "text")
    if code == 0:
        assert fast.stderr == ""
        assert fast.stdout.startswith({"text": "Name:            app-backend\n", "json": "{", "yaml": "kind: RolloutView\n"}[output])
    else:
        assert fast.stdout == ""
    if code:
        assert fast.stderr.startswith("Error: ") and fast.stderr.count("\n") == 1, fast.stderr


@pytest.mark.parametrize("argv", [["version"], ["version", "--short"]], ids=" ".join)
def test_version_says_the_same_as_through_click(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = both_ways(argv, {}, monkeypatch)
    assert fast == slow and fast.exit_code == 0 and fast.stdout.startswith("kubectl-rollouts_py: v")
    assert fast.stdout.count("\n") == (1 if "--short" in argv else 3)


def test_an_unreachable_server_fails_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:9'}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\nusers: [{name: u, user: {token: t}}]\n"
    )
    fast, slow = both_ways(["get", "rollout", "app-backend"], {"KUBECONFIG": str(kubeconfig), "HOME": str(tmp_path)},
                           monkeypatch)
    assert fast == slow and fast.exit_code == 1 and fast.stderr.startswith("Error: ")


@pytest.mark.parametrize("argv", [
    [], ["get"], ["get", "rollout"], ["get", "experiment", "x"], ["status", "x"], ["get", "rollout", "x", "y"],
    ["get", "rollout", "x", "-w"], ["get", "rollout", "x", "-h"],
    ["get", "rollout", "x", "--"], ["get", "rollout", "--", "x"], ["get", "rollout", "x", "-n"],
    ["get", "rollout", "x", "-n", "a", "-n", "b"], ["get", "rollout", "x", "-n", "-v"], ["get", "rollout", "x", "-n="],
    ["get", "rollout", "x", "--namespace="], ["get", "rollout", "-x"], ["get", "rollout", "x", "--debug"],
    ["get", "rollout", "x", "--kubeconfig", "k"], ["--debug", "get", "rollout", "x"], ["get", "-n", "a", "rollout", "x"],
    ["get", "rollout", "x", "--nam", "a"], ["get", "rollout", "x", "-na"],
    ["version", "--short", "--short"], ["version", "-h"], ["version", "--short=true"], ["--short", "version"],
    ["version", "-n", "x"], ["version", "x"],
    ["get", "rollout", "x", "-o"], ["get", "rollout", "x", "-o", "JSON"], ["get", "rollout", "x", "-o", "wide"],
    ["get", "rollout", "x", "-o", "json", "-o", "yaml"], ["get", "rollout", "x", "--output=xml"], ["get", "rollout", "x", "-o="],
])
def test_anything_else_goes_through_click(argv: list[str]) -> None:
    assert quick.quick_command(argv) is None


def test_the_quick_path_imports_no_click(cluster: dict[str, str]) -> None:
    code = (
        "import sys\n"
        "from kubectl_rollouts_py.cli.errors import run\n"
        "code = run(['get', 'rollout', 'app-backend', '-n', 'ithome'], prog_name='kubectl rollouts-py')\n"
        "sys.stderr.write(repr(sorted(m for m in sys.modules if m.split('.')[0] == 'click')))\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=cluster, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "app-backend" in done.stdout
    assert done.stderr == "[]"
