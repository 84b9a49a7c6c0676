"""`matches` and dryRun rules use Go's RE2: unanchored search, RE2 syntax and errors, linear time."""

from __future__ import annotations

import time

import pytest

from kubectl_rollouts_py.analysis.expr.base import Budget, ConditionError, Limits
from kubectl_rollouts_py.analysis.expr.regex import RegexError, match_string

MATCHES = [
    ("b", "abc", True),  # unanchored
    ("^b", "abc", False),
    ("^[a-z]+[0-9]+$", "abc123", True),
    ("rate", "success-rate", True),
    (".*", "", True),
    ("^$", "", True),
    ("a$", "a\n", False),  # RE2's $ is end of text, not "before a final newline"
    ("(?m)a$", "a\nb", True),
    ("(?m)^b", "a\nb", True),
    ("\\Aa", "ba", False),
    ("a\\z", "ba", True),
    (".", "\n", False),
    ("(?s).", "\n", True),
    ("(?i)abc", "ABC", True),
    ("(?i)[^a]", "A", False),
    ("(?i:a)b", "AB", False),
    ("(?i:a)b", "Ab", True),
    ("\\bfoo\\b", "a foo b", True),
    ("\\bfoo\\b", "afoo", False),
    ("\\Bfoo", "afoo", True),
    ("\\d+", "x12", True),
    ("\\D", "123", False),
    ("\\s", "a\tb", True),
    ("\\w+$", "a-b_c", True),
    ("[[:alpha:]]+", "9", False),
    ("[[:^digit:]]", "9", False),
    ("\\pL", "é", True),
    ("\\p{Lu}", "a", False),
    ("[\\P{L}]", "1", True),
    ("[]a]", "]", True),
    ("[a-]", "-", True),
    ("[^]a]", "b", True),
    ("a{2,3}", "aa", True),
    ("^a{2,3}$", "aaaa", False),
    ("^a{2,}$", "aaaaa", True),
    ("^(ab)?c$", "c", True),
    ("^(?:a|bc)+$", "abca", True),
    ("^(?P<x>a)(?<y>b)$", "ab", True),
    ("a{,2}", "a{,2}", True),  # not a repeat: literal braces, as in Go
    ("\\Qa.b\\E", "axb", False),
    ("\\Qa.b\\E", "a.b", True),
    ("\\x41\\x{42}\\103", "ABC", True),
    ("a*?b", "aab", True),
    ("", "anything", True),
    ("a|", "b", True),
]


@pytest.mark.parametrize(("pattern", "text", "expected"), MATCHES)
def test_re2_search(pattern: str, text: str, expected: bool) -> None:
    assert match_string(pattern, text) is expected


ERRORS = [
    ("[", "missing closing ]: `[`"),
    ("*", "missing argument to repetition operator: `*`"),
    ("a**", "invalid nested repetition operator: `**`"),
    ("a{2}{3}", "invalid nested repetition operator: `{2}{3}`"),
    ("x{1001}", "invalid repeat count: `{1001}`"),
    ("x{3,2}", "invalid repeat count: `{3,2}`"),
    ("(", "missing closing ): `(`"),
    ("a)", "unexpected ): `a)`"),
    ("\\", "trailing backslash at end of expression: ``"),
    ("[z-a]", "invalid character class range: `z-a`"),
    ("[[:foo:]]", "invalid character class range: `[:foo:]`"),
    ("(?=x)", "invalid or unsupported Perl syntax: `(?=`"),
    ("(?!x)", "invalid or unsupported Perl syntax: `(?!`"),
    ("(?<!x)", "invalid named capture: `(?<!x)`"),
    ("(\\w)\\1", "invalid escape sequence: `\\1`"),
    ("\\k", "invalid escape sequence: `\\k`"),
    ("\\Z", "invalid escape sequence: `\\Z`"),
    ("(?P<>x)", "invalid named capture: `(?P<>`"),
]


@pytest.mark.parametrize(("pattern", "message"), ERRORS)
def test_re2_errors(pattern: str, message: str) -> None:
    with pytest.raises(RegexError) as info:
        match_string(pattern, "x")
    assert str(info.value) == "error parsing regexp: " + message


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("(a+)+$", "a" * 100_000 + "b"),
        ("(a|aa)*c", "a" * 50_000),
        ("(a*)*(a*)*(a*)*b", "a" * 10_000),
        ("^(\\w+\\s?)*$", "word " * 5_000 + "!"),
    ],
)
def test_no_catastrophic_backtracking(pattern: str, text: str) -> None:
    start = time.perf_counter()
    budget = Budget(Limits(max_steps=10**9))
    assert match_string(pattern, text, budget) is False
    assert time.perf_counter() - start < 10.0  # hang guard: backtracking would take forever


def test_the_budget_bounds_big_programs_on_big_texts() -> None:
    budget = Budget(Limits(max_steps=10_000))
    with pytest.raises(ConditionError, match="budget"):
        match_string("(x|y|z)*q", "x" * 100_000, budget)
