"""Fixtures for end-to-end tests: the installed console script and the real kubectl.

These tests run programs, not functions: `kubectl-rollouts_py` as pip installed it (the
script beside the interpreter running pytest, e.g. the CI venv's bin/), and a real kubectl.
A test that needs one of them is skipped, with the reason, when it is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from kubectl_support import Result, find_kubectl

SCRIPT = "kubectl-rollouts_py"


def find_console_script() -> str | None:
    """The installed `kubectl-rollouts_py`: first beside sys.executable, then on PATH.

    Looking beside the interpreter first finds the script of the environment that runs the
    tests (a venv's bin/), rather than some other copy earlier on PATH, such as a pyenv
    shim (a shell script that only works with pyenv itself on PATH).
    """
    beside = shutil.which(SCRIPT, path=os.path.dirname(sys.executable))
    return beside or shutil.which(SCRIPT)


@pytest.fixture(scope="session")
def console_script() -> str:
    """Absolute path of the installed `kubectl-rollouts_py`; skips if it is not installed."""
    path = find_console_script()
    if path is None:
        pytest.skip(
            f"{SCRIPT} is not installed: no console script beside {sys.executable} or on PATH "
            "(run `pip install .` first)"
        )
    return os.path.abspath(path)


@pytest.fixture(scope="session")
def kubectl() -> str:
    """Absolute path of a real kubectl; skips if there is none."""
    path = find_kubectl()
    if path is None:
        pytest.skip("no kubectl: neither /usr/bin/kubectl nor kubectl on PATH")
    return os.path.abspath(path)


@dataclass(frozen=True)
class PluginShell:
    """Runs kubectl with a PATH that holds only our plugin and kubectl's own directory."""

    kubectl: str
    plugin_dir: Path
    env: dict[str, str]

    def run(self, args: Sequence[str], *, timeout: float = 60) -> Result:
        proc = subprocess.run(
            [self.kubectl, *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def plugin_shell(tmp_path: Path, console_script: str, kubectl: str) -> PluginShell:
    """A temp dir with one symlink, `kubectl-rollouts_py` -> the installed script, put on a
    PATH with only kubectl's own directory after it, so no other `kubectl-*` on the machine
    (another checkout's copy, a krew install) can shadow ours or warn in `plugin list`."""
    plugin_dir = tmp_path / "plugins"
    plugin_dir.mkdir()
    (plugin_dir / SCRIPT).symlink_to(console_script)
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(plugin_dir), os.path.dirname(kubectl)])
    env.pop("KUBECONFIG", None)
    env["HOME"] = str(tmp_path / "home")  # no ~/.kube of the machine's user
    os.mkdir(env["HOME"])
    return PluginShell(kubectl=kubectl, plugin_dir=plugin_dir, env=env)
