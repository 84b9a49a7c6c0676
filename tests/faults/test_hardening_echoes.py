"""Bounded echoes (issue 20): a megabyte condition, query or message is quoted in part, not
whole, in error lines and views; a Prometheus redirect to a dead port names the target."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from kubectl_rollouts_py.analysis import prometheus
from kubectl_rollouts_py.analysis.evaluate import Phase, assess
from kubectl_rollouts_py.render.escape import ECHO_LIMIT, clean_bounded
from tests.analysis.promharness import StubServer
from tests.e2e.standin import run_cli
from tests.faults.matrix import Prometheus

LITERAL = "a" * 2_000_000


@pytest.fixture(scope="module")
def prometheus_url() -> Iterator[str]:
    stub = Prometheus()
    yield stub.url
    stub.stop()


def _template(tmp_path: Path, url: str, *, condition: str = "result[0] > 0", query: str = "up") -> Path:
    template = {"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate", "metadata": {"name": "big"},
                "spec": {"metrics": [{"name": "m", "interval": "1s", "count": 1, "successCondition": condition,
                                      "provider": {"prometheus": {"address": url, "query": query}}}]}}
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(template))
    return path


CONDITIONS = {
    "a 2 MB literal": f'result[0] == "{LITERAL}"',
    "a 2 MB number": "result[0] > " + "9" * 2_000_000,
    "a 2 MB identifier": "x" + LITERAL + " > 1",
}


@pytest.mark.parametrize("condition", list(CONDITIONS))
def test_analyze_quotes_a_huge_condition_in_part(tmp_path: Path, prometheus_url: str, condition: str) -> None:
    path = _template(tmp_path, prometheus_url, condition=CONDITIONS[condition])
    result = run_cli("analyze", "-f", str(path), "--once", timeout=60)
    assert result.code == 5  # the Error phase
    assert len(result.err) < 2_000 and result.err.count("\n") == 1 and "more characters" in result.err
    assert len(result.out) < 8 * ECHO_LIMIT  # was 8 MB


def test_analyze_shows_a_huge_query_in_part(tmp_path: Path, prometheus_url: str) -> None:
    path = _template(tmp_path, prometheus_url, query="up{x=\"" + LITERAL + "\"}")
    result = run_cli("analyze", "-f", str(path), "--once", timeout=60)
    assert result.code == 0 and len(result.out) < 4 * ECHO_LIMIT and result.err == ""


def test_an_evaluation_error_quotes_at_most_a_few_hundred_characters() -> None:
    phase, message = assess(f'result[0] == "{LITERAL}"', None, [0.5])
    assert phase is Phase.ERROR and len(message) < 600 and message.startswith('could not evaluate successCondition "result[0] == "aaa')


def test_clean_bounded_cuts_before_escaping() -> None:
    assert clean_bounded("ab\x1bcd", 3) == "ab\\x1b... (2 more characters)"
    assert clean_bounded("short") == "short"


def test_a_redirect_to_a_dead_port_names_the_target() -> None:
    stub = StubServer()
    stub.reply(307, "", headers={"Location": "http://127.0.0.1:9/api/v1/query"})
    try:
        with pytest.raises(prometheus.ProviderError) as raised:
            prometheus.query({"address": stub.url, "query": "up"}, timeout=5)
    finally:
        stub.stop()
    assert str(raised.value).startswith('Post "http://127.0.0.1:9/api/v1/query": dial tcp 127.0.0.1:9: ')


def test_lint_quotes_a_huge_condition_in_part(tmp_path: Path) -> None:
    path = _template(tmp_path, "http://127.0.0.1:9", condition=CONDITIONS["a 2 MB literal"])
    result = run_cli("lint", "-f", str(path), timeout=60)
    assert result.code == 1
    assert len(result.out) < 2 * ECHO_LIMIT and len(result.err) < 20_000 and "more characters" in result.out
