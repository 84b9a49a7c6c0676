"""Kubernetes credentials never reach stdout or stderr: sentinel values through the installed CLI.

Every kind of credential a kubeconfig (or a flag) can hold is a sentinel (support.py). The
CLI is run against servers that try to make it print them: the stand-in API server for
the success paths (it demands the sentinel token, so a success proves the token was sent),
and an echo server for the failures, which repeats the request's `Authorization` header in
its error body (Status message, plain text, HTML, or a 200 that is not JSON). Each run's
stdout and stderr are searched for every sentinel and its encoded forms. Each failure-path
test also checks the sentinel reached the server: otherwise not finding it proves nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from e2e.standin import NS, Result, run_cli
from kubectl_rollouts_py.sandbox.apiserver import APIServer
from tests.analysis.promharness import free_port
from tests.kube.support import PKI, TLSFront, b64_file

from . import support as s
from .support import assert_no_leak

ROLLOUT_PATH = f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/rollouts/app-backend"


def cli(*args: str, kubeconfig: Path | str | None = None, env: dict[str, str] | None = None, timeout: str = "3s") -> Result:
    # A bounded --request-timeout: the 5xx answers are retried, and must not take long.
    return run_cli(*args, "--request-timeout", timeout, kubeconfig=kubeconfig, env={"HOME": "/nonexistent-home", **(env or {})})


# ------------------------------------------------------------------ the credentials


def users(directory: Path) -> dict[str, tuple[dict[str, Any], str]]:
    """name -> (kubeconfig user entry, the credential it sends), one per kind of credential."""
    token_file = directory / "token"
    token_file.write_text(s.TOKEN_FILE + "\n")
    plugin = s.exec_plugin(directory, "exec-ok", stdout=s.exec_credential(s.EXEC_TOKEN))
    oidc = s.oidc_id_token(s.OIDC_SIGNATURE)
    s.watch_for(oidc, "oidc id-token")  # a bearer credential: no piece of it may show
    return {
        "token": ({"token": s.TOKEN}, s.TOKEN),
        "token-file": ({"tokenFile": str(token_file)}, s.TOKEN_FILE),
        "basic-auth": ({"username": s.USERNAME, "password": s.PASSWORD}, "Basic "),
        "exec-plugin": (s.exec_user(plugin), s.EXEC_TOKEN),
        "oidc-auth-provider": ({"auth-provider": {"name": "oidc", "config": {
            "id-token": oidc, "client-id": "rollouts", "client-secret": s.OIDC_CLIENT_SECRET,
            "refresh-token": s.OIDC_REFRESH, "idp-issuer-url": "https://issuer.test"}}}, s.OIDC_SIGNATURE),
    }  # fmt: skip


USER_KINDS = ("token", "token-file", "basic-auth", "exec-plugin", "oidc-auth-provider")

# status, body style: the ways a server (or a proxy in front of it) can echo a request back.
ECHOES = [(401, "status"), (403, "plain"), (500, "status"), (200, "json200")]


# ------------------------------------------------------------------ failures that echo the credential


@pytest.mark.parametrize(("status", "style"), ECHOES, ids=[f"{st}-{sty}" for st, sty in ECHOES])
@pytest.mark.parametrize("kind", USER_KINDS)
def test_an_echoed_credential_is_never_printed(kind: str, status: int, style: str, echo: Callable[..., s.EchoServer],
                                               tmp_path: Path) -> None:
    server = echo(status, style)
    user, sent = users(tmp_path)[kind]
    kubeconfig = s.kubeconfig(tmp_path / "kubeconfig", server.url, user)
    result = cli("get", "rollout", "app-backend", kubeconfig=kubeconfig)
    assert result.code == 1 and result.err.startswith("Error: "), result
    assert any(sent in header for header in server.authorizations()), "the credential never reached the server"
    assert_no_leak(result, context=f"{kind}, {status} {style}")
    assert "Traceback" not in result.err and len(result.err.splitlines()) == 1


def test_the_token_flag_is_never_printed(echo: Callable[..., s.EchoServer]) -> None:
    server = echo(403, "plain")
    result = cli("get", "rollout", "app-backend", "-s", server.url, "--token", s.FLAG_TOKEN)
    assert set(server.authorizations()) == {f"Bearer {s.FLAG_TOKEN}"}
    assert result.code == 1
    assert_no_leak(result, context="--token")


def test_a_client_key_is_never_printed(pki: PKI, echo: Callable[..., s.EchoServer], tmp_path: Path) -> None:
    """Client certificate and key (as kubeconfig data) over real TLS: a server that echoes,
    a server the CA does not vouch for, a key that does not match its certificate."""
    server = echo(500, "status")
    key = {"client-certificate-data": b64_file(pki.client_cert), "client-key-data": b64_file(pki.client_key)}
    with TLSFront(server.url, pki, require_client_cert=True) as front:
        cases = {
            "echoing server": (key, {"certificate-authority": pki.ca}),
            "unknown CA": (key, {"certificate-authority": pki.other_ca}),
            "key mismatch": ({**key, "client-certificate-data": b64_file(pki.server_cert)}, {"certificate-authority": pki.ca}),
            "key as certificate": ({**key, "client-certificate-data": b64_file(pki.client_key)}, {"certificate-authority": pki.ca}),
            "PEM where base64 belongs": ({**key, "client-key-data": Path(pki.client_key).read_text()}, {"certificate-authority": pki.ca}),
        }
        for name, (user, cluster) in cases.items():
            for transport_user in (user, {**user, "username": s.USERNAME, "password": s.PASSWORD}):  # stdlib, library
                result = cli("get", "rollout", "app-backend", kubeconfig=s.kubeconfig(tmp_path / "kc", front.url, transport_user, cluster=cluster))
                assert result.code == 1, (name, result)
                assert_no_leak(result, context=name)
    assert server.seen, "no request got through the TLS front: the echoing case proves nothing"


@pytest.mark.parametrize("kind", ["token", "exec-plugin"])
@pytest.mark.parametrize(
    "argv",
    [
        ["list", "rollouts"], ["list", "rollouts", "-A", "-o", "json"], ["status", "app-backend", "--timeout", "2s"],
        ["get", "rollout", "app-backend", "-o", "yaml"], ["get", "experiment", "x"],
        ["promote", "app-backend"], ["promote", "app-backend", "--full"], ["abort", "app-backend"],
        ["pause", "app-backend"], ["restart", "app-backend"], ["retry", "rollout", "app-backend"],
        ["set", "image", "app-backend", "app-backend=img:2"], ["undo", "app-backend"],
        ["terminate", "analysisrun", "run-1"], ["promote", "-l", "app=x"],
    ],
    ids=lambda argv: " ".join(argv) if isinstance(argv, list) else argv,
)
def test_every_command_s_failure_is_clean(argv: list[str], kind: str, echo: Callable[..., s.EchoServer], tmp_path: Path) -> None:
    """Reads fail on the echo; writes get their GET answered, so the write itself meets it."""
    from e2e.standin import app_backend_objects

    rollout = next(o for o in app_backend_objects() if o["kind"] == "Rollout")
    server = echo(500, "status", answers={ROLLOUT_PATH: rollout})
    user, sent = users(tmp_path)[kind]
    result = cli(*argv, kubeconfig=s.kubeconfig(tmp_path / "kubeconfig", server.url, user), timeout="1s")
    assert result.code != 0, result
    assert any(sent in header for header in server.authorizations())
    assert_no_leak(result, context=" ".join(argv))


# ------------------------------------------------------------------ failures before or below HTTP


def test_config_and_connection_failures_print_no_credential(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    plugin_ok = s.exec_plugin(tmp_path, "ok", stdout=s.exec_credential(s.EXEC_TOKEN))
    broken_yaml = tmp_path / "broken.yaml"
    broken_yaml.write_text(f"apiVersion: v1\nusers:\n- name: u\n  user:\n    token: {s.TOKEN}: [oops\n")
    unclosed = tmp_path / "unclosed.yaml"
    unclosed.write_text(f'apiVersion: v1\nusers:\n- name: u\n  user:\n    token: "{s.TOKEN}\n  - x: y\n')
    body_str = tmp_path / "body-str.yaml"
    body_str.write_text(f"apiVersion: v1\nusers:\n- name: u\n  user: {s.TOKEN}\n")
    cases: dict[str, Path] = {
        "unreachable server": s.kubeconfig(tmp_path / "a", closed, {"token": s.TOKEN}),
        "unreachable server (exec)": s.kubeconfig(tmp_path / "b", closed, s.exec_user(plugin_ok)),
        "proxy with a password, refused": s.kubeconfig(tmp_path / "c", closed, {"token": s.TOKEN},
                                                       cluster={"proxy-url": f"http://u:{s.PROXY_PASSWORD}@127.0.0.1:{free_port()}"}),
        "server URL with user:password": s.kubeconfig(tmp_path / "d", closed.replace("//", f"//u:{s.URL_PASSWORD}@"), {}),
        "token with a line break": s.kubeconfig(tmp_path / "e", closed, {"token": s.TOKEN + "\nX-Injected: 1"}),
        "exec token with a line break": s.kubeconfig(tmp_path / "f", closed, s.exec_user(
            s.exec_plugin(tmp_path, "nl", stdout=s.exec_credential(s.EXEC_TOKEN + "\nX-Injected: 1")))),
        "token on a malformed line": broken_yaml,
        "token in an unclosed quote": unclosed,
        "token where a mapping belongs": body_str,
        "client key data that is not base64": s.kubeconfig(tmp_path / "g", "https://127.0.0.1:1", {
            "client-certificate-data": "aGVsbG8=", "client-key-data": s.TOKEN + "%%"}),
        "oidc with an unreachable issuer": s.kubeconfig(tmp_path / "h", closed, {"auth-provider": {"name": "oidc", "config": {
            "id-token": "a.b." + s.OIDC_SIGNATURE, "client-id": "x", "client-secret": s.OIDC_CLIENT_SECRET,
            "refresh-token": s.OIDC_REFRESH, "idp-issuer-url": closed}}}),
    }  # fmt: skip
    for name, kubeconfig in cases.items():
        result = cli("get", "rollout", "app-backend", kubeconfig=kubeconfig)
        assert result.code == 1 and result.err.startswith("Error: "), (name, result)
        assert "Traceback" not in result.err and len(result.err.splitlines()) == 1, (name, result.err)
        assert_no_leak(result, context=name)


@pytest.mark.parametrize(
    ("stdout", "stderr", "code", "shown"),
    [
        # the plugin fails: its stderr is its message to the user (kubectl shows it too),
        # bounded to one line; its stdout (where a credential would be) never
        (s.EXEC_STDOUT, "token expired: run `login`\n", 1, "exec: process returned 1. token expired: run `login`"),
        (json.dumps({"apiVersion": s.EXEC_STDOUT, "kind": "ExecCredential", "status": {"token": s.EXEC_TOKEN}}), "", 0,
         "exec: plugin's apiVersion does not match client.authentication.k8s.io/v1"),
        ("", "x" * 5000 + "\n" + "y" * 5000, 1, "exec: process returned 1. xxxx"),
    ],
    ids=["fails", "wrong apiVersion", "a flood on stderr"],
)
def test_a_failing_exec_plugin_never_shows_its_output(stdout: str, stderr: str, code: int, shown: str, tmp_path: Path) -> None:
    plugin = s.exec_plugin(tmp_path, "plugin", stdout=stdout, stderr=stderr, code=code)
    result = cli("get", "rollout", "app-backend", kubeconfig=s.kubeconfig(tmp_path / "kc", "http://127.0.0.1:1", s.exec_user(plugin)))
    assert result.code == 1
    assert result.err.startswith(f"Error: getting credentials for context 'test': {shown}"), result.err
    assert len(result.err.splitlines()) == 1 and len(result.err) < 500, result.err
    assert_no_leak(result, context=shown)


def test_a_failing_exec_refresh_is_one_error_line_not_raw_logging(echo: Callable[..., s.EchoServer], tmp_path: Path) -> None:
    """The token expires at once, so every request runs the plugin again; the second run fails.
    The library would log each failure raw on stderr (`ERROR:root:...`) and send the stale token."""
    server = echo(403, "plain")
    state = tmp_path / "ran-once"
    expired = json.dumps({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                          "status": {"token": s.EXEC_TOKEN, "expirationTimestamp": "2000-01-01T00:00:00Z"}})
    plugin = tmp_path / "plugin"
    plugin.write_text(
        "#!/usr/bin/env python3\nimport os, sys\n"
        f"if os.path.exists({str(state)!r}):\n"
        f"    sys.stdout.write({s.EXEC_STDOUT!r}); sys.stderr.write('refresh failed\\n' * 50); sys.exit(2)\n"
        f"open({str(state)!r}, 'w').close()\nsys.stdout.write({expired!r})\n"
    )
    plugin.chmod(0o755)
    result = cli("get", "rollout", "app-backend", kubeconfig=s.kubeconfig(tmp_path / "kc", server.url, s.exec_user(str(plugin))))
    assert result.code == 1
    assert result.err.startswith("Error: getting credentials for context 'test': exec: process returned 2. refresh failed"), result.err
    assert "ERROR:root" not in result.err and len(result.err.splitlines()) == 1 and len(result.err) < 500
    assert server.seen == [], "the expired token was sent after the refresh failed"
    assert_no_leak(result, context="exec refresh")


# ------------------------------------------------------------------ success paths, dry runs, help


def _standin_kubeconfigs(standin: APIServer, tmp_path: Path) -> dict[str, Path]:
    """The stand-in demands TOKEN: the stdlib transport sends it from the kubeconfig, the
    library transport from an exec plugin (the env value is a sentinel too)."""
    plugin = s.exec_plugin(tmp_path, "standin-plugin", stdout=s.exec_credential(s.TOKEN))
    exec_user = s.exec_user(plugin)
    exec_user["exec"]["env"] = [{"name": "CLOUD_SECRET", "value": s.PASSWORD}]
    assert standin.url is not None
    return {
        "token": s.kubeconfig(tmp_path / "token.kc", standin.url, {"token": s.TOKEN}),
        "exec-plugin": s.kubeconfig(tmp_path / "exec.kc", standin.url, exec_user),
    }


SUCCEEDING = [
    ["get", "rollout", "app-backend"], ["get", "rollout", "app-backend", "-o", "json"],
    ["get", "rollout", "app-backend", "-o", "yaml"], ["list", "rollouts"], ["list", "rollouts", "-A", "-o", "yaml"],
    ["status", "app-backend", "--timeout", "1s"], ["get", "analysisrun", "app-backend-secret-run", "-o", "json"],
    ["promote", "app-backend", "--dry-run"], ["promote", "app-backend", "--full", "--dry-run"],
    ["abort", "app-backend", "--dry-run"], ["pause", "app-backend", "--dry-run"], ["restart", "app-backend", "--dry-run"],
    ["set", "image", "app-backend", "app-backend=img:3", "--dry-run"], ["undo", "app-backend", "--dry-run"],
    ["retry", "rollout", "app-backend", "--dry-run"], ["terminate", "analysisrun", "app-backend-secret-run", "--dry-run"],
    ["pause", "app-backend"], ["promote", "app-backend"],
]  # fmt: skip


@pytest.mark.parametrize("kind", ["token", "exec-plugin"])
def test_success_output_and_dry_runs_print_no_credential(kind: str, standin: APIServer, tmp_path: Path) -> None:
    kubeconfig = _standin_kubeconfigs(standin, tmp_path)[kind]
    for argv in SUCCEEDING:
        result = cli(*argv, kubeconfig=kubeconfig)
        assert result.code in (0, 1) and "Error: You must be logged in" not in result.err, (argv, result)
        assert_no_leak(result, context=" ".join(argv))
    assert any(r.method == "PATCH" for r in standin.requests), "the writes at the end never reached the server"


def test_create_dry_run_of_a_template_with_a_secret_arg_prints_no_value(standin: APIServer, tmp_path: Path) -> None:
    template = {"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate", "metadata": {"name": "with-secret", "namespace": NS},
                "spec": {"args": [{"name": "token", "valueFrom": {"secretKeyRef": {"name": "prom-auth", "key": "token"}}}],
                         "metrics": [{"name": "m", "provider": {"prometheus": {"address": "http://p:9090", "query": "up",
                                      "headers": [{"key": "Authorization", "value": "Bearer {{args.token}}"}]}}}]}}  # fmt: skip
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template))
    kubeconfig = _standin_kubeconfigs(standin, tmp_path)["token"]
    for argv in (["create", "-f", str(path), "--dry-run"], ["create", "-f", str(path)],
                 ["create", "analysisrun", "--from", "with-secret", "--dry-run"]):
        result = cli(*argv, kubeconfig=kubeconfig)
        assert result.code == 0, (argv, result)
        assert_no_leak(result, context=" ".join(argv))


def test_help_of_every_command_prints_no_credential(standin: APIServer, tmp_path: Path) -> None:
    kubeconfig = _standin_kubeconfigs(standin, tmp_path)["token"]
    commands = ["", "get", "get rollout", "list", "status", "promote", "abort", "pause", "restart", "retry", "set image",
                "undo", "terminate", "create", "analyze", "dashboard", "version", "watch"]
    for command in commands:
        result = cli(*command.split(), "--help", "--token", s.FLAG_TOKEN, kubeconfig=kubeconfig)
        assert result.code == 0, (command, result)
        assert_no_leak(result, context=f"{command} --help")


def test_an_exec_plugin_s_environment_is_redacted_from_its_message(tmp_path: Path) -> None:
    """Cloud credentials reach exec plugins through `env`; a plugin that fails and says what
    it was given (its stderr is shown) must not put them on our terminal."""
    plugin = tmp_path / "plugin"
    plugin.write_text("#!/usr/bin/env python3\nimport os, sys\n"
                      "sys.stderr.write('no access with key ' + os.environ['CLOUD_SECRET'] + '\\n'); sys.exit(1)\n")
    plugin.chmod(0o755)
    user = s.exec_user(str(plugin))
    user["exec"]["env"] = [{"name": "CLOUD_SECRET", "value": s.PASSWORD}]
    result = cli("get", "rollout", "app-backend", kubeconfig=s.kubeconfig(tmp_path / "kc", "http://127.0.0.1:1", user))
    assert result.err == "Error: getting credentials for context 'test': exec: process returned 1. no access with key *****\n"
    assert_no_leak(result, context="exec env")
