"""The sandbox's wiring: stand-in API server, kubeconfig, simulated controller, demo app, Prometheus.

`Sandbox(options).start()` brings up, in this order, everything on loopback:

1. Prometheus: the `prometheus` binary when one is installed (a real process with its own
   config and TSDB in a temporary directory, scraping the demo app), else `BuiltinPrometheus`,
   a stand-in that answers only the success-rate query's shape (below). The real process
   is started first, while this process has a single thread, so that it can be told to
   die with us (PR_SET_PDEATHSIG on Linux) even if we are killed.
2. the demo app (`demoapp.DemoApp`): per-pod `http_server_requests_seconds_count`, fed by the
   controller's pod hooks (`DemoTraffic`): a pod that becomes ready starts serving, a deleted
   pod stops; the image tag decides its share of 500s (`scenario.error_ratio`);
3. the stand-in API server (`apiserver.APIServer`), seeded with `scenario.seed_objects`;
4. a kubeconfig for it (never `~/.kube/config`);
5. the simulated controller (`controller.Controller`) in a thread, talking to the server
   over HTTP through that kubeconfig, like a real controller.

`start()` returns once the rollout is Healthy and Prometheus has scraped the demo app, so
the first command a user types already sees a settled sandbox. `stop()` ends all of it.

Without Prometheus, analysis still runs, through `BuiltinPrometheus`: it samples the demo
app every scrape interval, in-process, and evaluates instant queries of the form
`sum(rate|irate|increase(METRIC{matchers}[range]))`, optionally divided by another such sum,
with `=`, `!=`, `=~` and `!~` matchers (regexes anchored, as PromQL's are). Anything else
gets Prometheus's `bad_data` error, naming this limit. rate() here is the plain slope
between the first and last sample in the range (no extrapolation), which leaves ratios
like the success rate unchanged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from kubectl_rollouts_py.sandbox.quiet_http import QuietThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.sandbox import controller as sim
from kubectl_rollouts_py.sandbox import objects as sim_objects
from kubectl_rollouts_py.sandbox import scenario
from kubectl_rollouts_py.sandbox.apiserver import APIServer
from kubectl_rollouts_py.sandbox.demoapp import DemoApp, PodTraffic
from kubectl_rollouts_py.sandbox.prometheus import PrometheusProcess, free_port

KUBECONFIG_MARKER = "- name: stand-in"  # what write_kubeconfig writes; a file without it is not ours
READY_TIMEOUT = 45.0  # seconds to wait for Prometheus and for the first Healthy


def default_kubeconfig(environ: Mapping[str, str] | None = None) -> Path:
    """$XDG_CACHE_HOME/kubectl-rollouts-py/sandbox.kubeconfig (default ~/.cache/...)."""
    env = os.environ if environ is None else environ
    cache = env.get("XDG_CACHE_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".cache")
    return Path(cache) / "kubectl-rollouts-py" / "sandbox.kubeconfig"


def check_kubeconfig_path(path: Path, environ: Mapping[str, str] | None = None) -> Path:
    """The path to write, made absolute; refuses ~/.kube/config and files that are not ours.

    Raises:
        UsageError: the path is the user's kubeconfig, or an existing file we did not write.
    """
    env = os.environ if environ is None else environ
    target = path.expanduser().resolve()
    home = Path(env.get("HOME") or os.path.expanduser("~"))
    if target == (home / ".kube" / "config").resolve():
        raise errors.UsageError(f"the sandbox never writes {target}: choose another --kubeconfig path")
    if target.exists():
        try:
            text = target.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise errors.UsageError(f"cannot read {target}: {exc.strerror or exc}") from None
        if KUBECONFIG_MARKER not in text:
            raise errors.UsageError(f"{target} exists and is not a sandbox kubeconfig; choose another --kubeconfig path")
    return target


# Scrapes of a new pod before its rate() has data: two samples, and a third scrape so that
# the second is surely stored (a real Prometheus commits a scrape after reading it).
SCRAPES_FOR_DATA = 3


def scrape_interval(speed: float) -> float:
    """Seconds between scrapes: Prometheus' usual 15 s, sped up, kept within 0.2–5 s."""
    return min(5.0, max(0.2, 15.0 / speed))


# --------------------------------------------------------------------------------- demo traffic


class DemoTraffic:
    """The controller's pod hooks, driving the demo app: ready pods serve, deleted pods stop."""

    def __init__(self, app: DemoApp, *, rps: float = scenario.REQUESTS_PER_SECOND) -> None:
        self.app = app
        self.rps = rps

    def pod_ready(self, pod: Mapping[str, Any]) -> None:
        meta = pod.get("metadata") or {}
        name = str(meta.get("name") or "")
        pod_hash = str((meta.get("labels") or {}).get(sim_objects.HASH_LABEL) or "none")
        with contextlib.suppress(ValueError):  # already serving
            self.app.add_pod(PodTraffic(name, pod_hash, self.rps, scenario.error_ratio(pod)))

    def pod_gone(self, name: str) -> None:
        with contextlib.suppress(KeyError):
            self.app.remove_pod(name)

    def settled(self) -> bool:
        """Whether Prometheus holds enough samples of every serving version (pod template
        hash) for a rate() over its pods: the controller holds a due measurement until then
        (see controller.Controller)."""
        return not self.app.unscraped_hashes(SCRAPES_FOR_DATA)


# --------------------------------------------------------------------------------- built-in Prometheus stand-in

_SAMPLE = re.compile(r'^([A-Za-z_:][A-Za-z0-9_:]*)\{(.*)\}\s+(\S+)$')
_LABEL = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')
_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)')
_TERM = re.compile(
    r"^sum\s*\(\s*(rate|irate|increase)\s*\(\s*([A-Za-z_:][A-Za-z0-9_:]*)\s*(?:\{(.*)\})?\s*\[\s*([0-9a-z]+)\s*\]\s*\)\s*\)$",
    re.DOTALL,
)
SUPPORTED = "sum(rate|irate|increase(metric{matchers}[range])), optionally divided by another such sum"


class QueryError(Exception):
    """A query the stand-in cannot answer: Prometheus' bad_data."""


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), text)


@dataclass
class _Matcher:
    label: str
    op: str
    value: str
    pattern: re.Pattern[str] | None = None

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.label, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        assert self.pattern is not None
        hit = self.pattern.fullmatch(actual) is not None
        return hit if self.op == "=~" else not hit


@dataclass
class _Term:
    function: str
    metric: str
    matchers: list[_Matcher]
    seconds: float


def _split_division(query: str) -> list[str]:
    """Split at `/` outside quotes, braces, brackets and parentheses."""
    parts, depth, quoted, start, i = [], 0, False, 0, 0
    while i < len(query):
        ch = query[i]
        if quoted:
            if ch == "\\":
                i += 1
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "/" and depth == 0:
            parts.append(query[start:i])
            start = i + 1
        i += 1
    parts.append(query[start:])
    return [p.strip() for p in parts]


def parse_query(query: str) -> list[_Term]:
    """One or two terms (numerator, denominator). Raises QueryError."""
    from kubectl_rollouts_py import govalues

    parts = _split_division(query.strip())
    if len(parts) > 2:
        raise QueryError(f"the sandbox's built-in Prometheus stand-in only answers {SUPPORTED}")
    terms = []
    for part in parts:
        match = _TERM.match(part)
        if match is None:
            raise QueryError(f"the sandbox's built-in Prometheus stand-in only answers {SUPPORTED}; install prometheus for full PromQL")
        function, metric, body, window = match.groups()
        matchers: list[_Matcher] = []
        rest = (body or "").strip()
        while rest:
            m = _MATCHER.match(rest)
            if m is None:
                raise QueryError(f"unexpected matcher text {rest[:40]!r}")
            label, op, raw, _ = m.groups()
            value = _unescape(raw)
            pattern = None
            if op in ("=~", "!~"):
                try:
                    pattern = re.compile(value)
                except re.error as exc:
                    raise QueryError(f"error parsing regexp: {exc}") from None
            matchers.append(_Matcher(label, op, value, pattern))
            rest = rest[m.end():].strip()
        try:
            seconds = govalues.parse_go_duration(window) / 1e9
        except ValueError:
            raise QueryError(f'bad duration "{window}"') from None
        if seconds <= 0:
            raise QueryError("range must be positive")
        terms.append(_Term(function, metric, matchers, seconds))
    return terms


class BuiltinPrometheus:
    """A loopback stand-in for Prometheus' instant-query API, scraping a DemoApp in-process."""

    def __init__(self, app: DemoApp, *, interval: float, retention: float = 900.0, clock: Callable[[], float] = time.time) -> None:
        self.app = app
        self.interval = interval
        self.clock = clock
        self._series: dict[tuple[str, tuple[tuple[str, str], ...]], deque[tuple[float, float]]] = {}
        self._keep = max(10, int(retention / interval))
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: QuietThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self.url = ""

    # -- scraping
    def scrape(self) -> None:
        """Take one sample of every series the demo app serves now."""
        now = self.clock()
        with self._lock:
            for line in self.app.render_metrics().splitlines():
                match = _SAMPLE.match(line)
                if match is None:
                    continue
                metric, body, value = match.groups()
                labels = tuple(sorted((k, _unescape(v)) for k, v in _LABEL.findall(body)))
                series = self._series.setdefault((metric, labels), deque(maxlen=self._keep))
                series.append((now, float(value)))

    def _scrape_loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.scrape()

    # -- queries
    def evaluate(self, query: str, at: float | None = None) -> float | None:
        """The query's single value at `at` (None: now); None for an empty result. Raises QueryError."""
        terms = parse_query(query)
        moment = self.clock() if at is None else at
        values = [self._sum(term, moment) for term in terms]
        if any(v is None for v in values):
            return None
        if len(values) == 1:
            return values[0]
        numerator, denominator = values
        assert numerator is not None and denominator is not None
        if denominator == 0:
            return math.nan if numerator == 0 else math.copysign(math.inf, numerator)
        return numerator / denominator

    def _sum(self, term: _Term, moment: float) -> float | None:
        total: float | None = None
        with self._lock:
            items = [(labels, list(samples)) for (metric, labels), samples in self._series.items() if metric == term.metric]
        for labels, samples in items:
            if not all(m.matches(dict(labels)) for m in term.matchers):
                continue
            window = [(t, v) for t, v in samples if moment - term.seconds < t <= moment]
            if len(window) < 2:
                continue
            if term.function == "irate":
                (t0, v0), (t1, v1) = window[-2], window[-1]
            else:
                (t0, v0), (t1, v1) = window[0], window[-1]
            rate = (v1 - v0) / (t1 - t0) if t1 > t0 else 0.0
            value = rate * term.seconds if term.function == "increase" else rate
            total = value if total is None else total + value
        return total

    def answer(self, params: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON body) for /api/v1/query."""
        from kubectl_rollouts_py.analysis.prometheus import format_float

        query = params.get("query", "")
        at: float | None = None
        if params.get("time"):
            try:
                at = float(params["time"])
            except ValueError:
                parsed = sim_objects.parse_time(params["time"])
                if parsed is None:
                    return 400, {"status": "error", "errorType": "bad_data", "error": f'invalid parameter "time": cannot parse "{params["time"]}"'}
                at = parsed.timestamp()
        try:
            value = self.evaluate(query, at)
        except QueryError as exc:
            return 400, {"status": "error", "errorType": "bad_data", "error": f'invalid parameter "query": {exc}'}
        moment = self.clock() if at is None else at
        result = [] if value is None else [{"metric": {}, "value": [round(moment, 3), format_float(value)]}]
        return 200, {"status": "success", "data": {"resultType": "vector", "result": result}}

    # -- serving
    def start(self, host: str = "127.0.0.1") -> str:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                params = dict(parse_qsl(parts.query))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    params.update(parse_qsl(self.rfile.read(length).decode("utf-8", "replace")))
                if parts.path in ("/-/ready", "/-/healthy"):
                    return self._reply(200, b"Prometheus Server is Ready.\n", "text/plain")
                if parts.path != "/api/v1/query":
                    return self._reply(404, b"404 page not found\n", "text/plain")
                code, body = stand_in.answer(params)
                self._reply(code, json.dumps(body).encode(), "application/json")

            do_GET = do_POST = _serve  # noqa: N815

            def _reply(self, code: int, body: bytes, content_type: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        server = QuietThreadingHTTPServer((host, 0), Handler)
        self._server = server
        self.scrape()
        serve = lambda: server.serve_forever(poll_interval=0.05)  # noqa: E731 - a quick shutdown()
        for target, name in ((serve, "builtin-prometheus"), (self._scrape_loop, "builtin-prometheus-scrape")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        self.url = f"http://{host}:{server.server_address[1]}"
        return self.url

    def stop(self) -> None:
        self._stop.set()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)


# --------------------------------------------------------------------------------- the sandbox


@dataclass
class Options:
    """What `kubectl rollouts-py sandbox` was asked for."""

    kubeconfig: Path
    namespace: str = scenario.NAMESPACE
    host: str = "127.0.0.1"
    port: int = 0
    speed: float = 10.0
    prometheus: str = "auto"  # "auto" (the binary on PATH, else built in), "builtin", or a binary's path
    log: Callable[[str], None] | None = None


@dataclass
class Sandbox:
    """Everything the sandbox runs; `start()` then `stop()` (or use it as a context manager)."""

    options: Options
    api_url: str = ""
    prometheus_url: str = ""
    prometheus_binary: str | None = None
    controller: sim.Controller | None = None
    server: APIServer | None = None
    app: DemoApp | None = None
    _prometheus: PrometheusProcess | None = None
    _builtin: BuiltinPrometheus | None = None
    _workdir: str | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _source: Any = None

    @property
    def kubeconfig(self) -> Path:
        return self.options.kubeconfig

    @property
    def scrape_interval(self) -> float:
        return scrape_interval(self.options.speed)

    @property
    def prometheus_pid(self) -> int | None:
        return self._prometheus.pid if self._prometheus is not None else None

    def _log(self, line: str) -> None:
        if self.options.log is not None:
            self.options.log(line)

    def find_prometheus(self) -> str | None:
        choice = self.options.prometheus
        if choice == "builtin":
            return None
        if choice == "auto":
            return shutil.which("prometheus")
        path = shutil.which(choice) or choice
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise errors.UsageError(f"--prometheus {choice}: not an executable file")
        return path

    def start(self) -> None:
        """Start everything; on failure stop what started and raise RolloutsError."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        opts = self.options
        deadline = time.monotonic() + READY_TIMEOUT
        self.prometheus_binary = self.find_prometheus()
        demo_port = 0
        if self.prometheus_binary:
            # First, while we have one thread (see the module docstring).
            self._workdir = tempfile.mkdtemp(prefix="rollouts-py-sandbox-")
            demo_port = free_port(opts.host)
            self._prometheus = PrometheusProcess(
                self.prometheus_binary, Path(self._workdir), targets={"demoapp": [f"{opts.host}:{demo_port}"]},
                interval=self.scrape_interval, host=opts.host,
            )
            self.prometheus_url = self._prometheus.launch()
        self.app = DemoApp([])
        try:
            self.app.start(opts.host, demo_port)
        except OSError as exc:
            raise errors.RolloutsError(f"the demo app cannot listen on {opts.host}:{demo_port}: {exc.strerror or exc}") from None
        if self._prometheus is None:
            self._builtin = BuiltinPrometheus(self.app, interval=self.scrape_interval)
            self.prometheus_url = self._builtin.start(opts.host)

        self.server = APIServer(record_requests=False)
        try:
            self.api_url = self.server.start(opts.host, opts.port)
        except OSError as exc:
            raise errors.RolloutsError(f"the API server cannot listen on {opts.host}:{opts.port}: {exc.strerror or exc}") from None
        now = dt.datetime.now(dt.timezone.utc)
        self.server.seed(scenario.seed_objects(self.prometheus_url, now=now, namespace=opts.namespace))
        try:
            opts.kubeconfig.parent.mkdir(parents=True, exist_ok=True)
            self.server.write_kubeconfig(opts.kubeconfig, namespace=opts.namespace)
            opts.kubeconfig.chmod(0o600)
        except OSError as exc:
            raise errors.RolloutsError(f"cannot write the kubeconfig {opts.kubeconfig}: {exc.strerror or exc}") from None

        from kubectl_rollouts_py.kube import source as kube_source
        from kubectl_rollouts_py.kube.options import ConnectionOptions

        self._source = kube_source.open_source(ConnectionOptions(kubeconfig=str(opts.kubeconfig)))
        self.controller = sim.Controller(
            self._source, opts.namespace, speed=opts.speed, hooks=DemoTraffic(self.app), log=opts.log
        )
        self._thread = threading.Thread(target=self.controller.run, args=(self._stop,), name="sandbox-controller", daemon=True)
        self._thread.start()
        self._wait_healthy(deadline)
        if self._prometheus is not None:
            self._prometheus.wait_ready(deadline)
            self._prometheus.wait_for("count(http_server_requests_seconds_count)", bool, deadline=deadline,
                                      what=f"scraped nothing in {READY_TIMEOUT:g}s")

    def _wait_healthy(self, deadline: float) -> None:
        assert self.server is not None and self.controller is not None
        while time.monotonic() < deadline:
            rollout = self.server.get_object("rollouts", self.options.namespace, scenario.ROLLOUT) or {}
            if (rollout.get("status") or {}).get("phase") == "Healthy":
                return
            time.sleep(0.02)
        why = self.controller.last_error or "no error reported"
        raise errors.RolloutsError(f"the simulated controller did not make {scenario.ROLLOUT} Healthy ({why})")

    def stop(self) -> None:
        """Stop everything that was started, in reverse order (idempotent)."""
        self._stop.set()
        if self.controller is not None:
            self.controller.wake()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._source is not None:
            self._source.close()
            self._source = None
        if self.server is not None:
            self.server.stop()
        if self._builtin is not None:
            self._builtin.stop()
        if self._prometheus is not None:
            self._prometheus.stop()
        if self.app is not None:
            self.app.stop()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


# --------------------------------------------------------------------------------- the tour


def run_tour(sandbox: Sandbox, write: Callable[[str], None], *, timeout: str = "120s") -> None:
    """Run the app-backend canary story with the real CLI (a subprocess per command), printing each
    command and its output as it comes.

    Raises:
        RolloutsError: a command exited with another code than the story expects.
    """
    env = dict(os.environ, KUBECONFIG=str(sandbox.kubeconfig))
    for key in ("FORCE_COLOR", "CLICOLOR_FORCE"):
        env.pop(key, None)
    for step in scenario.story(timeout):
        if step.note:
            write(f"\n# {step.note}\n")
        shown = " ".join(step.args)
        write(f"$ kubectl rollouts-py {shown}\n")
        with subprocess.Popen(
            [sys.executable, "-m", "kubectl_rollouts_py", *step.args],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
        ) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                write(line)
            code = proc.wait()
        if code != step.expect:
            raise errors.RolloutsError(
                f"the tour stopped: `kubectl rollouts-py {shown}` exited {code}, expected {step.expect}"
            )


def wait_for_url(url: str, timeout: float = 5.0) -> bool:
    """Whether `url` answers within `timeout` seconds (for tests and diagnostics)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            time.sleep(0.05)
    return False
