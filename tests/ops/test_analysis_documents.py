"""The sandbox's analysis runs and `analyze` produce equal AnalysisRun documents for the same
template, arguments and Prometheus answers.

Two paths over one scripted Prometheus (the stub harness; one address per metric, each
answering its metric's values in order) and one fake clock:

* the sandbox: an AnalysisRun made from the template (as the simulated controller makes a
  rollout's background run) sits in the stand-in API server; the controller reconciles it
  until it completes, waking when it asks to, and writes its status there;
* `analyze`: the use cases the command runs (`plan_run` from the template file and `--arg`s,
  the Measurer with `--allow-secrets`, `run_schedule`, `run_document`), sleeping on the
  same fake clock.

The status the controller wrote and the status of analyze's document must be equal, key for
key: phase, message, times, runSummary, every metric result and measurement; and both must
have asked Prometheus the same questions with the Secret's value. Covered: instant queries
with a Secret in a header, a rangeQuery metric, a dryRun metric, and a Secret whose data is
not base64 (the same message from both). Not covered: providers other than Prometheus,
consecutiveSuccessLimit, and inconclusive limits; a change there can go unnoticed.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.analysis import args as analysis_args
from kubectl_rollouts_py.kube.options import ConnectionOptions
from kubectl_rollouts_py.kube.source import Source, open_source
from kubectl_rollouts_py.ops import analysis as ops_analysis
from kubectl_rollouts_py.ops import analysis_run
from kubectl_rollouts_py.sandbox import controller as sim
from kubectl_rollouts_py.sandbox.apiserver import APIServer
from tests.analysis.promharness import Seen, StubServer

NS = "analysis-docs"
START = dt.datetime(2026, 3, 14, 12, 0, 0, tzinfo=dt.timezone.utc)
TOKEN = "t0ken-in-a-secret"

# metric name -> the values its Prometheus answers, in order
ANSWERS = {
    "success-rate": [0.99, 0.42, 0.97, 0.98],
    "latency": [0.120, 0.180, 0.950],
}


class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def sleep_until(self, moment: dt.datetime) -> None:
        self.now = max(self.now, moment)


def vector(value: float) -> dict[str, Any]:
    return {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1773489600, repr(value)]}]}}


def script(stub: StubServer) -> None:
    """Each metric's answers, one per query, in order (the metric's address names its path)."""
    stub.first.clear()
    for name, values in ANSWERS.items():
        for value in values:
            stub.reply(200, vector(value), on=f"/{name}/api/v1/query", once=True)


def asked(seen: Seen) -> tuple[str, dict[str, str], str | None]:
    """What a request to the stub asked: path, query parameters (form or URL; the time to the
    second, as the documents keep it: the sandbox's resync passes may fall a few ms earlier
    than analyze's waits), credentials."""
    params = {**seen.query, **seen.form}
    for key in ("time", "start", "end"):
        if key in params:
            params[key] = str(int(float(params[key])))
    return seen.path, params, seen.headers.get("authorization")


RANGE = {"start": "now() - duration('1m')", "end": "now()", "step": "30s"}


def matrix(value: float) -> dict[str, Any]:
    return {"status": "success", "data": {"resultType": "matrix",
                                          "result": [{"metric": {}, "values": [[1773489570, repr(value)], [1773489600, "1"]]}]}}


def script_variant(stub: StubServer, variant: str) -> None:
    """`script`, with the success-rate answers as matrices on query_range for "range-query"."""
    script(stub)
    if variant == "range-query":
        stub.first[:] = [(on, reply) for on, reply in stub.first if not on.startswith("/success-rate/")]
        for value in ANSWERS["success-rate"]:
            stub.reply(200, matrix(value), on="/success-rate/api/v1/query_range", once=True)


def variant_of(base: dict[str, Any], variant: str) -> dict[str, Any]:
    """The template of a variant: "instant" (as is), "range-query" (success-rate reads a
    rangeQuery), "dry-run" (latency is a dryRun metric: its failure does not fail the run;
    success-rate takes four measurements)."""
    doc = json.loads(json.dumps(base))
    metrics = {m["name"]: m for m in doc["spec"]["metrics"]}
    if variant == "range-query":
        metrics["success-rate"]["provider"]["prometheus"]["rangeQuery"] = RANGE
    elif variant == "dry-run":
        doc["spec"]["dryRun"] = [{"metricName": "latency"}]
        metrics["success-rate"]["count"] = 4
    return doc


def template(prometheus: str) -> dict[str, Any]:
    """Two metrics with their own schedules; the second fails on its third answer, which
    terminates the first (Argo's run then ends Failed); a Secret travels in a header."""
    headers = [{"key": "Authorization", "value": "Bearer {{args.token}}"}]

    def provider(name: str, query: str) -> dict[str, Any]:
        return {"prometheus": {"address": f"{prometheus}/{name}", "query": query, "headers": headers}}

    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisTemplate",
        "metadata": {"name": "canary-checks", "namespace": NS},
        "spec": {
            "args": [{"name": "canary-hash"}, {"name": "token", "valueFrom": {"secretKeyRef": {"name": "prom-auth", "key": "token"}}}],
            "metrics": [
                {"name": "success-rate", "interval": "10s", "count": 6, "failureLimit": 1,
                 "successCondition": "result[0] >= 0.95",
                 "provider": provider("success-rate", 'sum(rate(requests{hash="{{args.canary-hash}}",code!~"5.."}[1m]))')},
                {"name": "latency", "initialDelay": "5s", "interval": "15s", "count": 3,
                 "successCondition": "result[0] < 0.5",
                 "provider": provider("latency", 'histogram_quantile(0.99, latency{hash="{{args.canary-hash}}"})')},
            ],
        },
    }


@dataclass
class Cluster:
    server: APIServer
    source: Source
    clock: FakeClock
    stub: StubServer
    template: dict[str, Any]


@pytest.fixture()
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    clock = FakeClock()
    stub = StubServer()
    with APIServer(clock=clock) as server:
        server.seed([
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "prom-auth", "namespace": NS}, "type": "Opaque",
             "data": {"token": base64.b64encode(TOKEN.encode()).decode()}},
        ])
        kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig", namespace=NS)
        with open_source(ConnectionOptions(kubeconfig=str(kubeconfig))) as source:
            yield Cluster(server, source, clock, stub, template(stub.url))
    stub.stop()


def sandbox_run(c: Cluster) -> dict[str, Any]:
    """The run as the sandbox's controller drives it, read back from the API server."""
    spec = analysis_args.new_run_spec([c.template], [], [analysis_args.Argument("canary-hash", "7d9f8c6b5")])
    c.server.seed([{"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisRun",
                    "metadata": {"name": "canary-checks-run", "namespace": NS}, "spec": spec}])
    controller = sim.Controller(c.source, NS, wall=c.clock)
    for _ in range(200):
        wait = controller.reconcile()
        run = c.server.get_object("analysisruns", NS, "canary-checks-run")
        assert run is not None
        if (run.get("status") or {}).get("phase") in ("Successful", "Failed", "Error", "Inconclusive"):
            return run
        # As the controller's loop waits: until the run is due, and a pass every RESYNC_SECONDS.
        wait = sim.RESYNC_SECONDS if wait is None else max(0.0, min(sim.RESYNC_SECONDS, wait))
        c.clock.now += dt.timedelta(seconds=wait)
    raise AssertionError("the sandbox's run did not complete")


def analyze_document(c: Cluster, tmp_path: Path) -> dict[str, Any]:
    """The run as `analyze -f FILE --arg canary-hash=... --allow-secrets` drives it."""
    path = tmp_path / "template.json"
    path.write_text(json.dumps(c.template))
    inputs = ops_analysis.Inputs(None, str(path), False, ("canary-hash=7d9f8c6b5",), None, True)
    cluster = ops_analysis.Connected(c.source)
    warnings: list[str] = []
    plan = ops_analysis.plan_run(inputs, cluster, warnings.append)
    measurer = analysis_run.Measurer.for_plan(plan, c.clock, resolve_secret=analysis_run.SecretReader(cluster))
    measurer.check_secrets()
    created = c.clock()
    status = analysis_run.run_schedule(plan.spec, measurer.measure, clock=c.clock, sleep_until=c.clock.sleep_until,
                                       show=lambda _status, _next: None)
    return analysis_run.run_document(plan, status, created)


@pytest.mark.parametrize("variant", ["instant", "range-query", "dry-run"])
def test_the_sandbox_and_analyze_write_the_same_analysis_run(cluster: Cluster, tmp_path: Path, variant: str) -> None:
    cluster.template = variant_of(cluster.template, variant)
    script_variant(cluster.stub, variant)
    from_sandbox = sandbox_run(cluster)
    sandbox_queries = [asked(seen) for seen in cluster.stub.seen]

    cluster.clock.now = START
    cluster.stub.seen.clear()
    script_variant(cluster.stub, variant)
    from_analyze = analyze_document(cluster, tmp_path)
    analyze_queries = [asked(seen) for seen in cluster.stub.seen]

    assert from_sandbox["status"] == from_analyze["status"]
    assert from_sandbox["spec"]["args"] == from_analyze["spec"]["args"]
    # Both asked the same questions (query, time), in the same order per metric, with the Secret's value.
    for name in ANSWERS:
        questions = [q for q in sandbox_queries if q[0].startswith(f"/{name}/")]
        assert questions == [q for q in analyze_queries if q[0].startswith(f"/{name}/")]
        assert questions and all(auth == f"Bearer {TOKEN}" and (params.get("time") or params.get("start"))
                                 for _, params, auth in questions)
    assert TOKEN not in json.dumps(from_sandbox) + json.dumps(from_analyze)
    status = from_analyze["status"]
    results = {r["name"]: r for r in status["metricResults"]}
    if variant == "dry-run":
        # The latency metric fails as a dry run: recorded, not counted; success-rate decides.
        assert status["phase"] == "Successful", status
        assert results["latency"]["phase"] == "Failed" and results["latency"].get("dryRun") is True
        assert status["dryRunSummary"]["failed"] == 1
        return
    # The run is a real one: the latency metric fails, the other is cut short, Argo's message.
    assert status["phase"] == "Failed"
    assert status["message"] == 'Metric "latency" assessed Failed due to failed (1) > failureLimit (0)'
    assert [m["value"] for m in results["latency"]["measurements"]] == ["[0.12]", "[0.18]", "[0.95]"]
    assert results["success-rate"]["failed"] == 1 and results["success-rate"]["phase"] == "Successful"
    assert status["runSummary"] == {"count": 2, "successful": 1, "failed": 1}
    if variant == "range-query":
        assert any(q[0] == "/success-rate/api/v1/query_range" and q[1].get("step") == "30" for q in analyze_queries), analyze_queries
        assert [m["value"] for m in results["success-rate"]["measurements"]][:2] == ["[0.99,1]", "[0.42,1]"]


def test_a_secret_that_is_not_base64_is_the_same_error_on_both_paths(cluster: Cluster, tmp_path: Path) -> None:
    cluster.server.apply_change({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "prom-auth", "namespace": NS},
                                 "type": "Opaque", "data": {"token": "not base64!"}})
    script(cluster.stub)
    status = sandbox_run(cluster)["status"]
    with pytest.raises(errors.RolloutsError) as raised:
        analyze_document(cluster, tmp_path)
    # analyze stops before measuring, with the cause after Argo's prefix; the sandbox's run,
    # as Argo's controller does, measures Error with that cause until the error limit ends it.
    cause = "key 'token' of secret 'prom-auth' is not valid base64"
    assert raised.value.message == analysis_args.UNABLE_TO_RESOLVE + cause
    assert status["phase"] == "Error", status
    messages = {m.get("message") for r in status["metricResults"] for m in r.get("measurements") or [] if m["phase"] == "Error"}
    assert messages == {cause}, messages
    assert cause in status["message"]


def test_a_measurer_for_an_analysis_run_object_measures_its_metrics_with_its_args() -> None:
    spec = analysis_args.new_run_spec([template("http://127.0.0.1:1")], [], [analysis_args.Argument("canary-hash", "7d9f8c6b5")])
    prepared = analysis_args.prepare_run(spec)
    assert prepared.spec is not None
    measurer = analysis_run.Measurer.for_run_spec(prepared.spec, spec, FakeClock())
    assert measurer.raw == {m["name"]: m for m in spec["metrics"]}
    assert [arg.name for arg in measurer.arguments] == [arg["name"] for arg in spec["args"]]
