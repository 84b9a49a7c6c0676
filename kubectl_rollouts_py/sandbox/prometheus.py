"""A real `prometheus` process on loopback: its own config and TSDB in a work directory.

Used by the sandbox (`run.Sandbox`, scraping the demo app) and by the tests (the analysis
suite's session Prometheus, with promtool-backfilled data, and throwaway ones that a fault
test stops or freezes), so both start, wait for and stop it the same way:

* `launch()` writes the config (JSON, which is valid YAML: no YAML writer needed) and starts
  the process on a free port, without waiting; `wait_ready()` waits for `/-/ready`;
  `start()` does both, retrying on another port if the probed one was taken meanwhile.
* `wait_for(query, predicate)` polls an instant query (e.g. until a first scrape landed:
  Prometheus 2.x hands new targets to its scraper on a 5 s tick, so live data starts about
  5-6 s after start).
* `stop()` terminates it, then kills it after 10 s.

Every wait is bounded; failures raise RolloutsError with the end of Prometheus's log.
Standard library only.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from kubectl_rollouts_py import errors


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (nothing keeps it: bind soon, or use it as 'closed')."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class PrometheusProcess:
    """One `prometheus` process scraping `targets` ({job: [host:port, ...]}) every `interval` seconds."""

    def __init__(
        self,
        binary: str,
        workdir: Path,
        *,
        targets: Mapping[str, Sequence[str]] | None = None,
        interval: float = 1.0,
        host: str = "127.0.0.1",
        retention: str = "1d",
    ) -> None:
        self.binary = binary
        self.workdir = workdir
        self.targets = {job: list(addresses) for job, addresses in (targets or {}).items()}
        self.interval_ms = max(100, int(interval * 1000))
        self.host = host
        self.retention = retention
        self.storage = workdir / "tsdb"
        self.log_path = workdir / "prometheus.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.started_in = 0.0  # seconds from launch to ready, set by start()

    def config(self) -> str:
        interval = f"{self.interval_ms}ms"
        jobs = [
            {"job_name": job, "scrape_interval": interval, "scrape_timeout": interval, "static_configs": [{"targets": addresses}]}
            for job, addresses in self.targets.items()
        ]
        return json.dumps({"global": {"scrape_interval": interval, "evaluation_interval": "1m"}, "scrape_configs": jobs}, indent=2)

    def launch(self) -> str:
        """Start the process on a free port, without waiting for it; its URL. Raises RolloutsError."""
        config = self.workdir / "prometheus.yml"
        config.write_text(self.config(), encoding="utf-8")
        self.storage.mkdir(parents=True, exist_ok=True)
        port = free_port(self.host)
        # Told to die with us (even if we are killed) only while this process has a single
        # thread: preexec_fn is unsafe once other threads exist.
        preexec = _die_with_parent if sys.platform.startswith("linux") and threading.active_count() == 1 else None
        with open(self.log_path, "ab") as log:
            try:
                self.process = subprocess.Popen(
                    [
                        self.binary,
                        f"--config.file={config}",
                        f"--storage.tsdb.path={self.storage}",
                        # Backfilled blocks can be years old: retention is measured between the
                        # newest and oldest block, not from the wall clock, so a long one keeps them.
                        f"--storage.tsdb.retention.time={self.retention}",
                        f"--web.listen-address={self.host}:{port}",
                        "--log.level=warn",
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self.workdir,
                    preexec_fn=preexec,  # noqa: PLW1509 - only while this process has one thread
                )
            except OSError as exc:
                raise errors.RolloutsError(f"cannot start {self.binary}: {exc.strerror or exc}") from None
        self.url = f"http://{self.host}:{port}"
        return self.url

    def start(self, *, ready_timeout: float = 30.0) -> str:
        """`launch()` and `wait_ready()`, on another port if the probed one was taken meanwhile."""
        began = time.monotonic()
        for attempt in range(3):
            self.launch()
            try:
                self.wait_ready(time.monotonic() + ready_timeout)
            except errors.RolloutsError:
                in_use = "address already in use" in self.log_tail()
                self.stop()
                if in_use and attempt < 2:
                    continue
                raise
            self.started_in = time.monotonic() - began
            return self.url
        raise AssertionError("unreachable")  # pragma: no cover

    def wait_ready(self, deadline: float) -> None:
        """Wait until `/-/ready` answers 200 (monotonic `deadline`). Raises RolloutsError."""
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        raise errors.RolloutsError(f"prometheus at {self.url} was not ready in time; its log ends:\n{self.log_tail()}")

    def api(self, query: str, **params: str) -> Any:
        """A direct GET of /api/v1/query (to wait on data, not the code under test)."""
        with urllib.request.urlopen(f"{self.url}/api/v1/query?{urlencode({'query': query, **params})}", timeout=5) as answer:
            return json.load(answer)

    def wait_for(self, query: str, predicate: Callable[[list[Any]], bool], *, deadline: float, what: str = "") -> list[Any]:
        """Poll an instant query until `predicate(data.result)` holds. Raises RolloutsError."""
        result: list[Any] = []
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                result = self.api(query)["data"]["result"]
            except (OSError, ValueError, KeyError, TypeError):
                result = []
            if predicate(result):
                return result
            time.sleep(0.1)
        what = what or f"{query!r} still gives {json.dumps(result)[:500]}"
        raise errors.RolloutsError(f"prometheus at {self.url}: {what}; its log ends:\n{self.log_tail()}")

    def _check_alive(self) -> None:
        if self.process is None or self.process.poll() is not None:
            raise errors.RolloutsError(f"prometheus exited at start; its log ends:\n{self.log_tail()}")

    def log_tail(self, lines: int = 10) -> str:
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
