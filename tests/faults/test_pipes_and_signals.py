"""`... | head` ends quietly with exit 0 for every printing command (real pipes), the
watching ones and `analyze` included, as soon as head has its lines; Ctrl-C (SIGINT) while
a list waits on the API server exits 130 with one line; SIGINT, SIGTERM and SIGHUP end a
watch with 130, 143 and 129 whichever thread the kernel hands the signal to; an interrupted
`analyze` says how far the run got."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import time
from pathlib import Path

import pytest

from kubectl_rollouts_py.sandbox.apiserver import APIServer, Fault
from tests.analysis.analyze_objects import success_rate_metric, template
from tests.analysis.promharness import StubServer
from tests.e2e.standin import NS, app_backend_objects, cli_path

RUN = "app-backend-6d8f9c7b5-2"

PRINTING_COMMANDS = [
    ("get", "rollout", "app-backend"),
    ("get", "rollout", "app-backend", "-o", "json"),
    ("list", "rollouts"),
    ("list", "rollouts", "-o", "yaml"),
    ("status", "app-backend", "--watch=false"),
    ("get", "analysisrun", RUN),
    ("promote", "app-backend", "--dry-run"),
    ("version",),
    ("--help",),
    # The watching ones: the first frame meets the closed pipe.
    ("get", "rollout", "app-backend", "-w"),
    ("watch", "app-backend", "-o", "json"),
    ("status", "app-backend"),
    ("list", "rollouts", "-w"),
    ("get", "analysisrun", RUN, "-w"),
]

# Commands that print something, then wait (for a change, or the next measurement) with
# nothing to print: `| head -n 1` must end them when head exits, not at their next write.
WAITING_COMMANDS = [
    ("watch", "app-backend"),
    ("get", "rollout", "app-backend", "-w", "-o", "json"),
    ("status", "app-backend"),
    ("list", "rollouts", "-w"),
    ("get", "analysisrun", RUN, "-w"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    many = []
    template = app_backend_objects()[0]
    for i in range(1500):  # a list far larger than a pipe's buffer
        ro = {**template, "metadata": {**template["metadata"], "name": f"app-{i:04d}", "uid": f"uid-{i}"}}
        many.append(ro)
    with APIServer() as srv:
        srv.seed(app_backend_objects() + many)
        srv.kubeconfig = tmp_path_factory.mktemp("pipes") / "kubeconfig"  # type: ignore[attr-defined]
        srv.write_kubeconfig(srv.kubeconfig, namespace=NS)  # type: ignore[attr-defined]
        yield srv


def _env(server: APIServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "NO_COLOR")}
    env["KUBECONFIG"] = str(server.kubeconfig)
    return env


@pytest.mark.parametrize("args", PRINTING_COMMANDS, ids=" ".join)
def test_a_closed_pipe_ends_quietly(server, args) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first write: EPIPE on it
    try:
        proc = subprocess.run([cli_path(), *args], stdout=write_end, stderr=subprocess.PIPE, env=_env(server),
                              stdin=subprocess.DEVNULL, timeout=30, text=True)
    finally:
        os.close(write_end)
    assert (proc.returncode, proc.stderr) == (0, "")


def test_head_on_a_long_list_through_a_shell_pipe(server) -> None:
    script = f'set -o pipefail; "{cli_path()}" list rollouts | head -n 2; echo "status=${{PIPESTATUS[0]}}"'
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=_env(server), timeout=60)
    lines = proc.stdout.splitlines()
    assert len(lines) == 3 and lines[0].startswith("NAME") and lines[2] == "status=0", proc.stdout
    assert proc.stderr == ""


@pytest.mark.parametrize(("sig", "code", "line"), [(signal.SIGINT, 130, "Error: interrupted"),
                                                    (signal.SIGTERM, 143, "Error: interrupted by SIGTERM")],
                         ids=["SIGINT", "SIGTERM"])
def test_ctrl_c_or_sigterm_during_a_list_exits_with_one_line(server, sig, code, line) -> None:
    server.inject("GET", "/apis/argoproj.io/", Fault.delay(20), prefix=True, times=None)
    seen = len(server.requests)  # the server is the module's: earlier tests listed too
    try:
        proc = subprocess.Popen([cli_path(), "list", "rollouts"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=_env(server), stdin=subprocess.DEVNULL, text=True)
        deadline = time.monotonic() + 15
        while not any(r.method == "GET" and "/rollouts" in r.path for r in server.requests[seen:]):
            assert time.monotonic() < deadline, "the CLI never asked for the list"
            time.sleep(0.05)
        time.sleep(0.2)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
    finally:
        server.clear_faults()
    assert proc.returncode == code, err
    assert "Traceback" not in err
    assert err.strip().splitlines() == [line], err
    assert out == ""


def _through_head(server: APIServer, args: list[str] | tuple[str, ...]) -> tuple[list[str], str, float]:
    """`CLI args | head -n 1` in a shell: (stdout lines, stderr, seconds it took)."""
    line = " ".join(shlex.quote(a) for a in (cli_path(), *args))
    script = f'set -o pipefail; {line} | head -n 1; echo "status=${{PIPESTATUS[0]}}"'
    started = time.monotonic()
    # A session of its own, so a pipeline that does not end is killed whole (the CLI too).
    proc = subprocess.Popen(["bash", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_env(server), stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"{' '.join(args)} | head -n 1 did not end within 40 s")
    return out.splitlines(), err, time.monotonic() - started


@pytest.mark.parametrize("args", WAITING_COMMANDS, ids=" ".join)
def test_head_ends_a_waiting_command_when_it_exits(server, args) -> None:
    lines, err, took = _through_head(server, args)
    assert (lines[-1], err) == ("status=0", ""), (lines, err)
    assert took < 20  # not at the next change, which never comes


PROMETHEUS_ANSWER = {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1.7e9, "1"]}]}}


@pytest.fixture()
def slow_analysis(tmp_path: Path):
    """`analyze` of a metric measured every 60 s against a stub Prometheus answering 1."""
    stub = StubServer()
    stub.reply(200, PROMETHEUS_ANSWER)
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template(metrics=[success_rate_metric(interval="60s", count=3)])))
    yield ["analyze", "-f", str(path), "--arg", "canary-hash=x", "--prometheus", stub.url]
    stub.stop()


def test_head_ends_analyze_before_its_next_measurement(server, slow_analysis) -> None:
    lines, err, took = _through_head(server, slow_analysis)
    assert (lines, err) == (["Name:            success-rate", "status=0"], ""), (lines, err)
    assert took < 30  # the next measurement is 60 s away


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_analyze_says_how_far_the_run_got(server, slow_analysis, sig) -> None:
    proc = subprocess.Popen([cli_path(), *slow_analysis], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=_env(server), stdin=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        while "Next reconcile in" not in proc.stdout.readline():  # the first frame is out: waiting 60 s
            assert proc.poll() is None
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    words = {signal.SIGINT: "interrupted", signal.SIGTERM: "interrupted by SIGTERM"}[sig]
    assert proc.returncode == {signal.SIGINT: 130, signal.SIGTERM: 143}[sig], err
    assert err.strip().splitlines() == [
        f'Error: {words}: analysis "success-rate" was Running: success-rate 1 measured (1 successful)'], err


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGHUP, 129), (signal.SIGTERM, 143), (signal.SIGINT, 130)],
                         ids=["SIGHUP", "SIGTERM", "SIGINT"])
@pytest.mark.parametrize("args", [("get", "rollout", "app-backend", "-w"), ("status", "app-backend"), ("list", "rollouts", "-w")],
                         ids=" ".join)
def test_a_signal_ends_a_watch_whichever_thread_takes_it(server, args, sig, code) -> None:
    # Stopped, the CLI finds the signal waiting when SIGCONT wakes all its threads at once,
    # and whichever runs first takes it (a terminal hanging up sends SIGHUP and SIGCONT
    # together, which does this now and then). Python runs handlers in the main thread
    # only: a watch thread that took it used to leave the main thread asleep for good.
    for _ in range(3):
        proc = subprocess.Popen([cli_path(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=_env(server), stdin=subprocess.DEVNULL, text=True)
        try:
            assert proc.stdout is not None
            proc.stdout.readline()  # it is watching
            time.sleep(0.3)
            proc.send_signal(signal.SIGSTOP)
            proc.send_signal(sig)
            proc.send_signal(signal.SIGCONT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pytest.fail(f"{' '.join(args)} still running 10 s after {sig.name}")
            assert proc.returncode == code, proc.stderr.read() if proc.stderr else ""
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
