"""Kubeconfig and flag resolution: which server, namespace and credentials, as kubectl picks them."""

from __future__ import annotations

import os
import stat
import sys
import textwrap

import pytest

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import config as kube_config
from kubectl_rollouts_py.kube.options import ConnectionOptions

KUBECONFIG = """\
apiVersion: v1
kind: Config
current-context: dev
contexts:
- name: dev
  context: {cluster: dev-cluster, user: dev-user, namespace: team-dev}
- name: prod
  context: {cluster: prod-cluster, user: prod-user}
- name: dangling
  context: {cluster: nowhere, user: dev-user}
clusters:
- name: dev-cluster
  cluster: {server: "https://dev.example:6443/", certificate-authority: certs/ca.crt}
- name: prod-cluster
  cluster: {server: "prod.example:443", insecure-skip-tls-verify: true}
users:
- name: dev-user
  user: {token: dev-token}
- name: prod-user
  user: {token: prod-token, as: admin, as-groups: [ops, "sre,oncall"]}
"""


def write(path, text: str) -> str:
    path = str(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(textwrap.dedent(text))
    return path


@pytest.fixture
def kubeconfig(tmp_path) -> str:
    write(tmp_path / "kube" / "certs" / "ca.crt", "not really a certificate\n")
    return write(tmp_path / "kube" / "config", KUBECONFIG)


def resolve(options: ConnectionOptions | None = None, **environ: str) -> kube_config.ClusterConfig:
    environ.setdefault("HOME", "/nonexistent-home")
    return kube_config.resolve(options or ConnectionOptions(), environ=environ, service_account_dir="/nonexistent-sa")


def test_current_context_gives_server_namespace_and_absolute_ca_path(kubeconfig):
    cfg = resolve(ConnectionOptions(kubeconfig=kubeconfig))
    assert cfg.server == "https://dev.example:6443"
    assert cfg.namespace == "team-dev"
    assert cfg.context == "dev"
    assert cfg.origin == kubeconfig
    assert cfg.certificate_authority == os.path.join(os.path.dirname(kubeconfig), "certs", "ca.crt")


def test_context_without_namespace_means_default_and_a_schemeless_server_means_https(kubeconfig):
    cfg = resolve(ConnectionOptions(kubeconfig=kubeconfig, context="prod"))
    assert cfg.namespace == "default"
    assert cfg.server == "https://prod.example:443"
    assert cfg.insecure_skip_tls_verify


def test_namespace_flag_wins_over_the_context(kubeconfig):
    assert resolve(ConnectionOptions(kubeconfig=kubeconfig, namespace="mine")).namespace == "mine"


def test_kubeconfig_env_list_merges_files_first_one_wins_and_missing_files_are_skipped(tmp_path):
    first = write(
        tmp_path / "a",
        """\
        current-context: a-ctx
        contexts: [{name: a-ctx, context: {cluster: shared, namespace: from-a}}]
        clusters: [{name: shared, cluster: {server: "http://first:1"}}]
        """,
    )
    second = write(
        tmp_path / "b",
        """\
        current-context: b-ctx
        contexts: [{name: b-ctx, context: {cluster: shared}}, {name: a-ctx, context: {cluster: shared, namespace: from-b}}]
        clusters: [{name: shared, cluster: {server: "http://second:2"}}]
        """,
    )
    listed = os.pathsep.join([str(tmp_path / "missing"), first, second])
    cfg = resolve(KUBECONFIG=listed)
    assert (cfg.context, cfg.namespace, cfg.server) == ("a-ctx", "from-a", "http://first:1")
    assert cfg.origin == f"{first}:{second}"
    # A context only the second file defines is still found, with the first file's cluster.
    assert resolve(ConnectionOptions(context="b-ctx"), KUBECONFIG=listed).server == "http://first:1"


def test_kubeconfig_flag_beats_the_environment(kubeconfig, tmp_path):
    other = write(tmp_path / "other", "current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\nclusters: [{name: c, cluster: {server: 'http://other:1'}}]\n")
    assert resolve(ConnectionOptions(kubeconfig=kubeconfig), KUBECONFIG=other).server == "https://dev.example:6443"


def test_home_kube_config_is_the_default(tmp_path):
    write(tmp_path / ".kube" / "config", "current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\nclusters: [{name: c, cluster: {server: 'http://home:1'}}]\n")
    assert resolve(HOME=str(tmp_path)).server == "http://home:1"


def test_cluster_and_user_flags_override_the_context(kubeconfig):
    cfg = resolve(ConnectionOptions(kubeconfig=kubeconfig, cluster="prod-cluster", user="prod-user"))
    assert cfg.context == "dev"
    assert cfg.namespace == "team-dev"  # the namespace still comes from the context
    assert cfg.server == "https://prod.example:443"
    assert cfg.user["token"] == "prod-token"


def test_server_flag_overrides_the_cluster_server(kubeconfig):
    assert resolve(ConnectionOptions(kubeconfig=kubeconfig, server="http://127.0.0.1:9/")).server == "http://127.0.0.1:9"


def test_server_flag_works_without_any_kubeconfig():
    cfg = resolve(ConnectionOptions(server="http://127.0.0.1:9"))
    assert (cfg.server, cfg.namespace, cfg.user) == ("http://127.0.0.1:9", "default", {})


def test_impersonation_from_flags_and_from_the_kubeconfig_user(kubeconfig):
    cfg = resolve(ConnectionOptions(kubeconfig=kubeconfig, context="prod"))
    assert cfg.impersonation_headers() == [
        ("Impersonate-User", "admin"),
        ("Impersonate-Group", "ops"),
        ("Impersonate-Group", "sre,oncall"),
    ]
    cfg = resolve(ConnectionOptions(kubeconfig=kubeconfig, context="prod", impersonate="jane", impersonate_groups=("dev",)))
    assert cfg.impersonation_headers() == [("Impersonate-User", "jane"), ("Impersonate-Group", "dev")]
    assert resolve(ConnectionOptions(kubeconfig=kubeconfig)).impersonation_headers() == []


def test_request_timeout_bounds_the_connect_timeout():
    assert resolve(ConnectionOptions(server="http://x:1")).connect_timeout == kube_config.MAX_CONNECT_TIMEOUT
    assert resolve(ConnectionOptions(server="http://x:1", request_timeout=0.5)).connect_timeout == 0.5
    assert resolve(ConnectionOptions(server="http://x:1", request_timeout=0)).request_timeout is None


def test_the_token_never_shows_in_repr(kubeconfig):
    cfg = resolve(ConnectionOptions(kubeconfig=kubeconfig, token="s3cret-flag-token"))
    assert "s3cret" not in repr(cfg) and "dev-token" not in repr(cfg)


# -- errors -------------------------------------------------------------------------------


def test_missing_default_kubeconfig_says_what_to_do(tmp_path):
    with pytest.raises(errors.ConfigError) as caught:
        resolve(HOME=str(tmp_path))
    expected = f"no kubeconfig found: {tmp_path}/.kube/config does not exist; set KUBECONFIG or pass --kubeconfig"
    assert str(caught.value) == expected


def test_kubeconfig_env_naming_only_missing_files(tmp_path):
    with pytest.raises(errors.ConfigError) as caught:
        resolve(KUBECONFIG=f"{tmp_path}/a:{tmp_path}/b")
    assert str(caught.value).startswith("no kubeconfig found: none of the files in KUBECONFIG exists")


def test_missing_kubeconfig_flag_file(tmp_path):
    with pytest.raises(errors.ConfigError) as caught:
        resolve(ConnectionOptions(kubeconfig=str(tmp_path / "nope")))
    assert str(caught.value) == f"cannot read kubeconfig {tmp_path}/nope: no such file"


def test_invalid_yaml_names_file_and_line(tmp_path):
    path = write(tmp_path / "kc", "current-context: dev\ncontexts:\n  - name: a: b\n")
    with pytest.raises(errors.ConfigError) as caught:
        resolve(ConnectionOptions(kubeconfig=path))
    assert str(caught.value) == f"invalid kubeconfig {path}: line 3: mapping values are not allowed here"


def test_kubeconfig_that_is_not_a_mapping(tmp_path):
    path = write(tmp_path / "kc", "- a\n- b\n")
    with pytest.raises(errors.ConfigError) as caught:
        resolve(ConnectionOptions(kubeconfig=path))
    assert str(caught.value) == f"invalid kubeconfig {path}: expected a mapping, found a list"


def test_unknown_context_lists_the_available_ones(kubeconfig):
    with pytest.raises(errors.ConfigError) as caught:
        resolve(ConnectionOptions(kubeconfig=kubeconfig, context="staging"))
    assert str(caught.value) == f"context 'staging' not found in {kubeconfig} (available: dangling, dev, prod)"


def test_current_context_naming_an_undefined_context(tmp_path):
    path = write(tmp_path / "kc", "current-context: gone\ncontexts: []\n")
    with pytest.raises(errors.ConfigError) as caught:
        resolve(ConnectionOptions(kubeconfig=path))
    assert str(caught.value) == f"current context 'gone' not found in {path} (it defines no contexts)"


def test_no_current_context(tmp_path):
    path = write(tmp_path / "kc", "contexts: [{name: a, context: {cluster: c}}]\n")
    with pytest.raises(errors.ConfigError) as caught:
        resolve(ConnectionOptions(kubeconfig=path))
    assert str(caught.value) == (
        f"no current context in {path}; pass --context or set one with 'kubectl config use-context NAME'"
    )


def test_context_naming_a_missing_cluster(kubeconfig):
    with pytest.raises(errors.ConfigError) as caught:
        resolve(ConnectionOptions(kubeconfig=kubeconfig, context="dangling"))
    assert str(caught.value) == f"context 'dangling' in {kubeconfig} refers to cluster 'nowhere', which is not defined"


def test_cluster_and_user_flags_naming_nothing(kubeconfig):
    with pytest.raises(errors.ConfigError) as caught:
        resolve(ConnectionOptions(kubeconfig=kubeconfig, cluster="nope"))
    assert str(caught.value) == f"cluster 'nope' (from --cluster) not found in {kubeconfig}"
    with pytest.raises(errors.ConfigError) as caught:
        resolve(ConnectionOptions(kubeconfig=kubeconfig, user="nope"))
    assert str(caught.value) == f"user 'nope' (from --user) not found in {kubeconfig}"


def test_cluster_without_server(tmp_path):
    path = write(tmp_path / "kc", "current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\nclusters: [{name: c, cluster: {}}]\n")
    with pytest.raises(errors.ConfigError) as caught:
        resolve(ConnectionOptions(kubeconfig=path))
    assert str(caught.value) == f"cluster 'c' in {path} has no server"


def test_entries_without_names_are_reported(tmp_path):
    path = write(tmp_path / "kc", "contexts:\n- context: {cluster: c}\n")
    with pytest.raises(errors.ConfigError) as caught:
        resolve(ConnectionOptions(kubeconfig=path))
    assert str(caught.value) == f"invalid kubeconfig {path}: contexts[0] has no name"


def test_lenient_namespace_never_fails(tmp_path, kubeconfig):
    env = {"HOME": str(tmp_path), "KUBECONFIG": kubeconfig}
    assert kube_config.resolve_namespace_leniently(ConnectionOptions(), environ=env) == "team-dev"
    assert kube_config.resolve_namespace_leniently(ConnectionOptions(context="prod"), environ=env) == "default"
    assert kube_config.resolve_namespace_leniently(ConnectionOptions(namespace="x"), environ=env) == "x"
    broken = write(tmp_path / "broken", ": : :\n\t-")
    assert kube_config.resolve_namespace_leniently(ConnectionOptions(kubeconfig=broken), environ=env) == "default"


# -- the library Configuration ------------------------------------------------------------


def auth_header(configuration) -> str | None:
    settings = configuration.auth_settings()
    return settings["BearerToken"]["value"] if "BearerToken" in settings else None


def test_configuration_carries_host_token_and_fails_fast(kubeconfig):
    configuration = kube_config.new_configuration(resolve(ConnectionOptions(kubeconfig=kubeconfig)))
    assert configuration.host == "https://dev.example:6443"
    assert auth_header(configuration) == "Bearer dev-token"
    assert configuration.ssl_ca_cert == os.path.join(os.path.dirname(kubeconfig), "certs", "ca.crt")
    assert configuration.retries is False
    assert configuration.connection_pool_maxsize == 8


def test_token_flag_replaces_the_kubeconfig_credentials(kubeconfig):
    cfg = resolve(ConnectionOptions(kubeconfig=kubeconfig, token="flag-token"))
    assert auth_header(kube_config.new_configuration(cfg)) == "Bearer flag-token"


def test_insecure_flag_drops_the_ca(kubeconfig):
    configuration = kube_config.new_configuration(
        resolve(ConnectionOptions(kubeconfig=kubeconfig, insecure_skip_tls_verify=True))
    )
    assert configuration.verify_ssl is False
    assert configuration.ssl_ca_cert is None


def test_missing_ca_file_is_a_config_error(tmp_path):
    path = write(
        tmp_path / "kc",
        """\
        current-context: a
        contexts: [{name: a, context: {cluster: c}}]
        clusters: [{name: c, cluster: {server: "https://x:6443", certificate-authority: missing-ca.crt}}]
        """,
    )
    with pytest.raises(errors.ConfigError) as caught:
        kube_config.new_configuration(resolve(ConnectionOptions(kubeconfig=path)))
    assert str(caught.value) == f"invalid kubeconfig {path}: File does not exist: {tmp_path}/missing-ca.crt"


def test_token_file_is_read_relative_to_its_kubeconfig(tmp_path):
    write(tmp_path / "conf" / "token.txt", "file-token")
    path = write(
        tmp_path / "conf" / "kc",
        """\
        current-context: a
        contexts: [{name: a, context: {cluster: c, user: u}}]
        clusters: [{name: c, cluster: {server: "http://x:1"}}]
        users: [{name: u, user: {tokenFile: token.txt}}]
        """,
    )
    assert auth_header(kube_config.new_configuration(resolve(ConnectionOptions(kubeconfig=path)))) == "Bearer file-token"


def exec_kubeconfig(tmp_path, script: str) -> str:
    plugin = write(tmp_path / "plugin.py", script)
    return write(
        tmp_path / "kc",
        f"""\
        current-context: a
        contexts: [{{name: a, context: {{cluster: c, user: u}}}}]
        clusters: [{{name: c, cluster: {{server: "http://x:1"}}}}]
        users:
        - name: u
          user:
            exec:
              apiVersion: client.authentication.k8s.io/v1
              command: {sys.executable}
              args: ["{plugin}"]
        """,
    )


def test_exec_credential_plugin_supplies_the_token(tmp_path):
    path = exec_kubeconfig(
        tmp_path,
        """\
        import json
        print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                          "status": {"token": "exec-token"}}))
        """,
    )
    assert auth_header(kube_config.new_configuration(resolve(ConnectionOptions(kubeconfig=path)))) == "Bearer exec-token"


def test_failing_exec_plugin_stops_with_its_message(tmp_path, capsys):
    path = exec_kubeconfig(tmp_path, "import sys\nsys.stderr.write('no SSO session')\nsys.exit(3)\n")
    with pytest.raises(errors.ConfigError) as caught:
        kube_config.new_configuration(resolve(ConnectionOptions(kubeconfig=path)))
    assert str(caught.value) == "getting credentials for context 'a': exec: process returned 3. no SSO session"
    assert capsys.readouterr().err == ""  # the library's log line was captured, not printed


# -- in-cluster ----------------------------------------------------------------------------


@pytest.fixture
def service_account(tmp_path) -> str:
    directory = tmp_path / "sa"
    write(directory / "token", "sa-token")
    write(directory / "ca.crt", "ca")
    write(directory / "namespace", "pod-ns\n")
    os.chmod(directory / "token", stat.S_IRUSR)
    return str(directory)


def test_in_cluster_service_account_when_there_is_no_kubeconfig(service_account):
    env = {"HOME": "/nonexistent-home", "KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    cfg = kube_config.resolve(ConnectionOptions(), environ=env, service_account_dir=service_account)
    assert (cfg.server, cfg.namespace, cfg.in_cluster) == ("https://10.0.0.1:443", "pod-ns", True)
    configuration = kube_config.new_configuration(cfg)
    assert configuration.host == "https://10.0.0.1:443"
    assert auth_header(configuration) == "bearer sa-token"
    assert configuration.ssl_ca_cert == os.path.join(service_account, "ca.crt")


def test_in_cluster_with_flags(service_account):
    env = {"HOME": "/nonexistent-home", "KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443"}
    cfg = kube_config.resolve(
        ConnectionOptions(namespace="other", token="flag-token"), environ=env, service_account_dir=service_account
    )
    assert (cfg.server, cfg.namespace) == ("https://[fd00::1]:6443", "other")
    assert auth_header(kube_config.new_configuration(cfg)) == "Bearer flag-token"


def test_a_kubeconfig_wins_over_in_cluster(kubeconfig, service_account):
    env = {"HOME": "/nonexistent-home", "KUBECONFIG": kubeconfig, "KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    assert kube_config.resolve(ConnectionOptions(), environ=env, service_account_dir=service_account).server == (
        "https://dev.example:6443"
    )
