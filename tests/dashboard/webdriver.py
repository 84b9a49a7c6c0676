"""A minimal W3C WebDriver client on the standard library, driving Debian's chromium through
Debian's chromedriver (no browser download, no selenium dependency: the handful of
commands the browser tests need is a few HTTP calls)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from typing import Any

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER_CANDIDATES = ("/usr/bin/chromedriver",)
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--window-size=1366,1000")


def _find(candidates: tuple[str, ...], name: str) -> str | None:
    for path in candidates:
        if os.access(path, os.X_OK):
            return path
    return shutil.which(name)


def find_browser() -> tuple[str, str] | None:
    chromium, driver = _find(CHROMIUM_CANDIDATES, "chromium"), _find(CHROMEDRIVER_CANDIDATES, "chromedriver")
    return (chromium, driver) if chromium and driver else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class WebDriverError(AssertionError):
    pass


class Browser:
    def __init__(self, chromium: str, chromedriver: str, extra_args: tuple[str, ...] = ()) -> None:
        self.port = _free_port()
        self.profile = tempfile.mkdtemp(prefix="rollouts-py-chromium-")
        self.proc = subprocess.Popen([chromedriver, f"--port={self.port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                if self._call("GET", "/status")["value"].get("ready"):
                    break
            except (OSError, WebDriverError):
                pass
            if time.monotonic() > deadline:
                self.close()
                raise WebDriverError("chromedriver did not start within 20 s")
            time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": chromium, "args": [*FLAGS, *extra_args, f"--user-data-dir={self.profile}"]}}}}
        try:
            self.session = self._call("POST", "/session", caps)["value"]["sessionId"]
        except BaseException:
            self.close()
            raise

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else (b"{}" if method == "POST" else None)
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return json.load(resp)
        except urllib.error.HTTPError as exc:
            raise WebDriverError(exc.read().decode(errors="replace")) from None

    def _session(self, method: str, path: str, body: Any = None) -> Any:
        return self._call(method, f"/session/{self.session}{path}", body)["value"]

    # ------------------------------------------------------------------ commands

    def get(self, url: str) -> None:
        self._session("POST", "/url", {"url": url})

    def script(self, source: str, *args: Any) -> Any:
        return self._session("POST", "/execute/sync", {"script": source, "args": list(args)})

    def async_script(self, source: str, *args: Any) -> Any:
        return self._session("POST", "/execute/async", {"script": source, "args": list(args)})

    def find(self, css: str) -> str:
        found = self._session("POST", "/element", {"using": "css selector", "value": css})
        return str(next(iter(found.values())))

    def _on_element(self, css: str, method: str, action: str) -> Any:
        """Find the element and act on it. The page replaces its DOM on every update, so an
        element that went stale between the two requests is found again (as a user's next
        look or click would)."""
        for attempt in range(5):
            try:
                return self._session(method, f"/element/{self.find(css)}/{action}")
            except WebDriverError as exc:
                if "stale element" not in str(exc) or attempt == 4:
                    raise
                time.sleep(0.05)
        raise AssertionError("unreachable")

    def click(self, css: str) -> None:
        self._on_element(css, "POST", "click")

    def text(self, css: str) -> str:
        return str(self._on_element(css, "GET", "text"))

    def set_window(self, width: int, height: int) -> None:
        self._session("POST", "/window/rect", {"width": width, "height": height})

    def screenshot(self) -> bytes:
        return base64.b64decode(self._session("GET", "/screenshot"))

    def wait(self, source: str, *args: Any, timeout: float = 10.0, interval: float = 0.02) -> Any:
        """Poll a script until it returns something truthy; that value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.script(source, *args)
            if value:
                return value
            if time.monotonic() > deadline:
                raise WebDriverError(f"timed out after {timeout} s waiting for: {source}")
            time.sleep(interval)

    def close(self) -> None:
        try:
            if getattr(self, "session", None):
                self._call("DELETE", f"/session/{self.session}")
        except (OSError, WebDriverError):
            pass
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            shutil.rmtree(self.profile, ignore_errors=True)
