"""kubectl's connection flags on the installed CLI: -v/--v/--loglevel, --as-uid,
--client-certificate/--client-key with --tls-server-name over TLS, and their bad input;
--cache-dir in-process (where the kubeconfig cache's settling time can be set)."""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubectl_rollouts_py.kube import config_cache
from kubectl_rollouts_py.sandbox.apiserver import APIServer
from tests.inprocess import run_cli as run_inprocess
from tests.kube.support import PKI, TLSFront, make_pki
from tests.kube.test_global_flags import name_only_certificate

from .standin import NS, app_backend_objects, assert_one_error_line, run_cli

TOKEN = "e2e-flags-token-9f8e7d6c5b4a"
GET = ("get", "rollout", "app-backend")
REQUEST_LINE = re.compile(r"^(GET|PATCH|POST|PUT) http://127\.0\.0\.1:\d+/\S+ \d{3} [A-Za-z ]+ in \d+ milliseconds$")


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[APIServer]:
    with APIServer(token=TOKEN) as srv:
        srv.seed(app_backend_objects())
        srv.kubeconfig = srv.write_kubeconfig(tmp_path / "kubeconfig", namespace=NS)  # type: ignore[attr-defined]
        yield srv


def run(server: APIServer, tmp_path: Path, *args: str):
    return run_cli(*args, kubeconfig=server.kubeconfig, env={"HOME": str(tmp_path / "home")})  # type: ignore[attr-defined]


def test_v6_logs_each_request_on_stderr_and_leaves_stdout_as_it_was(server, tmp_path):
    plain = run(server, tmp_path, *GET)
    assert plain.code == 0 and plain.err == "", plain.err
    server.clear_requests()
    for flag in (("-v", "6"), ("-v=6",), ("--v=6",), ("--loglevel", "6")):
        logged = run(server, tmp_path, *GET, *flag)
        assert logged.code == 0, logged.err
        assert logged.out == plain.out  # byte for byte
        lines = logged.err.splitlines()
        assert lines and all(REQUEST_LINE.match(line) for line in lines), logged.err
        assert any(re.match(r"^GET .*/rollouts/app-backend 200 OK in \d+ milliseconds$", line) for line in lines)
        assert len(lines) == len(server.requests)
        server.clear_requests()


def test_below_6_nothing_is_logged(server, tmp_path):
    result = run(server, tmp_path, *GET, "-v", "5")
    assert (result.code, result.err) == (0, "")


def test_v9_shows_request_headers_but_never_the_token(server, tmp_path):
    result = run(server, tmp_path, *GET, "-v", "9", "--as", "jane", "--as-uid", "42")
    # The stand-in does not check impersonation: the view is the same.
    assert result.code == 0, result.err
    assert TOKEN not in result.err and TOKEN not in result.out
    lines = result.err.splitlines()
    assert "    Authorization: Bearer <masked>" in lines
    assert "    Impersonate-Uid: 42" in lines
    assert not any('"kind"' in line for line in lines)  # no body


def test_as_uid_reaches_the_server(server, tmp_path):
    result = run(server, tmp_path, *GET, "--as", "jane", "--as-uid", "42")
    assert result.code == 0, result.err
    assert {(r.headers.get("Impersonate-User"), r.headers.get("Impersonate-Uid")) for r in server.requests} == {("jane", "42")}


def test_as_uid_without_as_is_one_error_line(server, tmp_path):
    line = assert_one_error_line(run(server, tmp_path, *GET, "--as-uid", "42"))
    assert line == "Error: requesting uid or groups for user 'stand-in' without impersonating a user: pass --as USER as well"
    assert server.requests == []


def test_a_verbosity_that_is_not_a_number_is_a_usage_error(server, tmp_path):
    result = run(server, tmp_path, *GET, "-v", "abc")
    assert result.code == 2 and result.out == ""
    assert "Error: Invalid value for '-v' / '--v' / '--loglevel': 'abc' is not a valid integer." in result.err.splitlines()


def test_a_missing_client_certificate_is_one_error_line(server, tmp_path):
    line = assert_one_error_line(run(server, tmp_path, *GET, "--client-certificate", "nowhere/client.crt",
                                     "--client-key", "nowhere/client.key"))
    assert line == "Error: unable to read client-cert nowhere/client.crt (from --client-certificate): no such file or directory"
    assert server.requests == []


# -- TLS: a front that requires a client certificate and whose certificate names kube.test only


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    try:
        return name_only_certificate(make_pki(tmp_path_factory.mktemp("pki")))
    except FileNotFoundError:
        pytest.skip("the openssl CLI is needed to make test certificates")


def test_client_certificate_and_tls_server_name_over_tls(server, tmp_path, pki, monkeypatch):
    with TLSFront(server.url or "", pki, require_client_cert=True) as front:
        assert front.url.startswith("https://127.0.0.1:")
        base = (*GET, "--server", front.url, "--certificate-authority", pki.ca)
        # Relative to the current directory, as kubectl takes them.
        monkeypatch.chdir(Path(pki.client_cert).parent)
        flags = ("--client-certificate", "client.crt", "--client-key", "client.key")

        result = run(server, tmp_path, *base, *flags, "--tls-server-name", "kube.test")
        assert result.code == 0, result.err
        assert result.out.startswith("Name:            app-backend\n")

        unnamed = assert_one_error_line(run(server, tmp_path, *base, *flags))
        assert "certificate is not valid for '127.0.0.1'" in unnamed

        no_client = assert_one_error_line(run(server, tmp_path, *base, "--tls-server-name", "kube.test"))
        assert "TLS handshake failed" in no_client


# -- --cache-dir


def test_cache_dir_holds_the_kubeconfig_cache_privately(server, tmp_path, monkeypatch):
    monkeypatch.setattr(config_cache, "SETTLE_SECONDS", -60.0)  # the kubeconfig was written just now
    home = tmp_path / "home"
    cache = tmp_path / "cache"
    environ = {"HOME": str(home), "KUBECONFIG": str(server.kubeconfig)}
    result = run_inprocess([*GET, "--cache-dir", str(cache)], environ=environ)
    assert result.exit_code == 0, result.stderr
    ours = cache / "kubectl-rollouts-py"
    entries = [p for p in ours.iterdir() if p.name.startswith("kubeconfig-")]
    assert len(entries) == 1
    assert stat.S_IMODE(ours.stat().st_mode) == 0o700
    hints = ours / "view-selectors.json"  # get rollout's selectors, beside it
    for written in (entries[0], hints):
        assert stat.S_IMODE(written.stat().st_mode) == 0o600
        assert TOKEN not in written.read_text()
    assert not (home / ".cache").exists()
    # A second run reads the kubeconfig from there (a hit) and shows the same.
    again = run_inprocess([*GET, "--cache-dir", str(cache)], environ=environ)
    assert (again.exit_code, again.stdout) == (0, result.stdout)


def test_without_cache_dir_the_cache_stays_where_it_was(server, tmp_path, monkeypatch):
    monkeypatch.setattr(config_cache, "SETTLE_SECONDS", -60.0)
    home = tmp_path / "home"
    result = run_inprocess(list(GET), environ={"HOME": str(home), "KUBECONFIG": str(server.kubeconfig)})
    assert result.exit_code == 0, result.stderr
    assert [p.name.startswith("kubeconfig-") for p in (home / ".cache" / "kubectl-rollouts-py").iterdir()].count(True) == 1
