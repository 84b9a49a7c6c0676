"""Hardening of the writing commands (issue 20): hostile answers, names, output errors.

* Every write command against a server (a proxy in front of the stand-in) whose answers to
  writes name another object, with escape sequences in the name: one `Error:` line, no raw
  control byte anywhere in the output, the confirmation never names the answer's object.
* Names that are not Kubernetes names are refused (exit 2) before any request is sent.
* A full disk or a closed stdout is one clear `Error:` line and exit 1.
"""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.e2e.standin import IMAGE, NS, cli_path, run_cli
from tests.faults import matrix
from tests.faults.test_matrix_writes import WRITE_COMMANDS
from tests.kube.support import write_kubeconfig

HOSTILE = "evil\x1b]0;pwned\x07\x1b[2J\x9b31m\u202e"
# Any C0 control but newline, DEL, C1 controls, bidi overrides: none may reach a terminal raw.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class _AnswerRewriter:
    """A proxy in front of the stand-in that passes requests through and rewrites the name
    in every answer to a write with `rename(name)`."""

    def __init__(self, upstream: str, rename: Any) -> None:
        target = urlsplit(upstream)
        rewriter = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "authorization", "accept")}
                conn.request(self.command, self.path, body=body, headers=headers)
                answer = conn.getresponse()
                data = answer.read()
                if self.command != "GET" and 200 <= answer.status < 300:
                    obj = json.loads(data)
                    obj.setdefault("metadata", {})["name"] = rename(obj["metadata"].get("name", ""))
                    data = json.dumps(obj).encode()
                    rewriter.rewritten += 1
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.getheader("Content-Type") or "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

        self.rewritten = 0
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _prepare(srv: Any, args: tuple[str, ...], files: tuple[tuple[str, dict[str, Any]], ...]) -> tuple[str, ...]:
    for name, obj in files:
        (srv.tmp / name).write_text(yaml.safe_dump(obj))
    return tuple(a.replace("{dir}", str(srv.tmp)) for a in args)


def _assert_terminal_safe(text: str) -> None:
    found = RAW_CONTROL.search(text)
    assert found is None, f"raw control {found.group()!r} in {text!r}"


@pytest.fixture
def hostile_cluster(request: pytest.FixtureRequest) -> Iterator[tuple[Any, _AnswerRewriter, Path]]:
    rename = request.param
    with matrix.cluster() as srv:
        proxy = _AnswerRewriter(srv.url, rename)
        kubeconfig = srv.tmp / "hostile-kubeconfig"
        write_kubeconfig(kubeconfig, proxy.url, transport="http.client", namespace=NS)
        try:
            yield srv, proxy, kubeconfig
        finally:
            proxy.close()


ANSWERS = {
    "escapes in the name": lambda name: name + HOSTILE,
    "another object": lambda name: "someone-else",
}


@pytest.mark.parametrize("hostile_cluster", list(ANSWERS.values()), ids=list(ANSWERS), indirect=True)
@pytest.mark.parametrize("command", list(WRITE_COMMANDS))
def test_a_write_answered_for_another_object_is_an_error_line_with_no_raw_control(hostile_cluster, command: str) -> None:
    srv, proxy, kubeconfig = hostile_cluster
    spec = WRITE_COMMANDS[command]
    result = run_cli(*_prepare(srv, spec.args, spec.files), kubeconfig=kubeconfig)
    assert proxy.rewritten >= 1
    _assert_terminal_safe(result.out + result.err)
    assert result.code == 1, (result.out, result.err)
    errors = [line for line in result.err.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "answered" in errors[0] and "another object" in errors[0], result.err
    assert "someone-else" in errors[0] or "\\x1b]0;pwned\\x07" in errors[0]
    # No confirmation that names the answer's object (or any).
    assert result.out == "" or "someone-else" not in result.out and "pwned" not in result.out
    assert "Traceback" not in result.err


@pytest.mark.parametrize("hostile_cluster", [lambda name: name + HOSTILE], ids=["escapes after the prefix"], indirect=True)
def test_a_generated_name_with_escapes_is_shown_escaped(hostile_cluster) -> None:
    # The server names an object made with --generate-name: its answer is shown, escaped.
    srv, proxy, kubeconfig = hostile_cluster
    result = run_cli("create", "analysisrun", "--from", matrix.TEMPLATE, "--generate-name", "manual-", kubeconfig=kubeconfig)
    assert result.code == 0, result.err
    _assert_terminal_safe(result.out + result.err)
    assert result.out.startswith("analysisrun.argoproj.io/manual-") and "\\x1b]0;pwned\\x07" in result.out


@pytest.mark.parametrize("hostile_cluster", [lambda name: "not-the-prefix"], ids=["another prefix"], indirect=True)
def test_a_generated_name_without_the_prefix_is_an_error(hostile_cluster) -> None:
    srv, proxy, kubeconfig = hostile_cluster
    result = run_cli("create", "analysisrun", "--from", matrix.TEMPLATE, "--generate-name", "manual-", kubeconfig=kubeconfig)
    assert result.code == 1 and 'a name starting "manual-"' in result.err and "not-the-prefix" in result.err


# ------------------------------------------------------------------------------ names

BAD_NAMES = {
    "get rollout a/b": ("get", "rollout", "a/b"),
    "get rollout x?y=1": ("get", "rollout", "x?y=1"),
    "get rollout %2F": ("get", "rollout", "a%2Fb"),
    "abort x/status": ("abort", "x/status"),
    "promote ..": ("promote", ".."),
    "promote --full ..": ("promote", "--full", ".."),
    "pause Upper": ("pause", "App-Backend"),
    "retry rollout a/b": ("retry", "rollout", "a/b"),
    "restart a/b": ("restart", "a/b"),
    "set image a/b": ("set", "image", "a/b", f"app={IMAGE}:2"),
    "undo ..": ("undo", ".."),
    "retry experiment ../x": ("retry", "experiment", "../x"),
    "terminate analysisrun a/b": ("terminate", "analysisrun", "a/b"),
    "terminate experiment a?b": ("terminate", "experiment", "a?b"),
    "status a/b": ("status", "a/b", "--watch=false"),
    "get experiment a/b": ("get", "experiment", "a/b"),
    "get analysisrun a/b": ("get", "analysisrun", "a/b"),
    "create analysisrun --from a/b": ("create", "analysisrun", "--from", "a/b"),
    "too long": ("get", "rollout", "a" * 254),
    "good and bad names": ("promote", "app-backend", "a/b"),
    "namespace a/b": ("get", "rollout", "app-backend", "-n", "a/b"),
    "abort --dry-run x/status": ("abort", "x/status", "--dry-run"),
}


@pytest.mark.parametrize("command", list(BAD_NAMES))
def test_a_name_that_is_no_kubernetes_name_is_refused_before_any_request(command: str) -> None:
    with matrix.cluster() as srv:
        srv.clear_requests()
        result = run_cli(*BAD_NAMES[command], kubeconfig=srv.kubeconfig)
        assert result.code == 2, (result.out, result.err)
        assert result.err.startswith("Error: invalid ") and "RFC 1123" in result.err or "no more than" in result.err
        assert len(result.err.splitlines()) == 1
        assert [r.path for r in srv.requests] == []


def test_a_name_looked_up_in_files_is_checked_too(tmp_path: Path) -> None:
    rollout = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "web", "namespace": "default"}}
    path = tmp_path / "ro.yaml"
    path.write_text(yaml.safe_dump(rollout))
    result = run_cli("get", "rollout", "a/b", "--from-file", str(path))
    assert result.code == 2 and "invalid rollout name" in result.err


def test_paths_are_percent_encoded() -> None:
    from kubectl_rollouts_py.kube import resources as r

    assert r.ROLLOUTS.path("ns", "web.v1", "status") == "/apis/argoproj.io/v1alpha1/namespaces/ns/rollouts/web.v1/status"
    for bad in ("a/b", "..", "x?y=1", "a%2Fb", "A", "-a", "a-", "", "a" * 254):
        with pytest.raises(Exception) as raised:
            r.ROLLOUTS.path("ns", bad)
        assert type(raised.value).__name__ == "UsageError"
    with pytest.raises(Exception):
        r.PODS.path("a/b", "x")
    assert r.name_problem("a" * 63, "label") is None and r.name_problem("a" * 64, "label")
    assert r.name_problem("a.b-c", "label") and r.name_problem("a.b-c") is None


# ------------------------------------------------------------------------------ output errors


def _run_with_stdout(args: list[str], kubeconfig: Path, stdout: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([cli_path(), *args, "--kubeconfig", str(kubeconfig)], stdout=stdout, stderr=subprocess.PIPE,
                          text=True, timeout=30, check=False)


@pytest.mark.parametrize("args", [["get", "rollout", "app-backend"], ["list", "rollouts"], ["version"], ["--help"],
                                  ["promote", "app-backend"]], ids=" ".join)
def test_a_full_disk_is_one_error_line(args: list[str]) -> None:
    with matrix.cluster() as srv, open("/dev/full", "w") as full:
        result = _run_with_stdout(args, srv.kubeconfig, full)
    assert result.returncode == 1
    assert result.stderr == "Error: cannot write the output: No space left on device\n"


@pytest.mark.parametrize("args", [["get", "rollout", "app-backend"], ["version"], ["promote", "app-backend"]], ids=" ".join)
def test_a_closed_stdout_is_one_error_line(args: list[str]) -> None:
    with matrix.cluster() as srv:
        # stdout closed in the child (`>&-`): Python starts with sys.stdout None.
        result = subprocess.run(["sh", "-c", '"$@" >&-', "sh", cli_path(), *args, "--kubeconfig", str(srv.kubeconfig)],
                                stderr=subprocess.PIPE, text=True, timeout=30, check=False)
    assert result.returncode == 1
    assert result.stderr == "Error: cannot write the output: standard output is closed\n"


def test_a_closed_pipe_stays_quiet() -> None:
    with matrix.cluster() as srv:
        result = subprocess.run(["sh", "-c", '"$@" | head -c 1 >/dev/null', "sh", cli_path(), "get", "rollout", "app-backend",
                                 "--kubeconfig", str(srv.kubeconfig)], stderr=subprocess.PIPE, text=True, timeout=30, check=False)
    assert result.returncode == 0 and result.stderr == ""
