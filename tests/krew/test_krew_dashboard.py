"""The installed archive's dashboard: kubectl runs the zipapp's `dashboard` against the stand-in
API server, and its page and every asset the page loads answer 200 with the package's files
(the dashboard's static files are package data: a zipapp of .py files alone answered 500)."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from e2e.standin import NS, app_backend_objects
from kubectl_rollouts_py.sandbox.apiserver import APIServer

from .conftest import REPO, KrewShell

STATIC = REPO / "kubectl_rollouts_py" / "dashboard" / "static"
URL = re.compile(r"Dashboard for .*: (http://\S+)")


class Assets(HTMLParser):
    """The URLs a page loads by itself: scripts, stylesheets, icons, images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("script", "img") and found.get("src"):
            self.urls.append(str(found["src"]))
        if tag == "link" and found.get("href") and set(str(found.get("rel") or "").split()) & {"stylesheet", "icon", "preload", "modulepreload"}:
            self.urls.append(str(found["href"]))


def fetch(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read()


@pytest.fixture()
def standin(tmp_path: Path) -> Iterator[tuple[APIServer, Path]]:
    with APIServer() as server:
        server.seed(app_backend_objects())
        yield server, server.write_kubeconfig(tmp_path / "kubeconfig", namespace=NS)


@pytest.fixture()
def served(krew: KrewShell, unpacked: Path, standin: tuple[APIServer, Path]) -> Iterator[str]:
    """`kubectl rollouts-py dashboard --port 0` from the krew install; yields the URL it prints."""
    _, kubeconfig = standin
    process = subprocess.Popen(
        [krew.kubectl, "rollouts-py", "dashboard", "--port", "0", "--kubeconfig", str(kubeconfig)],
        env=krew.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    url = None
    try:
        while url is None:
            try:
                line = lines.get(timeout=120)
            except queue.Empty:
                pytest.fail("the dashboard printed no URL within 120 s")
            if line is None:
                process.wait(timeout=10)
                assert process.stderr is not None
                pytest.fail(f"the dashboard exited ({process.returncode}) before printing its URL: {process.stderr.read()}")
            match = URL.search(line)
            url = match.group(1) if match else None
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0, process.returncode


def test_the_installed_dashboard_serves_its_page_and_every_asset(served: str, unpacked: Path) -> None:
    status, kind, page = fetch(served)
    assert status == 200 and kind.startswith("text/html"), (status, kind)
    parser = Assets()
    parser.feed(page.decode("utf-8"))
    assert parser.urls, "the page loads no script or stylesheet"
    origin = urlsplit(served)
    for ref in parser.urls:
        url = urljoin(served, ref)
        assert urlsplit(url).netloc == origin.netloc, f"{ref}: the page loads from elsewhere"
        status, kind, body = fetch(url)
        assert status == 200, (url, status)
        name = Path(urlsplit(url).path).name
        assert body == (STATIC / name).read_bytes(), f"{url} is not the package's {name}"
        assert body == (unpacked / "kubectl_rollouts_py" / "dashboard" / "static" / name).read_bytes()
    assert {Path(urlsplit(u).path).name for u in parser.urls} >= {"app.js", "app.css"}


def test_the_installed_dashboard_answers_its_api(served: str) -> None:
    deadline = time.monotonic() + 30  # the list is empty until the dashboard's watches have listed
    while True:
        status, kind, body = fetch(urljoin(served, "api/v1/rollouts"))
        assert status == 200 and kind.startswith("application/json"), (status, kind)
        if b'"app-backend"' in body or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert b'"app-backend"' in body, body


def test_the_zipapp_unpacks_under_shiv_root(krew: KrewShell, unpacked: Path) -> None:
    """Where `kubectl krew uninstall` leaves files behind: $SHIV_ROOT (default ~/.shiv)/kubectl-rollouts_py_<hash>/."""
    root = Path(krew.env["SHIV_ROOT"])
    assert unpacked.parent.parent == root and unpacked.parent.name.startswith("kubectl-rollouts_py_"), unpacked
    assert (unpacked / "kubectl_rollouts_py" / "dashboard" / "static" / "index.html").is_file()
