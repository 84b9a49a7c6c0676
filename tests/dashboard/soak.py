"""Soak benchmark of the dashboard (not a test; run by hand):

    python tests/dashboard/soak.py [--rollouts 200] [--seconds 300] [--rate 20] [--renew-seconds 60]

The stand-in API server holds N canary rollouts (two ReplicaSets, three pods and an
AnalysisRun each). The installed `kubectl-rollouts_py dashboard` serves them; headless
Chromium shows the list page. For the whole run, rollouts are updated continuously (`rate`
status changes a second, round robin), and every 2 s a probe changes one rollout's desired
replicas and times how long until the open page shows it. Reported: the server's RSS at the
start, every 30 s and at the end (while still churning); the page's JS heap (after a forced
GC) and DOM size at the start and the end; the probe latencies (median, p95, max); the load
average (the machine is shared: latencies are noisy).

Flat means: over the second half of the run the RSS grew by less than --flat-mib (1 MiB by
default); the script says whether it did. `--renew-seconds` shortens the watch renewal
(each watch is renewed after 300 to 600 s at random by default, as client-go's informers
do; after N to 2N s with N given) so that several renewals fall within the run. At 20
changes a second the stand-in's 1000-event window is 50 s long, so with a renewal period
above that, every renewal of the quiet kinds (ReplicaSets, pods, AnalysisRuns) meets 410
Expired and lists them again: the worst case for memory, on purpose.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from dashboard.webdriver import Browser, find_browser  # noqa: E402
from e2e.standin import app_backend_objects  # noqa: E402

from kubectl_rollouts_py.sandbox.apiserver import APIServer  # noqa: E402

NS = "soak"


def objects(count: int) -> list[dict]:
    """`count` copies of the app-backend canary, renamed, with their own uids (and 3 pods each)."""
    base = app_backend_objects()
    out = []
    for i in range(count):
        suffix = f"{i:03d}"
        for obj in base:
            if obj["kind"] == "Pod" and obj["metadata"]["name"].endswith(("c2m9w", "q7r5t")):
                continue
            text = json.dumps(obj).replace("app-backend", f"app-{suffix}").replace('"ithome"', f'"{NS}"')
            text = text.replace("5b1f0c3e-2c8e-4a59-9d1e-", f"{suffix}0c3e-2c8e-4a59-9d1e-").replace('"run-1"', f'"run-{suffix}"')
            text = text.replace('"pod-', f'"pod-{suffix}-')
            out.append(json.loads(text))
    return out


def probe(browser: Browser, srv: APIServer, desired: int, timeout: float = 30) -> float:
    """Set app-000's desired replicas in the API server; the seconds until the open list
    page shows it (also benchmarks/page_bench.py's measure of a change)."""
    ro = srv.get_object("rollouts", NS, "app-000")
    assert ro is not None
    ro["spec"]["replicas"] = desired
    t0 = time.monotonic()
    srv.apply_change(ro)
    browser.wait(f"const r = document.querySelector('#rollouts tr[data-rollout=\"app-000\"]');"
                 f" return r && r.lastChild.textContent.endsWith('/ {desired}')", timeout=timeout, interval=0.01)
    return time.monotonic() - t0


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rollouts", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--rate", type=float, default=20.0, help="background status changes per second")
    parser.add_argument("--renew-seconds", type=int, default=None, help="watch renewal period of the dashboard (default 300)")
    parser.add_argument("--flat-mib", type=float, default=1.0, help="largest RSS growth over the second half that counts as flat")
    args = parser.parse_args()
    found = find_browser()
    if found is None:
        print("no chromium + chromedriver", file=sys.stderr)
        return 2
    with APIServer() as srv:
        srv.seed(objects(args.rollouts))
        kubeconfig = srv.write_kubeconfig(Path(os.environ.get("TMPDIR", "/tmp")) / "soak-kubeconfig", namespace=NS)
        env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
        renew = ["--renew-seconds", str(args.renew_seconds)] if args.renew_seconds else []
        proc = subprocess.Popen(["kubectl-rollouts_py", "dashboard", "--port", "0", *renew], stdout=subprocess.PIPE, text=True, env=env)
        url = proc.stdout.readline().split(": ", 1)[1].strip()  # type: ignore[union-attr]
        browser = Browser(*found, extra_args=("--js-flags=--expose-gc", "--enable-precise-memory-info"))
        stop = threading.Event()
        changes = 0
        try:
            browser.get(url)
            browser.wait(f"return document.querySelectorAll('#rollouts tr.row').length === {args.rollouts}", timeout=60)
            time.sleep(2)
            rss = [(0.0, rss_kib(proc.pid))]
            page_start = browser.script("window.gc(); return [performance.memory ? performance.memory.usedJSHeapSize : null, document.getElementsByTagName('*').length]")

            def churn() -> None:
                nonlocal changes
                i = 0
                while not stop.is_set():
                    name = f"app-{1 + i % (args.rollouts - 1):03d}"  # app-000 is the probe's
                    ro = srv.get_object("rollouts", NS, name)
                    assert ro is not None
                    ro["status"]["updatedReplicas"] = (ro["status"].get("updatedReplicas", 0) + 1) % 5
                    ro["status"]["readyReplicas"] = 4 + (i % 2)
                    srv.apply_change(ro)
                    changes += 1
                    i += 1
                    stop.wait(1.0 / args.rate)

            thread = threading.Thread(target=churn, daemon=True)
            thread.start()
            started = time.monotonic()
            latencies = []
            desired = 5
            next_minute = 30.0
            while (elapsed := time.monotonic() - started) < args.seconds:
                desired = 6 if desired == 5 else 5
                t0 = time.monotonic()
                latencies.append(probe(browser, srv, desired))
                if elapsed >= next_minute:
                    rss.append((elapsed, rss_kib(proc.pid)))
                    next_minute += 30.0
                time.sleep(max(0.0, 2.0 - (time.monotonic() - t0)))
            rss.append((time.monotonic() - started, rss_kib(proc.pid)))
            stop.set()
            thread.join(5)
            time.sleep(2)
            page_end = browser.script("window.gc(); return [performance.memory ? performance.memory.usedJSHeapSize : null, document.getElementsByTagName('*').length]")
        finally:
            stop.set()
            browser.close()
            proc.send_signal(signal.SIGINT)
            proc.wait(30)
    latencies.sort()
    print(f"rollouts: {args.rollouts}, seconds: {args.seconds:.0f}, background changes: {changes} ({changes / args.seconds:.1f}/s), "
          f"watches renewed after {args.renew_seconds or 300} to {2 * (args.renew_seconds or 300)} s")
    print("server RSS (MiB): " + ", ".join(f"{t:.0f}s {kib / 1024:.1f}" for t, kib in rss))
    half = next(kib for t, kib in rss if t >= rss[-1][0] / 2)
    growth = (rss[-1][1] - half) / 1024
    print(f"server RSS start {rss[0][1] / 1024:.1f} MiB, end {rss[-1][1] / 1024:.1f} MiB; second half growth {growth:+.1f} MiB: "
          + ("flat" if growth < args.flat_mib else f"NOT flat (bound {args.flat_mib} MiB)"))
    print(f"page JS heap (MiB): start {page_start[0] / 2**20:.1f}, end {page_end[0] / 2**20:.1f}; DOM elements: start {page_start[1]}, end {page_end[1]}"
          if page_start[0] else f"page DOM elements: start {page_start[1]}, end {page_end[1]}")
    print(f"page update latency over {len(latencies)} probes (s): median {statistics.median(latencies):.3f}, "
          f"p95 {latencies[int(len(latencies) * 0.95) - 1]:.3f}, max {latencies[-1]:.3f}")
    print("load average at the end (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
