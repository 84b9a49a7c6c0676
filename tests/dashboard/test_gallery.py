"""The dashboard's pages over rollouts in every state (tests/dashboard/gallery.py), in
headless Chromium: status counts and filters on the list, actions enabled exactly when the
Argo Rollouts kubectl plugin would change something (the reason on hover otherwise),
measurements as readable text, and unresolved queries as not yet measured.

With DASHBOARD_SCREENSHOTS=DIR the pages are saved there as PNG (docs/screenshots comes
from `DASHBOARD_SCREENSHOTS=docs/screenshots pytest tests/dashboard/test_gallery.py`).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubectl_rollouts_py.sandbox.apiserver import APIServer

from dashboard.conftest import serve
from dashboard.gallery import NS, gallery
from dashboard.webdriver import Browser, find_browser

FOUND = find_browser()
pytestmark = pytest.mark.skipif(FOUND is None, reason="no chromium + chromedriver (apt-get install chromium chromium-driver)")
SCREENSHOTS = os.environ.get("DASHBOARD_SCREENSHOTS")
DESKTOP = (1280, 800)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert FOUND is not None
    b = Browser(*FOUND)
    b.set_window(*DESKTOP)
    yield b
    b.close()


@pytest.fixture(scope="module")
def dash(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    with APIServer() as srv:
        srv.seed(gallery(dt.datetime.now(dt.timezone.utc)))
        srv.kubeconfig = srv.write_kubeconfig(tmp_path_factory.mktemp("gallery") / "kubeconfig", namespace=NS)  # type: ignore[attr-defined]
        d = serve(srv)
        yield d
        d.close()
        d.closing_source.close()  # type: ignore[attr-defined]


def shot(browser: Browser, name: str, size: tuple[int, int] = DESKTOP) -> None:
    if SCREENSHOTS:
        browser.set_window(*size)
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        (Path(SCREENSHOTS) / f"{name}.png").write_bytes(browser.screenshot())
        browser.set_window(*DESKTOP)


def open_rollout(browser: Browser, dash: object, name: str) -> None:
    browser.get(f"{dash.url}#/rollout/{NS}/{name}")  # type: ignore[attr-defined]
    browser.wait(f'return document.querySelector("#header .title") && document.querySelector("#header .title").textContent.includes({name!r})')
    browser.wait('return document.getElementById("live").textContent === "live"')


def actions(browser: Browser) -> dict[str, tuple[bool, str]]:
    """Each header button's action: (enabled, the reason shown on hover)."""
    found = browser.script('''return [...document.querySelectorAll("#actions button[data-action]")].map(
        (b) => [b.dataset.action, !b.disabled, b.parentElement.title || ""])''')
    return {action: (enabled, reason) for action, enabled, reason in found}


def test_the_list_counts_filters_and_orders_by_attention(browser: Browser, dash: object) -> None:
    browser.get(dash.url)  # type: ignore[attr-defined]
    browser.wait('return document.querySelectorAll("#rollouts tr.row").length === 4')
    assert browser.script('return document.querySelector("#nav a[aria-current=page]").dataset.page') == "list"
    counts = browser.script('''return Object.fromEntries([...document.querySelectorAll("#status-filters [data-count]")].map(
        (n) => [n.dataset.count, n.textContent]))''')
    assert counts == {"all": "4", "Healthy": "1", "Progressing": "1", "Paused": "1", "Degraded": "1"}
    # Needs attention first: Degraded, Paused, Progressing, Healthy.
    order = browser.script('return [...document.querySelectorAll("#rollouts tr.row")].map((r) => r.dataset.rollout)')
    assert order == ["payments", "app-backend", "search", "frontend"]
    # Every row says its status in words.
    assert "Degraded" in browser.text('#rollouts tr[data-rollout="payments"] .status-cell')
    assert "Healthy" in browser.text('#rollouts tr[data-rollout="frontend"] .status-cell')
    shot(browser, "list")

    browser.click('#status-filters button[data-filter="Paused"]')
    browser.wait('return document.querySelectorAll("#rollouts tr.row").length === 1')
    assert browser.script('return document.querySelector("#rollouts tr.row").dataset.rollout') == "app-backend"
    browser.click('#status-filters button[data-filter=""]')
    browser.wait('return document.querySelectorAll("#rollouts tr.row").length === 4')

    # label:value search; an image with a colon still matches as text.
    search = 'const s = document.getElementById("search"); s.value = arguments[0]; s.dispatchEvent(new Event("input"));'
    browser.script(search, "team:web")
    browser.wait('return [...document.querySelectorAll("#rollouts tr.row")].map((r) => r.dataset.rollout).join() === "search,frontend"')
    browser.script(search, "team:web tier:frontend")
    browser.wait('return [...document.querySelectorAll("#rollouts tr.row")].map((r) => r.dataset.rollout).join() === "frontend"')
    browser.script(search, "payments:1.0")
    browser.wait('return [...document.querySelectorAll("#rollouts tr.row")].map((r) => r.dataset.rollout).join() === "payments"')
    browser.script(search, "")
    browser.wait('return document.querySelectorAll("#rollouts tr.row").length === 4')

    # Keyboard: j moves to the first row, Enter opens it, Escape comes back.
    browser.script('document.body.focus(); document.dispatchEvent(new KeyboardEvent("keydown", {key: "j", bubbles: true}))')
    assert browser.script("return document.activeElement.dataset.rollout") == "payments"
    browser.script('document.activeElement.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", bubbles: true}))')
    browser.wait('return location.hash.includes("/payments")')
    browser.script('document.body.dispatchEvent(new KeyboardEvent("keydown", {key: "Escape", bubbles: true}))')
    browser.wait('return location.hash === "#/"')
    shot(browser, "list-phone", (390, 844))


def test_a_healthy_rollout_offers_no_promote_abort_or_retry(browser: Browser, dash: object) -> None:
    open_rollout(browser, dash, "frontend")
    shown = actions(browser)
    for action in ("promote", "promote-full", "abort", "retry"):
        enabled, reason = shown[action]
        assert not enabled and reason, (action, shown[action])
    assert shown["promote-full"][1] == "the rollout is already fully promoted"
    assert shown["retry"][1] == "only an aborted rollout can be retried"
    assert shown["restart"][0] and shown["pause"][0]
    # Every step done; a square per pod, green.
    assert browser.script('return [...document.querySelectorAll("#steps li")].every((li) => li.classList.contains("done"))')
    assert browser.script('return document.querySelectorAll("#revisions [data-pod-square].pod-ok").length') == 5


def test_a_paused_canary_with_failing_analysis(browser: Browser, dash: object) -> None:
    open_rollout(browser, dash, "app-backend")
    shown = actions(browser)
    assert {a: e for a, (e, _) in shown.items()} == {"promote": True, "promote-full": True, "abort": True, "retry": False,
                                                    "restart": True, "pause": True}
    # One convention with get rollout: 1/4 done, step 2 current.
    assert browser.text("#step").startswith("1/4 done · now step 2: pause 3m")
    assert browser.text("#steps li.current").startswith("▶")
    assert browser.text("#steps-done") == "1/4 done"
    assert "ends in" in browser.text("#steps li.current")
    # Every measurement as text: time, value, phase, message.
    table = browser.text('#analysis table[data-measurements="success-rate"]')
    for value in ("[0.99]", "[0.97]", "[0.91]", "[0.96]", "[0.88]", "[0.95]"):
        assert value in table
    assert "2026-11-29 08:04:01 UTC" in table and "0.88 is below 0.95" in table
    newest = browser.text('#analysis table[data-measurements="success-rate"] tbody tr')
    assert newest.startswith("2026-11-29 08:05:01 UTC [0.95]"), newest
    assert browser.script('return document.querySelectorAll("#analysis table[data-measurements] tbody tr.phase-Failed").length') == 2
    assert "failed 2 / limit 3" in browser.text("#analysis")
    assert browser.text("#analysis .args") == "Args: service-name=app-backend-canary, canary-hash=6d8f9c7b5"
    assert browser.script('return document.querySelector("#analysis line[data-threshold=success]") !== null')
    # The explain panel: the CLI's causes.
    assert "2 of 3 allowed failures used" in browser.text("#explain")
    shot(browser, "paused-canary", (1280, 1500))
    browser.script('document.getElementById("analysis").scrollIntoView()')
    shot(browser, "paused-canary-analysis", (1280, 1000))
    browser.script("window.scrollTo(0, 0)")
    # Abort asks first, and says what it does.
    browser.click('#actions button[data-action="abort"]')
    browser.wait('return document.getElementById("confirm").open')
    assert "stable version" in browser.text("#confirm-consequence")
    browser.click("#confirm-cancel")
    browser.wait('return !document.getElementById("confirm").open')


def test_an_aborted_rollout_offers_retry_only(browser: Browser, dash: object) -> None:
    open_rollout(browser, dash, "payments")
    shown = actions(browser)
    assert shown["retry"] == (True, "")
    assert shown["promote"] == (False, "the rollout is aborted: retry it first")
    assert shown["abort"] == (False, "the rollout is already aborted")
    assert "Degraded" in browser.text("#header .title")
    assert "The rollout was aborted" in browser.text("#explain")
    # Rollback on the older revision, behind a confirmation.
    assert browser.script('return document.querySelector("#revisions button[data-undo]").textContent') == "Rollback"
    shot(browser, "aborted", (1280, 1300))
    browser.click("#revisions button[data-undo]")
    browser.wait('return document.getElementById("confirm").open')
    assert "Roll back to revision 1" in browser.text("#confirm-text")
    assert "starts a new update" in browser.text("#confirm-consequence")
    browser.click("#confirm-cancel")
    browser.wait('return !document.getElementById("confirm").open')
    # The history panel: the CLI's `history`, newest first, how each revision ended.
    outcomes = browser.script('return [...document.querySelectorAll("#history [data-history-revision]")].map((li) => [li.dataset.historyRevision, li.dataset.outcome])')
    assert outcomes == [["2", "aborted"], ["1", "promoted"]]
    assert "Revision 2 was aborted" in browser.text('#history [data-history-revision="2"]')
    assert "success-rate=[0.91] (Failed)" in browser.text('#history [data-history-revision="2"]')
    assert browser.text('#history [data-history-revision="2"] .history-step.stopped') == "setWeight 10 [stopped]"


def test_a_phone_width_never_scrolls_sideways(browser: Browser, dash: object) -> None:
    browser.set_window(390, 844)
    try:
        for name in ("app-backend", "payments"):
            open_rollout(browser, dash, name)
            width = browser.script("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            assert width[0] <= width[1], (name, width)
    finally:
        browser.set_window(*DESKTOP)


def test_an_analysis_that_never_measured_shows_no_templates(browser: Browser, dash: object) -> None:
    open_rollout(browser, dash, "search")
    text = browser.text("#analysis")
    assert "{{" not in text
    assert "not yet measured" in text
    assert browser.script('return document.querySelectorAll("#revisions [data-pod-square].pod-starting").length') == 1


def test_the_experiments_list_and_page(browser: Browser, dash: object) -> None:
    browser.get(f"{dash.url}#/experiments")  # type: ignore[attr-defined]
    browser.wait('return document.querySelectorAll("#experiments tr.row").length === 1')
    row = browser.text('#experiments tr[data-experiment="search-ab"]')
    assert "Running" in row and "search" in row and "10m" in row
    browser.click('#experiments tr[data-experiment="search-ab"] td.status-cell')
    browser.wait('return document.querySelector("#header .title") && document.querySelector("#header .title").textContent.includes("search-ab")')
    assert browser.script('return document.querySelectorAll("#replicasets [data-replicaset]").length') == 2
    assert browser.script('return document.querySelectorAll("#replicasets [data-pod-square].pod-ok").length') == 3
    table = browser.text('#analysis table[data-measurements="p99-latency-ms"]')
    assert "[262]" in table and "262 ms is not below 250 ms" in table
    assert "baseline ×1, canary ×2" in browser.text("#summary")
    shot(browser, "experiment", (1280, 1000))
    # The rollout's page links to it.
    open_rollout(browser, dash, "search")
    assert browser.script('return document.querySelector("#revisions [data-experiment] a").getAttribute("href")') == f"#/experiment/{NS}/search-ab"


def test_the_dark_theme_follows_the_system(dash: object) -> None:
    assert FOUND is not None
    dark = Browser(*FOUND, extra_args=("--force-dark-mode", "--blink-settings=preferredColorScheme=0"))
    try:
        dark.set_window(*DESKTOP)
        open_rollout(dark, dash, "app-backend")
        assert dark.script('return matchMedia("(prefers-color-scheme: dark)").matches')
        background = dark.script("return getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(20, 24, 28)", background
        shot(dark, "paused-canary-dark", (1280, 1000))
    finally:
        dark.close()
