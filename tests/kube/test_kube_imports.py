"""Importing the kube layer's entry point must stay cheap (it is on the --help path)."""

from __future__ import annotations

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
