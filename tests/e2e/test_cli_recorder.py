"""The flight recorder end to end: the installed CLI's `record` follows the stand-in API
server while a canary fails its analysis and the AnalysisRun is then deleted; afterwards,
with no cluster, `history`, `report` and `replay` read the recording."""

from __future__ import annotations

import datetime as dt
import json
import signal
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kubectl_rollouts_py.sandbox.apiserver import APIServer

from .recorder_scenario import (
    NAME,
    RUN,
    Canary,
    count_versions,
    old_objects,
    start_recorder,
    stop_recorder,
    wait_for,
)
from .standin import NS, assert_one_error_line, run_cli


def _utc(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Record the failing canary once; the tests read the file the recorder left."""
    tmp = tmp_path_factory.mktemp("recorder")
    db = tmp / "state" / "rollouts.db"
    kubeconfig = tmp / "kubeconfig"
    moments: dict = {"db": db, "tmp": tmp}
    with APIServer() as srv:
        srv.seed(old_objects())
        srv.write_kubeconfig(kubeconfig, namespace=NS)
        proc = start_recorder(kubeconfig, db, "-n", NS)
        wait_for(lambda: count_versions(db, "Pod") >= 4)
        canary = Canary(srv)
        canary.start_revision_2()
        wait_for(lambda: count_versions(db, "ReplicaSet") >= 2)
        canary.pause_with_analysis()
        wait_for(lambda: count_versions(db, "AnalysisRun") >= 1)
        time.sleep(0.3)
        moments["paused"] = dt.datetime.now(dt.timezone.utc)
        time.sleep(0.3)
        canary.fail_analysis()
        wait_for(lambda: count_versions(db, "AnalysisRun") >= 2)
        canary.abort()
        wait_for(lambda: count_versions(db, "Rollout") >= 5)
        canary.delete_run()
        wait_for(lambda: count_versions(db, "AnalysisRun") >= 3)
        assert srv.get_object("analysisruns", NS, RUN) is None
        moments["code"], moments["err"] = stop_recorder(proc)
    return moments


def test_record_stops_on_sigterm_with_143_after_committing(recorded: dict) -> None:
    assert recorded["code"] == 143, recorded["err"]
    assert "recording namespace ithome into" in recorded["err"]
    assert recorded["err"].strip().splitlines()[-1].startswith("Error: interrupted by SIGTERM: ")
    assert "Traceback" not in recorded["err"]


def test_history_from_the_recording_shows_the_deleted_runs_verdict(recorded: dict) -> None:
    result = run_cli("history", NAME, "-n", NS, "--db", str(recorded["db"]), env={"KUBECONFIG": "/nonexistent"})
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == f"Rollout {NAME} in namespace {NS}, from the recording"
    assert "Revision 2  aborted (current)" in lines
    assert "Revision 1  promoted" in result.out
    assert f"Analysis:  {RUN}  Failed [deleted from the cluster" in result.out
    assert "success-rate=[0.4] (Failed)" in result.out
    document = json.loads(run_cli("history", NAME, "-n", NS, "--db", str(recorded["db"]), "-o", "json").out)
    newest = document["revisions"][0]
    assert (newest["revision"], newest["outcome"], newest["images"]) == (2, "aborted", ["luciferstut/app-backend-for-ithome2024:2.0"])
    assert newest["analysisRuns"][0]["deletedAt"] is not None
    assert [s["step"] for s in newest["steps"]] == ["setWeight 10", "pause (until promoted)", "setWeight 50", "pause 3m"]


def test_history_revision_shows_every_measurement_and_the_template_diff(recorded: dict) -> None:
    result = run_cli("history", NAME, "-n", NS, "--db", str(recorded["db"]), "--revision", "2")
    assert result.code == 0, result.err
    for value in ("[0.99]", "[0.42]", "[0.4]"):
        assert value in result.out
    assert "Metric success-rate: Failed; 1 successful, 2 failed (limit 1)" in result.out
    diff = result.out.split("Pod template:\n", 1)[1].splitlines()
    assert diff[:6] == [
        "  --- revision 1",
        "  +++ revision 2",
        "  -spec.containers[app-backend].image: luciferstut/app-backend-for-ithome2024:1.0",
        "  +spec.containers[app-backend].image: luciferstut/app-backend-for-ithome2024:2.0",
        "  -spec.containers[app-backend].env[MODE].value: calm",
        "  +spec.containers[app-backend].env[MODE].value: eager",
    ]


def test_report_junit_is_xml_with_the_failed_metric_as_a_failure(recorded: dict) -> None:
    result = run_cli("report", NAME, "-n", NS, "--db", str(recorded["db"]), "--format", "junit")
    assert result.code == 0, result.err
    root = ET.fromstring(result.out)
    (suite,) = root.findall("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("1", "1")
    (case,) = suite.findall("testcase")
    assert case.get("name") == "success-rate"
    failure = case.find("failure")
    assert failure is not None and "2 failed of 3 (limit 1)" in failure.get("message", "")
    assert "[0.42]" in (failure.text or "")


def test_report_markdown_and_html(recorded: dict) -> None:
    markdown = run_cli("report", NAME, "-n", NS, "--db", str(recorded["db"]))
    assert markdown.code == 0, markdown.err
    assert markdown.out.startswith(f"# Rollout {NAME}, revision 2: aborted (current)\n")
    assert "#### Metric success-rate: Failed" in markdown.out and "```diff" in markdown.out
    page = run_cli("report", NAME, "-n", NS, "--db", str(recorded["db"]), "--format", "html")
    assert page.code == 0, page.err
    assert page.out.startswith("<!DOCTYPE html>") and "<svg" in page.out and "<script" not in page.out
    assert "src=" not in page.out and "href=" not in page.out  # self-contained


def test_replay_before_the_abort_shows_the_rollout_paused(recorded: dict) -> None:
    at = _utc(recorded["paused"])
    result = run_cli("replay", NAME, "-n", NS, "--db", str(recorded["db"]), "--at", at)
    assert result.code == 0, result.err
    assert "Status:          ॥ Paused" in result.out
    assert f"{NAME}-6d8f9c7b5" in result.out
    document = json.loads(run_cli("replay", NAME, "-n", NS, "--db", str(recorded["db"]), "--at", at, "-o", "json").out)
    assert document["status"] == "Paused"
    latest = run_cli("replay", NAME, "-n", NS, "--db", str(recorded["db"]))
    assert "✖ Degraded" in latest.out


def test_the_recording_is_owner_only(recorded: dict) -> None:
    db: Path = recorded["db"]
    assert db.stat().st_mode & 0o777 == 0o600
    assert db.parent.stat().st_mode & 0o777 == 0o700


def test_bad_recordings_are_one_error_line_and_left_alone(recorded: dict, tmp_path: Path) -> None:
    import shutil
    import sqlite3

    newer = tmp_path / "newer.db"
    shutil.copy(recorded["db"], newer)
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"\x00garbage" * 512)
    for path, words in ((newer, "newer than this"), (corrupt, "not an SQLite database")):
        before = path.read_bytes()
        for args in (["history", NAME, "--db", str(path)], ["record", "--db", str(path), "-s", "http://127.0.0.1:9"]):
            line = assert_one_error_line(run_cli(*args, "-n", NS))
            assert words in line
        assert path.read_bytes() == before
    (tmp_path / "file").write_text("x")
    line = assert_one_error_line(run_cli("record", "--db", str(tmp_path / "file" / "r.db"), "-n", NS, "-s", "http://127.0.0.1:9"))
    assert "cannot create the recording" in line
    line = assert_one_error_line(run_cli("replay", NAME, "-n", NS, "--db", str(tmp_path / "missing.db")))
    assert "no recording at" in line
    line = assert_one_error_line(run_cli("history", "nope", "-n", NS, "--db", str(recorded["db"])))
    assert line == 'Error: rollout "nope" was never recorded in namespace "ithome"'


def test_history_from_the_live_cluster_and_from_files(tmp_path: Path) -> None:
    from .standin import app_backend_objects

    with APIServer() as srv:
        srv.seed(app_backend_objects())
        kubeconfig = srv.write_kubeconfig(tmp_path / "kubeconfig", namespace=NS)
        live = run_cli("history", NAME, kubeconfig=kubeconfig)
        detail = run_cli("history", NAME, "--revision", "2", "-o", "yaml", kubeconfig=kubeconfig)
    assert live.code == 0, live.err
    assert live.out.splitlines()[0] == f"Rollout {NAME} in namespace {NS}, from the cluster (what it still holds)"
    assert "Revision 2  current" in live.out and "Revision 1  promoted" in live.out
    assert "Analysis:  app-backend-6d8f9c7b5-2  Running: success-rate=[0.99] (Running)" in live.out
    assert "outcome: current" in detail.out and "kind: RolloutRevision" in detail.out
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": app_backend_objects()}))
    offline = run_cli("history", NAME, "-n", NS, "--from-file", str(saved))
    assert offline.code == 0 and "from saved files" in offline.out and "Revision 2  current" in offline.out
    line = assert_one_error_line(run_cli("history", NAME, "--db", "x.db", "--from-file", str(saved)), code=2)
    assert line == "Error: --db and --from-file cannot be used together"


@pytest.mark.skipif(__import__("shutil").which("tmux") is None, reason="tmux is not installed")
def test_replay_on_a_terminal_steps_through_the_changes(recorded: dict, tmp_path: Path) -> None:
    import os

    from .standin import cli_path
    from .test_live_terminal import Terminal

    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "TERM": "xterm-256color", "KUBECONFIG": "/nonexistent"}
    term = Terminal(tmp_path, [cli_path(), "replay", NAME, "-n", NS, "--db", str(recorded["db"])], env)
    try:
        term.wait_for(lambda s: "✖ Degraded" in s and " of " in s)
        last = term.screen().splitlines()[0]
        total = int(last.split(" of ")[-1].split(",")[0])
        assert last.startswith(f"Replay of {NAME}: change {total} of {total}, ")
        term.keys("Left")
        term.wait_for(lambda s: s.startswith(f"Replay of {NAME}: change {total - 1} of {total}"))
        term.keys("Home")
        term.wait_for(lambda s: s.startswith(f"Replay of {NAME}: change 1 of {total}") and "✔ Healthy" in s)
        term.keys("Right", "Right", "Right")
        term.wait_for(lambda s: s.startswith(f"Replay of {NAME}: change 4 of {total}"))
        term.keys("q")
        term.wait_for(lambda s: "EXIT=0" in s)
    finally:
        term.close()
