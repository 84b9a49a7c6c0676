"""The kubeconfig cache (kube/config_cache.py): a hit needs no PyYAML and gives back what a full
parse does, any change to a file is a miss, the cache is private, holds no string of the file
(only the shape and where each string lies) and goes when the file goes."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kubectl_rollouts_py.kube import config, config_cache
from kubectl_rollouts_py.kube.options import ConnectionOptions

KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: "secret-token"}
contexts:
- name: ctx
  context: {cluster: c, user: u, namespace: "team-a"}
current-context: ctx
"""


def _settled(path: Path) -> None:
    old = time.time() - 60
    os.utime(path, (old, old))


@pytest.fixture()
def world(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(KUBECONFIG)
    _settled(kubeconfig)
    # ctime cannot be set back: let the file settle by treating "now" as later.
    return kubeconfig, {"HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(tmp_path / "cache"), "KUBECONFIG": str(kubeconfig)}


@pytest.fixture(autouse=True)
def no_settling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config_cache, "SETTLE_SECONDS", -60.0)


def _entries(environ: dict[str, str]) -> list[Path]:
    directory = Path(environ["XDG_CACHE_HOME"]) / config_cache.DIRECTORY
    return sorted(directory.glob(f"{config_cache.PREFIX}*.json")) if directory.exists() else []


def _resolve(environ: dict[str, str]) -> config.ClusterConfig:
    return config.resolve(ConnectionOptions(), environ=environ)


def test_the_cache_is_private_and_rebuilds_exactly_the_parsed_file(world: tuple[Path, dict[str, str]]) -> None:
    kubeconfig, environ = world
    first = _resolve(environ)
    [entry] = _entries(environ)
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert stat.S_IMODE(entry.parent.stat().st_mode) == 0o700
    import yaml

    data = json.loads(entry.read_text())
    assert data["format"] == config_cache.FORMAT
    assert [config_cache._rebuild(shape, KUBECONFIG) for shape in data["documents"]] == [yaml.safe_load(KUBECONFIG)]
    second = _resolve(environ)  # from the cache
    assert (second.server, second.namespace, second.user) == (first.server, first.namespace, first.user)


def test_a_hit_does_not_import_yaml(world: tuple[Path, dict[str, str]]) -> None:
    _, environ = world
    _resolve(environ)
    code = ("import sys, json\nfrom kubectl_rollouts_py.kube import config, config_cache\n"
            "from kubectl_rollouts_py.kube.options import ConnectionOptions\n"
            "config_cache.SETTLE_SECONDS = -60.0\n"
            "c = config.resolve(ConnectionOptions(), environ=json.loads(sys.argv[1]))\n"
            "print(c.namespace, 'yaml' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, json.dumps(environ)], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["team-a", "False"]


def test_any_change_to_the_file_is_a_miss(world: tuple[Path, dict[str, str]]) -> None:
    kubeconfig, environ = world
    assert _resolve(environ).namespace == "team-a"
    kubeconfig.write_text(KUBECONFIG.replace("team-a", "team-b"))  # same size, new content
    _settled(kubeconfig)
    assert _resolve(environ).namespace == "team-b"
    replaced = kubeconfig.with_name("new")
    replaced.write_text(KUBECONFIG.replace("team-a", "team-c"))
    _settled(replaced)
    os.replace(replaced, kubeconfig)  # a new inode
    assert _resolve(environ).namespace == "team-c"


def test_a_kubeconfig_that_is_gone_takes_its_copy_with_it(world: tuple[Path, dict[str, str]]) -> None:
    kubeconfig, environ = world
    _resolve(environ)
    assert _entries(environ)
    kubeconfig.unlink()
    with pytest.raises(Exception):
        _resolve(environ)
    assert _entries(environ) == []


def test_an_entry_open_to_others_is_not_trusted(world: tuple[Path, dict[str, str]]) -> None:
    _, environ = world
    _resolve(environ)
    [entry] = _entries(environ)
    data = json.loads(entry.read_text())
    data["documents"] = [{"m": []}]  # an empty kubeconfig: no context, no namespace
    entry.write_text(json.dumps(data))
    entry.chmod(0o644)
    assert _resolve(environ).namespace == "team-a"
    entry.chmod(0o600)
    assert _resolve(environ).namespace == "team-a"  # rewritten from the file on the miss above


def test_what_json_cannot_hold_exactly_is_not_cached(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(KUBECONFIG + "preferences: {1: when, at: 2001-12-14}\n")
    _settled(kubeconfig)
    environ = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "KUBECONFIG": str(kubeconfig)}
    assert _resolve(environ).namespace == "team-a"
    assert _entries(environ) == []


def test_a_missing_file_in_the_list_is_still_missing_and_a_required_one_still_an_error(world: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    kubeconfig, environ = world
    environ = {**environ, "KUBECONFIG": f"{tmp_path / 'absent'}:{kubeconfig}"}
    assert _resolve(environ).namespace == "team-a"
    assert _resolve(environ).namespace == "team-a"
    from kubectl_rollouts_py import errors

    with pytest.raises(errors.ConfigError, match="no such file"):
        config.resolve(ConnectionOptions(kubeconfig=str(tmp_path / "absent")), environ=environ)


def test_without_a_home_or_cache_directory_nothing_is_written(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(KUBECONFIG)
    assert _resolve({"KUBECONFIG": str(kubeconfig)}).namespace == "team-a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kubeconfig"]


# --------------------------------------------------------------------------- no string of the file

SECRETS = {
    "token": "sentinel-token-1f2e3d",
    "client-key-data": "c2VudGluZWwta2V5LWRhdGE=",
    "password": "sentinel-password-9a8b",
    "url-password": "sentinelurlpass42",
    "env-value": "sentinel-env-value-77",
    "refresh-token": "sentinel-refresh-token-55",
    "id-token": "sentinel-id-token-66",
}

SECRET_KUBECONFIG = f"""\
apiVersion: v1
kind: Config
clusters:
- name: kind-kind
  cluster:
    server: https://admin:{SECRETS["url-password"]}@127.0.0.1:6443
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=
    extensions:
    - name: client.authentication.k8s.io/exec
      extension: {{audience: sentinel-audience, enabled: true, retries: 3, ratio: 0.5, none: null}}
users:
- name: token-user
  user: {{token: "{SECRETS["token"]}"}}
- name: cert-user
  user:
    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
    client-key-data: {SECRETS["client-key-data"]}
- name: basic
  user: {{username: admin, password: '{SECRETS["password"]}'}}
- name: exec-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [eks, get-token, --cluster-name, prod]
      env:
      - name: AWS_PROFILE
        value: {SECRETS["env-value"]}
      interactiveMode: Never
- name: oidc
  user:
    auth-provider:
      name: oidc
      config:
        client-id: kubernetes
        id-token: {SECRETS["id-token"]}
        refresh-token: "{SECRETS["refresh-token"]}"
        idp-issuer-url: https://issuer.example
contexts:
- name: kind-kind
  context: {{cluster: kind-kind, user: token-user, namespace: team-a}}
current-context: kind-kind
preferences: {{}}
"""


def _forms(secret: str) -> list[bytes]:
    import base64

    raw = secret.encode()
    forms = [raw, base64.b64encode(raw)]
    if secret.endswith("="):  # already base64: its decoded bytes too
        forms.append(base64.b64decode(secret))
    return forms


def _write(tmp_path: Path, text: str, name: str = "kubeconfig") -> tuple[Path, dict[str, str]]:
    kubeconfig = tmp_path / name
    kubeconfig.write_text(text)
    _settled(kubeconfig)
    return kubeconfig, {"HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(tmp_path / "cache"), "KUBECONFIG": str(kubeconfig)}


def _documents(environ: dict[str, str], path: Path) -> list[Any]:
    return config_cache.load_documents([str(path)], lambda p: config._load_yaml_file(p, required=True), config._MISSING,
                                       environ, config._yaml_loader)


def test_the_cache_holds_no_credential_nor_any_string_of_the_file(tmp_path: Path) -> None:
    import yaml

    kubeconfig, environ = _write(tmp_path, SECRET_KUBECONFIG)
    parsed = yaml.safe_load(SECRET_KUBECONFIG)
    assert _documents(environ, kubeconfig) == [parsed]  # a miss: parsed, and cached
    [entry] = _entries(environ)
    stored = entry.read_bytes()
    for secret in SECRETS.values():
        for form in _forms(secret):
            assert form not in stored, secret
    for word in ("kind-kind", "sentinel-audience", "AWS_PROFILE", "https", "admin", "token", "aws"):
        assert word.encode() not in stored  # no string at all, keys included
    hit = _documents(environ, kubeconfig)
    assert config_cache._same(hit, [parsed])
    assert _resolve(environ).namespace == "team-a"


VARIED = {
    "minikube": """\
apiVersion: v1
clusters:
- cluster:
    certificate-authority: /home/me/.minikube/ca.crt
    extensions:
    - extension:
        last-update: Fri, 04 Dec 2026 10:00:00 UTC
        provider: minikube.sigs.k8s.io
        version: v1.34.0
      name: cluster_info
    server: https://192.168.49.2:8443
  name: minikube
contexts:
- context: {cluster: minikube, namespace: default, user: minikube}
  name: minikube
current-context: minikube
kind: Config
preferences: {}
users:
- name: minikube
  user:
    client-certificate: /home/me/.minikube/profiles/minikube/client.crt
    client-key: /home/me/.minikube/profiles/minikube/client.key
""",
    "json": json.dumps({"apiVersion": "v1", "kind": "Config", "current-context": "j",
                        "clusters": [{"name": "c", "cluster": {"server": "https://u:p@h:1", "insecure-skip-tls-verify": True}}],
                        "users": [{"name": "u", "user": {"token": "json-token", "exec": None}}],
                        "contexts": [{"name": "j", "context": {"cluster": "c", "user": "u"}}]}, indent=2),
    "quoted": """\
current-context: 'q ctx'
contexts: [{name: 'q ctx', context: {cluster: "c c", user: "", namespace: '123'}}]
clusters: [{name: "c c", cluster: {server: 'https://h:443', proxy-url: "http://p:3128"}}]
users: [{name: "", user: {token: "é-ünicode-token", username: 'x y'}}]
numbers: [1, -2, 0x1f, 1.5, -0.0, 1e3, yes, No, ~, null, "1", '2', 0o17, 1_000]
""",
    "anchors": """\
current-context: a
base: &base {server: https://h:1, insecure-skip-tls-verify: true}
name: &n shared-name
clusters: [{name: *n, cluster: *base}, {name: other, cluster: *base}]
users: [{name: *n, user: {token: &t anchored-token}}, {name: u2, user: {token: *t}}]
contexts: [{name: a, context: {cluster: *n, user: *n}}]
""",
    "tagged": """\
current-context: !!str 12
contexts: [{name: !!str 12, context: {cluster: c, user: u}}]
number: !!int "7"
""",
    "empty": "",
    "byte order mark, CRLF": "\ufeff" + KUBECONFIG.replace("\n", "\r\n"),
    "non-ASCII before the strings": "# café ☕ 😀\n" + KUBECONFIG,
    "comment only": "# nothing here\n",
}

NOT_CACHED = {
    "escaped": 'users: [{name: u, user: {token: "tab\\there"}}]\n',
    "single quote doubled": "users: [{name: u, user: {token: 'it''s'}}]\n",
    "block": "users:\n- name: u\n  user:\n    token: |\n      multi\n      line\n",
    "folded plain": "users:\n- name: u\n  user:\n    token: one\n      two\n",
    "merge key": "base: &b {server: s}\nclusters: [{name: c, cluster: {<<: *b, insecure-skip-tls-verify: true}}]\n",
    "date": "preferences: {when: 2001-12-14}\n",
    "nan": "preferences: {x: .nan}\n",
    "infinity": "preferences: {x: -.inf}\n",
    "binary": "preferences: {x: !!binary aGVsbG8=}\n",
    "set": "preferences: !!set {a, b}\n",
}


@pytest.mark.parametrize("name", sorted(VARIED))
def test_a_hit_gives_back_exactly_what_a_full_parse_does(tmp_path: Path, name: str) -> None:
    import yaml

    kubeconfig, environ = _write(tmp_path, VARIED[name])
    parsed = yaml.safe_load(VARIED[name])
    assert config_cache._same(_documents(environ, kubeconfig), [parsed])
    [entry] = _entries(environ)
    hit = json.loads(entry.read_text())
    assert hit["format"] == config_cache.FORMAT
    assert config_cache._same(_documents(environ, kubeconfig), [parsed])
    text = entry.read_text()
    for token in ("json-token", "é-ünicode-token", "anchored-token", "shared-name", "u:p@h"):
        assert token not in text


@pytest.mark.parametrize("name", sorted(NOT_CACHED))
def test_what_cannot_be_taken_back_from_the_file_exactly_is_not_cached(tmp_path: Path, name: str) -> None:
    import yaml

    kubeconfig, environ = _write(tmp_path, NOT_CACHED[name])
    parsed = yaml.safe_load(NOT_CACHED[name])
    for _ in range(2):
        assert _documents(environ, kubeconfig) == [parsed]
        assert _entries(environ) == []


def test_a_changed_file_is_a_miss_and_its_new_strings_are_read(tmp_path: Path) -> None:
    kubeconfig, environ = _write(tmp_path, SECRET_KUBECONFIG)
    _documents(environ, kubeconfig)
    changed = SECRET_KUBECONFIG.replace(SECRETS["token"], "other-token-123456")  # same length
    kubeconfig.write_text(changed)
    _settled(kubeconfig)
    [document] = _documents(environ, kubeconfig)
    assert document["users"][0]["user"]["token"] == "other-token-123456"
    [document] = _documents(environ, kubeconfig)  # the new entry
    assert document["users"][0]["user"]["token"] == "other-token-123456"


def test_a_file_changed_behind_a_matching_key_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kubeconfig, environ = _write(tmp_path, KUBECONFIG)
    _documents(environ, kubeconfig)
    stale = config_cache._stat_key(str(kubeconfig))
    kubeconfig.write_text(KUBECONFIG.replace("kind: Config", "kind: Config\npreferences: {}").replace("team-a", "team-z"))
    # The key taken before the read still matches the entry: the one taken after it does not.
    keys = iter([stale])
    real = config_cache._stat_key
    monkeypatch.setattr(config_cache, "_stat_key", lambda p: next(keys, None) or real(p))
    [document] = _documents(environ, kubeconfig)
    assert document["contexts"][0]["context"]["namespace"] == "team-z"


def test_an_old_format_entry_holding_strings_is_deleted(tmp_path: Path) -> None:
    kubeconfig, environ = _write(tmp_path, SECRET_KUBECONFIG)
    directory = Path(environ["XDG_CACHE_HOME"]) / config_cache.DIRECTORY
    directory.mkdir(parents=True, mode=0o700)
    import yaml

    key = [config_cache._stat_key(str(kubeconfig))]
    old = json.dumps({"format": 1, "key": key, "documents": [yaml.safe_load(SECRET_KUBECONFIG)]})
    entry = Path(config_cache._entry_path(str(directory), [str(kubeconfig)]))
    other = directory / f"{config_cache.PREFIX}00000000.json"  # another list of paths, old too
    for path in (entry, other):
        path.write_text(old)
        path.chmod(0o600)
    [document] = _documents(environ, kubeconfig)
    assert document == yaml.safe_load(SECRET_KUBECONFIG)
    assert not other.exists()
    assert json.loads(entry.read_text())["format"] == config_cache.FORMAT
    assert SECRETS["token"].encode() not in entry.read_bytes()


def test_an_old_format_entry_goes_even_when_the_new_file_cannot_be_cached(tmp_path: Path) -> None:
    kubeconfig, environ = _write(tmp_path, NOT_CACHED["block"])
    directory = Path(environ["XDG_CACHE_HOME"]) / config_cache.DIRECTORY
    directory.mkdir(parents=True, mode=0o700)
    entry = Path(config_cache._entry_path(str(directory), [str(kubeconfig)]))
    entry.write_text(json.dumps({"format": 1, "key": [config_cache._stat_key(str(kubeconfig))], "documents": [{"users": []}]}))
    entry.chmod(0o600)
    _documents(environ, kubeconfig)
    assert _entries(environ) == []
