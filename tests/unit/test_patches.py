"""Patch plans as data: the Argo Rollouts kubectl plugin's exact bodies, per case."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.patches import create, images, undo
from kubectl_rollouts_py.patches import rollout as plans

BASE = "/apis/argoproj.io/v1alpha1/namespaces/ns/rollouts/ro"


def canary(steps=2, index=None, paused=False, **status):
    ro = {"metadata": {"namespace": "ns", "name": "ro"},
          "spec": {"paused": paused, "strategy": {"canary": {"steps": [{"setWeight": 10}, {"pause": {}}, {"setWeight": 50}][:steps]}}},
          "status": dict(status)}
    if index is not None:
        ro["status"]["currentStepIndex"] = index
    return ro


def bluegreen(paused=False, **status):
    return {"metadata": {"namespace": "ns", "name": "ro"}, "spec": {"paused": paused, "strategy": {"blueGreen": {}}}, "status": dict(status)}


def bodies(plan):
    """(status body, spec body, fallback body) as the exact strings sent."""
    return tuple(q.body if q else None for q in (plan.status, plan.spec, plan.fallback))


PROMOTE_CASES = [
    ("skip current step: next index", canary(index=1), {"skip_current": True},
     ('{"status":{"currentStepIndex":2}}', None, '{"status":{"currentStepIndex":2}}')),
    ("skip current step never passes the end", canary(index=2), {"skip_current": True},
     ('{"status":{"currentStepIndex":2}}', None, '{"status":{"currentStepIndex":2}}')),
    ("skip current step without an index starts from 0", canary(), {"skip_current": True},
     ('{"status":{"currentStepIndex":1}}', None, '{"status":{"currentStepIndex":1}}')),
    ("skip all steps", canary(steps=3, index=0), {"skip_all": True},
     ('{"status":{"currentStepIndex":3}}', None, '{"status":{"currentStepIndex":3}}')),
    ("full, canary not yet stable and paused", canary(index=1, paused=True, currentPodHash="b", stableRS="a"), {"full": True},
     ('{"status":{"promoteFull":true}}', '{"spec":{"paused":false}}', '{"spec":{"paused":false},"status":{"promoteFull":true}}')),
    ("full on a fully promoted, unpaused rollout sends nothing", canary(index=2, currentPodHash="a", stableRS="a"), {"full": True},
     (None, None, '{"spec":{"paused":false},"status":{"promoteFull":true}}')),
    ("inconclusive step analysis: clear, unpause the controller, next step",
     canary(index=1, pauseConditions=[{"reason": "InconclusiveAnalysisRun"}], controllerPause=True,
            canary={"currentStepAnalysisRunStatus": {"status": "Inconclusive"}}), {},
     ('{"status":{"pauseConditions":null, "controllerPause":false, "currentStepIndex":2}}', None,
      '{"spec":{"paused":false},"status":{"pauseConditions":null}}')),
    ("canary pause step: clear pause conditions only", canary(index=1, pauseConditions=[{"reason": "CanaryPauseStep"}]), {},
     ('{"status":{"pauseConditions":null}}', None, '{"spec":{"paused":false},"status":{"pauseConditions":null}}')),
    ("paused blue-green: clear pause conditions", bluegreen(pauseConditions=[{"reason": "BlueGreenPause"}]), {},
     ('{"status":{"pauseConditions":null}}', None, '{"spec":{"paused":false},"status":{"pauseConditions":null}}')),
    ("manually paused canary: unpause and advance", canary(index=0, paused=True), {},
     ('{"status":{"pauseConditions":null, "currentStepIndex":1}}', '{"spec":{"paused":false}}',
      '{"spec":{"paused":false},"status":{"pauseConditions":null, "currentStepIndex":1}}')),
    ("blue-green without pause conditions: only unpause", bluegreen(paused=True), {},
     (None, '{"spec":{"paused":false}}', '{"spec":{"paused":false},"status":{"pauseConditions":null}}')),
    ("canary without steps and not paused: nothing to send", canary(steps=0), {},
     (None, None, '{"spec":{"paused":false},"status":{"pauseConditions":null}}')),
]


@pytest.mark.parametrize(("case", "rollout", "flags", "expected"), PROMOTE_CASES, ids=[c[0] for c in PROMOTE_CASES])
def test_promote_plans(case, rollout, flags, expected):
    assert bodies(plans.plan_promote(rollout, **flags)) == expected


def test_promote_status_goes_to_the_subresource_and_the_rest_to_the_main_resource():
    plan = plans.plan_promote(canary(index=0, paused=True))
    assert plan.status.path == BASE + "/status"
    assert plan.spec.path == plan.fallback.path == BASE
    assert {q.content_type for q in (plan.status, plan.spec, plan.fallback)} == {"application/merge-patch+json"}
    assert [q.path for q in plan.requests()] == [BASE + "/status", BASE]


@pytest.mark.parametrize(("rollout", "flags", "message"), [
    (canary(), {"skip_current": True, "skip_all": True}, "Cannot use skip-current-step and skip-all-steps flags at the same time"),
    (bluegreen(), {"skip_current": True}, "Cannot skip steps of a bluegreen rollout. Run without a flags"),
    (bluegreen(), {"skip_all": True}, "Cannot skip steps of a bluegreen rollout. Run without a flags"),
    (canary(steps=0), {"skip_current": True}, "Cannot skip steps of a rollout without steps"),
    # The Argo Rollouts kubectl plugin panics here (no canary strategy to read steps from): an error instead.
    ({"metadata": {"name": "ro", "namespace": "ns"}, "spec": {}}, {"skip_all": True}, "Cannot skip steps of a rollout without steps"),
])
def test_promote_refusals(rollout, flags, message):
    with pytest.raises(errors.RolloutsError) as caught:
        plans.plan_promote(rollout, **flags)
    assert caught.value.message == message


def test_skip_current_without_any_strategy_sends_nothing():
    plan = plans.plan_promote({"metadata": {"name": "ro", "namespace": "ns"}, "spec": {}}, skip_current=True)
    assert (plan.status, plan.spec) == (None, None)


def test_status_first_verbs_and_plain_verbs():
    abort = plans.plan_abort("ns", "ro")
    assert (abort.status.path, abort.status.body, abort.fallback.path, abort.spec) == (BASE + "/status", '{"status":{"abort":true}}', BASE, None)
    assert plans.plan_retry("ns", "ro").status.body == '{"status":{"abort":false}}'
    pause = plans.plan_pause("ns", "ro")
    assert (pause.status, pause.spec.path, pause.spec.body) == (None, BASE, '{"spec":{"paused":true}}')
    term = plans.plan_terminate(r.ANALYSISRUNS, "ns", "run")
    assert (term.spec.path, term.spec.body) == ("/apis/argoproj.io/v1alpha1/namespaces/ns/analysisruns/run", '{"spec":{"terminate":true}}')
    retry_exp = plans.plan_retry_experiment("ns", "exp")
    assert (retry_exp.spec.path, retry_exp.spec.body) == ("/apis/argoproj.io/v1alpha1/namespaces/ns/experiments/exp", '{"status":null}')


def test_restart_body_is_argo_s_bytes_with_whole_seconds():
    now = dt.datetime(2026, 11, 29, 10, 0, 0, 987654, tzinfo=dt.timezone.utc)
    plan = plans.plan_restart("ns", "ro", now=now, delay_seconds=300)
    assert plan.spec.body == '{\n\t"spec": {\n\t\t"restartAt": "2026-11-29T10:05:00Z"\n\t}\n}'
    assert json.loads(plan.spec.body) == {"spec": {"restartAt": "2026-11-29T10:05:00Z"}}


# ------------------------------------------------------------------------------ set image


def workload(containers=("app",), init=(), ephemeral=()):
    spec = {"containers": [{"name": n, "image": "old"} for n in containers]}
    if init:
        spec["initContainers"] = [{"name": n, "image": "old"} for n in init]
    if ephemeral:
        spec["ephemeralContainers"] = [{"name": n, "image": "old"} for n in ephemeral]
    return {"kind": "Rollout", "metadata": {"name": "ro"}, "spec": {"template": {"spec": spec}}}


def images_of(obj):
    spec = obj["spec"]["template"]["spec"]
    return {key: [c["image"] for c in spec.get(key, [])] for key in ("initContainers", "containers", "ephemeralContainers") if key in spec}


def test_set_image_changes_every_match_in_all_three_lists_and_leaves_the_input_alone():
    original = workload(containers=("app", "side"), init=("app",), ephemeral=("app",))
    updated = images.with_image(original, "app", "new")
    assert images_of(updated) == {"initContainers": ["new"], "containers": ["new", "old"], "ephemeralContainers": ["new"]}
    assert images_of(original)["containers"] == ["old", "old"]


def test_set_image_star_changes_every_container():
    updated = images.with_image(workload(containers=("a", "b"), init=("c",)), "*", "new")
    assert images_of(updated) == {"initContainers": ["new"], "containers": ["new", "new"]}


def test_set_image_unknown_container():
    with pytest.raises(errors.RolloutsError, match='unable to find container named "nope"'):
        images.with_image(workload(), "nope", "new")


@pytest.mark.parametrize("text", ["app", "app=", "=img", "app=reg/img=1", ""])
def test_image_assignment_must_split_in_two(text):
    with pytest.raises(errors.UsageError):
        images.parse_assignment(text)


def test_image_assignment():
    assert images.parse_assignment("app=reg:5000/img:1.0") == ("app", "reg:5000/img:1.0")


# ------------------------------------------------------------------------------ undo

ROLLOUT_UID = "uid-ro"


def rs(revision, image, *, controller=True, uid=ROLLOUT_UID, annotations=None):
    anns = {"rollout.argoproj.io/revision": str(revision)} if revision is not None else {}
    anns.update(annotations or {})
    return {"metadata": {"name": f"ro-{revision}-{image}", "annotations": anns,
                         "ownerReferences": [{"uid": uid, "controller": controller}]},
            "spec": {"template": {"metadata": {"labels": {"app": "x", "rollouts-pod-template-hash": "h"}},
                                  "spec": {"containers": [{"name": "app", "image": image, "imagePullPolicy": "IfNotPresent"}]}}}}


def rollout_with_image(image, **spec):
    return {"metadata": {"name": "ro", "namespace": "ns", "uid": ROLLOUT_UID},
            "spec": {"selector": {"matchLabels": {"app": "x"}},
                     "template": {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "app", "image": image}]}}, **spec}}


def patched_image(plan):
    (op,) = json.loads(plan.spec.body)
    assert (op["op"], op["path"], plan.spec.content_type) == ("replace", "/spec/template", "application/json-patch+json")
    assert "rollouts-pod-template-hash" not in op["value"]["metadata"]["labels"]
    return op["value"]["spec"]["containers"][0]["image"]


def test_undo_goes_to_the_second_highest_revision_of_controller_owned_sets():
    sets = [rs(3, "v3"), rs(2, "v2"), rs(1, "v1"), rs(9, "other", controller=False), rs(8, "foreign", uid="x")]
    plan = undo.plan_undo(rollout_with_image("v3"), sets)
    assert plan.spec.path == "/apis/argoproj.io/v1alpha1/namespaces/ns/rollouts/ro"
    assert patched_image(plan) == "v2"


def test_undo_to_a_given_revision_and_missing_annotation_counts_as_zero():
    sets = [rs(3, "v3"), rs(None, "v0"), rs(1, "v1", annotations={"rollout.argoproj.io/revision": "x"})]
    assert patched_image(undo.plan_undo(rollout_with_image("v3"), sets, 0)) == "v0"
    with pytest.raises(errors.RolloutsError, match="unable to find specified revision 1 in history"):
        undo.plan_undo(rollout_with_image("v3"), sets, 1)  # unparsable annotation: skipped


def test_undo_without_history():
    with pytest.raises(errors.RolloutsError, match='no revision found for rollout "ro"'):
        undo.plan_undo(rollout_with_image("v3"), [rs(3, "v3")])


def test_undo_skips_when_the_template_already_matches():
    result = undo.plan_undo(rollout_with_image("v2"), [rs(3, "v3"), rs(2, "v2")])
    assert result == undo.Skip("skipped rollback (current template already matches revision 0)")


@pytest.mark.parametrize(("kind", "path"), [
    ("Deployment", "/apis/apps/v1/namespaces/ns/deployments/web"),
    ("ReplicaSet", "/apis/apps/v1/namespaces/ns/replicasets/web"),
    ("PodTemplate", "/api/v1/namespaces/ns/podtemplates/web"),
])
def test_undo_of_a_workload_ref_patches_the_workload(kind, path):
    ro = rollout_with_image("v3", workloadRef={"kind": kind, "name": "web"})
    del ro["spec"]["template"]
    assert undo.plan_undo(ro, [rs(3, "v3"), rs(2, "v2")]).spec.path == path


def test_undo_of_an_unsupported_workload():
    ro = rollout_with_image("v3", workloadRef={"kind": "StatefulSet", "name": "web"})
    with pytest.raises(errors.RolloutsError, match="workload of type StatefulSet is not supported"):
        undo.plan_undo(ro, [rs(3, "v3"), rs(2, "v2")])


@pytest.mark.parametrize(("wanted", "actual", "expected"), [
    ({"a": 1}, {"a": 1, "b": 2}, True),
    ({"a": ""}, {"a": "x"}, True),
    ({"a": []}, {"a": [1]}, True),
    ({"a": [1]}, {"a": [1, 2]}, True),
    ({"a": [1, 2]}, {"a": [1]}, False),
    ({"a": 1}, {"a": 2}, False),
    ({"a": {"b": None}}, {"a": {}}, True),
    ({"a": "x"}, {}, False),
])
def test_semantic_derivative(wanted, actual, expected):
    assert undo.is_derivative(wanted, actual) is expected


def test_selector_string():
    ro = {"spec": {"selector": {"matchLabels": {"b": "2", "a": "1"},
                                "matchExpressions": [{"key": "t", "operator": "In", "values": ["x", "y"]},
                                                     {"key": "u", "operator": "DoesNotExist"}]}}}
    assert undo.label_selector(ro) == "a=1,b=2,t in (x,y),!u"


@pytest.mark.parametrize("selector", [
    ["app"],
    "app=x",
    {"matchLabels": ["a"]},
    {"matchLabels": "app=x"},
    {"matchLabels": {"app": 1}},
    {"matchExpressions": [{"key": "t", "operator": "In", "values": [1]}]},
    {"matchExpressions": [{"key": "t", "operator": "NotIn", "values": [None, "x"]}]},
    {"matchExpressions": [{"key": "t", "operator": "In", "values": "xy"}]},
    {"matchExpressions": [{"key": 5, "operator": "Exists"}]},
    {"matchExpressions": ["t"]},
    {"matchExpressions": {"key": "t"}},
])
def test_a_selector_of_the_wrong_shape_is_one_error(selector):
    # Before: AttributeError/TypeError (an internal error), or a selector built from repr().
    ro = {"metadata": {"name": "ro"}, "spec": {"selector": selector}}
    with pytest.raises(errors.RolloutsError, match='rollout "ro" has an invalid label selector'):
        undo.label_selector(ro)


# ------------------------------------------------------------------------------ create


def test_create_posts_to_the_kind_and_cluster_templates_are_cluster_scoped():
    request = create.plan_create({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "a"}}, "ns")
    assert (request.method, request.path, json.loads(request.body)["metadata"]["namespace"]) == (
        "POST", "/apis/argoproj.io/v1alpha1/namespaces/ns/rollouts", "ns")
    cluster = create.plan_create({"apiVersion": "argoproj.io/v1alpha1", "kind": "ClusterAnalysisTemplate",
                                  "metadata": {"name": "t", "namespace": "ignored"}}, "ns")
    assert cluster.path == "/apis/argoproj.io/v1alpha1/clusteranalysistemplates"
    assert "namespace" not in json.loads(cluster.body)["metadata"]
    assert cluster.resource.qualified_singular == "clusteranalysistemplate.argoproj.io"


@pytest.mark.parametrize("obj", [
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}},
    {"apiVersion": "example.com/v1", "kind": "Rollout", "metadata": {"name": "r"}},
])
def test_create_refuses_other_kinds(obj):
    with pytest.raises(errors.RolloutsError, match="creates of .* unsupported"):
        create.plan_create(obj, "ns")


TEMPLATE = {"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate",
            "metadata": {"name": "success-rate", "namespace": "other", "resourceVersion": "7", "labels": {"team": "a"}},
            "spec": {"args": [{"name": "service"}, {"name": "hash", "value": "default"}], "metrics": [{"name": "m"}]}}


def test_analysis_run_from_template_merges_args_and_names_it():
    run = create.analysis_run_from_template(TEMPLATE, namespace="ns", arguments=[("service", "web"), ("unused", "x")])
    assert run["kind"] == "AnalysisRun"
    assert run["metadata"] == {"namespace": "ns", "generateName": "success-rate-", "labels": {"team": "a"}}
    assert run["spec"]["args"] == [{"name": "service", "value": "web"}, {"name": "hash", "value": "default"}]
    named = create.analysis_run_from_template(TEMPLATE, namespace="ns", arguments=[("service", "a=b")], name="run1", instance_id="i")
    assert (named["metadata"]["name"], named["metadata"]["labels"]) == ("run1", {"argo-rollouts.argoproj.io/controller-instance-id": "i"})
    assert "generateName" not in named["metadata"]


def test_analysis_run_needs_every_arg():
    with pytest.raises(errors.RolloutsError, match="args.service was not resolved"):
        create.analysis_run_from_template(TEMPLATE, namespace="ns")


def test_arguments_split_on_the_first_equals():
    assert create.parse_arguments(["a=b=c", "d="]) == [("a", "b=c"), ("d", "")]
    with pytest.raises(errors.UsageError, match="arguments must be in the form NAME=VALUE"):
        create.parse_arguments(["novalue"])
