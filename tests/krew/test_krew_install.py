"""The archive installed the way krew installs it, run by the real kubectl.

PATH holds only krew's bin dir and the directories of kubectl and python3 (/usr/bin here),
so the plugin runs on a Python that has none of the project's packages: everything it
imports comes from the zipapp.
"""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubectl_rollouts_py import __version__

from .conftest import EXAMPLE, KrewShell, Result, pythons, system_python3

GET_ROLLOUT = ["get", "rollout", "app-backend", "--from-file", str(EXAMPLE), "-n", "ithome"]
FLOOR = (3, 10)


def example_pods() -> list[str]:
    with EXAMPLE.open(encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    items = [i for d in docs for i in (d.get("items") or [d])]
    return [i["metadata"]["name"] for i in items if i.get("kind") == "Pod"]


def assert_canary_view(stdout: str) -> None:
    lines = stdout.splitlines()
    assert lines[0].split() == ["Name:", "app-backend"], stdout
    assert lines[1].split() == ["Namespace:", "ithome"], stdout
    assert "Paused" in lines[2], stdout
    pods = example_pods()
    assert pods
    for pod in pods:
        assert any(pod in line and " Pod " in line for line in lines), (pod, stdout)


def test_install_layout(krew: KrewShell) -> None:
    install = krew.install
    assert install.install_dir == install.root / "store" / "rollouts-py" / f"v{__version__}"
    assert sorted(p.name for p in install.install_dir.iterdir()) == [
        "LICENSE",
        "README.md",
        "kubectl-rollouts_py",
        "kubectl_complete-rollouts_py",
    ]
    for name in ("kubectl-rollouts_py", "kubectl_complete-rollouts_py"):
        assert os.access(install.install_dir / name, os.X_OK), name
    assert os.readlink(install.link) == f"../store/rollouts-py/v{__version__}/kubectl-rollouts_py"


def test_plugin_list_shows_the_plugin_without_warnings(krew: KrewShell) -> None:
    result = krew.run(["plugin", "list"])

    assert result.returncode == 0, result.output
    assert str(krew.install.link) in result.stdout
    assert "warning" not in result.output.lower()


def test_kubectl_runs_the_zipapp_version(krew: KrewShell) -> None:
    result = krew.run(["rollouts-py", "version"], timeout=300)  # the first run unpacks

    assert result.returncode == 0, result.output
    assert result.stdout.splitlines()[0] == f"kubectl-rollouts_py: v{__version__}"
    assert result.stderr == ""


def test_kubectl_runs_get_rollout_from_a_file_through_the_zipapp(krew: KrewShell) -> None:
    result = krew.run(["rollouts-py", *GET_ROLLOUT])

    assert result.returncode == 0, result.output
    assert_canary_view(result.stdout)
    assert result.stderr == ""


def test_help_names_the_plugin_as_kubectl_users_type_it(krew: KrewShell) -> None:
    result = krew.run(["rollouts-py", "--help"])

    assert result.returncode == 0, result.output
    assert result.stdout.startswith("Usage: kubectl rollouts-py")


def test_the_bundle_imports_without_any_site_packages(krew: KrewShell, unpacked: Path) -> None:
    """Every module of the package, and the library paths it reaches lazily, import from the bundle alone."""
    script = f"""
import importlib, pkgutil, sys
sys.path[:0] = [{str(unpacked)!r}]
import kubectl_rollouts_py
for module in pkgutil.walk_packages(kubectl_rollouts_py.__path__, "kubectl_rollouts_py."):
    if not module.name.endswith(".__main__"):
        importlib.import_module(module.name)
from kubernetes.client import ApiClient, Configuration
from kubernetes.config import kube_config, incluster_config, config_exception
from prometheus_api_client import PrometheusConnect
import requests_oauthlib, websocket, tabulate, click, yaml
assert not yaml.__with_libyaml__, "PyYAML's C extension should not be in the bundle"
assert not hasattr(yaml, "CSafeLoader")
import kubernetes
print(kubernetes.__version__)
outside = sorted(
    name for name, m in sys.modules.items()
    if getattr(m, "__file__", None) and "site-packages" in m.__file__ and not m.__file__.startswith({str(unpacked)!r})
)
assert not outside, outside
"""
    done = subprocess.run([system_python3(), "-I", "-S", "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "35.0.0"


def test_kubeconfig_yaml_loads_with_the_pure_yaml_loader(krew: KrewShell, tmp_path: Path) -> None:
    """kube/config.py reads a kubeconfig through PyYAML without libyaml (no cluster is contacted)."""
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "contexts: [{name: c, context: {cluster: k, user: u, namespace: from-kubeconfig}}]\n"
        "clusters: [{name: k, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: u, user: {token: t}}]\n",
        encoding="utf-8",
    )
    env = dict(krew.env, KUBECONFIG=str(kubeconfig))
    done = subprocess.run(
        [str(krew.install.link), "list", "rollouts", "--from-file", str(EXAMPLE), "-o", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    bad = tmp_path / "bad"
    bad.write_text("apiVersion: v1\nclusters: [\n", encoding="utf-8")
    done = subprocess.run(
        [str(krew.install.link), "list", "rollouts", "--kubeconfig", str(bad)],
        env=krew.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert str(bad) in done.stderr, done.stderr


# --------------------------------------------------------------------------- completion


def test_completion_through_the_link_the_caveats_suggest(krew: KrewShell) -> None:
    """`ln -s kubectl-rollouts_py $KREW_ROOT/bin/kubectl_complete-rollouts_py` (survives upgrades)."""
    link = krew.install.bin_dir / "kubectl_complete-rollouts_py"
    link.symlink_to("kubectl-rollouts_py")
    try:
        result = krew.run(["__complete", "rollouts-py", "get", "ro"])
        plugin_list = krew.run(["plugin", "list"])
    finally:
        link.unlink()
    assert result.returncode == 0, result.output
    assert result.stdout.splitlines()[0].split("\t")[0] == "rollout", result.stdout
    assert result.stdout.splitlines()[-1] == ":4"
    assert plugin_list.returncode == 0 and "warning" not in plugin_list.output.lower(), plugin_list.output


def test_completion_through_the_launcher_in_the_archive(krew: KrewShell) -> None:
    link = krew.install.bin_dir / "kubectl_complete-rollouts_py"
    link.symlink_to(os.path.relpath(krew.install.install_dir / "kubectl_complete-rollouts_py", krew.install.bin_dir))
    try:
        result = krew.run(["__complete", "rollouts-py", ""])
    finally:
        link.unlink()
    assert result.returncode == 0, result.output
    words = [line.split("\t")[0] for line in result.stdout.splitlines()]
    assert {"get", "list", "promote", "version"} <= set(words), result.stdout
    assert words[-1] == ":4"


# --------------------------------------------------------------------------- Python versions

OTHER_PYTHONS = pythons()


@pytest.mark.parametrize(
    "minor",
    sorted({"3.10", *(m for m in OTHER_PYTHONS if tuple(map(int, m.split("."))) >= FLOOR)}),
)
def test_the_zipapp_runs_on(minor: str, krew: KrewShell) -> None:
    """The floor (3.10) and every newer CPython this machine has run the same archive."""
    python = OTHER_PYTHONS.get(minor)
    if python is None:
        pytest.skip(f"no CPython {minor} on this machine (looked in ~/.pyenv/versions and /usr/bin)")
    app = str(krew.install.install_dir / "kubectl-rollouts_py")
    version = krew.exec([python, app, "version"], timeout=300)
    assert version.returncode == 0, version.output
    assert f"PythonVersion: {minor}." in version.stdout, version.stdout
    got = krew.exec([python, app, *GET_ROLLOUT], timeout=300)
    assert got.returncode == 0, got.output
    assert_canary_view(got.stdout)


def test_python_below_the_floor_gets_a_clear_error(krew: KrewShell) -> None:
    older = sorted((m for m in OTHER_PYTHONS if (3, 8) <= tuple(map(int, m.split("."))) < FLOOR), reverse=True)
    if not older:
        pytest.skip("no CPython 3.8 or 3.9 on this machine")
    python = OTHER_PYTHONS[older[0]]
    result = krew.exec([python, str(krew.install.link), "version"], timeout=300)
    assert result.returncode == 1, result.output
    assert "Traceback" not in result.stderr
    assert f"needs Python 3.10 or newer, not {older[0]}" in result.stderr, result.stderr


# --------------------------------------------------------------------------- the zipapp's launcher


def _imported(krew: KrewShell, argv: Sequence[str], **extra: str) -> tuple[Result, set[str]]:
    """Run the zipapp under `python -X importtime`; the result and the modules it imported."""
    env = {**krew.env, **extra}
    python = system_python3()
    done = subprocess.run([python, "-X", "importtime", str(krew.install.link), *argv], env=env,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    modules = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return Result(done.returncode, done.stdout, done.stderr), modules


def test_once_unpacked_the_zipapp_skips_shivs_bootstrap(krew: KrewShell, unpacked: Path) -> None:
    fast, modules = _imported(krew, ["version"])
    assert fast.returncode == 0, fast.output
    assert "_bootstrap" not in modules and "zipfile" not in modules and "compileall" not in modules, sorted(modules)
    assert any(name.startswith("kubectl_rollouts_py.") for name in modules)
    # What only shiv's bootstrap does still goes through it, with the same answer.
    forced, modules = _imported(krew, ["version"], SHIV_FORCE_EXTRACT="1")
    assert forced.returncode == 0, forced.output
    assert "_bootstrap" in modules
    assert forced.stdout == fast.stdout


def test_the_launcher_is_the_projects_with_shivs_build_id(built: Any) -> None:
    import json
    import tarfile
    import zipfile

    with tarfile.open(built.path) as tar:
        member = tar.extractfile("kubectl-rollouts_py")
        assert member is not None
        data = member.read()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        main = archive.read("__main__.py").decode()
        environment = json.loads(archive.read("environment.json"))
    template = (Path(__file__).resolve().parents[2] / "plugin" / "zipapp_main.py").read_text(encoding="utf-8")
    settings = {key: environment[key] for key in ("build_id", "entry_point", "root")}
    assert settings["build_id"] and settings["entry_point"] == "kubectl_rollouts_py_bundle:main"
    assert main == template.replace(
        "BUILD = {}  # plugin/build.py: build_id, entry_point and root from environment.json\n", f"BUILD = {settings!r}\n"
    )
