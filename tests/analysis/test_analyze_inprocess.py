"""`analyze`, `history --db` and `record` take the kubeconfig, the Prometheus address and the
recording's default path from the injected Environment (tests/inprocess.py), never from
this process's os.environ or sys.stdout."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.recording.sqlite import open_recording
from tests.inprocess import environment, run_cli

from .analyze_objects import success_rate_metric, template
from .promharness import StubServer

ANSWER = {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, "0.99"]}]}}


def kubeconfig(tmp_path: Path, namespace: str) -> Path:
    path = tmp_path / "config"
    path.write_text(textwrap.dedent(f"""\
        apiVersion: v1
        kind: Config
        clusters: [{{name: c, cluster: {{server: "https://127.0.0.1:1"}}}}]
        users: [{{name: u, user: {{token: t}}}}]
        contexts: [{{name: x, context: {{cluster: c, user: u, namespace: {namespace}}}}}]
        current-context: x
    """))
    return path


def test_analyze_takes_the_namespace_and_the_prometheus_address_from_the_injected_environment(
        stub: StubServer, tmp_path: Path) -> None:
    stub.reply(200, ANSWER)
    doc = template(args=[{"name": "canary-hash", "value": "good"}],
                   metrics=[success_rate_metric(provider={"prometheus": {"query": "up"}})])
    del doc["metadata"]["namespace"]  # the namespace then comes from the kubeconfig's context
    path = tmp_path / "template.json"
    path.write_text(json.dumps(doc))
    environ = {"HOME": str(tmp_path), "KUBECONFIG": str(kubeconfig(tmp_path, "from-kubeconfig")),
               "ARGO_ROLLOUTS_PROMETHEUS_ADDRESS": stub.url}
    result = run_cli(["analyze", "-f", str(path), "--once", "-o", "json"], environ=environ)
    assert result.exit_code == 0, result.stderr
    view = json.loads(result.stdout)
    assert view["namespace"] == "from-kubeconfig", view
    assert any(s.path == "/api/v1/query" for s in stub.seen), "the injected Prometheus address was not used"


def test_analyze_on_an_injected_terminal_draws_on_the_injected_stdout(stub: StubServer, tmp_path: Path) -> None:
    stub.reply(200, ANSWER)
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template(args=[{"name": "canary-hash", "value": "good"}],
                                        metrics=[success_rate_metric(count=1, failureLimit=0, interval=None)])))
    result = run_cli(["analyze", "-f", str(path), "--prometheus", stub.url],
                     environ={"HOME": str(tmp_path), "KUBECONFIG": "/nonexistent", "TERM": "xterm"}, tty=True)
    assert result.exit_code == 0, result.stderr
    assert "\x1b[?1049h" in result.stdout and "success-rate" in result.stdout  # the alternate screen, on the injected stream


def test_history_db_reads_the_namespace_from_the_injected_kubeconfig(tmp_path: Path) -> None:
    db = tmp_path / "rollouts.db"
    with open_recording(db):
        pass  # an empty recording: the error names the namespace looked in
    environ = {"HOME": str(tmp_path), "KUBECONFIG": str(kubeconfig(tmp_path, "from-kubeconfig"))}
    result = run_cli(["history", "app-backend", "--db", str(db)], environ=environ)
    assert result.exit_code == 1
    assert "from-kubeconfig" in result.stderr, result.stderr


def test_the_recording_s_default_path_comes_from_the_injected_environment(tmp_path: Path) -> None:
    env = environment(environ={"XDG_STATE_HOME": str(tmp_path / "state")}, now=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    app = App(env=env)
    assert app.recording_path(None) == tmp_path / "state" / "kubectl-rollouts-py" / "rollouts.db"
    assert app.recording_path("x.db") == Path("x.db")
    # record opens that path: under an XDG_STATE_HOME that is a file, the error names it
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    result = run_cli(["record"], environ={"HOME": str(tmp_path), "KUBECONFIG": str(kubeconfig(tmp_path, "ns")),
                                          "XDG_STATE_HOME": str(blocked)})
    assert result.exit_code == 1
    assert f"{blocked}/kubectl-rollouts-py/rollouts.db" in result.stderr, result.stderr
