"""`... | head` ends quietly with exit 0 for every printing command (real pipes), and
Ctrl-C (SIGINT) while a list waits on the API server exits 130 with one line."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from kubectl_rollouts_py.sandbox.apiserver import APIServer, Fault
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


def test_ctrl_c_during_a_list_exits_130_with_one_line(server) -> None:
    server.inject("GET", "/apis/argoproj.io/", Fault.delay(20), prefix=True, times=None)
    try:
        proc = subprocess.Popen([cli_path(), "list", "rollouts"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=_env(server), stdin=subprocess.DEVNULL, text=True)
        deadline = time.monotonic() + 15
        while not any(r.method == "GET" and "/rollouts" in r.path for r in server.requests):
            assert time.monotonic() < deadline, "the CLI never asked for the list"
            time.sleep(0.05)
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        server.clear_faults()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert err.strip().splitlines() == ["Error: interrupted"], err
    assert out == ""
