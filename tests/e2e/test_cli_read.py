"""The installed CLI against the stand-in API server: read commands and their errors."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest
import yaml

from kubectl_rollouts_py.sandbox.apiserver import APIServer

from .standin import NS, app_backend_objects, assert_one_error_line, run_cli


@pytest.fixture()
def server(tmp_path: Path):
    with APIServer() as srv:
        srv.seed(app_backend_objects())
        srv.kubeconfig = tmp_path / "kubeconfig"  # type: ignore[attr-defined]
        srv.write_kubeconfig(srv.kubeconfig, namespace=NS)  # type: ignore[attr-defined]
        yield srv


def test_get_rollout_from_cluster_shows_the_tree(server) -> None:
    result = run_cli("get", "rollout", "app-backend", kubeconfig=server.kubeconfig)
    assert result.code == 0, result.err
    assert result.err == ""
    lines = result.out.splitlines()
    assert lines[0] == "Name:            app-backend"
    assert lines[1] == "Namespace:       ithome"
    assert lines[2] == "Status:          ॥ Paused"  # stdout is a pipe: no colour
    assert "\x1b" not in result.out
    assert "  Step:          1/4" in lines
    assert "  SetWeight:     10" in lines
    assert "  ActualWeight:  20" in lines  # 1 canary pod of 5 available
    assert "Images:          luciferstut/app-backend-for-ithome2024:1.0 (stable)" in lines
    tree = [line.rstrip() for line in lines[lines.index("") + 1:]]
    assert tree[1].startswith("⟳ app-backend") and "Rollout" in tree[1]
    assert tree[2] == "├──# revision:2"
    assert any("α app-backend-6d8f9c7b5-2" in line and "✔ 2" in line for line in tree)


def test_live_server_and_saved_objects_render_the_same(server, tmp_path: Path) -> None:
    """`kubectl get -o yaml` output fed to --from-file gives the same view as the cluster."""
    saved = tmp_path / "saved.yaml"
    kinds = "rollouts.argoproj.io,replicasets.apps,pods,analysisruns.argoproj.io,experiments.argoproj.io"
    env = {**os.environ, "KUBECONFIG": str(server.kubeconfig)}
    dump = subprocess.run(
        ["kubectl", "--cache-dir", str(tmp_path / "cache"), "get", kinds, "-n", NS, "-o", "yaml"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert dump.returncode == 0, dump.stderr
    saved.write_text(dump.stdout)
    assert yaml.safe_load(dump.stdout)["kind"] == "List"

    live = run_cli("get", "rollout", "app-backend", kubeconfig=server.kubeconfig)
    offline = run_cli("get", "rollout", "app-backend", "-n", NS, "--from-file", str(saved), env={"KUBECONFIG": "/nonexistent"})
    assert live.code == offline.code == 0, (live.err, offline.err)
    assert live.out == offline.out
    live_json = run_cli("get", "rollout", "app-backend", "-o", "json", kubeconfig=server.kubeconfig)
    offline_json = run_cli("get", "rollout", "app-backend", "-o", "json", "-n", NS, "--from-file", str(saved))
    assert json.loads(live_json.out) == json.loads(offline_json.out)


def test_get_rollout_sends_one_get_and_four_lists(server) -> None:
    server.clear_requests()
    assert run_cli("get", "rollout", "app-backend", kubeconfig=server.kubeconfig).code == 0
    requests = sorted((r.method, r.path) for r in server.requests)
    assert requests == sorted([
        ("GET", f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/rollouts/app-backend"),
        ("GET", f"/apis/apps/v1/namespaces/{NS}/replicasets"),
        ("GET", f"/api/v1/namespaces/{NS}/pods"),
        ("GET", f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/analysisruns"),
        ("GET", f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/experiments"),
    ])


def test_json_output_has_the_documented_schema(server) -> None:
    result = run_cli("get", "rollout", "app-backend", "-o", "json", kubeconfig=server.kubeconfig)
    doc = json.loads(result.out)
    assert doc["kind"] == "RolloutView"
    assert (doc["status"], doc["message"], doc["strategy"]) == ("Paused", "CanaryPauseStep", "Canary")
    assert (doc["step"], doc["currentStepIndex"], doc["totalSteps"], doc["setWeight"], doc["actualWeight"]) == ("1/4", 1, 4, 10, 20)
    assert [r["revision"] for r in doc["revisions"]] == [2, 1]
    assert doc["revisions"][0]["replicaSets"][0]["tags"] == ["canary"]
    assert doc["revisions"][0]["analysisRuns"][0]["counts"]["successful"] == 2
    assert len(doc["revisions"][1]["replicaSets"][0]["pods"]) == 4


def test_global_flags_are_accepted_anywhere(server, tmp_path: Path) -> None:
    # The kubeconfig's context says "default", so only a -n that is honoured finds the rollout.
    elsewhere = tmp_path / "elsewhere"
    server.write_kubeconfig(elsewhere, namespace="default")
    for args in (
        ("-n", NS, "get", "rollout", "app-backend"),
        ("get", "-n", NS, "rollout", "app-backend"),
        ("get", "rollout", "app-backend", "--namespace", NS),
        ("--namespace", NS, "list", "rollouts"),
        ("-n", NS, "status", "app-backend", "--watch=false"),
    ):
        result = run_cli(*args, kubeconfig=elsewhere)
        assert result.code == 0, (args, result.err)
    assert run_cli("get", "rollout", "app-backend", kubeconfig=elsewhere).code == 1  # and without -n it is not found
    for args in (
        ("-n", NS, "get", "rollout", "app-backend"),
        ("get", "-n", NS, "rollout", "app-backend"),
        ("get", "rollout", "app-backend", "--namespace", NS),
        ("--kubeconfig", str(server.kubeconfig), "get", "ro", "app-backend"),
    ):
        assert run_cli(*args, kubeconfig=server.kubeconfig).code == 0, args


def test_list_rollouts_and_status(server) -> None:
    listed = run_cli("list", "rollouts", kubeconfig=server.kubeconfig)
    assert listed.code == 0
    assert listed.out.splitlines()[1].split() == ["app-backend", "Canary", "Paused", "1/4", "10", "5/5", "5", "1", "5"]
    status = run_cli("status", "app-backend", "--watch=false", kubeconfig=server.kubeconfig)
    assert (status.code, status.out) == (0, "Paused - CanaryPauseStep\n")


def test_status_watch_follows_the_rollout_until_healthy(server) -> None:
    """The watch must see a change made after it started (event-driven, no polling)."""
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env["KUBECONFIG"] = str(server.kubeconfig)
    from .standin import cli_path

    proc = subprocess.Popen([cli_path(), "status", "app-backend", "--timeout", "20s"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "Paused - CanaryPauseStep\n"
        rollout = server.get_object("rollouts", NS, "app-backend")
        rollout["status"].update(phase="Healthy", message="", stableRS="6d8f9c7b5", pauseConditions=None)
        server.apply_change(rollout)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert (proc.returncode, out, err) == (0, "Healthy\n", "")


# ----------------------------------------------------------------------------- bad input


def test_unknown_rollout(server) -> None:
    result = run_cli("get", "rollout", "x", kubeconfig=server.kubeconfig)
    assert assert_one_error_line(result) == 'Error: rollout.argoproj.io "x" not found'
    assert result.out == ""


def test_missing_kubeconfig(tmp_path: Path) -> None:
    result = run_cli("get", "rollout", "x", kubeconfig=tmp_path / "absent", env={"HOME": str(tmp_path)})
    line = assert_one_error_line(result)
    assert "kubeconfig" in line and str(tmp_path / "absent") in line


def test_invalid_kubeconfig(tmp_path: Path) -> None:
    bad = tmp_path / "config"
    bad.write_text("apiVersion: v1\nclusters: [\n  - this is: not: valid\n")
    line = assert_one_error_line(run_cli("list", "rollouts", kubeconfig=bad))
    assert str(bad) in line


def test_unreachable_server_fails_at_once(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with APIServer() as srv:
        srv.write_kubeconfig(tmp_path / "config", namespace=NS)
    config = (tmp_path / "config").read_text().replace(srv.url, f"http://127.0.0.1:{port}")
    (tmp_path / "config").write_text(config)
    result = run_cli("get", "rollout", "app-backend", kubeconfig=tmp_path / "config")
    line = assert_one_error_line(result)
    assert f"127.0.0.1:{port}" in line and "refused" in line
    # At once: -v 6 logs every attempt, retries included, and each read was tried only once.
    verbose = run_cli("get", "rollout", "app-backend", "-v", "6", kubeconfig=tmp_path / "config")
    attempts = [entry.split()[1] for entry in verbose.err.splitlines() if entry.startswith("GET ")]
    assert attempts and len(attempts) == len(set(attempts)), verbose.err


def test_unauthorized(tmp_path: Path) -> None:
    with APIServer(token="s3cret-token") as srv:
        srv.seed(app_backend_objects())
        srv.write_kubeconfig(tmp_path / "config", namespace=NS, token="wrong-token")
        result = run_cli("get", "rollout", "app-backend", kubeconfig=tmp_path / "config")
        line = assert_one_error_line(result)
        assert "Unauthorized" in line or "logged in" in line
        assert "wrong-token" not in result.err and "s3cret" not in result.err
        srv.write_kubeconfig(tmp_path / "good", namespace=NS, token="s3cret-token")
        assert run_cli("get", "rollout", "app-backend", kubeconfig=tmp_path / "good").code == 0


def test_forbidden(server) -> None:
    server.forbid("list", "pods")
    line = assert_one_error_line(run_cli("get", "rollout", "app-backend", kubeconfig=server.kubeconfig))
    assert "forbidden" in line and "pods" in line


def test_malformed_yaml_in_from_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: Rollout\nmetadata:\n  name: [unclosed\n")
    line = assert_one_error_line(run_cli("get", "rollout", "x", "--from-file", str(bad)))
    assert str(bad) in line


def test_wrongly_typed_fields_still_render(tmp_path: Path) -> None:
    objects = app_backend_objects()
    objects[0]["status"].update(replicas="five", currentStepIndex="1", pauseConditions="nope", phase=7)
    objects[0]["spec"]["strategy"]["canary"]["steps"] = [{"setWeight": "ten"}, None, {"pause": "x"}]
    objects[1]["metadata"]["labels"] = ["not", "a", "map"]
    objects[3]["status"] = None
    objects[-1]["status"]["metricResults"] = [{"measurements": "garbage", "successful": "2"}]
    saved = tmp_path / "odd.yaml"
    saved.write_text(yaml.safe_dump_all(objects))
    result = run_cli("get", "rollout", "app-backend", "-n", NS, "--from-file", str(saved))
    assert result.code == 0, result.err
    assert result.out.startswith("Name:            app-backend\n")
    assert "Traceback" not in result.err


def test_usage_error_exits_2_without_traceback() -> None:
    result = run_cli("get", "rollout")
    assert result.code == 2
    assert "Missing argument" in result.err and "Traceback" not in result.err
