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
