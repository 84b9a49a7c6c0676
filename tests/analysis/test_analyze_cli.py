"""`analyze` through the installed CLI, against the session's real Prometheus (demo app pods
`good` 1% 5xx, `bad` 50% 5xx, `idle` no traffic, `gone` no series) and the stand-in API server."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e.standin import NS, Result, assert_one_error_line, run_cli
from kubectl_rollouts_py.analysis import args as a
from kubectl_rollouts_py.analysis import evaluate
from kubectl_rollouts_py.ops import analysis_run
from kubectl_rollouts_py.sandbox.apiserver import APIServer

from .analyze_objects import IN_CLUSTER_ADDRESS, SECRET_VALUE, SUCCESS_CONDITION, cluster_objects, success_rate_metric, template
from .promharness import PrometheusServer, free_port


def write(tmp_path: Path, obj: dict[str, Any], name: str = "template.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(obj))
    return str(path)


def analyze(*argv: str, **kwargs: Any) -> tuple[Result, float]:
    """The run and its wall time. Only lower bounds are asserted on the time (the schedule's
    waits happened); run_cli's 30 s timeout is the hang guard, at least ten times any run here."""
    began = time.monotonic()
    result = run_cli("analyze", *argv, **kwargs)
    return result, time.monotonic() - began


def documents(result: Result) -> list[dict[str, Any]]:
    """The NDJSON lines of `-o json` (one AnalysisRunView per reconcile)."""
    return [json.loads(line) for line in result.out.splitlines()]


def metric(doc: dict[str, Any], name: str = "success-rate") -> dict[str, Any]:
    return next(m for m in doc["metrics"] if m["name"] == name)


def warnings(result: Result) -> list[str]:
    return [line for line in result.err.splitlines() if line.startswith("Warning: ")]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[APIServer]:
    with APIServer() as srv:
        srv.seed(cluster_objects())
        srv.kubeconfig = tmp_path / "kubeconfig"  # type: ignore[attr-defined]
        srv.write_kubeconfig(srv.kubeconfig, namespace=NS)  # type: ignore[attr-defined]
        yield srv


# --------------------------------------------------------------------------- the four outcomes


def test_healthy_canary_passes_on_the_controllers_schedule(prom_server: PrometheusServer, tmp_path: Path) -> None:
    result, took = analyze("-f", write(tmp_path, template()), "--arg", "canary-hash=good", "--prometheus", prom_server.url)
    assert result.code == 0, result.err
    assert result.err == ""
    frames = result.out.split("\n--- ")
    assert len(frames) == 3  # one frame per reconcile: count 3, one measurement each
    last = frames[-1].splitlines()
    assert "Status:          ✔ Successful" in last
    row = next(line.split() for line in last if line.startswith("success-rate "))
    assert row[1:3] == ["✔", "Successful"] and row[4:6] == ["3", "0/3"]  # SUCCESSFUL, FAILED/LIMIT
    assert sum(1 for line in last if line.strip().startswith("✔ Successful")) == 3  # every measurement listed
    assert "Next reconcile in" in frames[0] and "Next reconcile in" not in frames[-1]
    assert took >= 2.0  # interval 1 s after each finishedAt: two waits


def test_canary_answering_5xx_fails_after_failure_limit(prom_server: PrometheusServer, tmp_path: Path) -> None:
    path = write(tmp_path, template(metrics=[success_rate_metric(count=4)]))
    result, took = analyze("-f", path, "--arg", "canary-hash=bad", "--prometheus", prom_server.url, "-o", "json")
    assert result.code == 3, result.err
    assert result.err == (
        'Error: analysis "success-rate" ended in phase Failed: '
        'Metric "success-rate" assessed Failed due to failed (4) > failureLimit (3)\n'
    )
    docs = documents(result)
    assert [d["phase"] for d in docs] == ["Running", "Running", "Running", "Failed"]
    final = metric(docs[-1])
    assert final["counts"]["failed"] == 4 and final["limits"]["failureLimit"] == 3
    assert all(m["phase"] == "Failed" and 0.3 < json.loads(m["value"])[0] < 0.95 for m in final["measurements"])
    assert took >= 3.0  # three waits of the 1 s interval


def test_no_traffic_takes_the_nan_path_and_succeeds(prom_server: PrometheusServer, tmp_path: Path) -> None:
    # 0/0 is NaN in PromQL; `isNaN(result[0])` is true on [NaN], so Argo counts it Successful.
    result, _ = analyze("-f", write(tmp_path, template()), "--arg", "canary-hash=idle", "--prometheus", prom_server.url, "-o", "json")
    assert result.code == 0, result.err
    final = documents(result)[-1]
    assert final["phase"] == "Successful"
    assert [m["value"] for m in metric(final)["measurements"]] == ["[NaN]"] * 3


def test_no_series_at_all_is_an_error_not_the_nan_path(prom_server: PrometheusServer, tmp_path: Path) -> None:
    # sum() of nothing is an empty vector: result[0] fails, with Argo's no-data message.
    result, _ = analyze("-f", write(tmp_path, template()), "--arg", "canary-hash=gone", "--prometheus", prom_server.url, "--once", "-o", "json")
    assert result.code == 5, result.err
    measurement = metric(json.loads(result.out))["measurements"][0]
    assert measurement["phase"] == "Error"
    assert measurement["message"] == (
        f'could not evaluate successCondition "{SUCCESS_CONDITION}": '
        "metric result is nil or empty: no data returned from the metric provider"
    )


def test_prometheus_down_ends_in_error_with_the_connection_message(tmp_path: Path) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    # consecutiveErrorLimit 0: the first Error measurement ends the metric (the default, 4,
    # takes five attempts 10 s apart, exactly as the controller retries).
    path = write(tmp_path, template(metrics=[success_rate_metric(consecutiveErrorLimit=0)]))
    result, _ = analyze("-f", path, "--arg", "canary-hash=good", "--prometheus", down)
    assert result.code == 5
    refused = f'Post "{down}/api/v1/query": dial tcp {down[7:]}: connect: connection refused'
    assert result.err == (
        'Error: analysis "success-rate" ended in phase Error: Metric "success-rate" assessed Error due to '
        f'consecutiveErrors (1) > consecutiveErrorLimit (0): "Error Message: {refused}"\n'
    )
    assert "Status:          ⚠ Error" in result.out and refused in result.out


def test_prometheus_down_once_with_the_success_rate_template(tmp_path: Path) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    result, _ = analyze("-f", write(tmp_path, template()), "--arg", "canary-hash=good", "--prometheus", down, "--once")
    assert result.code == 5
    assert result.err.startswith('Error: analysis "success-rate" ended in phase Error: Metric "success-rate" measured Error: Post ')
    assert "connection refused" in result.err and len(result.err.splitlines()) == 1


# --------------------------------------------------------------------------- modes and output


def test_once_takes_one_measurement_now_ignoring_the_schedule(prom_server: PrometheusServer, tmp_path: Path) -> None:
    path = write(tmp_path, template(metrics=[success_rate_metric(initialDelay="1h", count=10)]))
    result, _ = analyze("-f", path, "-a", "canary-hash=good", "--prometheus", prom_server.url, "--once", "-o", "json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)  # one indented document
    assert result.out.startswith("{\n")
    assert doc["kind"] == "AnalysisRunView" and doc["phase"] == "Successful"
    assert len(metric(doc)["measurements"]) == 1  # at once: honouring the 1h initialDelay would hang past the guard


def test_once_reports_a_single_failed_measurement(prom_server: PrometheusServer, tmp_path: Path) -> None:
    result, _ = analyze("-f", write(tmp_path, template()), "-a", "canary-hash=bad", "--prometheus", prom_server.url, "--once")
    assert result.code == 3
    assert result.err == 'Error: analysis "success-rate" ended in phase Failed: Metric "success-rate" measured Failed\n'


def test_timeout_terminates_an_indefinite_run(prom_server: PrometheusServer, tmp_path: Path) -> None:
    path = write(tmp_path, template(metrics=[success_rate_metric(count=None)]))  # interval, no count: runs until stopped
    result, took = analyze("-f", path, "-a", "canary-hash=good", "--prometheus", prom_server.url, "--timeout", "2500ms", "-o", "json")
    assert result.code == 0, result.err
    final = documents(result)[-1]
    assert (final["phase"], final["message"]) == ("Successful", "Run Terminated")
    assert len(metric(final)["measurements"]) >= 2
    assert took >= 2.5  # not before the timeout


def test_initial_delay_and_interval_follow_the_engine_schedule() -> None:
    """In-process on a simulated clock: initialDelay from startedAt, interval after finishedAt."""
    run_spec = {"metrics": [success_rate_metric(initialDelay="2s", count=3)], "args": [{"name": "canary-hash", "value": "x"}]}
    prepared = a.prepare_run(run_spec)
    assert prepared.spec is not None
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    clock = [start]
    taken: list[float] = []

    def measure(name: str) -> evaluate.Measurement:
        taken.append((clock[0] - start).total_seconds())
        clock[0] += dt.timedelta(milliseconds=100)  # the query takes 100 ms
        return evaluate.Measurement(evaluate.Phase.SUCCESSFUL, value="[1]", started_at=clock[0], finished_at=clock[0])

    def sleep_until(moment: dt.datetime) -> None:
        clock[0] = max(clock[0], moment)

    shown: list[str] = []
    status = analysis_run.run_schedule(prepared.spec, measure, clock=lambda: clock[0], sleep_until=sleep_until,
                                       show=lambda s, _next: shown.append(s.phase.value if s.phase else ""))
    assert status.phase is evaluate.Phase.SUCCESSFUL
    # startedAt + 2 s, then 1 s after each finishedAt; every wait ends 5 ms past the instant
    # (an interval is due strictly after it)
    assert taken == pytest.approx([2.005, 3.11, 4.215])
    assert shown == ["Running", "Running", "Running", "Successful"]


def test_range_query_is_evaluated_then_sent(prom_server: PrometheusServer, tmp_path: Path) -> None:
    # The backfilled demo_ratio{pod="a"}: 0.987 at T0, 0.5 at T0 + 10 s (see conftest).
    ranged = {"address": IN_CLUSTER_ADDRESS, "query": 'demo_ratio{pod="a"}',
              "rangeQuery": {"start": 'date("2023-11-14T22:13:20Z")', "end": 'date("2023-11-14T22:13:20Z") + duration("10s")', "step": "10s"}}
    broken = dict(ranged, rangeQuery={"start": "'yesterday'", "end": "now()", "step": "1s"})
    metrics = [success_rate_metric(name="ranged", successCondition="result == [0.987, 0.5]", provider={"prometheus": ranged}),
               success_rate_metric(name="broken", provider={"prometheus": broken})]
    result, _ = analyze("-f", write(tmp_path, template(args=[], metrics=metrics)), "--prometheus", prom_server.url, "--once", "-o", "json")
    assert result.code == 5
    doc = json.loads(result.out)
    assert [(m["phase"], m["value"]) for m in metric(doc, "ranged")["measurements"]] == [("Successful", "[0.987,0.5]")]
    assert metric(doc, "broken")["measurements"][0]["message"] == "failed to parse rangeQuery.start as time: expected time.Time, but got string"


# --------------------------------------------------------------------------- templates and args


def test_template_from_the_cluster_with_rollout_args(prom_server: PrometheusServer, cluster: APIServer) -> None:
    result, _ = analyze("success-rate", "--rollout", "app-backend", "--prometheus", prom_server.url, "--once", "-o", "json",
                        kubeconfig=cluster.kubeconfig)  # type: ignore[attr-defined]
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    # podTemplateHashValue Latest = the new ReplicaSet's hash, Stable = the stable one's; fieldRef read from the rollout
    assert doc["args"] == [{"name": "canary-hash", "value": "good"}, {"name": "stable-hash", "value": "stable"},
                           {"name": "rollout-name", "value": "app-backend"}]
    assert doc["namespace"] == NS
    assert 'rollouts_pod_template_hash="good"' in metric(doc)["query"]
    assert 'rollouts_pod_template_hash="stable"' in metric(doc, "stable-rate")["query"]
    assert [m["phase"] for m in doc["metrics"]] == ["Successful", "Successful"]


def test_arg_flag_overrides_the_rollout(prom_server: PrometheusServer, cluster: APIServer) -> None:
    result, _ = analyze("success-rate", "--rollout", "app-backend", "-a", "canary-hash=bad", "--prometheus", prom_server.url,
                        "--once", "-o", "json", kubeconfig=cluster.kubeconfig)  # type: ignore[attr-defined]
    assert result.code == 3
    doc = json.loads(result.out)
    assert doc["args"][0] == {"name": "canary-hash", "value": "bad"}
    assert [m["phase"] for m in doc["metrics"]] == ["Failed", "Successful"]


def test_nested_templates_from_the_cluster(prom_server: PrometheusServer, cluster: APIServer) -> None:
    result, _ = analyze("canary-checks", "-a", "canary-hash=good", "-a", "stable-hash=stable", "--prometheus", prom_server.url,
                        "--once", "-o", "json", kubeconfig=cluster.kubeconfig)  # type: ignore[attr-defined]
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert [m["name"] for m in doc["metrics"]] == ["success-rate", "stable-rate", "error-budget"]  # namespaced, then cluster


def test_cluster_template_flag(prom_server: PrometheusServer, cluster: APIServer) -> None:
    result, _ = analyze("error-budget", "--cluster-template", "-a", "canary-hash=good", "--prometheus", prom_server.url, "--once",
                        kubeconfig=cluster.kubeconfig)  # type: ignore[attr-defined]
    assert result.code == 0, result.err
    assert "error-budget  ✔ Successful" in result.out


def test_unknown_template_is_a_runtime_error(cluster: APIServer) -> None:
    line = assert_one_error_line(analyze("x", kubeconfig=cluster.kubeconfig)[0])  # type: ignore[attr-defined]
    assert line == 'Error: analysistemplates.argoproj.io "x" not found'
    line = assert_one_error_line(analyze("x", "--cluster-template", kubeconfig=cluster.kubeconfig)[0])  # type: ignore[attr-defined]
    assert line == 'Error: clusteranalysistemplates.argoproj.io "x" not found'


def test_unknown_rollout_is_a_runtime_error(cluster: APIServer) -> None:
    result, _ = analyze("success-rate", "--rollout", "nope", kubeconfig=cluster.kubeconfig)  # type: ignore[attr-defined]
    assert assert_one_error_line(result) == 'Error: rollouts.argoproj.io "nope" not found'


def test_unresolved_arg_is_a_runtime_error(tmp_path: Path) -> None:
    result, took = analyze("-f", write(tmp_path, template()))  # no cluster: -f needs none
    assert assert_one_error_line(result) == (
        "Error: args.canary-hash was not resolved: give it with --arg canary-hash=VALUE or take it from a rollout with --rollout NAME"
    )


def test_unknown_placeholder_and_invalid_spec_are_runtime_errors(tmp_path: Path) -> None:
    broken = success_rate_metric(successCondition="result[0] >= {{args.threshold}}")
    result, _ = analyze("-f", write(tmp_path, template(metrics=[broken])), "-a", "canary-hash=good")
    assert assert_one_error_line(result) == "Error: Unable to resolve metric arguments: failed to resolve {{args.threshold}}"
    result, _ = analyze("-f", write(tmp_path, template(metrics=[success_rate_metric(count=2)])), "-a", "canary-hash=good")
    assert assert_one_error_line(result) == (
        "Error: Analysis spec invalid: metrics[0]: count (2) must be >= failureLimit + consecutiveSuccessLimit (3 + 0) if both >= 0"
    )


def test_unreadable_file_is_a_runtime_error(tmp_path: Path) -> None:
    result, _ = analyze("-f", str(tmp_path / "missing.yaml"))
    assert assert_one_error_line(result).startswith(f"Error: cannot read {tmp_path / 'missing.yaml'}: ")


def test_secret_args_need_the_flag_and_are_never_printed(prom_server: PrometheusServer, cluster: APIServer) -> None:
    kubeconfig = cluster.kubeconfig  # type: ignore[attr-defined]
    refused, _ = analyze("with-token", "-a", "canary-hash=good", "--prometheus", prom_server.url, "--once", kubeconfig=kubeconfig)
    assert assert_one_error_line(refused) == (
        'Error: argument "token" comes from key "token" of secret "prom-auth": pass --allow-secrets to read it (its value is never printed)'
    )
    for output in ("text", "json"):
        result, _ = analyze("with-token", "-a", "canary-hash=good", "--prometheus", prom_server.url, "--once", "--allow-secrets",
                            "-o", output, kubeconfig=kubeconfig)
        assert result.code == 0, result.err
        assert SECRET_VALUE not in result.out + result.err
    assert json.loads(result.out)["args"][1] == {"name": "token", "value": "<secret prom-auth/token>"}
    assert any(r.path.endswith("/secrets/prom-auth") for r in cluster.requests)


def test_missing_secret_is_a_runtime_error(cluster: APIServer, tmp_path: Path) -> None:
    path = write(tmp_path, template(args=[{"name": "canary-hash", "value": "good"},
                                          {"name": "token", "valueFrom": {"secretKeyRef": {"name": "nope", "key": "k"}}}]))
    result, _ = analyze("-f", path, "--allow-secrets", "--once", kubeconfig=cluster.kubeconfig)  # type: ignore[attr-defined]
    assert assert_one_error_line(result) == 'Error: Unable to resolve metric arguments: secrets "nope" not found'


def test_other_providers_are_listed_as_skipped(prom_server: PrometheusServer, tmp_path: Path) -> None:
    metrics = [success_rate_metric(), {"name": "smoke", "provider": {"job": {"spec": {"template": {}}}}},
               {"name": "http-check", "successCondition": "result == true", "provider": {"web": {"url": "http://example.invalid/"}}}]
    path = write(tmp_path, template(metrics=metrics))
    result, _ = analyze("-f", path, "-a", "canary-hash=good", "--prometheus", prom_server.url, "--once", "-o", "json")
    assert result.code == 0, result.err  # skipped metrics do not decide the outcome
    doc = json.loads(result.out)
    assert [(m["name"], m["phase"]) for m in doc["metrics"]] == [("success-rate", "Successful"), ("smoke", "Skipped"), ("http-check", "Skipped")]
    assert metric(doc, "http-check")["message"] == "not measured: analyze runs Prometheus metrics only (provider: web)"
    assert warnings(result) == [
        'Warning: metric "smoke" uses the job provider: analyze measures Prometheus metrics only, so it is skipped',
        'Warning: metric "http-check" uses the web provider: analyze measures Prometheus metrics only, so it is skipped',
    ]
    text, _ = analyze("-f", path, "-a", "canary-hash=good", "--prometheus", prom_server.url, "--once")
    assert any(line.split()[:2] == ["http-check", "Skipped"] for line in text.out.splitlines())


def test_only_other_providers_is_nothing_to_measure(tmp_path: Path) -> None:
    path = write(tmp_path, template(args=[], metrics=[{"name": "http-check", "provider": {"web": {"url": "http://example.invalid/"}}}]))
    result, _ = analyze("-f", path, "--once")
    assert result.code == 1
    assert result.err.splitlines()[-1] == 'Error: nothing to measure: no metric of "success-rate" uses the prometheus provider'


def test_default_address_comes_from_argos_environment_variable(prom_server: PrometheusServer, tmp_path: Path) -> None:
    metric_without_address = success_rate_metric(provider={"prometheus": {"query": success_rate_metric()["provider"]["prometheus"]["query"]}})
    path = write(tmp_path, template(metrics=[metric_without_address]))
    result, _ = analyze("-f", path, "-a", "canary-hash=good", "--once", env={"ARGO_ROLLOUTS_PROMETHEUS_ADDRESS": prom_server.url})
    assert result.code == 0, result.err
    without, _ = analyze("-f", path, "-a", "canary-hash=good", "--once", env={"ARGO_ROLLOUTS_PROMETHEUS_ADDRESS": ""})
    assert without.code == 5 and "prometheus address is not configured" in without.err


def test_promql_injection_is_escaped_and_said_so(tmp_path: Path) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    result, _ = analyze("-f", write(tmp_path, template()), "-a", 'canary-hash=x"} or vector(1) #', "--prometheus", down, "--once")
    assert warnings(result) == [
        "Warning: metric \"success-rate\": argument 'canary-hash' contains a quote, backslash or newline: "
        "it is escaped, so it stays inside the PromQL string it is substituted into "
        "(Argo inserts it verbatim, which changes the query)"
    ]


def test_undeclared_arg_is_warned_about_and_ignored(tmp_path: Path) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    result, _ = analyze("-f", write(tmp_path, template()), "-a", "canary-hash=good", "-a", "typo=1", "--prometheus", down, "--once")
    assert warnings(result) == ['Warning: --arg typo: the template declares no argument "typo", so it is ignored']


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "Error: give a TEMPLATE name or -f FILE"),
        (("t", "--arg", "novalue"), "Error: invalid --arg 'novalue': use NAME=VALUE"),
        (("t", "--timeout", "1d"), "Error: invalid --timeout '1d': time: unknown unit \"d\" in duration \"1d\" (use a duration such as 30s, 5m or 1h30m)"),
        (("t", "--prometheus", "prometheus:9090"), "Error: invalid --prometheus 'prometheus:9090': give a URL with a scheme and a host, e.g. http://localhost:9090"),
        (("-f", "x.yaml", "--cluster-template"), "Error: --cluster-template names a template in the cluster; it cannot be used with -f"),
    ],
)
def test_usage_errors_exit_2(argv: tuple[str, ...], message: str) -> None:
    assert assert_one_error_line(analyze(*argv)[0], code=2) == message


def test_help_lists_the_exit_codes() -> None:
    result, _ = analyze("--help")
    assert result.code == 0
    text = " ".join(result.out.split())
    assert "0 Successful; 3 Failed; 4 Inconclusive; 5 Error." in text
    assert "2: usage error; 130: interrupted (Ctrl-C)." in text
