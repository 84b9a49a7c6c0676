"""Hostile conditions: huge ranges, deep nesting, very long strings, and regexes that make
backtracking engines take exponential time. Each ends within a hang guard with a result or
a ConditionError, in the engine and through `analyze` (one Error measurement, exit 5; or
one `Error:` line when the template is refused before running)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kubectl_rollouts_py.analysis.conditions import ConditionError, JSONValue, evaluate_condition
from tests.e2e.standin import run_cli
from tests.hostile.objects import assert_terminal_safe

HANG_GUARD = 10.0  # seconds; bounded evaluations of these take milliseconds to a second
ONE_MB = 1024 * 1024

# (condition, what must come out: True/False, or a fragment of the ConditionError)
CASES: list[tuple[str, object]] = [
    ("(" * 1000 + "true" + ")" * 1000, "nested too deeply"),
    ("!" * 1000 + "true", "nested too deeply"),
    ("[" * 1000 + "]" * 1000 + " == nil", "nested too deeply"),
    ("+".join(["1"] * 100_000) + " > 0", "expression is too long"),
    (" || ".join(["false"] * 1000) + " || true", "expression is too long"),
    # A flat chain is a deep tree (left-associative): 500 terms are refused, 90 are fine.
    (" || ".join(["false"] * 500) + " || true", "nested too deeply"),
    (" || ".join(["false"] * 90) + " || true", True),
    ("'" + "a" * ONE_MB + "' == ''", "expression is too long"),
    ("len(repeat('a', 1000000)) == 1000000", True),
    ("len(repeat('ab', 1000000)) > 0", "exceeds the limit of 1000000"),
    ("len(1..100000) == 100000", True),
    ("len(1..100001) > 0", "exceeds the limit of 100000"),
    ("len(-9223372036854775807..9223372036854775807) > 0", "exceeds the limit"),
    ("all(1..100000, all(1..100000, # > 0))", "budget"),
    ("len(map(1..100000, 1..100000)) > 0", "budget"),
    ("len(toJSON(map(1..100000, repeat('x', 100)))) > 0", "budget"),
    ("sum(1..100000) == 5000050000", True),
    # catastrophic backtracking: linear in our NFA, whose steps count against the budget
    ("repeat('a', 100000) + '!' matches '^(a+)+$'", False),
    ("repeat('a', 100000) matches '(a|a)*b'", False),
    ("repeat('a', 30000) matches '(a|aa)*c'", False),
    ("repeat('a', 100000) matches '(a|aa)*c'", "budget"),
    ("repeat('a', 50000) matches '(a*)*(a*)*(a*)*b'", False),
    ("repeat('a', 100000) + 'b' matches '(a+)+b'", True),
    ("repeat('x', 900000) matches '(x+x+)+y'", "budget"),
    ("repeat('ab', 20000) matches '^(\\\\w+\\\\s?)*$'", True),
    ("repeat('ab', 400000) matches '^(\\\\w+\\\\s?)*$'", "budget"),
    # refused patterns: backreferences and look-arounds are not RE2
    ("'aa' matches '(a)\\\\1'", "invalid escape sequence"),
    ("'a' matches '(?=a)'", "invalid or unsupported Perl syntax"),
    ("'a' matches '((a{1000}){1000}){1000}'", "expression too large"),
    ("'a' matches '" + "(" * 3000 + "'", "expression too large"),
    ("'a' matches repeat('a{1000}', 10)", "expression too large"),
    ("'a' matches '" + "a" * 3000 + "'", "expression too large"),
    # parsing builtins charge the budget per character: duration() was quadratic (51 s for
    # this one), fromJSON built a 500,000-element list past the collection limit, and
    # date() spent 5 s on a 1 MB layout, each for one step
    ("duration(repeat('1s', 400000)) > duration('1s')", "budget"),
    ("duration(repeat('1s', 100000)) > duration('1s')", True),
    # integers of 4300+ digits: Go's messages, not Python's int() limit
    ("int(repeat('1', 5000)) > 0", "invalid operation: int(111"),
    ("asInt(repeat('1', 5000)) > 0", "value out of range"),
    ("asInt(repeat('0', 5000) + '1') == 1", True),
    ("fromJSON('[' + repeat('1,', 499998) + '1]') != nil", "budget"),
    ("date(repeat('2006-01-02', 99999), repeat('2006-01-02', 99999)) != nil", "budget"),
]


@pytest.mark.parametrize(("condition", "expected"), CASES, ids=[c[:40] for c, _ in CASES])
def test_hostile_condition_ends_with_a_result_or_a_clear_error(condition: str, expected: object) -> None:
    start = time.perf_counter()
    try:
        outcome: object = evaluate_condition(condition, JSONValue([1, 2]))
    except ConditionError as exc:
        outcome = exc
    elapsed = time.perf_counter() - start
    assert elapsed < HANG_GUARD, f"took {elapsed:.1f}s"
    if isinstance(expected, bool):
        assert outcome is expected, outcome
    else:
        assert isinstance(outcome, ConditionError), outcome
        assert str(expected) in outcome.message, outcome.message


# --------------------------------------------------------------------------- through `analyze`


class _Prometheus(BaseHTTPRequestHandler):
    """A Prometheus answering every query with the vector [0.99]."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {}, "value": [1764403200, "0.99"]}]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def prometheus() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Prometheus)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _template(condition: str, query: str = "up") -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate",
        "metadata": {"name": "hostile", "namespace": "default"},
        "spec": {"metrics": [{"name": "m", "successCondition": condition,
                              "provider": {"prometheus": {"address": "http://unused:9090", "query": query}}}]},
    }


ANALYZE_CASES = [
    "(" * 1000 + "result[0] > 0" + ")" * 1000,
    "+".join(["result[0]"] * 100_000) + " > 0",
    "all(1..100000, all(1..100000, # > result[0]))",
    "repeat('a', 100000) + '!' matches '^(a+)+$' || result[0] > 2",
    "'aa' matches '(a)\\\\1' || result[0] > 0",
    "len(repeat('ab', 1000000)) > 0",
    "\x1b]52;c;cm0gLXJmIH4=\x07\u202e" + "x" * ONE_MB,
]


@pytest.mark.parametrize("condition", ANALYZE_CASES, ids=[ascii(c[:30]) for c in ANALYZE_CASES])
def test_analyze_with_a_hostile_condition_errors_cleanly(condition: str, prometheus: str, tmp_path: Path) -> None:
    path = tmp_path / "template.json"
    path.write_text(json.dumps(_template(condition)))
    start = time.perf_counter()
    result = run_cli("analyze", "-f", str(path), "--once", "--prometheus", prometheus, "-o", "json", timeout=120)
    elapsed = time.perf_counter() - start
    assert elapsed < 60, f"took {elapsed:.1f}s"
    assert "Traceback" not in result.err, result.err[-2000:]
    assert_terminal_safe(result.out)
    assert_terminal_safe(result.err)
    if result.code == 1:  # refused before running: one line
        lines = result.err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.err[:2000]
        return
    # Otherwise the run's phase decides: Error (5) with a message, or a plain result when
    # the bounded evaluation got one (the regex over 100,001 characters: Failed, 3).
    phase = {5: "Error", 3: "Failed"}.get(result.code)
    assert phase, (result.code, result.err[:2000])
    doc = json.loads(result.out)
    (metric,) = doc["metrics"]
    assert metric["phase"] == phase and metric["measurements"][0]["phase"] == phase, metric
    if phase == "Error":
        assert metric["measurements"][0]["message"], metric
