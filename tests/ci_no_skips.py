"""Under CI a skipped test is a failed test.

Tests that need a binary (kubectl, prometheus, promtool, tmux, chromium + chromedriver,
openssl, older CPythons for the krew archive) skip with the reason on a developer's machine
that lacks it. CI (`.ci/run`, which sets CI=true) installs all of them, so a skip there
means a test silently did not run: this plugin turns it into a failure that names the
reason. It is loaded from tests/conftest.py through `pytest_plugins`.
"""

from __future__ import annotations

import os

import pytest


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _reason(longrepr: object) -> str:
    # A skip's longrepr is (path, line, "Skipped: reason").
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _fail(report: pytest.TestReport | pytest.CollectReport) -> None:
    report.outcome = "failed"
    report.longrepr = f"skipped under CI, which must run every test: {_reason(report.longrepr)}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    # xfail is an expectation, not a missing binary; it reports as skipped too.
    if under_ci() and report.skipped and not hasattr(report, "wasxfail"):
        _fail(report)


_skipped_modules: list[str] = []


def pytest_collectreport(report: pytest.CollectReport) -> None:
    # A module-level pytest.skip(allow_module_level=True) skips at collection. Turning that
    # report into a failure would be a collection error, which stops the whole run, so it
    # is counted here and fails the session at the end instead.
    if under_ci() and report.skipped:
        _skipped_modules.append(f"{report.nodeid}: {_reason(report.longrepr)}")


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    for line in _skipped_modules:
        terminalreporter.write_line(f"FAILED {line} (skipped under CI, which must run every test)", red=True)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _skipped_modules and exitstatus in (0, 5):
        session.exitstatus = 1
