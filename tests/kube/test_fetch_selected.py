"""get rollout/experiment read ReplicaSets and pods by the view's label selectors, and the
view is the one a full namespace listing gives (kube/fetch.py, kube/selectors.py)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from kubectl_rollouts_py.derive import rollout as derive_rollout
from kubectl_rollouts_py.kube import fetch, selectors
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.kube.files import FileSource
from kubectl_rollouts_py.kube.source import ObjectList
from kubectl_rollouts_py.sandbox.apiserver import APIServer
from tests.e2e.standin import NS, app_backend_objects, run_cli

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)
CREATED = "2026-11-20T08:00:00Z"


def _owner(kind: str, name: str, uid: str) -> list[dict[str, Any]]:
    api = "apps/v1" if kind in ("ReplicaSet", "Deployment") else "argoproj.io/v1alpha1"
    return [{"apiVersion": api, "kind": kind, "name": name, "uid": uid, "controller": True}]


def _pod(name: str, labels: dict[str, str], rs: str, rs_uid: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": NS, "uid": f"uid-{name}", "labels": labels, "creationTimestamp": CREATED,
                         "ownerReferences": _owner("ReplicaSet", rs, rs_uid)},
            "spec": {"containers": [{"name": "c", "image": "example/app:1"}]},
            "status": {"phase": "Running", "containerStatuses": [{"name": "c", "ready": True, "restartCount": 0,
                                                                 "state": {"running": {"startedAt": CREATED}}}]}}


def _rs(name: str, uid: str, labels: dict[str, str], selector: dict[str, str], owner: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": NS, "uid": uid, "labels": labels, "creationTimestamp": CREATED,
                         "annotations": {"rollout.argoproj.io/revision": "2"}, "ownerReferences": owner},
            "spec": {"replicas": 1, "selector": {"matchLabels": selector},
                     "template": {"metadata": {"labels": selector}, "spec": {"containers": [{"name": "c", "image": "example/app:1"}]}}},
            "status": {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1}}


def _foreign(count: int) -> list[dict[str, Any]]:
    objects = []
    for i in range(count):
        labels = {"app": f"other-{i}"}
        objects.append(_rs(f"other-{i}", f"other-rs-{i}", labels, labels, []))
        objects.append(_pod(f"other-{i}-p", labels, f"other-{i}", f"other-rs-{i}"))
    return objects


def _with_experiment() -> list[dict[str, Any]]:
    """app-backend owning an experiment whose template selects its own labels; the experiment's
    ReplicaSet carries labels its selector does not select (as older Argo versions write them)."""
    objects = copy.deepcopy(app_backend_objects())
    rollout = objects[0]
    uid = rollout["metadata"]["uid"]
    experiment = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Experiment",
                  "metadata": {"name": "app-backend-exp", "namespace": NS, "uid": "exp-1", "creationTimestamp": CREATED,
                               "annotations": {"rollout.argoproj.io/revision": "2"},
                               "ownerReferences": _owner("Rollout", "app-backend", uid)},
                  "spec": {"templates": [{"name": "baseline", "replicas": 1, "selector": {"matchLabels": {"app": "exp-baseline"}},
                                          "template": {"metadata": {"labels": {"app": "exp-baseline"}}}}]},
                  "status": {"phase": "Running", "templateStatuses": [{"name": "baseline", "status": "Running"}]}}
    exp_rs = _rs("app-backend-exp-baseline", "exp-rs-1", {"experiment.argoproj.io/name": "app-backend-exp"},
                 {"app": "exp-baseline"}, _owner("Experiment", "app-backend-exp", "exp-1"))
    exp_pod = _pod("app-backend-exp-baseline-p", {"app": "exp-baseline"}, "app-backend-exp-baseline", "exp-rs-1")
    return [*objects, experiment, exp_rs, exp_pod]


class Everything:
    """A source that ignores label selectors: what an unselected read would see."""

    def __init__(self, source: FileSource) -> None:
        self.source = source
        self.namespace = source.namespace

    def get(self, *args: Any) -> dict[str, Any]:
        return self.source.get(*args)

    def list(self, resource: Any, namespace: Any, **_: Any) -> ObjectList:
        return self.source.list(resource, namespace)


def _files(tmp_path: Path, objects: list[dict[str, Any]]) -> FileSource:
    path = tmp_path / "objects.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
    return FileSource((str(path),), namespace=NS)


@pytest.mark.parametrize("objects", [app_backend_objects(), _with_experiment()], ids=["canary", "with-experiment"])
def test_the_rollout_view_is_the_one_a_full_listing_gives(tmp_path: Path, objects: list[dict[str, Any]]) -> None:
    source = _files(tmp_path, [*objects, *_foreign(20)])
    views = []
    for src in (source, Everything(source)):
        rollout, objs = fetch.fetch_with_namespace(src, r.ROLLOUTS, "app-backend", NS)  # type: ignore[arg-type]
        views.append(derive_rollout.build_rollout_view(rollout, replica_sets=objs.replica_sets, pods=objs.pods,
                                                       analysis_runs=objs.analysis_runs, experiments=objs.experiments, now=NOW))
    assert views[0] == views[1]
    selected = fetch.fetch_with_namespace(source, r.ROLLOUTS, "app-backend", NS)[1]
    assert not any(p["metadata"]["name"].startswith("other-") for p in selected.pods)


def test_experiments_select_pods_by_their_templates_and_read_replicasets_whole() -> None:
    objects = _with_experiment()
    chosen = selectors.rollout_view_selectors(objects[0], None, [o for o in objects if o["kind"] == "Experiment"])
    assert chosen == selectors.ViewSelectors(None, ["app=app-backend", "app=exp-baseline"])
    assert selectors.rollout_view_selectors(objects[0], None, []) == selectors.ViewSelectors(["app=app-backend"], ["app=app-backend"])
    deployment = {"spec": {"selector": {"matchLabels": {"app": "from-deployment"}}}}
    no_selector = copy.deepcopy(objects[0])
    del no_selector["spec"]["selector"]
    assert selectors.rollout_view_selectors(no_selector, deployment, []).pods == ["app=from-deployment"]
    assert selectors.rollout_view_selectors(no_selector, None, []) == selectors.ViewSelectors(None, None)
    experiment = next(o for o in objects if o["kind"] == "Experiment")
    assert selectors.experiment_view_selectors(experiment) == selectors.ViewSelectors(None, ["app=exp-baseline"])


def test_get_rollout_sends_the_selector_and_shows_the_same_beside_other_apps(tmp_path: Path) -> None:
    outputs = []
    for crowd in (0, 200):
        with APIServer() as server:
            server.seed([*app_backend_objects(), *_foreign(crowd)])
            kubeconfig = tmp_path / f"kubeconfig-{crowd}"
            server.write_kubeconfig(kubeconfig, namespace=NS)
            result = run_cli("get", "rollout", "app-backend", kubeconfig=kubeconfig,
                             env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
            assert result.code == 0, result.err
            outputs.append(result.out)
            lists = {q.path.rsplit("/", 1)[1]: q.query for q in server.requests if q.method == "GET" and q.path.endswith(("/pods", "/replicasets"))}
            assert lists == {"pods": {"labelSelector": "app=app-backend"}, "replicasets": {"labelSelector": "app=app-backend"}}
    assert outputs[0] == outputs[1]


def _reads(server: APIServer) -> list[tuple[str, str]]:
    return [(q.path.rsplit("/", 1)[1], q.query.get("labelSelector", "")) for q in server.requests if q.method == "GET"]


def test_a_second_get_sends_every_read_in_one_round_and_a_changed_selector_reads_again(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    with APIServer() as server:
        server.seed([*app_backend_objects(), *_foreign(50)])
        kubeconfig = tmp_path / "kubeconfig"
        server.write_kubeconfig(kubeconfig, namespace=NS)
        first = run_cli("get", "rollout", "app-backend", kubeconfig=kubeconfig, env=env)
        hints = tmp_path / "cache" / "kubectl-rollouts-py" / "view-selectors.json"
        assert first.code == 0 and hints.exists() and oct(hints.stat().st_mode & 0o777) == "0o600"
        server.clear_requests()
        second = run_cli("get", "rollout", "app-backend", kubeconfig=kubeconfig, env=env)
        assert second.out == first.out
        assert sorted(_reads(server)) == sorted([("app-backend", ""), ("analysisruns", ""), ("experiments", ""),
                                        ("replicasets", "app=app-backend"), ("pods", "app=app-backend")])
        # The rollout now selects other labels: the hint is wrong, the lists go out again.
        rollout = server.get_object("rollouts", NS, "app-backend")
        assert rollout is not None
        rollout["spec"]["selector"] = {"matchLabels": {"app": "app-backend", "tier": "web"}}
        server.seed([rollout])
        server.clear_requests()
        third = run_cli("get", "rollout", "app-backend", kubeconfig=kubeconfig, env=env)
        assert third.code == 0, third.err
        selectors_sent = [s for kind, s in _reads(server) if kind == "pods"]
        assert selectors_sent == ["app=app-backend", "app=app-backend,tier=web"]
        # Its RS and pods lack the new label: not shown, as the Argo plugin (which lists by the selector) shows it.
        assert "app-backend-5c6b7d8f9" not in third.out
        server.clear_requests()
        run_cli("get", "rollout", "app-backend", kubeconfig=kubeconfig, env=env)
        assert [s for kind, s in _reads(server) if kind == "pods"] == ["app=app-backend,tier=web"]
