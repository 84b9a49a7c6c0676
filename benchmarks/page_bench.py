#!/usr/bin/env python3
"""Page benchmark of the dashboard's list page (a script, not a test).

For each count N of rollouts: the stand-in API server holds N canary rollouts (two
ReplicaSets, three pods and an AnalysisRun each; tests/dashboard/soak.py's objects), the
installed `kubectl-rollouts_py dashboard` serves them, and headless Chromium (through
chromedriver, tests/dashboard/webdriver.py) opens the list page, cold (a fresh profile, so
nothing cached) and then reloaded. Reported per load:

* the page's weight: bytes over the wire (Resource Timing's transferSize, headers included),
  and the bodies as sent and as decoded, for the page, its assets and the API requests;
* first paint and first contentful paint (Paint Timing), DOMContentLoaded and load
  (Navigation Timing), in ms from the start of the navigation;
* the time until the list shows all N rows: from the start of the navigation until the page
  holds N rows (polled through WebDriver every 10 ms or so, so it can be that much late).

Then, with the list of N open, a change stored in the API server (one rollout's desired
replicas) timed until the open page shows it, --changes times.

    pip install . && python benchmarks/page_bench.py
    python benchmarks/page_bench.py --rollouts 1 200 2000 --changes 10

Timings on a shared 2-core VM move by +-30% between runs. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from dashboard.soak import NS, objects, probe  # noqa: E402
from dashboard.webdriver import Browser, find_browser  # noqa: E402

from kubectl_rollouts_py.sandbox.apiserver import APIServer  # noqa: E402

SCRIPT = "kubectl-rollouts_py"
LIST_TARGET_S = 5.0  # 2,000 rollouts listed in Chromium
CHANGE_TARGET_S = 2.0  # a change shows on the open page

# Everything the page measured about its own load: navigation, paint and resource entries.
TIMINGS = """
const nav = performance.getEntriesByType("navigation")[0];
const paint = Object.fromEntries(performance.getEntriesByType("paint").map((p) => [p.name, p.startTime]));
const resources = performance.getEntriesByType("resource").map((r) => ({
  name: r.name, type: r.initiatorType, transfer: r.transferSize, encoded: r.encodedBodySize, decoded: r.decodedBodySize,
  complete: r.responseEnd > 0 }));
return { nav: { transfer: nav.transferSize, encoded: nav.encodedBodySize, decoded: nav.decodedBodySize,
                 domContentLoaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd },
         paint, resources };
"""


def find_cli() -> str:
    found = shutil.which(SCRIPT, path=os.path.dirname(sys.executable)) or shutil.which(SCRIPT)
    if not found:
        sys.exit(f"error: {SCRIPT} not found beside {sys.executable} or on PATH: run `pip install .` first")
    return found


def rows_script(count: int) -> str:
    return f"return document.querySelectorAll('#rollouts tr.row').length === {count} ? performance.now() : null"


def kib(n: float) -> str:
    return f"{n / 1024:.1f} KiB"


def load(browser: Browser, url: str, count: int, *, reload: bool) -> dict[str, Any]:
    """Open (or reload) the list page; what it weighed and when it painted and listed."""
    if reload:
        browser.script("window.benchOldPage = true; location.reload()")
        browser.wait("return !window.benchOldPage && document.readyState !== 'loading'", timeout=60)
    else:
        browser.get(url)
    listed = browser.wait(rows_script(count), timeout=120, interval=0.01)
    browser.wait("return performance.getEntriesByName('first-contentful-paint').length > 0", timeout=60)
    found = browser.script(TIMINGS)
    found["listed"] = listed
    return found


def weight(found: dict[str, Any]) -> dict[str, float]:
    """Bytes over the wire and bodies, the page (document, script, style) apart from the API."""
    nav = found["nav"]
    page = {"transfer": nav["transfer"], "encoded": nav["encoded"], "decoded": nav["decoded"]}
    api = {"transfer": 0, "encoded": 0, "decoded": 0}
    for r in found["resources"]:
        if "/api/v1/events" in r["name"] or not r["complete"]:
            continue  # the event stream stays open: it has no size yet
        into = api if "/api/v1/" in r["name"] else page
        for key in ("transfer", "encoded", "decoded"):
            into[key] += r[key]
    return {**{f"page_{k}": v for k, v in page.items()}, **{f"api_{k}": v for k, v in api.items()}}


def report(label: str, found: dict[str, Any]) -> None:
    w = weight(found)
    paint = found["paint"]
    fp, fcp = paint.get("first-paint"), paint.get("first-contentful-paint")
    print(f"  {label}: page {kib(w['page_transfer'])} over the wire ({kib(w['page_decoded'])} decoded), "
          f"API {kib(w['api_transfer'])} over the wire ({kib(w['api_decoded'])} decoded); "
          f"first paint {fp:.0f} ms, first contentful paint {fcp:.0f} ms, "
          f"DOMContentLoaded {found['nav']['domContentLoaded']:.0f} ms, load {found['nav']['load']:.0f} ms, "
          f"all rows listed {found['listed']:.0f} ms" if fp is not None and fcp is not None else
          f"  {label}: no paint entries: {found['paint']}")


def changes(browser: Browser, srv: APIServer, rounds: int) -> list[float]:
    """Change one rollout's desired replicas in the API server `rounds` times; each time the
    seconds until the open page shows it."""
    took = []
    for i in range(rounds):
        took.append(probe(browser, srv, 6 + i % 2, timeout=60))
        time.sleep(0.5)  # let the page settle before the next change
    return took


def bench(count: int, rounds: int, found: tuple[str, str], cli: str) -> dict[str, Any]:
    seeded = objects(count)
    print(f"{count} rollouts ({len(seeded)} objects)")
    with APIServer() as srv, tempfile.TemporaryDirectory(prefix="page-bench-") as tmp:
        srv.seed(seeded)
        kubeconfig = srv.write_kubeconfig(Path(tmp) / "kubeconfig", namespace=NS)
        env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
        proc = subprocess.Popen([cli, "dashboard", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        browser = None
        try:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if ": " not in line:
                sys.exit(f"error: the dashboard did not start: {line!r}")
            url = line.split(": ", 1)[1].strip()
            browser = Browser(*found)
            browser.set_window(1280, 800)
            cold = load(browser, url, count, reload=False)
            report("cold", cold)
            warm = load(browser, url, count, reload=True)
            report("reload", warm)
            took = changes(browser, srv, rounds)
            print(f"  a change shows on the open list after (s): median {statistics.median(took):.3f}, max {max(took):.3f} "
                  f"over {len(took)} changes")
        finally:
            if browser is not None:
                browser.close()
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    return {"count": count, "cold": cold, "warm": warm, "changes": took}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rollouts", type=int, nargs="+", default=[1, 200, 2000], help="rollout counts to measure (default 1 200 2000)")
    parser.add_argument("--changes", type=int, default=10, help="changes timed per count (default 10)")
    args = parser.parse_args()
    found = find_browser()
    if found is None:
        print("error: no chromium + chromedriver (apt-get install chromium chromium-driver)", file=sys.stderr)
        return 2
    cli = find_cli()
    results = [bench(count, args.changes, found, cli) for count in args.rollouts]
    print("load average at the end (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    worst = max(results, key=lambda r: r["count"])
    listed, change = worst["cold"]["listed"] / 1000, max(worst["changes"])
    print(f"{worst['count']} rollouts: listed in {listed:.2f} s (target {LIST_TARGET_S:.0f} s), "
          f"slowest change shown in {change:.2f} s (target {CHANGE_TARGET_S:.0f} s): "
          + ("within both" if listed < LIST_TARGET_S and change < CHANGE_TARGET_S else "NOT within both"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
