"""A demo traffic app: Prometheus metrics for a set of pods, standard library only.

It serves `/metrics` in the Prometheus text format with the counters a Spring Boot service
exposes (a summary `http_server_requests_seconds`), one series per pod and status class:

    http_server_requests_seconds_count{method="GET",pod="web-abc-1",rollouts_pod_template_hash="abc",status="200",uri="/api/orders"} 1234

Nothing is served to real clients: the counters are computed from elapsed time, so each
scrape sees them grow at `rps` requests per second, `error_ratio` of them answered 500. A
rate or ratio change takes effect from the moment it is made (earlier counts are kept, so
counters never go down).

In tests::

    with DemoApp([PodTraffic("web-stable-1", "stable1", rps=20), PodTraffic("web-canary-1", "canary1", rps=20, error_ratio=0.5)]) as app:
        url = app.url                      # http://127.0.0.1:<port>
        app.set_error_ratio("web-canary-1", 0.0)

From a shell (the sandbox)::

    python -m kubectl_rollouts_py.sandbox.demoapp --port 8080 \\
        --pod web-stable-1:stable1:20:0 --pod web-canary-1:canary1:20:0.3
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from kubectl_rollouts_py.sandbox.quiet_http import QuietThreadingHTTPServer

METRIC = "http_server_requests_seconds"
URI = "/api/orders"
METHOD = "GET"
OK_STATUS = "200"
ERROR_STATUS = "500"
OK_LATENCY = 0.05  # seconds per request, for the _sum series
ERROR_LATENCY = 0.2
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class PodTraffic:
    """One pod's traffic: `rps` requests per second, of which `error_ratio` answer 5xx."""

    name: str
    pod_hash: str
    rps: float = 10.0
    error_ratio: float = 0.0

    def __post_init__(self) -> None:
        _check(self.rps, self.error_ratio)


def _check(rps: float, error_ratio: float) -> None:
    if not (math.isfinite(rps) and rps >= 0):
        raise ValueError(f"rps must be a finite number >= 0, not {rps!r}")
    if not (0.0 <= error_ratio <= 1.0):
        raise ValueError(f"error_ratio must be between 0 and 1, not {error_ratio!r}")


class _Counters:
    """A pod's request counts as a piecewise-linear function of time."""

    def __init__(self, traffic: PodTraffic, now: float, scrapes: int = 0) -> None:
        self.traffic = traffic
        self.since = now
        self.ok = 0.0  # counts accumulated before `since`
        self.errors = 0.0
        self.scrapes_before = scrapes  # the app's scrape count when the pod was added

    def at(self, now: float) -> tuple[float, float]:
        elapsed = max(0.0, now - self.since)
        rps, ratio = self.traffic.rps, self.traffic.error_ratio
        return self.ok + elapsed * rps * (1 - ratio), self.errors + elapsed * rps * ratio

    def change(self, traffic: PodTraffic, now: float) -> None:
        self.ok, self.errors = self.at(now)
        self.since = max(self.since, now)
        self.traffic = traffic


class DemoApp:
    """The demo app's state and its HTTP server (started by `start()` or `with`)."""

    def __init__(self, pods: Iterable[PodTraffic], *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        now = clock()
        self._pods: dict[str, _Counters] = {}
        for pod in pods:
            if pod.name in self._pods:
                raise ValueError(f"duplicate pod name {pod.name!r}")
            self._pods[pod.name] = _Counters(pod, now)
        self._server: QuietThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""
        self.scrapes = 0  # /metrics bodies rendered (HTTP scrapes and the built-in Prometheus' own)

    # -- traffic
    @property
    def pods(self) -> list[PodTraffic]:
        with self._lock:
            return [c.traffic for c in self._pods.values()]

    def set_error_ratio(self, pod: str, ratio: float) -> None:
        """From now on, `ratio` of the pod's requests answer 500."""
        self._change(pod, error_ratio=ratio)

    def set_rps(self, pod: str, rps: float) -> None:
        """From now on, the pod serves `rps` requests per second (0 = idle)."""
        self._change(pod, rps=rps)

    def add_pod(self, pod: PodTraffic) -> None:
        """A new pod whose counters start at 0 now (e.g. a new canary ReplicaSet)."""
        with self._lock:
            if pod.name in self._pods:
                raise ValueError(f"duplicate pod name {pod.name!r}")
            self._pods[pod.name] = _Counters(pod, self._clock(), self.scrapes)

    def unscraped_hashes(self, scrapes: int) -> list[str]:
        """The pod template hashes none of whose pods `scrapes` scrapes have seen since they
        were added: a rate() over that hash's series may find no samples yet."""
        with self._lock:
            seen: dict[str, bool] = {}
            for c in self._pods.values():
                hash_ = c.traffic.pod_hash
                seen[hash_] = seen.get(hash_, False) or self.scrapes - c.scrapes_before >= scrapes
            return [hash_ for hash_, enough in seen.items() if not enough]

    def remove_pod(self, pod: str) -> None:
        """The pod's series disappear from /metrics (a scaled-down pod)."""
        with self._lock:
            del self._pods[self._known(pod)]

    def _known(self, pod: str) -> str:
        if pod not in self._pods:
            raise KeyError(f"no pod named {pod!r}; pods: {', '.join(self._pods) or '(none)'}")
        return pod

    def _change(self, pod: str, *, rps: float | None = None, error_ratio: float | None = None) -> None:
        with self._lock:
            counters = self._pods[self._known(pod)]
            old = counters.traffic
            new = PodTraffic(old.name, old.pod_hash, old.rps if rps is None else rps, old.error_ratio if error_ratio is None else error_ratio)
            counters.change(new, self._clock())

    # -- exposition
    def render_metrics(self) -> str:
        """The /metrics body at this moment (Prometheus text format 0.0.4)."""
        now = self._clock()
        lines = [
            f"# HELP {METRIC} Duration of HTTP server request handling (demo app: simulated traffic).",
            f"# TYPE {METRIC} summary",
        ]
        with self._lock:
            self.scrapes += 1
            rows = [(c.traffic, *c.at(now)) for c in self._pods.values()]
        for traffic, ok, errors in rows:
            # Whole requests only, as a real counter; floor() of a growing number never shrinks.
            for status, count, latency in ((OK_STATUS, math.floor(ok), OK_LATENCY), (ERROR_STATUS, math.floor(errors), ERROR_LATENCY)):
                labels = (
                    f'method="{METHOD}",pod="{_escape(traffic.name)}",'
                    f'rollouts_pod_template_hash="{_escape(traffic.pod_hash)}",status="{status}",uri="{URI}"'
                )
                lines.append(f"{METRIC}_count{{{labels}}} {count}")
                lines.append(f"{METRIC}_sum{{{labels}}} {round(count * latency, 6)}")
        return "\n".join(lines) + "\n"

    # -- serving
    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in a background thread; returns the base URL (`http://host:port`)."""
        if self._server is not None:
            raise RuntimeError("DemoApp is already started")
        app = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._reply(200, app.render_metrics(), CONTENT_TYPE)
                elif path in ("/", "/healthz"):
                    self._reply(200, "ok\n", "text/plain; charset=utf-8")
                else:
                    self._reply(404, "not found\n", "text/plain; charset=utf-8")

            def _reply(self, code: int, text: str, content_type: str) -> None:
                body = text.encode()
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # quiet: Prometheus scrapes every second

        server = QuietThreadingHTTPServer((host, port), Handler)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="demoapp", daemon=True)
        self._thread.start()
        bound_host, bound_port = server.server_address[:2]
        shown = str(bound_host)
        shown = f"[{shown}]" if ":" in shown else shown
        self.url = f"http://{shown}:{bound_port}"
        return self.url

    @property
    def address(self) -> str:
        """`host:port`, the form a Prometheus scrape target takes."""
        return self.url.split("://", 1)[1]

    def stop(self) -> None:
        """Stop serving (idempotent)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> DemoApp:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _escape(value: str) -> str:
    """Escape a label value for the text format."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def parse_pod(text: str) -> PodTraffic:
    """`NAME:HASH[:RPS[:ERROR_RATIO]]` -> PodTraffic (the CLI's --pod)."""
    parts = text.split(":")
    if not 2 <= len(parts) <= 4 or not parts[0] or not parts[1]:
        raise argparse.ArgumentTypeError(f"expected NAME:HASH[:RPS[:ERROR_RATIO]], got {text!r}")
    try:
        rps = float(parts[2]) if len(parts) > 2 else 10.0
        ratio = float(parts[3]) if len(parts) > 3 else 0.0
        return PodTraffic(parts[0], parts[1], rps, ratio)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


DEFAULT_PODS = (
    PodTraffic("demo-stable-1", "stable", 20.0, 0.0),
    PodTraffic("demo-canary-1", "canary", 20.0, 0.0),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kubectl_rollouts_py.sandbox.demoapp",
        description="Serve simulated http_server_requests_seconds metrics for a few pods on /metrics.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    parser.add_argument(
        "--pod",
        action="append",
        type=parse_pod,
        metavar="NAME:HASH[:RPS[:ERROR_RATIO]]",
        help="a pod's traffic; repeatable (default: demo-stable-1:stable:20:0 and demo-canary-1:canary:20:0)",
    )
    args = parser.parse_args(argv)
    app = DemoApp(args.pod or DEFAULT_PODS)
    try:
        url = app.start(args.host, args.port)
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"demo app serving {url}/metrics", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        app.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
