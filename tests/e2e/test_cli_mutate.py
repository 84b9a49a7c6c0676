"""The installed CLI's mutating commands against the stand-in API server: the exact
requests (method, path, content type, body), the resulting objects, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from kubectl_rollouts_py.sandbox.apiserver import APIServer

from .standin import NS, app_backend_objects, assert_one_error_line, run_cli

RO = f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/rollouts/app-backend"


@pytest.fixture()
def server(tmp_path: Path):
    with APIServer() as srv:
        srv.seed(app_backend_objects())
        srv.kubeconfig = tmp_path / "kubeconfig"  # type: ignore[attr-defined]
        srv.write_kubeconfig(srv.kubeconfig, namespace=NS)  # type: ignore[attr-defined]
        srv.clear_requests()
        yield srv


def writes(srv) -> list[tuple[str, str, str, object]]:
    """Every non-GET request: (method, path, content type, decoded body)."""
    return [(r.method, r.path, r.content_type, json.loads(r.body) if r.body else None)
            for r in srv.requests if r.method != "GET"]


def cli(srv, *args: str):
    return run_cli(*args, kubeconfig=srv.kubeconfig)


def rollout(srv) -> dict:
    return srv.get_object("rollouts", NS, "app-backend")


def test_promote_clears_the_pause_condition_through_the_status_subresource(server) -> None:
    result = cli(server, "promote", "app-backend")
    assert (result.code, result.out, result.err) == (0, "rollout 'app-backend' promoted\n", "")
    assert writes(server) == [("PATCH", RO + "/status", "application/merge-patch+json", {"status": {"pauseConditions": None}})]
    assert [r.body for r in server.requests if r.method == "PATCH"] == [b'{"status":{"pauseConditions":null}}']  # the Argo Rollouts kubectl plugin's bytes
    assert "pauseConditions" not in rollout(server)["status"]


def test_promote_full_and_abort_and_retry(server) -> None:
    assert cli(server, "promote", "app-backend", "--full").out == "rollout 'app-backend' fully promoted\n"
    assert cli(server, "abort", "app-backend").out == "rollout 'app-backend' aborted\n"
    assert rollout(server)["status"]["abort"] is True
    assert cli(server, "retry", "rollout", "app-backend").out == "rollout 'app-backend' retried\n"
    assert rollout(server)["status"]["abort"] is False
    assert writes(server) == [
        ("PATCH", RO + "/status", "application/merge-patch+json", {"status": {"promoteFull": True}}),
        ("PATCH", RO + "/status", "application/merge-patch+json", {"status": {"abort": True}}),
        ("PATCH", RO + "/status", "application/merge-patch+json", {"status": {"abort": False}}),
    ]


def test_status_patch_falls_back_to_the_main_resource_on_404(server) -> None:
    server.fail_next("PATCH", RO + "/status", 404)
    result = cli(server, "abort", "app-backend")
    assert (result.code, result.err) == (0, "")
    assert [(m, p) for m, p, _, _ in writes(server)] == [("PATCH", RO + "/status"), ("PATCH", RO)]
    assert writes(server)[1][3] == {"status": {"abort": True}}


def test_pause_restart_and_terminate(server) -> None:
    assert cli(server, "pause", "app-backend").out == "rollout 'app-backend' paused\n"
    assert rollout(server)["spec"]["paused"] is True
    assert cli(server, "restart", "app-backend", "--in", "1m").out == "rollout 'app-backend' restarts in 1m\n"
    assert rollout(server)["spec"]["restartAt"].endswith("Z")
    run = "app-backend-6d8f9c7b5-2"
    assert cli(server, "terminate", "analysisrun", run).out == f"analysisRun '{run}' terminated\n"
    assert server.get_object("analysisruns", NS, run)["spec"]["terminate"] is True
    methods = [(m, p, b) for m, p, _, b in writes(server)]
    assert methods[0] == ("PATCH", RO, {"spec": {"paused": True}})
    assert methods[1][:2] == ("PATCH", RO)
    restart_body = [r.body for r in server.requests if r.method == "PATCH"][1]
    assert restart_body.startswith(b'{\n\t"spec": {\n\t\t"restartAt": "') and restart_body.endswith(b'Z"\n\t}\n}')
    assert methods[2] == ("PATCH", f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/analysisruns/{run}", {"spec": {"terminate": True}})


def test_set_image_puts_the_whole_rollout_and_retries_a_conflict(server) -> None:
    server.fail_next("PUT", RO, 409)
    result = cli(server, "set", "image", "app-backend", "app-backend=luciferstut/app-backend-for-ithome2024:3.0")
    assert (result.code, result.out, result.err) == (0, 'rollout "app-backend" image updated\n', "")
    puts = [r for r in server.requests if r.method == "PUT"]
    assert len(puts) == 2  # the first answered 409, then a fresh GET and a second PUT
    assert [r.method for r in server.requests].count("GET") == 2
    image = rollout(server)["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "luciferstut/app-backend-for-ithome2024:3.0"


def test_set_image_gives_up_after_five_conflicts_and_changes_nothing(server) -> None:
    server.fail_next("PUT", RO, 409, times=5)
    before = rollout(server)
    line = assert_one_error_line(cli(server, "set-image", "app-backend", "app-backend=x:1"))
    assert "5 times" in line and "nothing was changed" in line
    assert rollout(server) == before


def test_undo_sends_the_argo_plugins_json_patch(server) -> None:
    assert cli(server, "undo", "app-backend").out == "rollout 'app-backend' undo\n"
    ((method, path, content_type, body),) = writes(server)
    assert (method, path, content_type) == ("PATCH", RO, "application/json-patch+json")
    assert body[0]["op"] == "replace" and body[0]["path"] == "/spec/template"
    assert rollout(server)["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":1.0")
    again = cli(server, "undo", "app-backend")
    assert (again.code, again.out) == (0, "skipped rollback (current template already matches revision 0)")


def test_dry_run_sends_nothing(server) -> None:
    for args in (["promote", "app-backend"], ["abort", "app-backend"], ["set", "image", "app-backend", "app-backend=x:1"],
                 ["undo", "app-backend"], ["restart", "app-backend"], ["pause", "app-backend"]):
        result = cli(server, *args, "--dry-run")
        assert result.code == 0, (args, result.err)
        assert result.out.splitlines()[-1].endswith("(dry run)")
        assert "Content-Type: " in result.out
    assert writes(server) == []


def test_several_names_go_on_after_a_failure(server) -> None:
    result = cli(server, "abort", "app-backend", "missing", "app-backend")
    assert result.code == 1
    assert result.out == "rollout 'app-backend' aborted\nrollout 'app-backend' aborted\n"
    assert result.err.splitlines() == ['Error: rollouts.argoproj.io "missing" not found', "Error: 1 of 3 failed: missing"]


def test_selector_picks_rollouts_by_label(server) -> None:
    ro = rollout(server)
    ro["metadata"]["labels"] = {"team": "backend"}
    server.apply_change(ro)
    assert cli(server, "pause", "-l", "team=backend").out == "rollout 'app-backend' paused\n"
    assert assert_one_error_line(cli(server, "pause", "-l", "team=none")).startswith("Error: no rollouts match")


def test_create_and_create_analysisrun(server, tmp_path: Path) -> None:
    template = {"apiVersion": "argoproj.io/v1alpha1", "kind": "ClusterAnalysisTemplate", "metadata": {"name": "success-rate"},
                "spec": {"args": [{"name": "canary-hash"}], "metrics": [{"name": "success-rate", "successCondition": "result[0] >= 0.95",
                         "provider": {"prometheus": {"address": "http://prometheus:9090", "query": "x{h=\"{{args.canary-hash}}\"}"}}}]}}
    path = tmp_path / "cat.yaml"
    path.write_text(yaml.safe_dump(template))
    assert cli(server, "create", "-f", str(path)).out == "clusteranalysistemplate.argoproj.io/success-rate created\n"
    assert server.get_object("clusteranalysistemplates", None, "success-rate") is not None
    result = cli(server, "create", "analysisrun", "--from", "success-rate", "--global", "-a", "canary-hash=6d8f9c7b5", "--name", "manual")
    assert result.out == "analysisrun.argoproj.io/manual created\n"
    assert server.get_object("analysisruns", NS, "manual")["spec"]["args"] == [{"name": "canary-hash", "value": "6d8f9c7b5"}]


# ----------------------------------------------------------------------------- bad input changes nothing


@pytest.mark.parametrize(("args", "code", "message"), [
    (["promote", "nope"], 1, 'Error: rollouts.argoproj.io "nope" not found'),
    (["set", "image", "app-backend", "nope=x:1"], 1, 'Error: unable to find container named "nope"'),
    (["set", "image", "app-backend", "no-equals"], 2, 'Error: invalid image assignment "no-equals"'),
    (["restart", "app-backend", "--in", "5d"], 2, 'Error: invalid --in "5d"'),
    (["promote", "app-backend", "-c", "-a"], 2, "Error: Cannot use skip-current-step and skip-all-steps flags at the same time"),
])
def test_bad_input_changes_nothing(server, args, code, message) -> None:
    before = rollout(server)
    line = assert_one_error_line(cli(server, *args), code)
    assert line.startswith(message)
    assert writes(server) == []
    assert rollout(server) == before


def test_skip_steps_of_a_blue_green_rollout_is_refused(server) -> None:
    ro = rollout(server)
    ro["spec"]["strategy"] = {"blueGreen": {"activeService": "app-backend-stable"}}
    server.apply_change(ro)
    server.clear_requests()
    line = assert_one_error_line(cli(server, "promote", "app-backend", "-c"))
    assert line == "Error: Cannot skip steps of a bluegreen rollout. Run without a flags"
    assert writes(server) == []


def test_forbidden_write(server) -> None:
    server.forbid("patch", "rollouts/status")  # RBAC names the subresource on its own
    server.forbid("patch", "rollouts")
    before = rollout(server)
    line = assert_one_error_line(cli(server, "abort", "app-backend"))
    assert "forbidden" in line
    assert rollout(server) == before


def test_a_failed_second_request_says_what_was_applied(server) -> None:
    ro = rollout(server)
    ro["spec"]["paused"] = True  # promote now needs the status patch and then a spec patch
    server.apply_change(ro)
    server.clear_requests()
    server.fail_next("PATCH", RO, 500)
    line = assert_one_error_line(cli(server, "promote", "app-backend"))
    assert f"applied: PATCH {RO}/status" in line and f"not applied: PATCH {RO}" in line
    after = rollout(server)
    assert "pauseConditions" not in after["status"] and after["spec"]["paused"] is True


def test_create_watch_follows_the_created_rollout(server, tmp_path: Path) -> None:
    new = app_backend_objects()[0]
    new["metadata"] = {"name": "app-frontend", "namespace": NS}
    new.pop("status")
    path = tmp_path / "ro.yaml"
    path.write_text(yaml.safe_dump(new))
    # -w keeps watching until stopped: read the first lines, then stop it.
    import subprocess

    from .standin import cli_path

    env = {"KUBECONFIG": str(server.kubeconfig), "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen([cli_path(), "create", "-f", str(path), "-w"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "rollout.argoproj.io/app-frontend created\n"
        assert proc.stdout.readline() == "Name:            app-frontend\n"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert server.get_object("rollouts", NS, "app-frontend") is not None


def test_completion_helper_answers_kubectl(server, tmp_path: Path) -> None:
    import os
    import shutil
    import subprocess

    from .standin import cli_path

    helper = Path(cli_path()).with_name("kubectl_complete-rollouts_py")
    assert helper.exists()
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "kubectl_complete-rollouts_py").symlink_to(helper)
    (bindir / "kubectl-rollouts_py").symlink_to(cli_path())
    env = {"PATH": f"{bindir}:{os.path.dirname(shutil.which('kubectl') or '/usr/bin/kubectl')}", "HOME": str(tmp_path),
           "KUBECONFIG": str(server.kubeconfig)}
    done = subprocess.run(["kubectl", "__complete", "rollouts-py", "promote", "app"], capture_output=True, text=True, env=env, timeout=60)
    assert done.stdout.splitlines()[:2] == ["app-backend", ":4"], done
    verbs = subprocess.run(["kubectl", "__complete", "rollouts-py", "pro"], capture_output=True, text=True, env=env, timeout=60)
    assert verbs.stdout.splitlines()[0].startswith("promote\t")


@pytest.mark.parametrize("selector", [{"matchLabels": ["app"]},
                                      {"matchExpressions": [{"key": "app", "operator": "In", "values": [1]}]}])
def test_undo_of_a_rollout_with_a_broken_selector_is_one_error_and_sends_nothing(server, selector) -> None:
    broken = rollout(server)
    broken["spec"]["selector"] = selector
    server.seed([broken])
    server.clear_requests()
    line = assert_one_error_line(cli(server, "undo", "app-backend"))
    assert line == 'Error: rollout "app-backend" has an invalid label selector: ' + (
        "matchLabels must map strings to strings" if "matchLabels" in selector
        else "matchExpressions need a string key and a list of string values")
    assert writes(server) == []
    assert [r.path for r in server.requests] == [RO]  # not even the ReplicaSet list
