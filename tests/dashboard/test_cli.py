"""`kubectl-rollouts_py dashboard` as installed: prints the URL, serves, stops cleanly on
Ctrl-C (SIGINT) and on SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.request

import pytest

from e2e.conftest import find_console_script

URL = re.compile(r"http://127\.0\.0\.1:(\d+)/")


def start(cluster, *args: str) -> tuple[subprocess.Popen, str, str]:
    script = find_console_script()
    if script is None:
        pytest.skip("kubectl-rollouts_py is not installed (pip install .)")
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env["KUBECONFIG"] = str(cluster.kubeconfig)
    proc = subprocess.Popen([script, "dashboard", "--port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, env=env)
    line = proc.stdout.readline()  # type: ignore[union-attr]
    match = URL.search(line)
    assert match, (line, proc.stderr.read() if proc.poll() is not None else "")  # type: ignore[union-attr]
    return proc, match.group(0), line


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_prints_the_url_serves_and_stops_cleanly(cluster, sig) -> None:
    proc, url, _ = start(cluster)
    try:
        deadline = time.monotonic() + 10
        while True:
            with urllib.request.urlopen(url + "api/v1/rollouts", timeout=5) as resp:
                items = json.load(resp)["items"]
            if items or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert [i["name"] for i in items] == ["app-backend"]
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Dashboard stopped." in out and "Traceback" not in err


def test_read_only_and_all_namespaces_are_said_at_start(cluster) -> None:
    proc, _, first = start(cluster, "--read-only", "-A")
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert first.startswith("Dashboard for all namespaces, read-only: http://127.0.0.1:")


def test_a_busy_port_is_one_error_line(cluster) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        script = find_console_script()
        if script is None:
            pytest.skip("kubectl-rollouts_py is not installed")
        proc = subprocess.run([script, "dashboard", "--port", str(port)], capture_output=True, text=True, timeout=30,
                              env={**os.environ, "KUBECONFIG": str(cluster.kubeconfig)}, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1 and proc.stderr.startswith("Error: cannot serve on 127.0.0.1:") and proc.stdout == ""
