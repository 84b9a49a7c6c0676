"""`secretKeyRef` values never reach stdout or stderr: `analyze` and the dashboard with sentinels.

The Secret in the stand-in API server holds sentinels; the templates use them the ways a
Prometheus metric can (a bearer header, basic auth, a password in the address, inside the
query). The Prometheus is the echo server: it answers a PromQL error that repeats the
request's headers and its form-encoded query, as a proxy or Prometheus itself may. Argo
masks secret values with `*****` in messages; so do we, in every encoded form they travel.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e.conftest import find_console_script
from e2e.standin import NS, Result, run_cli
from kubectl_rollouts_py.sandbox.apiserver import APIServer

from . import support as s
from .conftest import secret_object
from .support import assert_no_leak

ARGS = [{"name": "token", "valueFrom": {"secretKeyRef": {"name": "prom-auth", "key": "token"}}},
        {"name": "password", "valueFrom": {"secretKeyRef": {"name": "prom-auth", "key": "password"}}}]  # fmt: skip


def providers(address: str) -> dict[str, dict[str, Any]]:
    """name -> a prometheus provider using the secrets one way."""
    return {
        "bearer header": {"address": address, "query": "up", "headers": [{"key": "Authorization", "value": "Bearer {{args.token}}"}]},
        "basic auth": {"address": address, "query": "up", "authentication": {"basicAuth": {"username": "prom", "password": "{{args.password}}"}}},
        "address userinfo": {"address": address.replace("//", "//prom:{{args.password}}@"), "query": "up"},
        "in the query": {"address": address, "query": 'up{job="{{args.token}}"} > 0'},
    }  # fmt: skip


def write_template(directory: Path, provider: dict[str, Any], **metric: Any) -> str:
    template = {"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate", "metadata": {"name": "t", "namespace": NS},
                "spec": {"args": ARGS, "metrics": [{"name": "m", "successCondition": "result[0] >= 0", **metric,
                                                    "provider": {"prometheus": provider}}]}}  # fmt: skip
    path = directory / "template.json"
    path.write_text(json.dumps(template))
    return str(path)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[APIServer]:
    with APIServer() as server:
        server.seed([secret_object("prom-auth", {"token": s.PROM_TOKEN, "password": s.PROM_PASSWORD})])
        server.kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig", namespace=NS)  # type: ignore[attr-defined]
        yield server


def analyze(cluster: APIServer, *argv: str) -> Result:
    return run_cli("analyze", "--allow-secrets", *argv, kubeconfig=cluster.kubeconfig)  # type: ignore[attr-defined]


MODES = [["--once"], ["--once", "-o", "json"], [], ["-o", "json"]]


@pytest.mark.parametrize("mode", MODES, ids=lambda m: " ".join(m) or "schedule")
@pytest.mark.parametrize("use", ["bearer header", "basic auth", "address userinfo", "in the query"])
def test_a_secret_echoed_by_prometheus_is_masked(use: str, mode: list[str], cluster: APIServer,
                                                 echo: Callable[..., s.EchoServer], tmp_path: Path) -> None:
    server = echo(400, "prometheus")
    # consecutiveErrorLimit 0: the first Error measurement ends the scheduled run too.
    path = write_template(tmp_path, providers(server.url)[use], consecutiveErrorLimit=0)
    result = analyze(cluster, "-f", path, *mode)
    assert result.code == 5, result  # phase Error
    sent = json.dumps([seen.headers for seen in server.seen]) + " ".join(seen.path for seen in server.seen)
    assert server.seen and (s.PROM_TOKEN in sent or "Basic " in sent or use == "in the query"), "no secret was sent"
    assert "*****" in result.err + result.out, "the echo was not shown at all: the test proves nothing"
    assert_no_leak(result, context=f"{use}, {' '.join(mode)}")


def test_a_secret_in_a_successful_measurement_is_masked(cluster: APIServer, echo: Callable[..., s.EchoServer], tmp_path: Path) -> None:
    """A Prometheus that answers, with the secret both sent and in the query: the resolved
    spec shows the dummy, the args name the Secret, and the value is what Prometheus said."""
    answer = {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1700000000, "1"]}]}}
    server = echo(400, "prometheus", answers={"POST /api/v1/query": answer})
    provider = {**providers(server.url)["bearer header"], "query": 'up{job="{{args.token}}"}'}
    path = write_template(tmp_path, provider)
    for mode in (["--once"], ["--once", "-o", "json"]):
        result = analyze(cluster, "-f", path, *mode)
        assert result.code == 0, result
        assert_no_leak(result, context=" ".join(mode))
    assert any(s.PROM_TOKEN in json.dumps(seen.headers) for seen in server.seen)


def test_secret_lookup_failures_name_the_secret_not_a_value(cluster: APIServer, tmp_path: Path) -> None:
    cluster.seed([{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "broken", "namespace": NS},
                   "data": {"token": s.SECRET_VALUE}}])  # fmt: skip  (not base64: the value itself)
    provider = providers("http://127.0.0.1:1")["bearer header"]
    for secret, key, message in (("nope", "token", 'secrets "nope" not found'), ("prom-auth", "nokey", "key 'nokey' does not exist"),
                                 ("broken", "token", "is not valid base64")):
        template = json.loads(Path(write_template(tmp_path, provider)).read_text())
        template["spec"]["args"][0]["valueFrom"]["secretKeyRef"] = {"name": secret, "key": key}
        (tmp_path / "t.json").write_text(json.dumps(template))
        result = analyze(cluster, "-f", str(tmp_path / "t.json"), "--once")
        assert result.code == 1 and message in result.err, result
        assert_no_leak(result, context=message)
    without = run_cli("analyze", "-f", str(tmp_path / "t.json"), "--once", kubeconfig=cluster.kubeconfig)  # type: ignore[attr-defined]
    assert without.code == 1 and "pass --allow-secrets" in without.err


# ------------------------------------------------------------------ the dashboard (read-only)


def dashboard_pages(kubeconfig: Path, routes: tuple[str, ...], done: Callable[[dict[str, str]], bool]) -> tuple[dict[str, str], str]:
    """Run `dashboard --read-only`, fetch `routes` until `done(pages)` (or 60 s), stop it:
    (route -> body, the process's stdout and stderr)."""
    script = find_console_script()
    assert script is not None, "kubectl-rollouts_py is not installed"
    env = {**{k: v for k, v in os.environ.items() if k != "KUBECONFIG"}, "KUBECONFIG": str(kubeconfig)}
    proc = subprocess.Popen([script, "dashboard", "--port", "0", "--read-only"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env)
    pages: dict[str, str] = {}
    try:
        match = re.search(r"http://127\.0\.0\.1:\d+/", proc.stdout.readline())  # type: ignore[union-attr]
        assert match, proc.stderr.read() if proc.poll() is not None else "no URL"  # type: ignore[union-attr]
        deadline = time.monotonic() + 60  # a bound on a failure only: it polls until the pages are there
        while time.monotonic() < deadline:
            for route in routes:
                try:
                    with urllib.request.urlopen(match.group(0) + route, timeout=5) as answer:
                        pages[route] = answer.read().decode()
                except urllib.error.HTTPError as exc:  # 404 until the first list has arrived
                    pages[route] = exc.read().decode()
            if done(pages):
                break
            time.sleep(0.2)
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    return pages, out + err


def test_the_dashboard_api_serves_no_secret(tmp_path: Path) -> None:
    """A run whose arg comes from a Secret, and the Secret itself in the namespace: every
    JSON route the dashboard serves for it is free of the value."""
    from .conftest import cluster_objects

    analysis = f"api/v1/rollouts/{NS}/app-backend/analysis"
    with APIServer(token=s.TOKEN) as server:
        server.seed(cluster_objects())
        kubeconfig = s.kubeconfig(tmp_path / "kc", str(server.url), {"token": s.TOKEN})
        pages, printed = dashboard_pages(kubeconfig, ("api/v1/info", "api/v1/rollouts", f"api/v1/rollouts/{NS}/app-backend", analysis, ""),
                                         lambda pages: "app-backend-secret-run" in pages.get(analysis, ""))
    assert "app-backend-secret-run" in pages[analysis], pages
    found = s.leaked(*pages.values(), printed)
    assert not found, (found, pages)


def test_the_dashboard_shows_an_echoed_token_as_stars(echo: Callable[..., s.EchoServer], tmp_path: Path) -> None:
    """The dashboard reports the API server's errors in /api/v1/info; an echo must not carry the token."""
    server = echo(403, "status")
    kubeconfig = s.kubeconfig(tmp_path / "kc", server.url, {"token": s.TOKEN})
    pages, printed = dashboard_pages(kubeconfig, ("api/v1/info",), lambda pages: "request rejected" in pages.get("api/v1/info", ""))
    assert "Bearer *****" in pages["api/v1/info"], pages
    found = s.leaked(*pages.values(), printed)
    assert not found, (found, pages)


def test_credentials_the_provider_fetches_or_holds_are_masked(cluster: APIServer, echo: Callable[..., s.EchoServer], tmp_path: Path) -> None:
    """Not arguments, so `mask_secrets` does not know them: the oauth2 access token the
    provider fetched, and a password written in the template itself."""
    server = echo(400, "prometheus", answers={"POST /token": {"access_token": s.PROM_TOKEN, "token_type": "bearer"}})
    oauth2 = {"address": server.url, "query": "up",
              "authentication": {"oauth2": {"tokenUrl": server.url + "/token", "clientId": "c", "clientSecret": "client-secret-1"}}}
    literal = {"address": server.url, "query": "up", "authentication": {"basicAuth": {"username": "prom", "password": s.PROM_PASSWORD}}}
    for name, provider in (("oauth2 token", oauth2), ("literal basic auth", literal)):
        template = json.loads(Path(write_template(tmp_path, provider)).read_text())
        template["spec"]["args"] = []
        (tmp_path / "t.json").write_text(json.dumps(template))
        result = run_cli("analyze", "-f", str(tmp_path / "t.json"), "--once", kubeconfig=cluster.kubeconfig)  # type: ignore[attr-defined]
        assert result.code == 5 and "Authorization: " in result.err, result
        # the template's own text is the user's: only what was sent and echoed must not show
        assert_no_leak(Result(result.code, result.out.replace(s.PROM_PASSWORD, ""), result.err), context=name)
    assert any(s.PROM_TOKEN in json.dumps(seen.headers) for seen in server.seen)
