"""`analyze` tells a Prometheus answer's `warnings` on stderr (B-prometheus follow-up).

The run view has no measurement metadata, so without these lines an answer that carried
warnings looked exactly like a clean success. Each distinct warning of a metric is one
`Warning:` line on stderr (never stdout: `-o json` stays parseable), escaped and bounded
as the adapter bounds the measurement's metadata. Against the stub Prometheus.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from e2e.standin import NS, Result, cli_path, run_cli
from kubectl_rollouts_py.analysis import prometheus as adapter
from kubectl_rollouts_py.ops.analysis_run import MAX_WARNINGS_PER_METRIC

from .analyze_objects import success_rate_metric, template
from .promharness import StubServer

NOISY = "\x1b]0;pwned\x07\x1b[31mquery failed\r\nsecond line\u2028\u202e" + "x" * 20_000
PREFIX = 'Warning: metric "success-rate": Prometheus warned: '


def answer(*warnings: str) -> dict[str, Any]:
    return {"status": "success", "warnings": list(warnings),
            "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, "0.99"]}]}}


def analyze(tmp_path: Path, url: str, *extra: str, **metric: Any) -> Result:
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template(args=[{"name": "canary-hash", "value": "good"}], metrics=[success_rate_metric(**metric)])))
    environ = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "NO_COLOR", "ARGO_ROLLOUTS_PROMETHEUS_ADDRESS")}
    proc = subprocess.run([cli_path(), "analyze", "-f", str(path), "--prometheus", url, *extra],
                          capture_output=True, text=True, env=environ, timeout=120, stdin=subprocess.DEVNULL)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def assert_safe(line: str) -> None:
    """One line, no raw control, bidi or line-separator character, bounded like the metadata."""
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or c in "\u2028\u2029\u202e" for c in line), repr(line[:200])
    assert len(line) <= len(PREFIX) + adapter.MAX_MESSAGE_CHARS + 100, len(line)


def test_each_distinct_warning_once_on_stderr_with_json_output(stub: StubServer, tmp_path: Path) -> None:
    stub.reply(200, answer("PromQL info: metric might not be a counter", NOISY, "PromQL info: metric might not be a counter"))
    result = analyze(tmp_path, stub.url, "--once", "-o", "json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)  # stdout is the document alone
    assert doc["metrics"][0]["measurements"][0]["phase"] == "Successful"
    lines = result.err.splitlines()
    assert lines[0] == PREFIX + "PromQL info: metric might not be a counter"
    assert lines[1].startswith(PREFIX + "\\x1b]0;pwned\\x07\\x1b[31mquery failed\\x0d\\x0asecond line\\u2028")
    assert lines[1].endswith("more characters)")
    assert len(lines) == 2
    for line in lines:
        assert_safe(line)


def test_a_warning_repeated_by_every_measurement_is_told_once(stub: StubServer, tmp_path: Path) -> None:
    # Text output, measured on the metric's schedule (3 measurements 1 s apart).
    stub.reply(200, answer("PromQL info: metric might not be a counter"))
    result = analyze(tmp_path, stub.url)
    assert result.code == 0, result.err
    assert len([s for s in stub.seen if s.path == "/api/v1/query"]) == 3
    assert result.err.splitlines() == [PREFIX + "PromQL info: metric might not be a counter"]
    assert "Warning" not in result.out


def test_a_flood_of_distinct_warnings_is_cut_short(stub: StubServer, tmp_path: Path) -> None:
    stub.reply(200, answer(*(f"warning {i}" for i in range(50))))
    result = analyze(tmp_path, stub.url, "--once")
    assert result.code == 0, result.err
    assert result.err.splitlines() == [PREFIX + f"warning {i}" for i in range(MAX_WARNINGS_PER_METRIC)] + [
        'Warning: metric "success-rate": further Prometheus warnings are not shown']


def test_no_warnings_no_lines(stub: StubServer, tmp_path: Path) -> None:
    stub.reply(200, answer())
    result = analyze(tmp_path, stub.url, "--once")
    assert (result.code, result.err) == (0, "")


def test_a_secret_echoed_in_a_warning_is_masked(stub: StubServer, tmp_path: Path) -> None:
    # A warning may repeat the query, and the query may hold a secretKeyRef argument.
    from credentials.conftest import secret_object
    from credentials.support import PROM_TOKEN, assert_no_leak

    from kubectl_rollouts_py.sandbox.apiserver import APIServer

    stub.reply(200, answer(f'PromQL info: metric might not be a counter: up{{job="{PROM_TOKEN}"}}'))
    path = tmp_path / "template.json"
    metric = success_rate_metric(provider={"prometheus": {"address": stub.url, "query": 'up{job="{{args.token}}"}'}})
    path.write_text(json.dumps(template(args=[{"name": "token", "valueFrom": {"secretKeyRef": {"name": "prom-auth", "key": "token"}}}],
                                        metrics=[metric])))
    with APIServer() as cluster:
        cluster.seed([secret_object("prom-auth", {"token": PROM_TOKEN})])
        kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig", namespace=NS)
        result = run_cli("analyze", "--allow-secrets", "-f", str(path), "--once", kubeconfig=kubeconfig)
    assert result.code == 0, result.err
    assert any(PROM_TOKEN in json.dumps(s.form) for s in stub.seen), "the secret was not sent: the test proves nothing"
    assert result.err.splitlines() == [PREFIX + 'PromQL info: metric might not be a counter: up{job="*****"}']
    assert_no_leak(result)


def test_on_a_terminal_the_warning_comes_after_the_live_screen_is_restored(stub: StubServer, tmp_path: Path) -> None:
    # Written while the alternate screen is up, the line would be lost with that screen (or
    # break the redraw): it is held and written once the screen is restored.
    import pty
    import select

    from kubectl_rollouts_py.term.screen import ALT_SCREEN_OFF, ALT_SCREEN_ON

    stub.reply(200, answer("PromQL info: metric might not be a counter"))
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template(args=[{"name": "canary-hash", "value": "good"}], metrics=[success_rate_metric(count=2, failureLimit=1)])))
    environ = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "NO_COLOR", "ARGO_ROLLOUTS_PROMETHEUS_ADDRESS")}
    environ["TERM"] = "xterm"
    leader, follower = pty.openpty()
    proc = subprocess.Popen([cli_path(), "analyze", "-f", str(path), "--prometheus", stub.url], stdin=subprocess.DEVNULL,
                            stdout=follower, stderr=follower, env=environ)
    os.close(follower)
    seen = b""
    try:
        while True:  # read until the CLI closes the terminal (EIO on Linux)
            ready, _, _ = select.select([leader], [], [], 60)
            assert ready, seen[-2000:]
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        assert proc.wait(timeout=60) == 0, seen[-3000:]
    finally:
        os.close(leader)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = seen.decode(errors="replace")
    assert ALT_SCREEN_ON in text and text.count(PREFIX) == 1, text[-2000:]
    assert text.index(PREFIX) > text.rindex(ALT_SCREEN_OFF), text[-2000:]
