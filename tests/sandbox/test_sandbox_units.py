"""Small pieces of the sandbox: hashes, patches, replica arithmetic, demo traffic, kubeconfig
paths, and the built-in Prometheus stand-in (its query subset, and through the project's
own Prometheus adapter over HTTP)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.analysis import args as analysis_args
from kubectl_rollouts_py.analysis import prometheus as adapter
from kubectl_rollouts_py.sandbox import objects as sim_objects
from kubectl_rollouts_py.sandbox import run, scenario
from kubectl_rollouts_py.sandbox.demoapp import DemoApp, PodTraffic


def template(tag: str, **labels: str) -> dict:
    return {"metadata": {"labels": {"app": "x", **labels}}, "spec": {"containers": [{"name": "c", "image": f"r:{tag}"}]}}


def test_pod_template_hash_is_stable_ignores_its_own_label_and_looks_like_argos() -> None:
    first = sim_objects.pod_template_hash(template("1.0"))
    assert first == sim_objects.pod_template_hash(template("1.0"))
    assert first == sim_objects.pod_template_hash(template("1.0", **{sim_objects.HASH_LABEL: first}))
    assert first != sim_objects.pod_template_hash(template("1.1"))
    assert 1 <= len(first) <= 10 and set(first) <= set("bcdf456789")


def test_merge_patch_diff_sets_changes_and_nulls_removed_keys() -> None:
    old = {"a": 1, "b": {"c": 2, "d": 3}, "e": [1], "gone": True}
    new = {"a": 1, "b": {"c": 2, "d": 4}, "e": [1, 2], "new": "x"}
    assert sim_objects.merge_patch_diff(old, new) == {"b": {"d": 4}, "e": [1, 2], "new": "x", "gone": None}
    assert sim_objects.merge_patch_diff(new, new) == {}


@pytest.mark.parametrize(("weight", "expected"), [(0, (0, 5)), (10, (1, 4)), (33, (2, 3)), (50, (3, 2)), (100, (5, 0))])
def test_replicas_for_a_weight(weight: int, expected: tuple[int, int]) -> None:
    assert sim_objects.replicas_for_weight(5, weight) == expected


def test_error_ratio_by_image_tag_and_annotation() -> None:
    def pod(tag: str, annotation: str | None = None) -> dict:
        meta = {"annotations": {scenario.ERROR_RATIO_ANNOTATION: annotation}} if annotation is not None else {}
        return {"metadata": meta, "spec": {"containers": [{"image": scenario.image(tag)}]}}

    assert scenario.error_ratio(pod("1.1")) == scenario.BAD_ERROR_RATIO
    assert scenario.error_ratio(pod("1.2")) == scenario.GOOD_ERROR_RATIO
    assert scenario.error_ratio(pod("1.2", "0.5")) == 0.5
    assert scenario.error_ratio(pod("1.1", "0")) == 0.0
    assert scenario.error_ratio(pod("1.1", "lots")) == scenario.BAD_ERROR_RATIO


def test_seed_objects_are_the_app_backend_canary() -> None:
    objects = scenario.seed_objects("http://127.0.0.1:9", now=sim_objects.parse_time("2026-03-14T12:00:00Z"))  # type: ignore[arg-type]
    kinds = [o["kind"] for o in objects]
    assert kinds.count("Pod") == 5 and kinds.count("Service") == 2 and kinds.count("ReplicaSet") == 1
    at = next(o for o in objects if o["kind"] == "AnalysisTemplate")
    metric = at["spec"]["metrics"][0]
    assert (metric["interval"], metric["initialDelay"], metric["failureLimit"]) == ("1m", "1m", 3)
    assert metric["successCondition"] == "isNaN(result[0]) || result[0] >= 0.95"
    assert metric["provider"]["prometheus"]["address"] == "http://127.0.0.1:9"
    ro = next(o for o in objects if o["kind"] == "Rollout")
    canary = ro["spec"]["strategy"]["canary"]
    assert canary["steps"] == [{"setWeight": 10}, {"pause": {"duration": "3m"}}, {"setWeight": 33}, {"pause": {"duration": "3m"}}]
    assert ro["spec"]["template"]["spec"]["containers"][0]["image"] == "luciferstut/app-backend-for-ithome2024:1.0"
    assert "status" not in ro
    args = analysis_args.resolve_rollout_args(canary["analysis"]["args"], ro, latest_hash="abc")
    spec = analysis_args.new_run_spec([at], [], args)
    query = analysis_args.resolve_metrics(spec["metrics"], [analysis_args.Argument.from_dict(a) for a in spec["args"]])
    assert query[0]["provider"]["prometheus"]["query"] == (
        'sum(rate(http_server_requests_seconds_count{pod=~"app-backend-.*",rollouts_pod_template_hash="abc",status!~"5.."}[1m]))'
        ' / sum(rate(http_server_requests_seconds_count{pod=~"app-backend-.*",rollouts_pod_template_hash="abc"}[1m]))'
    )


def test_kubeconfig_paths(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    assert run.default_kubeconfig(env) == tmp_path / "cache" / "kubectl-rollouts-py" / "sandbox.kubeconfig"
    assert run.default_kubeconfig({"HOME": str(tmp_path)}) == tmp_path / ".cache" / "kubectl-rollouts-py" / "sandbox.kubeconfig"
    with pytest.raises(errors.UsageError, match="never writes"):
        run.check_kubeconfig_path(tmp_path / ".kube" / "config", env)
    ours = tmp_path / "ours"
    ours.write_text("clusters:\n- name: stand-in\n")
    assert run.check_kubeconfig_path(ours, env) == ours.resolve()
    theirs = tmp_path / "theirs"
    theirs.write_text("clusters:\n- name: prod\n")
    with pytest.raises(errors.UsageError, match="not a sandbox kubeconfig"):
        run.check_kubeconfig_path(theirs, env)


def test_scrape_interval_follows_speed_within_bounds() -> None:
    assert [run.scrape_interval(s) for s in (1, 10, 60, 1000)] == [5.0, 1.5, 0.25, 0.2]


# --------------------------------------------------------------------------------- built-in Prometheus


class Clock:
    t = 1000.0

    def __call__(self) -> float:
        return self.t


RATE = 'sum(rate(http_server_requests_seconds_count{{rollouts_pod_template_hash="{h}",status!~"5.."}}[1m])) / ' \
       'sum(rate(http_server_requests_seconds_count{{rollouts_pod_template_hash="{h}"}}[1m]))'


@pytest.fixture()
def stand_in() -> run.BuiltinPrometheus:
    clock = Clock()
    app = DemoApp([PodTraffic("web-good-1", "good", 100, 0.0), PodTraffic("web-bad-1", "bad", 100, 0.5),
                   PodTraffic("web-idle-1", "idle", 0, 0.0)], clock=clock)
    prom = run.BuiltinPrometheus(app, interval=3600, clock=clock)
    for _ in range(4):
        prom.scrape()
        clock.t += 10
    clock.t -= 10
    return prom


def test_stand_in_evaluates_the_success_rate_shape(stand_in: run.BuiltinPrometheus) -> None:
    assert stand_in.evaluate(RATE.format(h="good")) == 1.0
    assert stand_in.evaluate(RATE.format(h="bad")) == pytest.approx(0.5, abs=0.01)
    assert math.isnan(stand_in.evaluate(RATE.format(h="idle")) or 0.0)  # 0/0, as PromQL
    assert stand_in.evaluate(RATE.format(h="gone")) is None  # no series: an empty vector
    assert stand_in.evaluate('sum(rate(http_server_requests_seconds_count{pod=~"web-.*"}[1m]))') == pytest.approx(200, rel=0.02)
    assert stand_in.evaluate('sum(irate(http_server_requests_seconds_count{pod!="web-good-1",status="500"}[30s]))') == pytest.approx(50, abs=1)


@pytest.mark.parametrize("query", ["up", "sum by (pod) (rate(x[1m]))", "sum(rate(x[1m])) / sum(rate(y[1m])) / 2", 'sum(rate(x{a=~"("}[1m]))'])
def test_stand_in_rejects_what_it_cannot_answer(stand_in: run.BuiltinPrometheus, query: str) -> None:
    with pytest.raises(run.QueryError):
        stand_in.evaluate(query)


def test_stand_in_over_http_through_the_projects_prometheus_adapter(stand_in: run.BuiltinPrometheus) -> None:
    url = stand_in.start()
    try:
        sample = adapter.query({"address": url, "query": RATE.format(h="bad")}, timeout=5)
        assert sample.result_type == "vector" and sample.result[0] == pytest.approx(0.5, abs=0.01)
        assert adapter.query({"address": url, "query": RATE.format(h="gone")}, timeout=5).value == "[]"
        assert adapter.query({"address": url, "query": RATE.format(h="idle")}, timeout=5).value == "[NaN]"
        with pytest.raises(adapter.ProviderError, match=r'^bad_data: invalid parameter "query": the sandbox\'s built-in'):
            adapter.query({"address": url, "query": "up"}, timeout=5)
    finally:
        stand_in.stop()
