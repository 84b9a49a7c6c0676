"""ReplicaSets, runs, experiments and images of the rollout view.

ReplicaSet status, role tags and scale-down delay, ownership and ordering, AnalysisRun
counters and jobs, images.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kubectl_rollouts_py.derive.rollout import build_experiment_view, build_rollout_view
from kubectl_rollouts_py.derive.views import ImageView

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.timezone.utc)
RO_UID = "ro-uid"


def rollout(strategy: str = "canary", *, uid: str = RO_UID, **status: Any) -> dict[str, Any]:
    strat: dict[str, Any] = {"canary": {"steps": [{"setWeight": 10}]}} if strategy == "canary" else {"blueGreen": {"activeService": "a"}}
    if strategy == "none":
        strat = {}
    return {
        "metadata": {"name": "demo", "namespace": "ns", "uid": uid, "creationTimestamp": "2026-03-01T00:00:00Z"},
        "spec": {"replicas": 1, "strategy": strat},
        "status": status,
    }


def rs(
    name: str,
    *,
    hash_: str | None = None,
    revision: Any = "1",
    owners: Any = (RO_UID,),
    created: str = "2026-03-14T11:00:00Z",
    replicas: Any = 1,
    spec_replicas: Any = 1,
    images: tuple[str, ...] = ("app:1",),
    init_images: tuple[str, ...] = (),
    annotations: dict[str, Any] | None = None,
    uid: str | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "uid": uid or f"uid-{name}",
        "creationTimestamp": created,
        "annotations": {"rollout.argoproj.io/revision": revision, **(annotations or {})},
        "ownerReferences": [{"kind": "Rollout", "name": "demo", "uid": u} for u in owners],
    }
    if revision is None:
        del meta["annotations"]["rollout.argoproj.io/revision"]
    if hash_ is not None:
        meta["labels"] = {"rollouts-pod-template-hash": hash_}
    template: dict[str, Any] = {"containers": [{"name": f"c{i}", "image": img} for i, img in enumerate(images)]}
    if init_images:
        template["initContainers"] = [{"name": f"i{i}", "image": img} for i, img in enumerate(init_images)]
    return {
        "metadata": meta,
        "spec": {"replicas": spec_replicas, "template": {"spec": template}},
        "status": {"replicas": replicas, "availableReplicas": replicas if isinstance(replicas, int) else 0},
    }


def pod(name: str, owner_uids: tuple[str, ...], created: str = "2026-03-14T11:00:00Z") -> dict[str, Any]:
    return {
        "metadata": {"name": name, "creationTimestamp": created, "ownerReferences": [{"kind": "ReplicaSet", "uid": u} for u in owner_uids]},
        "spec": {"containers": [{"name": "c0"}]},
        "status": {"phase": "Running"},
    }


def run(name: str, *, revision: Any = "1", created: str = "2026-03-14T11:00:00Z", owners: tuple[str, ...] = (RO_UID,), **status: Any) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "uid": f"uid-{name}",
            "creationTimestamp": created,
            "annotations": {"rollout.argoproj.io/revision": revision},
            "ownerReferences": [{"uid": u} for u in owners],
        },
        "status": status,
    }


def experiment(name: str, *, revision: Any = "1", created: str = "2026-03-14T11:00:00Z", owners: tuple[str, ...] = (RO_UID,), phase: str = "Running") -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "uid": f"uid-{name}",
            "creationTimestamp": created,
            "annotations": {"rollout.argoproj.io/revision": revision},
            "ownerReferences": [{"uid": u} for u in owners],
        },
        "status": {"phase": phase},
    }


def view(ro: dict[str, Any], replica_sets=(), pods=(), runs=(), experiments=()):  # type: ignore[no-untyped-def]
    return build_rollout_view(ro, replica_sets=list(replica_sets), pods=list(pods), analysis_runs=list(runs), experiments=list(experiments), now=NOW)


def all_replica_sets(v) -> list:  # type: ignore[no-untyped-def]
    return [r for rev in v.revisions for r in rev.replica_sets]


def only_rs(ro: dict[str, Any], replica_set: dict[str, Any]):  # type: ignore[no-untyped-def]
    (result,) = all_replica_sets(view(ro, [replica_set]))
    return result


# --------------------------------------------------------------------------- ReplicaSet status


def rs_obj(*, generation: Any = 1, observed: Any = 1, spec_replicas: Any = 2, available: Any = 2, conditions: Any = None) -> dict[str, Any]:
    obj = rs("demo-h", spec_replicas=spec_replicas)
    obj["metadata"]["generation"] = generation
    obj["status"] = {"observedGeneration": observed, "replicas": 2, "availableReplicas": available}
    if spec_replicas is None:
        del obj["spec"]["replicas"]
    if observed is None:
        del obj["status"]["observedGeneration"]
    if conditions is not None:
        obj["status"]["conditions"] = conditions
    return obj


FAILURE = {"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate", "message": "exceeded quota"}


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        pytest.param(rs_obj(), "Healthy", id="observed and available"),
        pytest.param(rs_obj(conditions=[FAILURE]), "ReplicaFailure", id="ReplicaFailure True"),
        pytest.param(rs_obj(conditions=[FAILURE], spec_replicas=0, available=0), "ReplicaFailure", id="ReplicaFailure beats ScaledDown"),
        pytest.param(rs_obj(conditions=[dict(FAILURE, status="False")]), "Healthy", id="ReplicaFailure False is ignored"),
        pytest.param(rs_obj(conditions=[dict(FAILURE, status="True", type="Other")]), "Healthy", id="other condition types are ignored"),
        pytest.param(rs_obj(available=1), "Progressing", id="fewer available than spec.replicas"),
        pytest.param(rs_obj(conditions=[dict(FAILURE, status="False")], available=1), "Progressing", id="not failed but not available"),
        pytest.param(rs_obj(spec_replicas=None, available=0), "Healthy", id="spec.replicas unset skips the availability check"),
        pytest.param(rs_obj(spec_replicas=0, available=0), "ScaledDown", id="scaled to zero"),
        pytest.param(rs_obj(generation=2, observed=1), "Progressing", id="generation not observed"),
        pytest.param(rs_obj(generation=2, observed=1, spec_replicas=0, available=0), "Progressing", id="generation not observed beats ScaledDown"),
        pytest.param(rs_obj(generation=2, observed=1, conditions=[FAILURE]), "Progressing", id="not observed ignores ReplicaFailure"),
        pytest.param(rs_obj(generation=1, observed=3), "Healthy", id="observed generation ahead"),
        pytest.param(rs_obj(generation=1, observed=None), "Progressing", id="observedGeneration missing is 0"),
    ],
)
def test_replica_set_status(obj: dict[str, Any], expected: str) -> None:
    assert only_rs(rollout(), obj).status == expected


# --------------------------------------------------------------------------- role tags


@pytest.mark.parametrize(
    ("ro", "hash_", "expected"),
    [
        pytest.param(rollout(stableRS="s", currentPodHash="c"), "s", ("stable",), id="canary stable"),
        pytest.param(rollout(stableRS="s", currentPodHash="c"), "c", ("canary",), id="canary canary"),
        pytest.param(rollout(stableRS="s", currentPodHash="c"), "x", (), id="canary old"),
        pytest.param(rollout(stableRS="s", currentPodHash="s"), "s", ("stable",), id="promoted: stable, never also canary"),
        pytest.param(rollout("bluegreen", stableRS="a", blueGreen={"activeSelector": "a", "previewSelector": "p"}), "a", ("stable", "active"), id="blue-green stable and active"),
        pytest.param(rollout("bluegreen", stableRS="a", blueGreen={"activeSelector": "a", "previewSelector": "p"}), "p", ("preview",), id="blue-green preview"),
        pytest.param(rollout("bluegreen", stableRS="a", blueGreen={"activeSelector": "n", "previewSelector": "p"}), "a", ("stable",), id="blue-green stable after cutover"),
        pytest.param(rollout("bluegreen", stableRS="a", blueGreen={"activeSelector": "x", "previewSelector": "x"}), "x", ("active",), id="blue-green active wins over preview"),
        pytest.param(rollout("bluegreen", stableRS="p", blueGreen={"activeSelector": "a", "previewSelector": "p"}), "p", ("stable", "preview"), id="blue-green stable and preview"),
        pytest.param(rollout("none", stableRS="s", currentPodHash="s"), "s", (), id="no strategy no tags"),
        # The empty-hash quirk: a ReplicaSet without the hash label has hash "" and matches unset fields.
        pytest.param(rollout(currentPodHash="c"), None, ("stable",), id="no hash label matches an unset stableRS"),
        pytest.param(rollout(stableRS="s"), None, ("canary",), id="no hash label matches an unset currentPodHash"),
        pytest.param(rollout(stableRS="s", currentPodHash="c"), None, (), id="no hash label, both set"),
        pytest.param(rollout("bluegreen", stableRS="s", blueGreen={"previewSelector": "p"}), None, ("active",), id="no hash label matches an unset activeSelector"),
        pytest.param(rollout("bluegreen", stableRS="s", blueGreen={"activeSelector": "a"}), None, ("preview",), id="no hash label matches an unset previewSelector"),
    ],
)
def test_role_tags(ro: dict[str, Any], hash_: str | None, expected: tuple[str, ...]) -> None:
    assert only_rs(ro, rs("demo-x", hash_=hash_)).tags == expected


def ping_pong(stable_ping_pong: str | None) -> dict[str, Any]:
    ro = rollout(stableRS="s", currentPodHash="c")
    ro["spec"]["strategy"]["canary"]["pingPong"] = {"pingService": "ping-svc", "pongService": "pong-svc"}
    if stable_ping_pong is not None:
        ro["status"]["canary"] = {"stablePingPong": stable_ping_pong}
    return ro


@pytest.mark.parametrize(
    ("stable_ping_pong", "stable_tags", "canary_tags"),
    [
        ("ping", ("stable", "ping"), ("canary", "pong")),
        ("pong", ("stable", "pong"), ("canary", "ping")),
        (None, ("stable", "pong"), ("canary", "ping")),  # only "ping" means the stable side is ping
    ],
)
def test_ping_pong_tags(stable_ping_pong: str | None, stable_tags: tuple[str, ...], canary_tags: tuple[str, ...]) -> None:
    v = view(ping_pong(stable_ping_pong), [rs("demo-s", hash_="s", revision="1"), rs("demo-c", hash_="c", revision="2")])
    assert [r.tags for r in all_replica_sets(v)] == [canary_tags, stable_tags]


def test_ping_pong_does_not_tag_other_replica_sets() -> None:
    assert only_rs(ping_pong("ping"), rs("demo-o", hash_="o")).tags == ()


def test_experiment_replica_sets_never_get_role_tags() -> None:
    ro = rollout(stableRS="s", currentPodHash="s")
    exp = experiment("demo-exp")
    exp_rs = rs("demo-exp-baseline", hash_="s", owners=("uid-demo-exp",), annotations={"scale-down-deadline": "2026-03-14T11:00:00Z"})
    v = view(ro, [exp_rs], experiments=[exp])
    (exp_view,) = v.revisions[0].experiments
    assert exp_view.replica_sets[0].tags == ()
    assert exp_view.replica_sets[0].info_tags == ("delay:passed",)


# --------------------------------------------------------------------------- scale-down delay


@pytest.mark.parametrize(
    ("deadline", "expected"),
    [
        pytest.param("2026-03-14T11:59:59Z", "passed", id="in the past"),
        pytest.param("2026-03-14T12:00:00Z", "0s", id="exactly now is not passed"),
        pytest.param("2026-03-14T12:00:30Z", "30s", id="30s ahead"),
        pytest.param("2026-03-14T12:07:30Z", "7m30s", id="7m30s ahead"),
        pytest.param("2026-03-14T14:00:00+01:00", "60m", id="other offset"),
        pytest.param("tomorrow", "", id="unparsable"),
    ],
)
def test_scale_down_delay(deadline: str, expected: str) -> None:
    result = only_rs(rollout(stableRS="s", currentPodHash="c"), rs("demo-x", annotations={"scale-down-deadline": deadline}))
    assert result.scale_down_delay == expected
    assert result.info_tags == (f"delay:{expected}",)


@pytest.mark.parametrize("annotations", [{}, {"scale-down-deadline": ""}], ids=["missing", "empty"])
def test_no_scale_down_delay(annotations: dict[str, Any]) -> None:
    result = only_rs(rollout(stableRS="s", currentPodHash="c"), rs("demo-x", annotations=annotations))
    assert result.scale_down_delay is None
    assert result.info_tags == ()


def test_delay_comes_after_role_tags() -> None:
    result = only_rs(rollout(stableRS="s"), rs("demo-s", hash_="s", annotations={"scale-down-deadline": "2026-03-14T11:00:00Z"}))
    assert result.info_tags == ("stable", "delay:passed")


# --------------------------------------------------------------------------- ownership


def test_replica_sets_are_owned_by_uid_only() -> None:
    ours = rs("demo-a", owners=(RO_UID,))
    # Non-controller references count too, and an owner reference's name is never looked at.
    second_owner = rs("demo-b", owners=("someone-else", RO_UID))
    renamed = rs("other-name", owners=(RO_UID,))
    same_name_other_uid = rs("demo-c", owners=("ro-uid-of-another-demo",))
    unowned = rs("demo-d", owners=())
    names = [r.name for r in all_replica_sets(view(rollout(), [ours, second_owner, renamed, same_name_other_uid, unowned]))]
    assert names == ["demo-a", "demo-b", "other-name"]


def test_same_named_rollout_with_another_uid_owns_nothing_of_ours() -> None:
    impostor = rollout(uid="another-uid")
    assert view(impostor, [rs("demo-a")], runs=[run("demo-a-1")], experiments=[experiment("demo-e")]).revisions == ()


def test_pods_are_owned_by_uid_and_attached_to_the_first_matching_replica_set() -> None:
    a, b = rs("demo-a", revision="2"), rs("demo-b", revision="1")
    pods = [
        pod("p-a", ("uid-demo-a",)),
        pod("p-both", ("uid-demo-a", "uid-demo-b")),
        pod("p-b", ("uid-demo-b",)),
        pod("p-foreign", ("uid-of-another-rs",)),
        pod("p-orphan", ()),
    ]
    v = view(rollout(), [a, b], pods)
    shown = {r.name: [p.name for p in r.pods] for r in all_replica_sets(v)}
    assert shown == {"demo-a": ["p-a", "p-both"], "demo-b": ["p-b"]}


def test_pods_of_an_excluded_replica_set_are_not_shown() -> None:
    foreign = rs("demo-foreign", owners=("another-uid",))
    v = view(rollout(), [rs("demo-a"), foreign], [pod("p-foreign", ("uid-demo-foreign",))])
    assert [p.name for r in all_replica_sets(v) for p in r.pods] == []


def test_runs_and_experiments_are_owned_by_uid() -> None:
    runs = [run("demo-1"), run("demo-2", owners=("another-uid",))]
    experiments = [experiment("demo-e1"), experiment("demo-e2", owners=("another-uid",))]
    v = view(rollout(), runs=runs, experiments=experiments)
    assert [r.name for rev in v.revisions for r in rev.analysis_runs] == ["demo-1"]
    assert [e.name for rev in v.revisions for e in rev.experiments] == ["demo-e1"]


def test_experiment_children_are_owned_by_the_experiment_uid() -> None:
    exp = experiment("demo-exp")
    children = [
        rs("demo-exp-a", owners=("uid-demo-exp",)),
        rs("demo-exp-b", owners=("uid-other-exp",)),
        run("demo-exp-run", owners=("uid-demo-exp",)),
        run("demo-exp-foreign-run", owners=("uid-other-exp",)),
    ]
    ev = build_experiment_view(exp, replica_sets=[c for c in children if "spec" in c], pods=[], analysis_runs=[c for c in children if "spec" not in c], now=NOW)
    assert [r.name for r in ev.replica_sets] == ["demo-exp-a"]
    assert [r.name for r in ev.analysis_runs] == ["demo-exp-run"]


# --------------------------------------------------------------------------- ordering and revisions


def test_replica_sets_sort_by_revision_desc_then_name_asc() -> None:
    sets = [
        rs("demo-b", revision="2", created="2026-03-14T09:00:00Z"),
        rs("demo-c", revision="1"),
        rs("demo-z", revision="10"),
        rs("demo-a", revision="2", created="2026-03-14T11:00:00Z"),  # newer, still first by name
    ]
    v = view(rollout(), sets)
    assert [(rev.revision, [r.name for r in rev.replica_sets]) for rev in v.revisions] == [
        (10, ["demo-z"]),
        (2, ["demo-a", "demo-b"]),
        (1, ["demo-c"]),
    ]


def test_analysis_runs_sort_by_revision_desc_creation_asc_then_name_desc() -> None:
    runs = [
        run("demo-a", revision="2", created="2026-03-14T11:00:00Z"),
        run("demo-b", revision="2", created="2026-03-14T11:00:00Z"),
        run("demo-late", revision="2", created="2026-03-14T11:30:00Z"),
        run("demo-early", revision="2", created="2026-03-14T10:00:00Z"),
        run("demo-old", revision="1", created="2026-03-14T11:59:00Z"),
        run("demo-new", revision="3", created="2026-03-14T08:00:00Z"),
    ]
    v = view(rollout(), runs=runs)
    assert [[r.name for r in rev.analysis_runs] for rev in v.revisions] == [
        ["demo-new"],
        ["demo-early", "demo-b", "demo-a", "demo-late"],
        ["demo-old"],
    ]


def test_pods_sort_by_creation_then_name() -> None:
    pods = [
        pod("p-3", ("uid-demo-a",), "2026-03-14T11:30:00Z"),
        pod("p-b", ("uid-demo-a",), "2026-03-14T11:00:00Z"),
        pod("p-a", ("uid-demo-a",), "2026-03-14T11:00:00Z"),
        pod("p-0", ("uid-demo-a",), "2026-03-14T11:45:00Z"),
        pod("p-z", ("uid-demo-a",), "2026-03-14T10:00:00Z"),
    ]
    (result,) = all_replica_sets(view(rollout(), [rs("demo-a")], pods))
    assert [p.name for p in result.pods] == ["p-z", "p-a", "p-b", "p-3", "p-0"]


def test_experiments_sort_by_creation_then_name_within_a_revision() -> None:
    experiments = [
        experiment("demo-e-c", created="2026-03-14T11:00:00Z"),
        experiment("demo-e-b", created="2026-03-14T10:00:00Z"),
        experiment("demo-e-a", created="2026-03-14T11:00:00Z"),
    ]
    v = view(rollout(), experiments=experiments)
    assert [e.name for e in v.revisions[0].experiments] == ["demo-e-b", "demo-e-a", "demo-e-c"]


def test_revisions_are_the_union_of_all_children_and_0_for_a_bad_annotation() -> None:
    v = view(
        rollout(),
        [rs("demo-a", revision="3"), rs("demo-b", revision="abc"), rs("demo-c", revision=None)],
        runs=[run("demo-r", revision="5")],
        experiments=[experiment("demo-e", revision="4")],
    )
    assert [rev.revision for rev in v.revisions] == [5, 4, 3, 0]
    assert [r.name for r in v.revisions[-1].replica_sets] == ["demo-b", "demo-c"]


def test_revision_groups_keep_replica_sets_experiments_and_runs_apart() -> None:
    v = view(rollout(), [rs("demo-a", revision="2")], runs=[run("demo-r", revision="2")], experiments=[experiment("demo-e", revision="2")])
    (rev,) = v.revisions
    assert ([r.name for r in rev.replica_sets], [e.name for e in rev.experiments], [r.name for r in rev.analysis_runs]) == (["demo-a"], ["demo-e"], ["demo-r"])


# --------------------------------------------------------------------------- AnalysisRun counters and jobs


def test_analysis_run_counters_sum_every_metric() -> None:
    r = run(
        "demo-r",
        phase="Running",
        metricResults=[
            {"name": "a", "successful": 4, "failed": 1, "inconclusive": 0, "error": 1},
            {"name": "b", "successful": 2, "failed": 3, "inconclusive": 1},
        ],
    )
    (result,) = view(rollout(), runs=[r]).revisions[0].analysis_runs
    assert (result.status, result.successful, result.failed, result.inconclusive, result.error) == ("Running", 6, 4, 1, 1)


def test_jobs_come_from_measurements_with_a_job_name_in_metric_then_measurement_order() -> None:
    r = run(
        "demo-r",
        phase="Running",
        metricResults=[
            {"name": "smoke", "measurements": [
                {"phase": "Successful", "startedAt": "2026-03-14T11:50:00Z", "metadata": {"job-name": "job-1", "job-namespace": "jobs"}},
                {"phase": "Running", "startedAt": "2026-03-14T11:58:00Z", "metadata": {"job-name": "job-2"}},
            ]},
            {"name": "prom", "measurements": [{"phase": "Successful", "value": "1"}, {"phase": "Failed", "metadata": {"other": "x"}}]},
            {"name": "late", "measurements": [{"phase": "Failed", "metadata": {"job-name": "job-3"}}]},
        ],
    )
    r["metadata"]["namespace"] = "ns"
    (result,) = view(rollout(), runs=[r]).revisions[0].analysis_runs
    assert [(j.name, j.namespace, j.status, j.age) for j in result.jobs] == [
        ("job-1", "jobs", "Successful", "10m"),
        ("job-2", "ns", "Running", "2m"),
        ("job-3", "ns", "Failed", "292y"),  # no startedAt: Go's zero time, saturated
    ]


# --------------------------------------------------------------------------- images


def images(v) -> list[tuple[str, tuple[str, ...]]]:  # type: ignore[no-untyped-def]
    return [(i.image, i.tags) for i in v.images]


def test_one_replica_set_keeps_its_tag_order_unsorted() -> None:
    ro = rollout("bluegreen", stableRS="a", blueGreen={"activeSelector": "a"})
    assert images(view(ro, [rs("demo-a", hash_="a", images=("web:blue",))])) == [("web:blue", ("stable", "active"))]


def test_image_tag_order_is_canary_stable_active_preview_ping_pong() -> None:
    ro = ping_pong("pong")
    v = view(ro, [rs("demo-s", hash_="s", images=("web:1",)), rs("demo-c", hash_="c", images=("web:2",))])
    # Unsorted as given: ("stable", "pong") would sort to ("pong", "stable").
    assert images(v) == [("web:1", ("stable", "pong")), ("web:2", ("canary", "ping"))]


def test_merging_an_image_sorts_the_union_of_tags() -> None:
    ro = rollout("bluegreen", stableRS="a", blueGreen={"activeSelector": "a", "previewSelector": "p"})
    v = view(ro, [rs("demo-a", hash_="a", revision="1", images=("web:blue",)), rs("demo-p", hash_="p", revision="2", images=("web:blue",))])
    assert images(v) == [("web:blue", ("active", "preview", "stable"))]


def test_merging_with_an_untagged_replica_set_still_sorts() -> None:
    ro = rollout("bluegreen", stableRS="a", blueGreen={"activeSelector": "a"})
    v = view(ro, [rs("demo-a", hash_="a", revision="2", images=("web:blue",)), rs("demo-old", hash_="o", revision="1", images=("web:blue",))])
    assert images(v) == [("web:blue", ("active", "stable"))]


def test_images_are_sorted_by_image_string_and_init_containers_are_left_out() -> None:
    ro = rollout(stableRS="s", currentPodHash="c")
    v = view(ro, [
        rs("demo-c", hash_="c", revision="2", images=("zeta/web:2", "sidecar:1"), init_images=("init:9",)),
        rs("demo-s", hash_="s", revision="1", images=("alpha/web:1",)),
    ])
    assert images(v) == [("alpha/web:1", ("stable",)), ("sidecar:1", ("canary",)), ("zeta/web:2", ("canary",))]


@pytest.mark.parametrize("replicas", [0, None, "3"], ids=["zero", "missing", "wrongly typed"])
def test_replica_sets_without_replicas_add_no_images(replicas: Any) -> None:
    obj = rs("demo-c", hash_="c", images=("web:2",), replicas=replicas)
    if replicas is None:
        del obj["status"]["replicas"]
    v = view(rollout(stableRS="s", currentPodHash="c"), [rs("demo-s", hash_="s", images=("web:1",)), obj])
    assert images(v) == [("web:1", ("stable",))]


def test_experiment_images_are_tagged_with_their_template_and_merged_after_the_rollout_images() -> None:
    ro = rollout(stableRS="s", currentPodHash="c")
    exp = experiment("demo-exp", revision="2")
    v = view(
        ro,
        [
            rs("demo-s", hash_="s", images=("web:1",)),
            rs("demo-exp-baseline", owners=("uid-demo-exp",), images=("web:1",), annotations={"experiment.argoproj.io/template-name": "baseline"}),
            rs("demo-exp-canary", owners=("uid-demo-exp",), images=("web:2",), annotations={"experiment.argoproj.io/template-name": "canary"}),
            rs("demo-exp-plain", owners=("uid-demo-exp",), images=("web:3",)),
            rs("demo-exp-down", owners=("uid-demo-exp",), images=("web:4",), replicas=0, annotations={"experiment.argoproj.io/template-name": "down"}),
        ],
        experiments=[exp],
    )
    assert images(v) == [
        ("web:1", ("stable", "Σ:baseline")),
        ("web:2", ("Σ:canary",)),
        ("web:3", ()),
    ]
    ev = build_experiment_view(exp, replica_sets=[], pods=[], analysis_runs=[], now=NOW)
    assert ev.images == ()


def test_story_images(load_scenario) -> None:  # type: ignore[no-untyped-def]
    v = load_scenario("app-backend-canary-step1").rollout_view()
    assert v.images == (
        ImageView("luciferstut/app-backend-for-ithome2024:1.0", ("stable",)),
        ImageView("luciferstut/app-backend-for-ithome2024:2.0", ("canary",)),
    )
    # After the abort the canary RS has no replicas, so 2.0 is no longer listed.
    aborted = load_scenario("app-backend-aborted").rollout_view()
    assert aborted.images == (ImageView("luciferstut/app-backend-for-ithome2024:1.0", ("stable",)),)
