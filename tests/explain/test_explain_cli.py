"""The installed CLI: `explain` (and `why`) from the stand-in API server and from saved
files give the same text and JSON; bad input gives one clear line, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import load_scenario_dir

from kubectl_rollouts_py.sandbox.apiserver import APIServer
from tests.e2e.standin import assert_one_error_line, run_cli

from .support import object_files, rollout_scenarios

# The hostile rollout's name holds control characters: no API server answers a GET for it,
# so it is explained from files only (its golden text is in tests/golden/explain/).
FILES_ONLY = {"hostile"}


def _objects(name: str) -> list[dict]:
    return [yaml.safe_load(Path(p).read_text()) for p in object_files(name)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    with APIServer() as srv:
        for name in rollout_scenarios():
            if name not in FILES_ONLY:
                # One namespace per scenario: they share object names.
                objects = _objects(name)
                for obj in objects:
                    obj["metadata"]["namespace"] = name
                srv.seed(objects)
        srv.kubeconfig = tmp_path_factory.mktemp("explain") / "kubeconfig"  # type: ignore[attr-defined]
        srv.write_kubeconfig(srv.kubeconfig)  # type: ignore[attr-defined]
        yield srv


def _from_cluster(server, name: str, *args: str):  # type: ignore[no-untyped-def]
    target = load_scenario_dir(name).target
    return run_cli("explain", target.name, "-n", name, *args, kubeconfig=server.kubeconfig)


def _from_files(name: str, *args: str, namespace: str | None = None):  # type: ignore[no-untyped-def]
    target = load_scenario_dir(name).target
    files = [a for path in object_files(name) for a in ("--from-file", path)]
    return run_cli("explain", target.name, "-n", namespace or target.namespace, *files, *args)


def _in_namespace(text: str, scenario: str, namespace: str) -> str:
    """The server holds each scenario in a namespace named after it; the files keep theirs."""
    for form in ("-n {}", "namespace {}", '"namespace": "{}"'):
        text = text.replace(form.format(scenario), form.format(namespace))
    return text


def _same_modulo_namespace(cluster: str, files: str, scenario: str, namespace: str) -> None:
    assert _in_namespace(cluster, scenario, namespace) == files


@pytest.mark.parametrize("name", [n for n in rollout_scenarios() if n not in FILES_ONLY])
def test_cluster_and_saved_objects_explain_the_same(server, name: str) -> None:  # type: ignore[no-untyped-def]
    namespace = load_scenario_dir(name).target.namespace
    cluster, files = _from_cluster(server, name), _from_files(name)
    assert cluster.code == files.code == 0, (cluster.err, files.err)
    assert cluster.err == files.err == ""
    _same_modulo_namespace(cluster.out, files.out, name, namespace)
    assert "Traceback" not in cluster.out + files.out


@pytest.mark.parametrize("name", ["explain-analysis-failing", "app-backend-aborted", "explain-missing-workload"])
def test_json_is_the_same_both_ways(server, name: str) -> None:  # type: ignore[no-untyped-def]
    namespace = load_scenario_dir(name).target.namespace
    cluster, files = _from_cluster(server, name, "-o", "json"), _from_files(name, "-o", "json")
    assert cluster.code == files.code == 0, (cluster.err, files.err)
    assert json.loads(_in_namespace(cluster.out, name, namespace)) == json.loads(files.out)


def test_why_is_explain_and_yaml_is_the_json_document(server) -> None:  # type: ignore[no-untyped-def]
    name = "explain-paused-promote"
    explained = _from_cluster(server, name)
    why = run_cli("why", "app-backend", "-n", name, kubeconfig=server.kubeconfig)
    assert why.code == 0 and why.out == explained.out
    as_yaml = yaml.safe_load(_from_cluster(server, name, "-o", "yaml").out)
    assert as_yaml == json.loads(_from_cluster(server, name, "-o", "json").out)
    assert as_yaml["causes"][0]["kind"] == "paused-step"


def test_unknown_name_is_the_error_get_rollout_gives(server) -> None:  # type: ignore[no-untyped-def]
    explained = run_cli("explain", "nope", "-n", "explain-paused-user", kubeconfig=server.kubeconfig)
    got = run_cli("get", "rollout", "nope", "-n", "explain-paused-user", kubeconfig=server.kubeconfig)
    line = assert_one_error_line(explained)
    assert line == assert_one_error_line(got) == 'Error: rollout.argoproj.io "nope" not found'
    files = _from_files("explain-paused-user", namespace="ithome")
    assert files.code == 0
    missing = run_cli("explain", "nope", "-n", "ithome", *[a for p in object_files("explain-paused-user") for a in ("--from-file", p)])
    assert assert_one_error_line(missing) == 'Error: rollout.argoproj.io "nope" not found'


def test_malformed_objects_are_explained_with_what_could_not_be_read() -> None:
    result = _from_files("explain-malformed")
    assert result.code == 0, result.err
    assert "Traceback" not in result.out + result.err
    assert "Why:\n  1. The rollout has no status" in result.out
    assert "Could not read:\n  - spec.strategy.canary.steps is not a list: steps ignored" in result.out


@pytest.mark.parametrize("rollout", [
    {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "app-backend", "namespace": "ithome"},
     "spec": 5, "status": ["Healthy"]},
    {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "app-backend", "namespace": "ithome"},
     "spec": {"strategy": {"canary": {"steps": [7, None, {"pause": {"duration": []}}, {"setWeight": "x"}]}}, "replicas": True},
     "status": {"currentStepIndex": "2", "pauseConditions": [{"reason": 5, "startTime": "yesterday"}], "conditions": "none",
                "abort": "yes", "phase": 42}},
    {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "app-backend", "namespace": "ithome", "uid": "u"},
     "spec": {"workloadRef": {"name": 3}, "strategy": {"blueGreen": {"autoPromotionSeconds": "soon"}}},
     "status": {"pauseConditions": [{"reason": "BlueGreenPause"}], "blueGreen": [], "stableRS": 1}},
])
def test_wrongly_typed_rollouts_never_give_a_traceback(tmp_path: Path, rollout: dict) -> None:
    saved = tmp_path / "rollout.json"
    saved.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [rollout]}))
    for output in ("text", "json"):
        result = run_cli("explain", "app-backend", "-n", "ithome", "--from-file", str(saved), "-o", output)
        assert "Traceback" not in result.err, result.err
        if result.code:
            assert_one_error_line(result)
        else:
            assert result.out.strip()
