"""The write operations of ops/, called as functions over a Source: the requests they send
(the Argo Rollouts kubectl plugin's, byte for byte), the outcome they return, dry runs
that send nothing, and the conflict retry."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import files
from kubectl_rollouts_py.ops import create, steer, templates
from kubectl_rollouts_py.ops.writes import ATTEMPTS, Executor
from kubectl_rollouts_py.sandbox.apiserver import APIServer
from tests.e2e.standin import NS, app_backend_objects

RO = f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/rollouts/app-backend"
NOW = dt.datetime(2026, 12, 6, 10, 0, 0, 250000, tzinfo=dt.timezone.utc)


def sent(srv: APIServer) -> list[tuple[str, str, str, bytes]]:
    """Every write the server received: method, path, content type, body bytes."""
    return [(r.method, r.path, r.content_type, r.body) for r in srv.requests if r.method != "GET"]


# ------------------------------------------------------------------ steer


def test_promote_sends_the_status_patch_and_names_the_rollout_as_the_server_did(server, source) -> None:
    outcome = steer.promote(source, NS, "app-backend")
    assert (outcome.message, outcome.name, outcome.dry_run, outcome.skipped, outcome.notes) == (
        "rollout 'app-backend' promoted", "app-backend", False, False, ())
    assert outcome.plan is not None and [q.path for q in outcome.plan.requests()] == [RO + "/status"]
    assert sent(server) == [("PATCH", RO + "/status", "application/merge-patch+json", b'{"status":{"pauseConditions":null}}')]


def test_promote_full_and_bad_flag_combinations(server, source) -> None:
    assert steer.promote(source, NS, "app-backend", steer.Promotion(full=True)).message == "rollout 'app-backend' fully promoted"
    assert sent(server) == [("PATCH", RO + "/status", "application/merge-patch+json", b'{"status":{"promoteFull":true}}')]
    with pytest.raises(errors.UsageError, match="skip-current-step and skip-all-steps"):
        steer.Promotion(skip_current=True, skip_all=True)


@pytest.mark.parametrize(("operation", "line", "path", "body"), [
    (steer.abort, "rollout 'app-backend' aborted", RO + "/status", b'{"status":{"abort":true}}'),
    (steer.retry, "rollout 'app-backend' retried", RO + "/status", b'{"status":{"abort":false}}'),
    (steer.pause, "rollout 'app-backend' paused", RO, b'{"spec":{"paused":true}}'),
])
def test_abort_retry_and_pause(server, source, operation, line, path, body) -> None:
    assert operation(source, NS, "app-backend").message == line
    assert sent(server) == [("PATCH", path, "application/merge-patch+json", body)]


def test_a_status_patch_answered_404_falls_back_to_the_main_resource(server, source) -> None:
    server.fail_next("PATCH", RO + "/status", 404)
    assert steer.abort(source, NS, "app-backend").message == "rollout 'app-backend' aborted"
    assert [(m, p, b) for m, p, _, b in sent(server)] == [("PATCH", RO + "/status", b'{"status":{"abort":true}}'),
                                                           ("PATCH", RO, b'{"status":{"abort":true}}')]


def test_restart_is_now_plus_the_delay_in_whole_seconds(server, source) -> None:
    outcome = steer.restart(source, NS, "app-backend", now=NOW, delay="30s")
    assert outcome.message == "rollout 'app-backend' restarts in 30s"
    assert sent(server) == [("PATCH", RO, "application/merge-patch+json",
                             b'{\n\t"spec": {\n\t\t"restartAt": "2026-12-06T10:00:30Z"\n\t}\n}')]
    assert steer.restart(source, NS, "app-backend", now=NOW).message == "rollout 'app-backend' restarts in 0s"
    for bad in ("5d", "-1s", ""):
        with pytest.raises(errors.UsageError, match="invalid --in"):
            steer.restart_delay(bad)


def test_terminate_and_retry_experiment(server, source) -> None:
    run = "app-backend-6d8f9c7b5-2"
    assert steer.terminate(source, NS, run, kind="AnalysisRun").message == f"analysisRun '{run}' terminated"
    assert server.get_object("analysisruns", NS, run)["spec"]["terminate"] is True
    server.seed([{"apiVersion": "argoproj.io/v1alpha1", "kind": "Experiment", "metadata": {"name": "exp", "namespace": NS},
                  "spec": {"templates": []}, "status": {"phase": "Failed"}}])
    server.clear_requests()
    assert steer.terminate(source, NS, "exp", kind="Experiment").message == "experiment 'exp' terminated"
    assert steer.retry_experiment(source, NS, "exp").message == "experiment 'exp' retried"
    experiment = f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/experiments/exp"
    assert [(p, b) for _, p, _, b in sent(server)] == [(experiment, b'{"spec":{"terminate":true}}'), (experiment, b'{"status":null}')]


def test_matching_rollouts_by_label(server, source) -> None:
    ro = server.get_object("rollouts", NS, "app-backend")
    ro["metadata"]["labels"] = {"team": "backend"}
    server.apply_change(ro)
    assert steer.matching_rollouts(source, NS, "team=backend") == ["app-backend"]
    with pytest.raises(errors.NotFound, match='no rollouts match selector "team=none" in namespace "ithome"'):
        steer.matching_rollouts(source, NS, "team=none")


# ------------------------------------------------------------------ the executor


def test_a_dry_run_reads_but_sends_nothing_and_hands_back_the_plan(server, source) -> None:
    dry = Executor(dry_run=True)
    outcome = steer.promote(source, NS, "app-backend", executor=dry)
    assert (outcome.message, outcome.dry_run) == ("rollout 'app-backend' promoted", True)
    assert outcome.plan is not None and [q.body for q in outcome.plan.requests()] == ['{"status":{"pauseConditions":null}}']
    image = templates.set_image(source, NS, "app-backend", templates.ImageChange("app-backend", "x:1"), executor=dry)
    assert image.plan is not None and json.loads(image.plan.requests()[0].body)["spec"]["template"]["spec"]["containers"][0]["image"] == "x:1"
    assert dry.applied == 0
    assert sent(server) == []
    assert [r.method for r in server.requests] == ["GET", "GET"]


def test_the_executor_counts_plans_applied_in_full(server, source) -> None:
    live = Executor()
    steer.pause(source, NS, "app-backend", executor=live)
    steer.abort(source, NS, "app-backend", executor=live)
    assert live.applied == 2
    server.forbid("patch", "rollouts")
    with pytest.raises(errors.Forbidden):
        steer.pause(source, NS, "app-backend", executor=live)
    assert live.applied == 2


def test_a_saved_file_can_be_planned_against_but_not_written(tmp_path: Path) -> None:
    path = tmp_path / "objects.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": app_backend_objects()}))
    saved = files.FileSource([str(path)], namespace=NS)
    outcome = steer.promote(saved, NS, "app-backend", executor=Executor(dry_run=True))
    assert outcome.plan is not None and outcome.plan.status is not None and outcome.plan.status.path == RO + "/status"
    undone = templates.undo(saved, NS, "app-backend", executor=Executor(dry_run=True))
    assert undone.plan is not None and undone.plan.spec is not None and undone.plan.spec.content_type == "application/json-patch+json"
    with pytest.raises(errors.RolloutsError, match="read-only"):
        steer.promote(saved, NS, "app-backend")


# ------------------------------------------------------------------ templates


def test_set_image_retries_conflicts_from_a_fresh_read(server, source) -> None:
    server.fail_next("PUT", RO, 409, times=ATTEMPTS - 1)
    outcome = templates.set_image(source, NS, "app-backend", templates.ImageChange.parse("app-backend=example/app:3.0"))
    assert outcome.message == 'rollout "app-backend" image updated'
    assert [r.method for r in server.requests] == ["GET", "PUT"] * ATTEMPTS
    assert server.get_object("rollouts", NS, "app-backend")["spec"]["template"]["spec"]["containers"][0]["image"] == "example/app:3.0"


def test_set_image_gives_up_after_five_conflicts(server, source) -> None:
    server.fail_next("PUT", RO, 409, times=ATTEMPTS)
    with pytest.raises(errors.Conflict, match="changed under us 5 times in a row; nothing was changed") as caught:
        templates.set_image(source, NS, "app-backend", templates.ImageChange("app-backend", "x:1"))
    assert caught.value.status == 409


def test_set_image_of_a_workload_ref_rollout_updates_the_deployment(server, source) -> None:
    ro = server.get_object("rollouts", NS, "app-backend")
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "app-backend-deploy", "namespace": NS},
                  "spec": {"selector": copy.deepcopy(ro["spec"]["selector"]), "template": copy.deepcopy(ro["spec"]["template"])}}
    ro["spec"].pop("template")
    ro["spec"]["workloadRef"] = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "app-backend-deploy"}
    server.seed([ro, deployment])
    server.clear_requests()
    outcome = templates.set_image(source, NS, "app-backend", templates.ImageChange("*", "x:2"))
    assert (outcome.message, outcome.name) == ('deployment "app-backend-deploy" image updated', "app-backend-deploy")
    assert [(r.method, r.path) for r in server.requests if r.method == "PUT"] == [
        ("PUT", f"/apis/apps/v1/namespaces/{NS}/deployments/app-backend-deploy")]
    with pytest.raises(errors.UsageError):
        templates.ImageChange.parse("no-equals")


def test_undo_goes_back_then_skips_without_sending(server, source) -> None:
    outcome = templates.undo(source, NS, "app-backend")
    assert (outcome.message, outcome.skipped) == ("rollout 'app-backend' undo", False)
    ((method, path, content_type, body),) = sent(server)
    assert (method, path, content_type) == ("PATCH", RO, "application/json-patch+json")
    assert body.startswith(b'[{"op":"replace","path":"/spec/template","value":')
    server.clear_requests()
    again = templates.undo(source, NS, "app-backend")
    assert (again.message, again.skipped, again.plan) == ("skipped rollback (current template already matches revision 0)", True, None)
    assert sent(server) == []


def test_a_failed_undo_says_which_revision_and_keeps_the_servers_status(server, source) -> None:
    server.forbid("patch", "rollouts")
    with pytest.raises(errors.ApiError, match="^failed restoring revision 1: ") as caught:
        templates.undo(source, NS, "app-backend", to_revision=1)
    assert caught.value.status == 403
    with pytest.raises(errors.RolloutsError, match="unable to find specified revision 7 in history"):
        templates.undo(source, NS, "app-backend", to_revision=7)


# ------------------------------------------------------------------ create


def test_create_checks_every_object_before_the_first_is_sent(server, source) -> None:
    rollout = copy.deepcopy(app_backend_objects()[0])
    rollout["metadata"] = {"name": "app-frontend"}
    rollout.pop("status")
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"}}
    with pytest.raises(errors.RolloutsError, match="creates of v1/Service unsupported"):
        create.prepare([rollout, service], NS)
    (creation,) = create.prepare([rollout], NS)
    assert (creation.kind, creation.what) == ("Rollout", "rollout.argoproj.io/app-frontend")
    outcome = create.create(source, creation)
    assert (outcome.message, outcome.name) == ("rollout.argoproj.io/app-frontend created", "app-frontend")
    assert server.get_object("rollouts", NS, "app-frontend")["metadata"]["namespace"] == NS


def test_create_analysis_run_from_a_template_named_by_the_server(server, source) -> None:
    template = {"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate", "metadata": {"name": "success-rate", "namespace": NS},
                "spec": {"args": [{"name": "canary-hash"}], "metrics": [{"name": "m", "provider": {"job": {}}}]}}
    server.seed([template])
    options = create.RunOptions.from_flags(["canary-hash=6d8f9c7b5"])
    creation = create.prepare_analysis_run(create.read_template(source, NS, "success-rate"), NS, options)
    assert creation.what == "analysisrun.argoproj.io/success-rate-*"
    dry = create.create(source, creation, executor=Executor(dry_run=True))
    assert dry.message == "analysisrun.argoproj.io/success-rate- created"
    server.clear_requests()
    outcome = create.create(source, creation)
    assert outcome.name.startswith("success-rate-") and len(outcome.name) > len("success-rate-")
    assert outcome.message == f"analysisrun.argoproj.io/{outcome.name} created"
    ((method, path, _, body),) = sent(server)
    assert (method, path) == ("POST", f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/analysisruns")
    assert json.loads(body)["spec"]["args"] == [{"name": "canary-hash", "value": "6d8f9c7b5"}]
    with pytest.raises(errors.UsageError, match="NAME=VALUE"):
        create.RunOptions.from_flags(["no-equals"])
