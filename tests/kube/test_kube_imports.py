"""Importing the kube layer's entry point must stay cheap (it is on the --help path)."""

from __future__ import annotations

import os
import subprocess
import sys


def test_importing_source_imports_no_kubernetes_urllib3_or_yaml():
    code = (
        "import sys\n"
        "import kubectl_rollouts_py.kube.source\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('kubernetes', 'urllib3', 'yaml')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_resolving_a_kubeconfig_imports_no_kubernetes():
    # Stage one (flags + files) is yaml only; the library is paid for when a client is built.
    code = (
        "import sys\n"
        "from kubectl_rollouts_py.kube import config\n"
        "from kubectl_rollouts_py.kube.options import ConnectionOptions\n"
        "config.resolve(ConnectionOptions(server='http://127.0.0.1:1'), environ={'HOME': '/nonexistent-home'})\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('kubernetes', 'urllib3')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_get_rollout_with_a_token_kubeconfig_imports_no_client_library(tmp_path):
    # The whole CLI run, against the stand-in: static credentials need only the stdlib.
    from kubectl_rollouts_py.sandbox.apiserver import APIServer

    rollout = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "web", "namespace": "team"},
        "spec": {"replicas": 1, "strategy": {"canary": {}}},
    }
    code = (
        "import sys\n"
        "from kubectl_rollouts_py.cli.errors import run\n"
        "code = run(['get', 'rollout', 'web'], prog_name='kubectl rollouts-py')\n"
        "heavy = ('kubernetes', 'urllib3', 'requests', 'requests_oauthlib', 'pydantic', 'aiohttp')\n"
        "sys.stderr.write(repr(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))\n"
        "sys.exit(code)\n"
    )
    with APIServer(token="t0ken") as srv:
        srv.seed([rollout])
        kubeconfig = srv.write_kubeconfig(tmp_path / "kubeconfig", namespace="team")
        env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(tmp_path)}
        for name in [n for n in env if n.lower().endswith("_proxy")]:
            del env[name]  # a proxy would rightly send us down the library path
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
        served = [(r.method, r.path) for r in srv.requests]
    assert result.returncode == 0, result.stderr
    assert "web" in result.stdout
    assert ("GET", "/apis/argoproj.io/v1alpha1/namespaces/team/rollouts/web") in served
    assert result.stderr.strip() == "[]"
