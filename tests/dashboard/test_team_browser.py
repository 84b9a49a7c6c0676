"""The dashboard as a team service, in headless Chromium: under --root-path /rollouts on its own,
and behind a signing-in reverse proxy (tests/dashboard/proxy.py, as oauth2-proxy would be) with
--auth proxy, where an action reaches the stand-in API server as the signed-in person and the
cluster's 403 shows on the page as a refusal.

Skipped, with the reason, where chromium or chromedriver is missing (CI installs both).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest

from kubectl_rollouts_py.dashboard.server import Dashboard
from kubectl_rollouts_py.kube.options import ConnectionOptions
from kubectl_rollouts_py.kube.source import open_source
from kubectl_rollouts_py.sandbox.apiserver import APIServer

from e2e.standin import NS
from dashboard.conftest import RO
from dashboard.proxy import SigningInProxy
from dashboard.test_health import wait_for
from dashboard.test_team import serve_team
from dashboard.webdriver import Browser, find_browser

FOUND = find_browser()
pytestmark = pytest.mark.skipif(FOUND is None, reason="no chromium + chromedriver (apt-get install chromium chromium-driver)")

ROW = 'return document.querySelector(\'#rollouts tr[data-rollout="app-backend"]\') !== null'
STEP = 'const li = document.querySelector("#steps li.current"); return li ? li.dataset.step : null'
PROMOTE_ENABLED = 'const b = document.querySelector(\'#actions button[data-action="promote"]\'); return b !== null && !b.disabled'
NOTICE = 'const n = document.getElementById("notice"); return n.hidden ? null : [n.dataset.kind, n.textContent]'


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert FOUND is not None
    b = Browser(*FOUND)
    yield b
    b.close()


def open_rollout_and_see_a_live_update(browser: Browser, cluster: APIServer, url: str) -> None:
    """The list loads, the rollout's page opens from it, and a change in the cluster appears
    in place; every request the page made stayed under /rollouts/."""
    browser.get(url)
    browser.wait(ROW)
    browser.click('#rollouts tr[data-rollout="app-backend"] a')
    assert browser.wait(STEP) == "1"
    rollout = copy.deepcopy(cluster.get_object("rollouts", NS, "app-backend"))
    rollout["status"]["currentStepIndex"] = 2
    cluster.apply_change(rollout)
    browser.wait('const li = document.querySelector("#steps li.current"); return li && li.dataset.step === "2"')
    assert browser.script("return location.pathname") == "/rollouts/"
    asked = browser.script('return performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname)')
    assert asked and all(path.startswith("/rollouts/") for path in asked), asked
    # (the event stream is listed only once it ends; the update above came through it)
    assert {"/rollouts/static/app.js", "/rollouts/static/app.css", "/rollouts/api/v1/info", f"/rollouts/api/v1/rollouts/{NS}/app-backend"} <= set(asked)


def promote_through_the_dialog(browser: Browser) -> None:
    browser.wait(PROMOTE_ENABLED)
    browser.script("window.scrollTo(0, 0)")
    browser.click('#actions button[data-action="promote"]')
    browser.wait('return document.getElementById("confirm").open')
    browser.click("#confirm-ok")


def test_the_app_under_root_path_rollouts(browser: Browser, cluster: APIServer) -> None:
    source = open_source(ConnectionOptions(kubeconfig=str(cluster.kubeconfig)), ())  # type: ignore[attr-defined]
    dash = Dashboard(source, NS, address="127.0.0.1", port=0, root_path="/rollouts").start()
    try:
        assert dash.url.endswith("/rollouts/")
        open_rollout_and_see_a_live_update(browser, cluster, dash.url)
        # The root path without its slash lands on the page too.
        browser.get(dash.url.rstrip("/"))
        browser.wait(ROW)
        assert browser.script("return location.pathname") == "/rollouts/"
    finally:
        dash.close()
        source.close()


def test_behind_a_signing_in_proxy_actions_are_the_persons_and_a_403_is_a_refusal(browser: Browser, cluster: APIServer) -> None:
    dash = serve_team(cluster)  # --auth proxy --trusted-proxy 127.0.0.1/32 --root-path /rollouts
    try:
        with SigningInProxy(str(dash.address), dash.port, user="alice@example.com", groups=("team-a", "team-b"),
                            prefix="/rollouts/") as proxy:
            open_rollout_and_see_a_live_update(browser, cluster, proxy.url)
            assert browser.text("#user") == "alice@example.com"

            # alice promotes: every request of the action carries her identity; the page says it worked.
            paused = copy.deepcopy(cluster.get_object("rollouts", NS, "app-backend"))
            cluster.clear_requests()
            promote_through_the_dialog(browser)
            patch = wait_for(lambda: next((r for r in cluster.requests if r.method == "PATCH"), None), "the promote PATCH", 10)
            assert patch.path == RO + "/status"
            assert patch.headers.get_all("Impersonate-User") == ["alice@example.com"]
            assert patch.headers.get_all("Impersonate-Group") == ["team-a", "team-b"]
            kind, text = browser.wait(NOTICE)
            assert kind == "done" and "promoted" in text

            # bob may not: the stand-in answers his PATCH 403, and the page says so as a refusal.
            proxy.user, proxy.groups = "bob", ()
            cluster.forbid("patch", "rollouts/status", user="bob")
            cluster.apply_change(paused)  # paused again, so that promote applies
            browser.script("location.reload()")  # signed in again, as bob
            browser.wait('const u = document.getElementById("user"); return !u.hidden && u.textContent === "bob"')
            assert browser.wait(STEP) == "2"
            cluster.clear_requests()
            promote_through_the_dialog(browser)
            kind, text = browser.wait(NOTICE)  # the page was loaded again: alice's notice went with it
            assert kind == "refusal"
            assert text.startswith(f"you may not promote rollout app-backend in {NS}: ")
            assert 'User "bob" cannot patch resource "rollouts/status"' in text
            patches = [r for r in cluster.requests if r.method == "PATCH"]
            assert [r.headers.get_all("Impersonate-User") for r in patches] == [["bob"]]
            # Not an error page: the rollout is still shown, with its steps.
            assert browser.script(STEP) is not None and browser.script('return document.querySelector("[data-view=rollout]") !== null')
    finally:
        dash.close()
        dash.closing_source.close()  # type: ignore[attr-defined]
