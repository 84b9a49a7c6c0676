"""What the dashboard's JSON documents add for the pages (issue 18): each rollout's actions
(derive/actions.py) and explanation (derive/explain.py), rows' labels and attention, metrics'
resolved queries, and the experiments' list and documents."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubectl_rollouts_py.dashboard.server import Dashboard
from kubectl_rollouts_py.sandbox.apiserver import APIServer

from dashboard.conftest import request, serve
from dashboard.gallery import NS, gallery
from inprocess import run_cli


@pytest.fixture(scope="module")
def dash(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    with APIServer() as srv:
        srv.seed(gallery(dt.datetime.now(dt.timezone.utc)))
        srv.kubeconfig = srv.write_kubeconfig(Path(tmp_path_factory.mktemp("docs")) / "kubeconfig", namespace=NS)  # type: ignore[attr-defined]
        d = serve(srv)
        d.kubeconfig = srv.kubeconfig  # type: ignore[attr-defined]
        yield d
        d.close()
        d.closing_source.close()  # type: ignore[attr-defined]


def enabled(doc: dict) -> set[str]:
    return {a["action"] for a in doc["actions"] if a["enabled"]}


def test_rows_carry_labels_and_attention(dash: Dashboard) -> None:
    rows = {row["name"]: row for row in request(dash, "GET", "/api/v1/rollouts").json()["items"]}
    assert rows["payments"]["attention"] == 0 and rows["app-backend"]["attention"] == 1
    assert rows["search"]["attention"] == 2 and rows["frontend"]["attention"] == 4
    assert rows["frontend"]["labels"] == {"team": "web", "tier": "frontend"}


def test_each_rollout_carries_its_actions_and_explanation(dash: Dashboard) -> None:
    def doc(name: str) -> dict:
        return request(dash, "GET", f"/api/v1/rollouts/{NS}/{name}").json()

    healthy, paused, aborted = doc("frontend"), doc("app-backend"), doc("payments")
    assert enabled(healthy) == {"pause", "restart", "undo"}
    assert enabled(paused) == {"promote", "promote-full", "abort", "pause", "restart", "undo"}
    assert enabled(aborted) == {"retry", "pause", "restart", "undo"}
    assert all(a["reason"] for a in healthy["actions"] if not a["enabled"])
    assert {a["action"] for a in paused["actions"] if a["destructive"]} == {"abort", "promote-full", "undo"}
    assert aborted["explain"]["kind"] == "Explanation"
    assert aborted["explain"]["causes"][0]["summary"].startswith("The rollout was aborted")
    assert [s["kind"] for s in paused["steps"]] == ["setWeight", "pause", "setWeight", "pause"]


def test_an_unresolved_query_is_marked(dash: Dashboard) -> None:
    search = request(dash, "GET", f"/api/v1/rollouts/{NS}/search").json()
    metric = search["analysis"][0]["metrics"][0]
    assert metric["queryResolved"] is False
    assert search["analysis"][0]["args"] == [{"name": "service", "value": "{{args.service-name}}", "resolved": False}]
    paused = request(dash, "GET", f"/api/v1/rollouts/{NS}/app-backend").json()
    assert paused["analysis"][0]["metrics"][0]["queryResolved"] is True


def test_experiments_list_and_document(dash: Dashboard) -> None:
    listed = request(dash, "GET", "/api/v1/experiments").json()
    assert listed["kind"] == "ExperimentList"
    assert [(x["name"], x["status"], x["rollout"], x["duration"]) for x in listed["items"]] == [("search-ab", "Running", "search", "10m")]
    doc = request(dash, "GET", f"/api/v1/experiments/{NS}/search-ab").json()
    assert doc["templates"] == [{"name": "baseline", "replicas": 1}, {"name": "canary", "replicas": 2}]
    assert sorted(rs["name"] for rs in doc["replicaSets"]) == ["search-ab-baseline-7f6d5c", "search-ab-canary-7f6d5c"]
    assert sum(len(rs["pods"]) for rs in doc["replicaSets"]) == 3
    assert [m["name"] for m in doc["analysis"][0]["metrics"]] == ["p99-latency-ms"]
    assert doc["analysis"][0]["metrics"][0]["chart"]["success"] == {"op": "<", "value": 250.0}


def test_experiment_names_are_checked(dash: Dashboard) -> None:
    bad = request(dash, "GET", f"/api/v1/experiments/{NS}/Not_A_Name")
    assert bad.status == 400 and "invalid experiment name" in bad.json()["error"]
    missing = request(dash, "GET", f"/api/v1/experiments/{NS}/nope")
    assert missing.status == 404 and missing.json()["error"] == f'experiment "nope" not found in namespace "{NS}"'


@pytest.mark.parametrize("name", ["payments", "app-backend", "frontend", "search"])
def test_the_history_panel_is_the_cli_s_history(dash: Dashboard, name: str) -> None:
    doc = request(dash, "GET", f"/api/v1/rollouts/{NS}/{name}").json()
    cli = run_cli(["history", name, "-o", "json", "-n", NS, "--kubeconfig", str(dash.kubeconfig)])  # type: ignore[attr-defined]
    assert cli.exit_code == 0, cli.stderr
    assert doc["history"] == json.loads(cli.stdout)
    assert [r["revision"] for r in doc["history"]["revisions"]] == [2, 1]


def test_the_history_says_how_each_revision_ended(dash: Dashboard) -> None:
    def outcomes(name: str) -> list[str]:
        doc = request(dash, "GET", f"/api/v1/rollouts/{NS}/{name}").json()
        return [r["outcome"] for r in doc["history"]["revisions"]]

    assert outcomes("payments") == ["aborted", "promoted"]
    assert outcomes("app-backend") == ["current", "promoted"]
