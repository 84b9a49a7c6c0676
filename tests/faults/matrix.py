"""The fault matrix's machinery: the seeded cluster, the columns (faults) and a batch runner.

Every cell of the matrix (a command under a fault) runs the installed CLI as a subprocess
against its own stand-in API server, so cells share nothing and can run side by side.
Much of a cell's time is waiting (on retries, timeouts, streams) and the rest is a CLI
starting up, so the `batch` fixture (tests/faults/conftest.py) runs every selected cell of
every matrix module in one pool of WORKERS threads, slow cells first, before the first of
their tests; each parametrised test then checks its own cell's outcome (`run_cell` of its
module makes it). `pytest -k` still selects single cells: only the selected ones are run.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kubectl_rollouts_py.sandbox.apiserver import APIServer, Fault
from tests.e2e.standin import NS, Result, app_backend_objects, assert_one_error_line, cli_path
from tests.kube.support import write_kubeconfig

RUN = "app-backend-6d8f9c7b5-2"
EXPERIMENT = "app-backend-exp"
TEMPLATE = "success-rate"
# Small, so the "slower than --request-timeout" column ends quickly; given BEFORE the
# command, the place where a global flag used to be ignored (it must be honoured anywhere).
TIMEOUT_FLAG = "--request-timeout=0.5s"
LATE = 10.0  # seconds an answer is held back in the "slower than --request-timeout" column
# The "dripping" column: headers at once, then a byte every DRIP seconds. A socket timeout
# restarts with every byte, so only a deadline for the whole exchange ends it in time.
DRIP = 0.25
DRIP_FLAG = "--request-timeout=1s"
WORKERS = 4  # cells run at once; the box has 2 cores, and many cells mostly wait

COLLECTIONS = {
    "rollouts": f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/rollouts",
    "analysisruns": f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/analysisruns",
    "experiments": f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/experiments",
}


# ------------------------------------------------------------------------------ the cluster


def experiment() -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Experiment",
        "metadata": {"name": EXPERIMENT, "namespace": NS, "uid": "exp-1", "creationTimestamp": "2026-11-20T08:00:00Z"},
        "spec": {"duration": "10m", "templates": [{
            "name": "baseline", "replicas": 1,
            "selector": {"matchLabels": {"app": "app-backend-exp"}},
            "template": {"metadata": {"labels": {"app": "app-backend-exp"}},
                         "spec": {"containers": [{"name": "app-backend", "image": "app-backend:1.0"}]}}}]},
        "status": {"phase": "Running", "templateStatuses": [{"name": "baseline", "replicas": 1, "readyReplicas": 1,
                                                             "availableReplicas": 1, "status": "Running"}]},
    }


def analysis_template(prometheus: str) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate",
        "metadata": {"name": TEMPLATE, "namespace": NS},
        "spec": {"metrics": [{"name": "success-rate", "successCondition": "result[0] >= 0.95",
                              "provider": {"prometheus": {"address": prometheus, "query": "success_rate"}}}]},
    }


def new_rollout() -> dict[str, Any]:
    """A rollout for `create -f`: the demo canary (app-backend) under another name, without status."""
    rollout = app_backend_objects()[0]
    rollout["metadata"] = {"name": "app-frontend", "namespace": NS}
    rollout.pop("status")
    return rollout


class Prometheus:
    """A loopback stand-in for Prometheus that answers every query with [0.99] (`analyze`
    needs one; the faults under test are the API server's)."""

    BODY = json.dumps({"status": "success", "data": {"resultType": "vector",
                                                      "result": [{"metric": {}, "value": [1700000000, "0.99"]}]}})

    def __init__(self) -> None:
        from tests.analysis.promharness import StubServer

        self._stub = StubServer()
        self._stub.reply(200, self.BODY)
        self.url = self._stub.url

    def stop(self) -> None:
        self._stub.stop()


@contextlib.contextmanager
def cluster(prometheus_url: str = "http://127.0.0.1:9", transport: str = "http.client") -> Iterator[APIServer]:
    """A stand-in API server with the demo canary (app-backend), an experiment and a template, and a
    kubeconfig for it (`srv.kubeconfig`) whose credentials make the CLI use `transport`
    (http.client; "kubernetes": the library's urllib3 pool, chosen for exec plugins)."""
    with tempfile.TemporaryDirectory(prefix="faults-") as tmp, APIServer() as srv:
        srv.seed([*app_backend_objects(), experiment(), analysis_template(prometheus_url)])
        srv.kubeconfig = Path(tmp) / "kubeconfig"  # type: ignore[attr-defined]
        if transport == "http.client":
            srv.write_kubeconfig(srv.kubeconfig, namespace=NS)  # type: ignore[attr-defined]
        else:
            assert srv.url is not None
            write_kubeconfig(srv.kubeconfig, srv.url, transport=transport, namespace=NS)  # type: ignore[attr-defined]
        srv.tmp = Path(tmp)  # type: ignore[attr-defined]
        srv.clear_requests()
        yield srv


def get(srv: APIServer, plural: str, name: str) -> dict[str, Any] | None:
    return copy.deepcopy(srv.get_object(plural, NS, name))


def writes(srv: APIServer) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in srv.requests if r.method != "GET"]


def reads(srv: APIServer) -> list[str]:
    return [r.path for r in srv.requests if r.method == "GET"]


# ------------------------------------------------------------------------------ the columns


@dataclass(frozen=True)
class ReadFault:
    """A fault on the reads (every GET under /api and /apis), and how the command ends:
    ok (exit 0 after retries) or one `Error:` line holding `error`."""

    fault: Fault
    times: int | None
    ok: bool
    error: str = ""
    flags: tuple[str, ...] = ()  # global flags, put before the command
    then: Fault | None = None  # a second fault, once, after the first one's `times`


READ_FAULTS = {
    "429": ReadFault(Fault.error(429, retry_after=0.01), 2, True),
    # One cell for both: the first read meets a 500, its retry a 503, the next one succeeds.
    "500-then-503": ReadFault(Fault.error(500), 1, True, then=Fault.error(503)),
    "503-always": ReadFault(Fault.error(503, retry_after=0.01), None, False,
                            "the API server answered 503 Service Unavailable 5 times; giving up after"),
    "late": ReadFault(Fault.delay(LATE), None, False, "did not answer within 0.5s", (TIMEOUT_FLAG,)),
    "dripping": ReadFault(Fault.drip(DRIP), None, False, "did not answer within 1s", (DRIP_FLAG,)),
    "dropped": ReadFault(Fault.drop(), 1, True),
    "not-json": ReadFault(Fault.malformed(), 1, False, "sent a response that is not JSON (HTTP 200"),
}


def inject_reads(srv: APIServer, column: ReadFault, path: str = "/api", prefix: bool = True) -> None:
    srv.inject("GET", path, column.fault, prefix=prefix, times=column.times)
    if column.then is not None:
        srv.inject("GET", path, column.then, prefix=prefix, times=1)


def check(result: Result, ok: bool, error: str = "") -> str:
    """Exit 0 with at most the one applied-anyway warning, or exit 1 with one `Error:` line
    holding `error`; never a traceback. Returns the error line."""
    assert "Traceback" not in result.err, result.err
    if ok:
        assert result.code == 0, result.err
        lines = result.err.splitlines()
        assert lines == [] or (len(lines) == 1 and lines[0].startswith("Warning: ")
                               and lines[0].endswith("so the change was applied")), result.err
        return ""
    line = assert_one_error_line(result)
    assert error in line, line
    return line


# ------------------------------------------------------------------------------ the batch


def cell_key(item: pytest.Item) -> tuple[str, str, tuple[tuple[str, Any], ...]]:
    callspec = getattr(item, "callspec", None)
    params = tuple(sorted(callspec.params.items())) if callspec is not None else ()
    module = getattr(item, "module", None)
    return getattr(module, "__name__", ""), getattr(item, "originalname", item.name), params


class Batch:
    """Outcomes of the selected cells, run together (see the module doc)."""

    def __init__(self, outcomes: dict[Any, Any], seconds: float, took: dict[Any, float]) -> None:
        self._outcomes = outcomes
        self.seconds = seconds  # the whole batch, wall clock
        self.took = took  # each cell, wall clock

    def summary(self) -> str:
        """One line for the terminal summary: how many cells, how long, the slowest."""
        slowest = sorted(self.took.items(), key=lambda kv: -kv[1])[:3]
        cells = ", ".join(f"{k[1]}[{'-'.join(str(v) for _, v in k[2])}] {t:.1f}s" for k, t in slowest)
        return (f"fault matrix: {len(self.took)} cells in {self.seconds:.1f}s, {WORKERS} at once "
                f"(cell total {sum(self.took.values()):.0f}s); slowest: {cells}")

    def outcome(self, request: pytest.FixtureRequest) -> Any:
        """This test's outcome; an exception the cell raised is raised here, in its test."""
        found = self._outcomes[cell_key(request.node)]
        if isinstance(found, BaseException):
            raise found
        return found


def run_batch(session: pytest.Session, workers: int = WORKERS) -> Batch:
    """Run every selected test that uses the `batch` fixture, as its module's
    `run_cell(test_name, **params)`, all modules' cells in one pool: the cells that mostly
    wait (watches, timeouts) overlap with the ones that mostly start Python."""
    cells = {cell_key(item): item.module.run_cell for item in session.items  # type: ignore[attr-defined]
             if "batch" in getattr(item, "fixturenames", ())}

    took: dict[Any, float] = {}

    def one(key: Any) -> Any:
        _, name, params = key
        began = time.monotonic()
        try:
            return cells[key](name, **dict(params))
        except BaseException as exc:  # raised again in the cell's own test
            return exc
        finally:
            took[key] = time.monotonic() - began

    started = time.monotonic()
    # The slow cells first, so none of them is left running alone at the end.
    order = sorted(cells, key=lambda key: not any(word in str(key) for word in ("watch", "late", "drip", "hammered")))
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fault-cell") as pool:
            outcomes = dict(zip(order, pool.map(one, order)))
    finally:
        _stop_prometheus()
    return Batch(outcomes, time.monotonic() - started, took)


_prometheus: Prometheus | None = None
_prometheus_lock = threading.Lock()


def prometheus_url() -> str:
    """The URL of one Prometheus stand-in shared by the batch's cells (started on first use)."""
    global _prometheus
    with _prometheus_lock:
        if _prometheus is None:
            _prometheus = Prometheus()
        return _prometheus.url


def _stop_prometheus() -> None:
    global _prometheus
    with _prometheus_lock:
        if _prometheus is not None:
            _prometheus.stop()
            _prometheus = None


class DrippingPrometheus:
    """A loopback Prometheus that answers every query with [0.99], its headers at once and
    then its body one byte every `interval` seconds (until stopped or the client goes)."""

    def __init__(self, interval: float = 1.0) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        stopping = self._stopping = threading.Event()
        body = Prometheus.BODY.encode()

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    for index in range(len(body)):
                        self.wfile.write(body[index:index + 1])
                        self.wfile.flush()
                        if stopping.wait(interval):
                            return
                except OSError:  # the client gave up: what the test wants
                    pass

            do_GET = do_POST = _serve  # noqa: N815 - http.server's names

            def log_message(self, *_args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()


class Reader:
    """Collects a process's output on a thread, so a test can wait for text to appear."""

    def __init__(self, stream: Any) -> None:
        self._chunks: list[str] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: Any) -> None:
        for line in iter(stream.readline, ""):
            with self._lock:
                self._chunks.append(line)

    @property
    def text(self) -> str:
        with self._lock:
            return "".join(self._chunks)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self.text):
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} within {timeout}s; output so far:\n{self.text}")
            time.sleep(0.05)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


@contextlib.contextmanager
def running(srv: APIServer, *args: str) -> Iterator[tuple[subprocess.Popen[str], Reader, Reader]]:
    """The installed CLI running `args` against `srv` (its kubeconfig; no NO_COLOR from the
    caller's environment), with readers on its output; killed on the way out if it is still
    running, and its output read to the end."""
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "NO_COLOR")}
    env["KUBECONFIG"] = str(srv.kubeconfig)  # type: ignore[attr-defined]
    proc = subprocess.Popen([cli_path(), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)
    assert proc.stdout is not None and proc.stderr is not None
    out, err = Reader(proc.stdout), Reader(proc.stderr)
    try:
        yield proc, out, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        out.join(5)
        err.join(5)
