"""`get analysisrun` through the installed CLI, live and from saved objects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from kubectl_rollouts_py.sandbox.apiserver import APIServer

from .standin import NS, app_backend_objects, assert_one_error_line, run_cli

RUN = "app-backend-6d8f9c7b5-2"


@pytest.fixture()
def server(tmp_path: Path):
    with APIServer() as srv:
        srv.seed(app_backend_objects())
        srv.kubeconfig = tmp_path / "kubeconfig"  # type: ignore[attr-defined]
        srv.write_kubeconfig(srv.kubeconfig, namespace=NS)  # type: ignore[attr-defined]
        yield srv


def test_get_analysisrun_lists_metrics_and_measurements(server) -> None:
    result = run_cli("get", "analysisrun", RUN, kubeconfig=server.kubeconfig)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[:3] == [f"Name:            {RUN}", f"Namespace:       {NS}", "Status:          ◌ Running"]
    assert lines[4].split()[:5] == ["METRIC", "STATUS", "VALUE", "SUCCESSFUL", "FAILED/LIMIT"]
    assert lines[5].split()[:7] == ["success-rate", "◌", "Running", "[0.99]", "2", "0/3", "0/0"]
    assert "  success: isNaN(result[0]) || result[0] >= 0.95" in lines
    assert any(line.split()[:3] == ["✔", "Successful", "[0.99]"] for line in lines)


def test_get_ar_alias_json_and_from_file_agree(server, tmp_path: Path) -> None:
    live = run_cli("get", "ar", RUN, "-o", "json", kubeconfig=server.kubeconfig)
    saved = tmp_path / "objects.yaml"
    saved.write_text(yaml.safe_dump_all(app_backend_objects()))
    offline = run_cli("get", "analysisruns", RUN, "-o", "json", "-n", NS, "--from-file", str(saved))
    doc = json.loads(live.out)
    assert doc == json.loads(offline.out)
    assert doc["kind"] == "AnalysisRunView"
    assert doc["metrics"][0]["limits"] == {"failureLimit": 3, "inconclusiveLimit": 0, "consecutiveErrorLimit": 4}


def test_unknown_analysisrun(server) -> None:
    line = assert_one_error_line(run_cli("get", "analysisrun", "nope", kubeconfig=server.kubeconfig))
    assert line == 'Error: analysisrun.argoproj.io "nope" not found'


def test_get_rollout_adds_the_current_revisions_metric_table(server) -> None:
    old_run = dict(app_backend_objects()[-1])
    old_run["metadata"] = {**old_run["metadata"], "name": "app-backend-5c6b7d8f9-1", "uid": "run-0",
                           "annotations": {"rollout.argoproj.io/revision": "1"}}
    old_run["status"] = {"phase": "Successful", "metricResults": [{"name": "success-rate", "phase": "Successful", "successful": 3, "count": 3}]}
    server.seed([old_run])
    default = run_cli("get", "rollout", "app-backend", kubeconfig=server.kubeconfig).out.splitlines()
    table = default[default.index("", default.index("") + 1) + 1:]  # after the tree's own blank line
    assert table[0].split()[:3] == ["ANALYSISRUN", "METRIC", "STATUS"]
    assert [line.split()[:2] for line in table[1:]] == [[RUN, "success-rate"]]
    everything = run_cli("get", "rollout", "app-backend", "--analysis=all", kubeconfig=server.kubeconfig).out
    assert "app-backend-5c6b7d8f9-1  success-rate  ✔ Successful" in everything
    plain = run_cli("get", "rollout", "app-backend", "--analysis=none", kubeconfig=server.kubeconfig).out
    assert "ANALYSISRUN" not in plain and plain.endswith("✔ 3\n")  # the tree (its last run) ends it
    doc = json.loads(run_cli("get", "rollout", "app-backend", "-o", "json", kubeconfig=server.kubeconfig).out)
    assert [a["name"] for a in doc["analysis"]] == [RUN]


def test_get_analysisrun_watch_prints_a_new_measurement(server) -> None:
    import os
    import subprocess

    from .standin import cli_path

    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "NO_COLOR")}
    env["KUBECONFIG"] = str(server.kubeconfig)
    proc = subprocess.Popen([cli_path(), "get", "analysisrun", RUN, "-w"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        assert proc.stdout is not None
        while "MEASUREMENT" not in proc.stdout.readline():
            pass
        run = server.get_object("analysisruns", NS, RUN)
        result = run["status"]["metricResults"][0]
        result["measurements"].append({"phase": "Failed", "value": "[0.42]", "startedAt": "2026-11-20T08:01:00Z",
                                       "finishedAt": "2026-11-20T08:01:01Z"})
        result.update(failed=1, count=3)
        server.apply_change(run)
        seen = []
        while not any("[0.42]" in line for line in seen):
            line = proc.stdout.readline()
            assert line, "the watch ended without showing the new measurement"
            seen.append(line)
        assert any(line.split()[:7] == ["success-rate", "◌", "Running", "[0.42]", "2", "1/3", "0/0"] for line in seen)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
