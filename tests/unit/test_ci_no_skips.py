"""tests/ci_no_skips.py: under CI a skip fails the run; elsewhere it stays a skip."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

CASES = textwrap.dedent(
    """
    import pytest

    def test_needs_a_missing_binary():
        pytest.skip("no frobnicate binary")

    @pytest.mark.skipif(True, reason="frobnicate is not installed")
    def test_marked():
        pass

    @pytest.mark.xfail(reason="known bug", strict=False)
    def test_expected_failure():
        assert False

    def test_runs():
        pass
    """
)

MODULE_SKIP = "import pytest\npytest.skip('no frobnicate for this module', allow_module_level=True)\n"


def run_pytest(tmp_path: Path, ci: str | None, cases: bool = True) -> subprocess.CompletedProcess[str]:
    if cases:
        (tmp_path / "test_cases.py").write_text(CASES)
    (tmp_path / "test_module_skip.py").write_text(MODULE_SKIP)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "tests.ci_no_skips", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path), str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
    )


@pytest.mark.parametrize("ci", ["true", "1"])
def test_under_ci_every_skip_fails_with_its_reason(tmp_path: Path, ci: str) -> None:
    result = run_pytest(tmp_path, ci)
    assert result.returncode == 1, result.stdout
    summary = result.stdout.strip().splitlines()[-1]
    # The skip in the test body fails the test; the skipif mark, which skips in setup,
    # makes a setup error; the skipped module still counts as skipped but fails the run.
    assert "1 failed" in summary and "1 error" in summary and "1 passed" in summary and "1 xfailed" in summary, summary
    for reason in ("no frobnicate binary", "frobnicate is not installed"):
        assert f"skipped under CI, which must run every test: {reason}" in result.stdout
    assert "test_module_skip.py: no frobnicate for this module (skipped under CI, which must run every test)" in result.stdout


def test_under_ci_a_skipped_module_alone_fails_the_run(tmp_path: Path) -> None:
    (tmp_path / "test_cases.py").write_text("def test_runs():\n    pass\n")
    result = run_pytest(tmp_path, "true", cases=False)
    assert result.returncode == 1, result.stdout
    assert "no frobnicate for this module (skipped under CI" in result.stdout


@pytest.mark.parametrize("ci", [None, "", "false", "0"])
def test_outside_ci_a_skip_stays_a_skip(tmp_path: Path, ci: str | None) -> None:
    result = run_pytest(tmp_path, ci)
    assert result.returncode == 0, result.stdout
    summary = result.stdout.strip().splitlines()[-1]
    assert "3 skipped" in summary and "1 passed" in summary and "1 xfailed" in summary, summary
