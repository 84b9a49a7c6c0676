"""`kubectl-rollouts_py dashboard` as installed: prints the URL, serves, stops cleanly on
Ctrl-C (SIGINT) and on SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
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
        deadline = time.monotonic() + 60  # a bound on a failure: the list comes once the watches have listed
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


def stop(proc: subprocess.Popen) -> tuple[str, str]:
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    return out, err


def test_port_short_flag_root_path_and_the_access_log(cluster) -> None:
    script = find_console_script()
    if script is None:
        pytest.skip("kubectl-rollouts_py is not installed (pip install .)")
    with socket.socket() as s:  # a free port for -p (closed again before the dashboard binds it)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc, _, first = start(cluster, "-p", str(port), "--root-path", "/rollouts/", "--access-log")  # start() also passes --port 0: -p wins
    logged: list[str] = []  # stderr, read as it comes: a line is written just after its answer
    reader = threading.Thread(target=lambda: logged.extend(proc.stderr), daemon=True)  # type: ignore[arg-type]
    reader.start()
    try:
        url = first.split(": ", 1)[1].strip()
        assert url == f"http://127.0.0.1:{port}/rollouts/"
        with urllib.request.urlopen(url, timeout=5) as resp:
            page = resp.read().decode()
        token = re.search(r'name="rollouts-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        req = urllib.request.Request(url + "api/v1/rollouts/ithome/app-backend/promote?token=in-the-query", data=b"{}", method="POST",
                                     headers={"X-Rollouts-Token": token, "Content-Type": "application/json",
                                              "Cookie": "session=cookie-value", "Authorization": "Bearer bearer-value"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200
        with pytest.raises(urllib.error.HTTPError) as outside:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/info", timeout=5)
        assert outside.value.code == 404
        deadline = time.monotonic() + 30  # a bound on a failure only
        while len(logged) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        reader.join(10)  # stderr's end: the reader has every line
        out = proc.stdout.read()  # type: ignore[union-attr]
    assert proc.returncode == 0
    err = "".join(logged)
    lines = [json.loads(line) for line in logged]
    # Each line is written once its answer is sent, by the request's own thread: in any order.
    assert sorted((line["method"], line["path"], line["status"]) for line in lines) == sorted([
        ("GET", "/rollouts/", 200), ("POST", "/rollouts/api/v1/rollouts/ithome/app-backend/promote", 200), ("GET", "/api/v1/info", 404)])
    for secret in (token, "in-the-query", "cookie-value", "bearer-value"):
        assert secret not in err and secret not in out


def test_on_loopback_the_access_log_is_off_unless_asked(cluster) -> None:
    proc, url, _ = start(cluster)
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            assert resp.status == 200
    finally:
        out, err = stop(proc) if proc.poll() is None else proc.communicate()
    assert err == "" and "Dashboard stopped." in out


def test_beyond_loopback_a_warning_says_who_can_reach_it(cluster) -> None:
    proc, _, _ = start(cluster, "--address", "0.0.0.0")
    out, err = stop(proc)
    (warning,) = [line for line in err.splitlines() if not line.startswith("{")]
    assert warning.startswith("Warning: serving on 0.0.0.0:") and "whoever can reach it can see these rollouts" in warning
    assert "no sign-in" in warning and "--auth proxy" in warning
    proc, _, _ = start(cluster, "--address", "0.0.0.0", "--read-only")
    assert "(read-only: no actions)" in stop(proc)[1]
    proc, _, _ = start(cluster)
    assert stop(proc)[1] == ""  # loopback and the token: nothing to warn about


def test_auth_proxy_acts_as_the_forwarded_person(cluster) -> None:
    proc, _, first = start(cluster, "--auth", "proxy", "--trusted-proxy", "127.0.0.1/32", "--trusted-proxy", "::1")
    try:
        url = first.split(": ", 1)[1].strip()
        person = {"X-Forwarded-User": "alice", "X-Forwarded-Groups": "team-a,team-b"}
        with pytest.raises(urllib.error.HTTPError) as nobody:
            urllib.request.urlopen(url, timeout=5)
        assert nobody.value.code == 401
        with urllib.request.urlopen(urllib.request.Request(url, headers=person), timeout=5) as resp:
            token = re.search(r'name="rollouts-token" content="([^"]+)"', resp.read().decode()).group(1)  # type: ignore[union-attr]
        cluster.clear_requests()
        req = urllib.request.Request(url + "api/v1/rollouts/ithome/app-backend/promote", data=b"{}", method="POST",
                                     headers={**person, "X-Rollouts-Token": token, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200
    finally:
        out, err = stop(proc) if proc.poll() is None else proc.communicate()
    patch = next(r for r in cluster.requests if r.method == "PATCH")
    assert patch.headers.get_all("Impersonate-User") == ["alice"] and patch.headers.get_all("Impersonate-Group") == ["team-a", "team-b"]
    warning = err.splitlines()[0]
    assert warning.startswith("Warning: serving on 127.0.0.1:") and "only requests from the trusted proxies (127.0.0.1/32, ::1/128)" in warning
    assert "X-Forwarded-User" in warning and "Impersonate-User" in warning and "/healthz and /readyz answer anyone" in warning
    logged = [json.loads(line) for line in err.splitlines()[1:]]
    assert [(line["status"], line.get("user")) for line in logged] == [(401, None), (200, "alice"), (200, "alice")]


@pytest.mark.parametrize("args, message", [
    (("--auth", "proxy"), "Error: --auth proxy needs --trusted-proxy CIDR"),
    (("--trusted-proxy", "10.0.0.0/8"), "Error: --trusted-proxy is only for --auth proxy"),
    (("--auth", "proxy", "--trusted-proxy", "10.0.0.300"), "Error: invalid --trusted-proxy '10.0.0.300'"),
    (("--root-path", "/a/../b"), "Error: invalid --root-path '/a/../b'"),
    (("--auth", "proxy", "--trusted-proxy", "127.0.0.1", "--as", "admin"), "Error: --auth proxy sends each action as the person"),
])
def test_bad_team_flags_are_one_error_line(cluster, args, message) -> None:
    script = find_console_script()
    if script is None:
        pytest.skip("kubectl-rollouts_py is not installed")
    proc = subprocess.run([script, "dashboard", "--port", "0", *args], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "KUBECONFIG": str(cluster.kubeconfig)}, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith(message), proc.stderr
