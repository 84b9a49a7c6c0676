"""The dashboard in a real browser: headless Chromium from Debian's packages, driven through
chromedriver, against a dashboard reading the stand-in API server.

Skipped, with the reason, where chromium or chromedriver is missing (CI installs both).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from e2e.standin import NS
from dashboard.conftest import RO, serve, writes
from dashboard.webdriver import Browser, find_browser

FOUND = find_browser()
pytestmark = pytest.mark.skipif(FOUND is None, reason="no chromium + chromedriver (apt-get install chromium chromium-driver)")
SCREENSHOTS = os.environ.get("DASHBOARD_SCREENSHOTS")  # a directory: save the pages there as PNG


@pytest.fixture(scope="module")
def browser():
    assert FOUND is not None
    b = Browser(*FOUND)
    yield b
    b.close()


def shot(browser: Browser, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        (Path(SCREENSHOTS) / f"{name}.png").write_bytes(browser.screenshot())


ROW = 'return document.querySelector(\'#rollouts tr[data-rollout="app-backend"]\') !== null'
CURRENT_STEP = 'const li = document.querySelector("#steps li.current"); return li ? li.dataset.step : null'


def test_list_rollout_analysis_live_update_and_promote(browser, dash, cluster) -> None:
    browser.get(dash.url)
    browser.wait(ROW)
    row = browser.text('#rollouts tr[data-rollout="app-backend"]')
    assert "app-backend" in row and "Canary" in row and "1/4" in row and "10 / 20" in row and "5 / 5" in row
    assert browser.script('return document.querySelector("#rollouts [data-status]").dataset.status') == "Paused"
    shot(browser, "list")

    # The search box filters the rows in place.
    browser.script('const s = document.getElementById("search"); s.value = "no-such-thing"; s.dispatchEvent(new Event("input"));')
    browser.wait('return document.querySelector("#rollouts") === null')
    browser.script('const s = document.getElementById("search"); s.value = "ithome2024:2.0"; s.dispatchEvent(new Event("input"));')
    browser.wait(ROW)

    # The run has measured a while: six values, one under the threshold.
    run = copy.deepcopy(cluster.get_object("analysisruns", NS, "app-backend-6d8f9c7b5-2"))
    values = [0.99, 0.98, 0.97, 0.93, 0.985, 0.99]
    run["status"]["metricResults"][0].update(count=6, successful=5, failed=1, measurements=[
        {"phase": "Failed" if v < 0.95 else "Successful", "value": f"[{v}]",
         "startedAt": f"2026-11-29T08:0{i}:00Z", "finishedAt": f"2026-11-29T08:0{i}:01Z"} for i, v in enumerate(values)])
    cluster.apply_change(run)

    # Open the rollout: steps (current marked), the tree, and the analysis chart with its threshold.
    browser.click('#rollouts tr[data-rollout="app-backend"] a')
    assert browser.wait(CURRENT_STEP) == "1"
    assert "pause 3m" in browser.text("#steps li.current")
    assert browser.script('return document.querySelectorAll("#revisions [data-pod]").length') == 5
    assert browser.script('return document.querySelectorAll("#revisions [data-replicaset]").length') == 2
    browser.wait('return document.querySelectorAll("#analysis svg.chart circle").length === 6')
    assert browser.script('return document.querySelector("#analysis line[data-threshold=success]") !== null')
    assert browser.script('return document.querySelectorAll("#analysis svg.chart circle.pt-Failed").length') == 1
    assert "result[0] >= 0.95" in browser.text("#analysis") and "failed 1 / limit 3" in browser.text("#analysis")
    shot(browser, "rollout")
    browser.script('document.getElementById("analysis").scrollIntoView()')
    shot(browser, "analysis")

    # A change in the cluster appears in place, without a reload. (How soon is a speed figure:
    # benchmarks/page_bench.py times it; the wait here is bounded only against a hang.)
    browser.script('window.__kept = "same page"; document.body.dataset.marker = "kept";')
    rollout = copy.deepcopy(cluster.get_object("rollouts", NS, "app-backend"))
    rollout["status"]["currentStepIndex"] = 2
    rollout["status"].pop("pauseConditions")
    rollout["status"]["phase"], rollout["status"]["message"] = "Progressing", "more replicas need to be updated"
    cluster.apply_change(rollout)
    browser.wait('const li = document.querySelector("#steps li.current"); return li && li.dataset.step === "2"', timeout=30)
    assert browser.script('return window.__kept + "/" + document.body.dataset.marker') == "same page/kept"

    # Promote, through the confirmation dialog: first cancelled (nothing sent), then confirmed.
    rollout["status"]["pauseConditions"] = [{"reason": "CanaryPauseStep", "startTime": "2026-11-29T08:00:00Z"}]
    cluster.apply_change(rollout)
    cluster.clear_requests()
    browser.script("window.scrollTo(0, 0)")
    browser.click('#actions button[data-action="promote"]')
    browser.wait('return document.getElementById("confirm").open')
    assert 'Promote rollout "app-backend"' in browser.text("#confirm-text")
    browser.click("#confirm-cancel")
    browser.wait('return !document.getElementById("confirm").open')
    browser.click('#actions button[data-action="promote"]')
    browser.wait('return document.getElementById("confirm").open')
    browser.click("#confirm-ok")
    assert "promoted" in browser.wait('const n = document.getElementById("notice"); return n.hidden ? null : n.textContent', timeout=30)
    # The confirmed promote is answered, so its write is done: it is the only one. A request
    # from the cancelled dialog would have gone out before it and shown here too.
    assert writes(cluster) == [("PATCH", RO + "/status", "application/merge-patch+json", {"status": {"pauseConditions": None}})]


def test_a_cross_origin_page_cannot_drive_actions(browser, dash, cluster) -> None:
    # A page of another origin (the stand-in API server's /version) tries both ways to POST.
    browser.get(f"{cluster.url}/version")
    target = f"{dash.url}api/v1/rollouts/{NS}/app-backend/promote"
    result = browser.async_script("""
        const [url, done] = arguments;
        const tries = [
          fetch(url, {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}, body: "{}"}).then(() => "sent", e => "blocked"),
          fetch(url, {method: "POST", headers: {"Content-Type": "application/json", "X-Rollouts-Token": "guess"}, body: "{}"})
            .then(r => "status " + r.status, e => "blocked"),
        ];
        Promise.all(tries).then(done);
    """, target)
    assert result[1] == "blocked"  # the preflight is never granted
    assert writes(cluster) == []  # and the simple request was refused (Origin), sending nothing


def test_read_only_page_has_no_actions(browser, read_only_dash) -> None:
    browser.get(read_only_dash.url + f"#/rollout/{NS}/app-backend")
    browser.wait(CURRENT_STEP)
    assert browser.script('return document.querySelectorAll("#actions, [data-undo], [data-set-image]").length') == 0
    assert json.loads(json.dumps(browser.script('return document.querySelector("meta[name=rollouts-read-only]").content'))) == "true"


# ------------------------------------------------------------------ hostile text, clock, outage

HOSTILE = ('<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
           "&lt;b&gt;not bold&lt;/b&gt; \x1b[31mred\x1b[0m \u202eevil\u202c")
# How the page must show it: the markup and the entities as typed, the ESC and bidi
# override characters as visible escapes (as the CLI prints them).
HOSTILE_SHOWN = ('<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
                 "&lt;b&gt;not bold&lt;/b&gt; \\x1b[31mred\\x1b[0m \\u202eevil\\u202c")
INJECTED = ('return [window.__pwned === undefined, document.querySelectorAll("#view script, #view img, #view b").length,'
            ' /[\\u001b\\u202e\\u202c]/.test(document.body.textContent)]')


def test_hostile_text_from_the_cluster_is_shown_inert(browser, dash, cluster) -> None:
    rollout = copy.deepcopy(cluster.get_object("rollouts", NS, "app-backend"))
    # A new spec (the image) observed by the controller, which reports an invalid spec.
    rollout["metadata"]["generation"] = rollout["metadata"]["generation"] + 1
    rollout["status"]["observedGeneration"] = str(rollout["metadata"]["generation"])
    rollout["status"]["phase"], rollout["status"]["message"] = "Degraded", HOSTILE
    rollout["status"]["conditions"] = [{"type": "InvalidSpec", "status": "True", "reason": "InvalidSpec", "message": HOSTILE}]
    rollout["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1\u202e<script>window.__pwned=3</script>"
    cluster.apply_change(rollout)
    run = copy.deepcopy(cluster.get_object("analysisruns", NS, "app-backend-6d8f9c7b5-2"))
    run["status"]["message"] = HOSTILE
    run["status"]["metricResults"][0]["message"] = HOSTILE
    run["spec"]["metrics"][0]["provider"] = {"prometheus": {"address": "http://prometheus", "query": HOSTILE}}
    cluster.apply_change(run)

    browser.get(dash.url)
    browser.wait('const r = document.querySelector(\'#rollouts tr[data-rollout="app-backend"]\'); return r && r.textContent.includes("not bold")')
    assert HOSTILE_SHOWN in browser.script('return document.querySelector(\'#rollouts tr[data-rollout="app-backend"]\').textContent')
    assert browser.script(INJECTED) == [True, 0, False]

    browser.get(dash.url + f"#/rollout/{NS}/app-backend")
    browser.wait('const a = document.getElementById("analysis"); return a && a.textContent.includes("not bold")')
    summary = browser.script('return document.getElementById("summary").textContent')
    assert HOSTILE_SHOWN in summary
    assert "nginx:1\\u202e<script>window.__pwned=3</script>" in browser.script('return document.getElementById("containers").textContent')
    analysis = browser.script('return document.getElementById("analysis").textContent')
    assert analysis.count(HOSTILE_SHOWN) >= 3  # the run's message, the metric's message, the query
    assert browser.script(INJECTED) == [True, 0, False]


def settled(browser: Browser) -> str:
    """Wait until the page has not redrawn for half a second; its redraw count."""
    last = None
    while (count := browser.script("return document.body.dataset.updates")) != last:
        last = count
        time.sleep(0.5)
    return str(count)


def test_ages_and_the_pause_countdown_move_with_the_clock_without_a_cluster_change(browser, dash, cluster) -> None:
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    stamp = lambda seconds_ago: (now - dt.timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    pod = copy.deepcopy(cluster.get_object("pods", NS, "app-backend-6d8f9c7b5-jx2vd"))
    pod["metadata"]["creationTimestamp"] = stamp(30)
    cluster.apply_change(pod)
    rollout = copy.deepcopy(cluster.get_object("rollouts", NS, "app-backend"))
    rollout["status"]["pauseConditions"] = [{"reason": "CanaryPauseStep", "startTime": stamp(10)}]  # the step pauses 3m
    cluster.apply_change(rollout)

    browser.get(dash.url + f"#/rollout/{NS}/app-backend")
    # Once the page shows both changes (the first load may come before the hub has them),
    # and no redraw is pending: from then on only the clock may change the text.
    pod_age = '''const n = document.querySelector('[data-pod="app-backend-6d8f9c7b5-jx2vd"] [data-since]');
                 return n && /^\\d+s$/.test(n.textContent) && n.textContent'''
    left = 'const n = document.querySelector("#summary [data-until]"); return n && /^\\d+m\\d+s$/.test(n.textContent) && n.textContent'
    browser.wait(pod_age), browser.wait(left)
    browser.wait('return document.getElementById("live").textContent === "live"')
    updates = settled(browser)
    read_from = (dt.datetime.now(dt.timezone.utc) - now).total_seconds()
    first_age, first_left = browser.script(pod_age), browser.script(left)
    read_to = (dt.datetime.now(dt.timezone.utc) - now).total_seconds()
    # Shown as the CLI would now: kubectl's age format, Go's duration for the time left. The
    # page's text is of some moment up to its last tick before the reads (a few seconds of
    # slack for a busy machine), and never of a moment after them (one for the rounding).
    age = int(first_age.rstrip("s"))
    assert 30 + read_from - 3 <= age <= 30 + read_to + 1, (first_age, read_from, read_to)
    minutes, seconds = first_left.rstrip("s").split("m")
    remaining = int(minutes) * 60 + int(seconds)
    assert 170 - read_to - 1 <= remaining <= 170 - read_from + 3, (first_left, read_from, read_to)
    # Both move on by themselves; no server event has redrawn the page meanwhile.
    browser.wait(f"const n = document.querySelector('[data-pod=\"app-backend-6d8f9c7b5-jx2vd\"] [data-since]'); return n.textContent !== {json.dumps(first_age)}", timeout=30)
    browser.wait(f'return document.querySelector("#summary [data-until]").textContent !== {json.dumps(first_left)}', timeout=30)
    assert browser.script("return document.body.dataset.updates") == updates


BANNER = 'const b = document.getElementById("banner"); return b.hidden ? null : b.textContent'


def test_the_page_says_it_is_not_live_while_the_api_server_is_down_and_recovers(browser, dash, cluster) -> None:
    browser.get(dash.url + f"#/rollout/{NS}/app-backend")
    browser.wait(CURRENT_STEP)
    assert browser.script(BANNER) is None
    assert browser.text("#live") == "live"
    port = urlsplit(cluster.url).port
    cluster.stop()
    try:
        banner = browser.wait(BANNER, timeout=30)
        assert "Not live" in banner and "reconnecting" in banner
        assert browser.text("#live") == "reconnecting…"
        shot(browser, "stale")
        rollout = copy.deepcopy(cluster.get_object("rollouts", NS, "app-backend"))
        rollout["status"]["currentStepIndex"] = 2
        rollout["status"].pop("pauseConditions")
        cluster.apply_change(rollout)  # in the store while nobody can watch it
    finally:
        cluster.start(port=port)
    browser.wait('return document.getElementById("banner").hidden', timeout=40)
    browser.wait('const li = document.querySelector("#steps li.current"); return li && li.dataset.step === "2"', timeout=10)
    assert browser.text("#live") == "live"


def test_the_page_says_so_when_the_dashboard_server_is_gone(browser, cluster) -> None:
    d = serve(cluster)
    try:
        browser.get(d.url)
        browser.wait(ROW)
        d.close()  # the event stream breaks; EventSource keeps trying
        assert "Lost the connection to the dashboard server" in browser.wait(BANNER, timeout=10)
    finally:
        d.close()
        d.closing_source.close()  # type: ignore[attr-defined]
