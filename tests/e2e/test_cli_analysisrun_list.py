"""`get analysisrun` without a NAME through the installed CLI: the namespace's runs as a
kubectl-style table (NAME, STATUS, ROLLOUT, REVISION, METRICS, AGE), `-A` with a NAMESPACE
column, `-o json|yaml` as a List, from the stand-in API server and from saved objects."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubectl_rollouts_py.sandbox.apiserver import APIServer

from .standin import NS, app_backend_objects, assert_one_error_line, run_cli

RUN = "app-backend-6d8f9c7b5-2"


def _run(name: str, namespace: str, *, phase: str, results: list[tuple[str, str]], metrics: list[str],
         owner: tuple[str, str] | None, revision: str | None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": namespace, "uid": f"uid-{namespace}-{name}",
                                "creationTimestamp": "2026-11-20T08:00:00Z"}
    if revision is not None:
        metadata["annotations"] = {"rollout.argoproj.io/revision": revision}
    if owner is not None:
        metadata["ownerReferences"] = [{"apiVersion": "argoproj.io/v1alpha1", "kind": owner[0], "name": owner[1],
                                        "uid": f"owner-{owner[1]}", "controller": True}]
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisRun", "metadata": metadata,
        "spec": {"metrics": [{"name": m, "provider": {"prometheus": {"query": "1"}}} for m in metrics]},
        "status": {"phase": phase, "metricResults": [{"name": n, "phase": p} for n, p in results]} if phase else {},
    }


def _objects() -> list[dict[str, Any]]:
    return [
        *app_backend_objects(),  # RUN: Running, one metric Running, revision 2, owned by app-backend
        _run("app-backend-5c6b7d8f9-1", NS, phase="Failed", metrics=["success-rate", "latency"],
             results=[("success-rate", "Successful"), ("latency", "Failed")], owner=("Rollout", "app-backend"), revision="1"),
        _run("exp-baseline-analysis", NS, phase="Successful", metrics=["success-rate"], results=[("success-rate", "Successful")],
             owner=("Experiment", "app-backend-exp"), revision=None),
        _run("by-hand", NS, phase="", metrics=["a", "b"], results=[], owner=None, revision=None),
        _run("web-7f-3", "shop", phase="Error", metrics=["errors"], results=[("errors", "Error")],
             owner=("Rollout", "web"), revision="3"),
    ]


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[APIServer]:
    with APIServer() as srv:
        srv.seed(_objects())
        srv.kubeconfig = tmp_path / "kubeconfig"  # type: ignore[attr-defined]
        srv.write_kubeconfig(srv.kubeconfig, namespace=NS)  # type: ignore[attr-defined]
        yield srv


def _columns(line: str) -> list[str]:
    return re.split(r" {3,}", line.rstrip())


def test_the_namespaces_runs_as_a_table(server: APIServer) -> None:
    result = run_cli("get", "analysisrun", kubeconfig=server.kubeconfig)  # type: ignore[attr-defined]
    assert (result.code, result.err) == (0, ""), result.err
    lines = result.out.splitlines()
    assert _columns(lines[0]) == ["NAME", "STATUS", "ROLLOUT", "REVISION", "METRICS", "AGE"]
    rows = [_columns(line) for line in lines[1:]]
    ages = {row[-1] for row in rows}
    assert len(ages) == 1  # all created at once; the age itself moves with the clock
    assert [row[:-1] for row in rows] == [  # by name, as kubectl lists
        ["app-backend-5c6b7d8f9-1", "Failed", "app-backend", "1", "1 successful, 1 failed"],
        ["app-backend-6d8f9c7b5-2", "Running", "app-backend", "2", "1 running"],
        ["by-hand", "-", "-", "-", "2 pending"],
        ["exp-baseline-analysis", "Successful", "-", "-", "1 successful"],
    ]
    # The columns line up: every row's STATUS starts where the header's does.
    start = lines[0].index("STATUS")
    assert all(line[start - 3:start] == "   " and line[start] != " " for line in lines[1:])


def test_aliases_and_all_namespaces(server: APIServer) -> None:
    plain = run_cli("get", "analysisrun", kubeconfig=server.kubeconfig)  # type: ignore[attr-defined]
    for alias in ("ar", "analysisruns"):
        assert run_cli("get", alias, kubeconfig=server.kubeconfig).out == plain.out  # type: ignore[attr-defined]
    result = run_cli("get", "analysisruns", "-A", kubeconfig=server.kubeconfig)  # type: ignore[attr-defined]
    assert (result.code, result.err) == (0, ""), result.err
    lines = result.out.splitlines()
    assert _columns(lines[0]) == ["NAMESPACE", "NAME", "STATUS", "ROLLOUT", "REVISION", "METRICS", "AGE"]
    assert [_columns(line)[:2] for line in lines[1:]] == [
        [NS, "app-backend-5c6b7d8f9-1"], [NS, "app-backend-6d8f9c7b5-2"], [NS, "by-hand"], [NS, "exp-baseline-analysis"],
        ["shop", "web-7f-3"]]
    assert _columns(lines[-1])[1:-1] == ["web-7f-3", "Error", "web", "3", "1 error"]


@pytest.mark.parametrize("output", ["json", "yaml"])
def test_output_is_a_list_of_the_rows(server: APIServer, output: str) -> None:
    result = run_cli("get", "analysisrun", "-o", output, kubeconfig=server.kubeconfig)  # type: ignore[attr-defined]
    assert (result.code, result.err) == (0, ""), result.err
    document = json.loads(result.out) if output == "json" else yaml.safe_load(result.out)
    assert (document["apiVersion"], document["kind"]) == ("v1", "List")
    first = document["items"][0]
    assert first == {
        "namespace": NS, "name": "app-backend-5c6b7d8f9-1", "status": "Failed",
        "owner": {"kind": "Rollout", "name": "app-backend"}, "rollout": "app-backend", "revision": 1,
        "metrics": {"total": 2, "successful": 1, "failed": 1, "error": 0, "inconclusive": 0, "running": 0, "pending": 0},
        "creationTimestamp": "2026-11-20T08:00:00Z",
    }
    by_hand = next(item for item in document["items"] if item["name"] == "by-hand")
    assert (by_hand["owner"], by_hand["rollout"], by_hand["revision"], by_hand["metrics"]["pending"]) == (None, None, None, 2)
    assert [item["name"] for item in document["items"]] == [
        "app-backend-5c6b7d8f9-1", "app-backend-6d8f9c7b5-2", "by-hand", "exp-baseline-analysis"]


def test_from_saved_objects_the_same_table(server: APIServer, tmp_path: Path) -> None:
    saved = tmp_path / "runs.yaml"
    saved.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": _objects()}))
    live = run_cli("get", "analysisrun", "-o", "json", kubeconfig=server.kubeconfig)  # type: ignore[attr-defined]
    offline = run_cli("get", "analysisrun", "-o", "json", "-n", NS, "--from-file", str(saved))
    assert offline.code == 0, offline.err
    assert json.loads(offline.out) == json.loads(live.out)


def test_no_runs_says_so_like_kubectl(tmp_path: Path) -> None:
    with APIServer() as srv:
        srv.seed([copy.deepcopy(app_backend_objects()[0])])
        kubeconfig = tmp_path / "kubeconfig"
        srv.write_kubeconfig(kubeconfig, namespace=NS)
        result = run_cli("get", "analysisrun", kubeconfig=kubeconfig)
        assert (result.code, result.out, result.err) == (0, "", f"No resources found in {NS} namespace.\n")
        result = run_cli("get", "analysisrun", "-o", "json", kubeconfig=kubeconfig)
        assert (result.code, json.loads(result.out)["items"]) == (0, [])


def test_escapes_names_from_the_cluster(server: APIServer) -> None:
    hostile = _run("evil", NS, phase="Running\x1b[2J", metrics=["m"], results=[("m", "Running")],
                   owner=("Rollout", "web\u202e"), revision="1")
    server.seed([hostile])
    result = run_cli("get", "analysisrun", kubeconfig=server.kubeconfig)  # type: ignore[attr-defined]
    assert result.code == 0, result.err
    assert "\x1b" not in result.out and "\u202e" not in result.out


def test_with_a_name_it_is_unchanged(server: APIServer) -> None:
    result = run_cli("get", "analysisrun", RUN, kubeconfig=server.kubeconfig)  # type: ignore[attr-defined]
    assert result.code == 0 and result.out.startswith(f"Name:            {RUN}\n")


@pytest.mark.parametrize(("args", "message"), [
    (["-w"], "Error: -w/--watch needs an AnalysisRun NAME"),
    ([RUN, "-A"], "Error: a resource cannot be retrieved by name across all namespaces"),
])
def test_usage_errors(server: APIServer, args: list[str], message: str) -> None:
    line = assert_one_error_line(run_cli("get", "analysisrun", *args, kubeconfig=server.kubeconfig), 2)  # type: ignore[attr-defined]
    assert line == message
