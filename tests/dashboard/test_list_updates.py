"""How the list page takes a change, in headless Chromium: only the changed row is drawn
again (the others keep their elements, so a list of thousands does not lay every row out
again), rows move when their attention changes, and the page does not fetch the list a
second time when the event stream announces the version it already shows."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator

import pytest

from kubectl_rollouts_py.sandbox.apiserver import APIServer

from dashboard.conftest import serve
from dashboard.gallery import NS, gallery
from dashboard.webdriver import Browser, find_browser

FOUND = find_browser()
pytestmark = pytest.mark.skipif(FOUND is None, reason="no chromium + chromedriver (apt-get install chromium chromium-driver)")

SHOWN = '[...document.querySelectorAll("#rollouts tr.row")].map((r) => r.dataset.rollout).join()'
ORDER = "return " + SHOWN
# Every row element gets a mark that only the same element can still carry later.
MARK = 'document.querySelectorAll("#rollouts tr.row").forEach((r) => { r.__mark = r.dataset.rollout; })'
MARKED = 'return [...document.querySelectorAll("#rollouts tr.row")].filter((r) => r.__mark === r.dataset.rollout).map((r) => r.dataset.rollout).join()'
# The page has handled the event stream's first announcement (refresh(version) ran to the end).
SETTLED = "return state.latest !== null && !state.loading && state.shown !== null"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert FOUND is not None
    b = Browser(*FOUND)
    b.set_window(1280, 800)
    yield b
    b.close()


@pytest.fixture()
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[APIServer, object]]:
    with APIServer() as srv:
        srv.seed(gallery(dt.datetime.now(dt.timezone.utc)))
        srv.kubeconfig = srv.write_kubeconfig(tmp_path_factory.mktemp("list") / "kubeconfig", namespace=NS)  # type: ignore[attr-defined]
        d = serve(srv)
        yield srv, d
        d.close()
        d.closing_source.close()  # type: ignore[attr-defined]


def open_list(browser: Browser, dash: object) -> None:
    browser.get(dash.url)  # type: ignore[attr-defined]
    browser.wait('return document.querySelectorAll("#rollouts tr.row").length === 4')
    browser.wait(SETTLED)


def test_a_change_redraws_only_its_row(browser: Browser, site: tuple[APIServer, object]) -> None:
    srv, dash = site
    open_list(browser, dash)
    assert browser.script(ORDER) == "payments,app-backend,search,frontend"
    browser.script(MARK)
    frontend = copy.deepcopy(srv.get_object("rollouts", NS, "frontend"))
    frontend["metadata"]["labels"]["team"] = "storefront"
    srv.apply_change(frontend)
    browser.wait('return document.querySelector(\'#rollouts tr[data-rollout="frontend"]\').__mark === undefined')
    assert browser.script(MARKED) == "payments,app-backend,search"  # the others are the same elements
    assert browser.script(ORDER) == "payments,app-backend,search,frontend"
    search = 'const s = document.getElementById("search"); s.value = arguments[0]; s.dispatchEvent(new Event("input"));'
    browser.script(search, "team:storefront")
    browser.wait(f"return {SHOWN} === 'frontend'")
    browser.script(search, "")
    browser.wait('return document.querySelectorAll("#rollouts tr.row").length === 4')
    # Paused now (as the controller says it): the row moves up, needs attention first.
    frontend = copy.deepcopy(srv.get_object("rollouts", NS, "frontend"))
    frontend["status"].update(phase="Paused", message="manually paused", controllerPause=True)
    frontend["status"]["pauseConditions"] = [{"reason": "PausedByUser", "startTime": "2026-11-29T08:10:00Z"}]
    srv.apply_change(frontend)
    browser.wait('return document.querySelector(\'#rollouts tr[data-rollout="frontend"] .status-word\').textContent === "Paused"')
    assert browser.script(ORDER) == "payments,app-backend,frontend,search"
    assert browser.script(MARKED) == "payments,app-backend,search"
    counts = browser.script('return Object.fromEntries([...document.querySelectorAll("#status-filters [data-count]")].map((n) => [n.dataset.count, n.textContent]))')
    assert counts == {"all": "4", "Healthy": "0", "Progressing": "1", "Paused": "2", "Degraded": "1"}


def test_filtering_keeps_the_rows_it_shows_and_keyboard_focus(browser: Browser, site: tuple[APIServer, object]) -> None:
    srv, dash = site
    open_list(browser, dash)
    browser.script(MARK)
    browser.click('#status-filters button[data-filter="Degraded"]')
    browser.wait('return document.querySelectorAll("#rollouts tr.row").length === 1')
    browser.click('#status-filters button[data-filter=""]')
    browser.wait('return document.querySelectorAll("#rollouts tr.row").length === 4')
    assert browser.script(MARKED) == "payments,app-backend,search,frontend"
    # A focused row that changes is drawn again and keeps the focus.
    browser.script('document.querySelector(\'#rollouts tr[data-rollout="search"]\').focus()')
    search = copy.deepcopy(srv.get_object("rollouts", NS, "search"))
    search["spec"]["replicas"] = 9
    srv.apply_change(search)
    browser.wait('return document.querySelector(\'#rollouts tr[data-rollout="search"]\').lastChild.textContent.endsWith("/ 9")')
    assert browser.script("return document.activeElement.dataset.rollout") == "search"


def test_the_list_is_fetched_once_when_the_page_opens(browser: Browser, site: tuple[APIServer, object]) -> None:
    _, dash = site
    open_list(browser, dash)
    # The stream's first event announced the version the page had loaded: no second list.
    fetched = browser.script('return performance.getEntriesByType("resource").filter((r) => /api\\/v1\\/rollouts(\\?|$)/.test(r.name)).length')
    assert fetched == 1
