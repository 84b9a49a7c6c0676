"""Fixtures for the sandbox tests: a `kubectl rollouts-py sandbox` process, and the CLI against it.

`SandboxProcess` starts the installed console script (or `python -m kubectl_rollouts_py`
when none is installed) with a kubeconfig in the test's temp dir, waits for the
`export KUBECONFIG=` line (printed once the rollout is Healthy and Prometheus has data),
and runs CLI commands against it. `stop()` sends SIGTERM and returns the exit code; the
fixtures then check that every port it served is closed and every child process is gone.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

NS = "ithome"
REPO = "luciferstut/app-backend-for-ithome2024"
START_TIMEOUT = 60.0


def cli_command() -> list[str]:
    script = shutil.which("kubectl-rollouts_py", path=os.path.dirname(sys.executable)) or shutil.which("kubectl-rollouts_py")
    return [script] if script else [sys.executable, "-m", "kubectl_rollouts_py"]


def prometheus_or_skip() -> str:
    path = shutil.which("prometheus")
    if path:
        return path
    reason = "no `prometheus` binary on PATH (apt-get install prometheus; .ci/run does)"
    if os.environ.get("CI"):
        pytest.fail(reason + " — CI must run the real-Prometheus sandbox test", pytrace=False)
    pytest.skip(reason)


@dataclass
class Result:
    code: int
    out: str
    err: str


def _children(pid: int) -> set[int]:
    """Direct children of `pid` (Linux /proc), for the no-leftovers checks."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(p) for p in (task / "children").read_text().split())
        except OSError:
            pass
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by its parent) counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def port_open(url: str) -> bool:
    host, _, port = url.split("://", 1)[1].rstrip("/").rpartition(":")
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, int(port))) == 0


class SandboxProcess:
    def __init__(self, tmp: Path, *args: str) -> None:
        self.kubeconfig = tmp / "sandbox.kubeconfig"
        env = dict(os.environ, XDG_CACHE_HOME=str(tmp / "cache"))
        env.pop("KUBECONFIG", None)
        self.proc = subprocess.Popen(
            [*cli_command(), "sandbox", "--kubeconfig", str(self.kubeconfig), *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        )
        self.lines: list[str] = []
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._ready.wait(START_TIMEOUT):
            self.proc.kill()
            raise AssertionError(f"the sandbox did not get ready in {START_TIMEOUT:g}s:\n{self.output}")
        if self.proc.poll() is not None:
            raise AssertionError(f"the sandbox exited {self.proc.returncode}:\n{self.output}")
        self.api_url = self._banner_url("API server")
        self.prometheus_url = self._banner_url("Prometheus")
        self.demo_url = self._banner_url("Demo app").removesuffix("/metrics")
        self.children = _children(self.proc.pid)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            if line.startswith("export KUBECONFIG="):
                self._ready.set()
        self._ready.set()

    def _banner_url(self, label: str) -> str:
        for line in self.lines:
            if line.strip().startswith(label):
                return line.split()[len(label.split())]
        raise AssertionError(f"no {label} line in:\n{self.output}")

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def cli(self, *args: str, timeout: float = 180) -> Result:
        env = dict(os.environ, KUBECONFIG=str(self.kubeconfig), NO_COLOR="1")
        proc = subprocess.run([*cli_command(), *args], capture_output=True, text=True, env=env, timeout=timeout,
                              stdin=subprocess.DEVNULL)
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def kubectl(self, kubectl: str, *args: str) -> Result:
        proc = subprocess.run([kubectl, "--kubeconfig", str(self.kubeconfig), *args], capture_output=True, text=True, timeout=60)
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def get(self, path: str) -> Any:
        """A raw GET on the stand-in API server (what the controller wrote, exactly)."""
        with urllib.request.urlopen(self.api_url + path, timeout=10) as answer:
            return json.load(answer)

    def rollout(self) -> dict[str, Any]:
        return self.get(f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/rollouts/app-backend")  # type: ignore[no-any-return]

    def replicasets(self) -> list[dict[str, Any]]:
        return self.get(f"/apis/apps/v1/namespaces/{NS}/replicasets")["items"]  # type: ignore[no-any-return]

    def pods(self) -> list[dict[str, Any]]:
        return self.get(f"/api/v1/namespaces/{NS}/pods")["items"]  # type: ignore[no-any-return]

    def runs(self) -> list[dict[str, Any]]:
        return self.get(f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/analysisruns")["items"]  # type: ignore[no-any-return]

    def wait(self, predicate: Any, timeout: float = 30.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what or predicate}; controller output:\n{self.output[-3000:]}")

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError(f"the sandbox did not stop within {timeout:g}s of signal {signum}") from None
        self._reader.join(timeout=5)
        return code

    def assert_nothing_left(self) -> None:
        for url in (self.api_url, self.prometheus_url, self.demo_url):
            assert not port_open(url), f"{url} still answers after the sandbox stopped"
        deadline = time.monotonic() + 30  # a bound on a failure only
        while any(_alive(pid) for pid in self.children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in self.children if _alive(pid)], "a child process outlived the sandbox"


@pytest.fixture()
def start_sandbox(tmp_path: Path) -> Iterator[Any]:
    """`start_sandbox(*args)` -> a running SandboxProcess; stopped (and checked) at the end."""
    started: list[SandboxProcess] = []

    def start(*args: str) -> SandboxProcess:
        box = SandboxProcess(tmp_path / f"sandbox{len(started)}", *args)
        started.append(box)
        return box

    yield start
    for box in started:
        code = box.stop()
        assert code == 0, f"the sandbox exited {code} on SIGTERM:\n{box.output[-2000:]}"
        assert box.output.rstrip().endswith("Sandbox stopped."), box.output[-500:]
        box.assert_nothing_left()


def images(obj: dict[str, Any]) -> list[str]:
    return [c["image"] for c in obj["spec"]["template"]["spec"]["containers"]]


def kubeconfig_server(path: Path) -> str:
    return str(yaml.safe_load(path.read_text())["clusters"][0]["cluster"]["server"])
