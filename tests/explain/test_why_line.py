"""The one-line "why" of get rollout / watch (a `Why:` header line, JSON `why`) and of a failing
`status` (the first cause on a terminal's stderr): present when the rollout is not Healthy,
absent when it is, absent with --analysis=none (the Argo plugin's output), the same from saved
files and from the stand-in API server."""

from __future__ import annotations

import json

import pytest
from conftest import load_scenario_dir

from kubectl_rollouts_py.derive import explain as derive_explain
from kubectl_rollouts_py.kube.files import FileSource
from kubectl_rollouts_py.sandbox.apiserver import APIServer
from tests.e2e.standin import run_cli
from tests.inprocess import run_cli as run_in_process

from .support import object_files

WHY = "Why:             "
SCENARIOS = ("app-backend-canary-step1", "app-backend-aborted", "app-backend-healthy", "explain-progress-deadline")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    import yaml
    from pathlib import Path

    with APIServer() as srv:
        for name in SCENARIOS:
            for path in object_files(name):
                obj = yaml.safe_load(Path(path).read_text())
                obj["metadata"]["namespace"] = name  # one namespace per scenario: they share names
                srv.seed([obj])
        kubeconfig = tmp_path_factory.mktemp("why") / "kubeconfig"
        srv.write_kubeconfig(kubeconfig)
        srv.kubeconfig = kubeconfig  # type: ignore[attr-defined]
        yield srv


def _files(name: str) -> list[str]:
    return [a for path in object_files(name) for a in ("--from-file", path)]


def _get_from_files(name: str, *args: str):  # type: ignore[no-untyped-def]
    target = load_scenario_dir(name).target
    return run_cli("get", "rollout", target.name, "-n", target.namespace, *_files(name), *args)


def _get_from_cluster(server, name: str, *args: str):  # type: ignore[no-untyped-def]
    target = load_scenario_dir(name).target
    return run_cli("get", "rollout", target.name, "-n", name, *args, kubeconfig=server.kubeconfig)


def _why_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("Why:")]


def _expected(name: str) -> str:
    """The line derived directly from the scenario's objects (clock-free, so any clock)."""
    from kubectl_rollouts_py.kube import fetch
    from kubectl_rollouts_py.kube import resources as r

    scenario = load_scenario_dir(name)
    with FileSource(object_files(name), namespace=scenario.target.namespace) as source:
        rollout, objects = fetch.fetch_with_namespace(source, r.ROLLOUTS, scenario.target.name, scenario.target.namespace)
    explanation = derive_explain.explain_rollout(
        rollout, replica_sets=objects.replica_sets, pods=objects.pods, analysis_runs=objects.analysis_runs,
        experiments=objects.experiments, now=scenario.now)
    return derive_explain.why_line(explanation)


@pytest.mark.parametrize("name, start", [
    ("app-backend-canary-step1", "Paused at step 2/4: pause 3m; it moves on by itself when the pause ends."),
    ("app-backend-aborted", "The rollout was aborted: analysis app-backend-7d9f8c6b5-2 ended Failed on metric success-rate."),
    ("explain-progress-deadline", "ReplicaSet app-backend-7d9f8c6b5 did not become available"),
])
def test_a_rollout_that_is_not_healthy_gets_a_why_line_under_its_status(server, name: str, start: str) -> None:  # type: ignore[no-untyped-def]
    files = _get_from_files(name)
    assert files.code == 0, files.err
    lines = files.out.splitlines()
    why = _why_lines(files.out)
    assert len(why) == 1 and why[0].startswith(WHY + start), why
    assert why[0] == WHY + _expected(name)
    # right under the header's Status (and Message, when there is one)
    assert lines.index(why[0]) == 4 if lines[3].startswith("Message:") else lines.index(why[0]) == 3
    assert lines[lines.index(why[0]) + 1].startswith("Strategy:")
    cluster = _get_from_cluster(server, name)
    assert cluster.code == 0, cluster.err
    assert _why_lines(cluster.out) == why
    documents = [json.loads(_get_from_files(name, "-o", "json").out), json.loads(_get_from_cluster(server, name, "-o", "json").out)]
    assert [d["why"] for d in documents] == [why[0][len(WHY):]] * 2


def test_a_healthy_rollout_has_no_why(server) -> None:  # type: ignore[no-untyped-def]
    for result in (_get_from_files("app-backend-healthy"), _get_from_cluster(server, "app-backend-healthy")):
        assert result.code == 0 and _why_lines(result.out) == []
    assert "why" not in json.loads(_get_from_files("app-backend-healthy", "-o", "json").out)


@pytest.mark.parametrize("name", ["app-backend-canary-step1", "app-backend-aborted"])
def test_analysis_none_keeps_the_argo_plugins_output(server, name: str) -> None:  # type: ignore[no-untyped-def]
    for result in (_get_from_files(name, "--analysis=none"), _get_from_cluster(server, name, "--analysis", "none")):
        assert result.code == 0 and _why_lines(result.out) == []
    assert "why" not in json.loads(_get_from_files(name, "--analysis=none", "-o", "json").out)


def test_the_why_line_is_clock_free() -> None:
    """A timed pause's line has no countdown: the same at the pause's start and a minute on."""
    import datetime as dt

    scenario = load_scenario_dir("app-backend-canary-step1")
    target = scenario.target
    argv = ("get", "rollout", target.name, "-n", target.namespace, *_files(scenario.name))
    first = run_in_process(argv, now=scenario.now)
    later = run_in_process(argv, now=scenario.now + dt.timedelta(seconds=61))
    assert first.exit_code == later.exit_code == 0
    assert _why_lines(first.stdout) == _why_lines(later.stdout) != []


@pytest.mark.parametrize("source", ["files", "cluster"])
def test_status_of_a_degraded_rollout_says_why_on_a_terminal(server, source: str) -> None:  # type: ignore[no-untyped-def]
    name = "app-backend-aborted"
    scenario = load_scenario_dir(name)
    if source == "files":
        argv = ("status", scenario.target.name, "--watch=false", "-n", scenario.target.namespace, *_files(name))
        environ = {"HOME": "/nonexistent", "KUBECONFIG": "/nonexistent"}
    else:
        argv = ("status", scenario.target.name, "--watch=false", "-n", name)
        environ = {"HOME": "/nonexistent", "KUBECONFIG": str(server.kubeconfig)}
    result = run_in_process(argv, environ=environ, now=scenario.now, tty=True)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "Why: The rollout was aborted: analysis app-backend-7d9f8c6b5-2 ended Failed on metric success-rate."
    assert lines[1].startswith("Error: The rollout is in a degraded state with message: ")
    piped = run_in_process(argv, environ=environ, now=scenario.now, tty=False)  # a script's view: no Why line
    assert piped.exit_code == 1 and piped.stderr == "\n".join(lines[1:]) + "\n"


def test_status_on_a_pipe_is_the_argo_plugins_output() -> None:
    name = "app-backend-aborted"
    target = load_scenario_dir(name).target
    result = run_cli("status", target.name, "--watch=false", "-n", target.namespace, *_files(name))
    assert result.code == 1
    assert result.err.splitlines()[0].startswith("Error: The rollout is in a degraded state with message: ")
