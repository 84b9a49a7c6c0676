"""Hostile conditions and inputs stay within bounded time and memory, and fail cleanly.

Each hostile case must end (with a result or a ConditionError, never another exception)
well within a second; the bound asserted is loose on purpose so a slow machine does not
make the suite flaky. A short Hypothesis run feeds the parser random text and random token
soup.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubectl_rollouts_py.analysis.conditions import (
    DEFAULT_LIMITS,
    ConditionError,
    JSONValue,
    Limits,
    compile_condition,
    evaluate_condition,
)

# A hang guard, not a speed target (speed is the budget's job and benchmarks'): an unbounded
# evaluation of these inputs would take minutes to forever, a bounded one milliseconds.
SECONDS = 10.0

HOSTILE = [
    # nesting: Python's recursion limit must never be reached
    "(" * 3000 + "1" + ")" * 3000,
    "!" * 3000 + "true",
    "-" * 3000 + "1 > 0",
    "+".join(["1"] * 2000) + " > 0",
    " && ".join(["true"] * 1000),
    "2" + " ** 2" * 1000,
    "[" * 2000 + "]" * 2000,
    "{a: " * 1000 + "1" + "}" * 1000,
    "result" + "?.a" * 1000,
    "let x = 1; " * 300 + "true",
    "f(" * 2000,
    # huge collections and strings
    "1..1000000000 == []",
    "len(1..9223372036854775807) > 0",
    "all(1..100000, all(1..100000, # > 0))",
    "len(map(1..99999, map(1..99999, #))) > 0",
    "reduce(1..100000, #acc + #) > 0",
    "len(repeat('x', 1000000000)) > 0",
    "let s = repeat('ab', 400000); len(s + s + s) > 0",
    "len(replace(repeat('a', 900000), 'a', 'aaaa')) > 0",
    "len(join(map(1..99999, repeat('x', 100)), '')) > 0",
    "len(concat(1..99999, 1..99999)) > 0",
    "len(flatten(map(1..1000, 1..1000))) > 0",
    "sort(map(1..99999, -#))[0] < 0",
    "len(string(1..99999)) > 0",
    "len(toJSON(map(1..50000, {a: #}))) > 0",
    "uniq(1..50000) == []",
    "fromJSON(repeat('[', 100000)) == nil",
    "bitshl(1, 1000000000) == 0",
    # regular expressions: no backtracking blow-ups, RE2 refusals
    "repeat('a', 50000) matches '(a+)+$'",
    "repeat('a', 30000) + 'b' matches '(a|aa)*c'",
    "repeat('a', 5000) matches '(a*)*(a*)*(a*)*(a*)*b'",
    "repeat('a', 100000) matches '(x+x+)+y'",
    "'x' matches '((a{1000}){1000}){1000}'",
    "'x' matches '(?=x)'",
    "'x' matches '(\\\\w)\\\\1'",
    "'x' matches repeat('(', 500)",
    "'x' matches repeat('a{1000}', 100)",
    # parsing durations and dates of absurd length
    "duration(repeat('1', 100000) + 's') > duration('1s')",
    "date(repeat('1', 100000)) == nil",
]


def _bounded(expr: str, result: object) -> object:
    start = time.perf_counter()
    try:
        outcome: object = evaluate_condition(expr, result)
    except ConditionError as exc:
        outcome = exc
    elapsed = time.perf_counter() - start
    assert elapsed < SECONDS, f"{expr[:60]!r} took {elapsed:.2f}s"
    return outcome


@pytest.mark.parametrize("expr", HOSTILE, ids=[e[:40] for e in HOSTILE])
def test_hostile_expression_is_bounded(expr: str) -> None:
    _bounded(expr, JSONValue({"a": [1, 2, 3]}))


def test_limits_give_clean_errors() -> None:
    too_long = "true && " * 2000 + "true"
    for expr, fragment in [
        (too_long, "expression is too long"),
        ("(" * 200 + "1" + ")" * 200, "nested too deeply"),
        ("+".join(["1"] * 500) + " > 0", "nested too deeply"),
        ("1..1000000000 == []", "exceeds the limit of 100000"),
        ("len(repeat('x', 1000000000)) > 0", "exceeds the limit of 1000000"),
        ("all(1..100000, all(1..100000, # > 0))", "budget"),
    ]:
        with pytest.raises(ConditionError) as info:
            evaluate_condition(expr, None)
        assert fragment in info.value.message
        assert info.value.limit


def test_limits_are_configurable() -> None:
    small = Limits(max_steps=50)
    with pytest.raises(ConditionError, match="budget of 50"):
        compile_condition("all(1..100, # > 0)", limits=small).evaluate_bool({"result": None})
    assert compile_condition("all(1..100, # > 0)").evaluate_bool({"result": None}) is True
    assert DEFAULT_LIMITS.max_depth == 100


def test_deep_input_values_are_refused() -> None:
    deep: list[object] = []
    cursor = deep
    for _ in range(10_000):
        child: list[object] = []
        cursor.append(child)
        cursor = child
    for value in (JSONValue(deep), deep):
        outcome = _bounded("len(result) > 0", value)
        assert isinstance(outcome, ConditionError) and outcome.limit


def test_realistic_conditions_fit_the_limits() -> None:
    vector = [0.9 + i / 1e6 for i in range(10_000)]
    assert evaluate_condition("all(result, # > 0.5) && len(filter(result, # < 0.95)) > 0", vector) is True
    assert evaluate_condition("any(result, # matches '^pod-[0-9]+$')", [f"pod-{i}" for i in range(1000)]) is True


# ------------------------------------------------------------------ fuzzing the parser

TOKENS = [
    "result", "1", "0.5", "1e3", "'a'", '"b"', "`c`", "nil", "true", "false", "#", ".a", "[", "]", "(", ")",
    "{", "}", ",", ":", "?", "??", "?.", "!", "not", "in", "not in", "and", "or", "&&", "||", "==", "!=",
    "<", ">", "<=", ">=", "+", "-", "*", "/", "%", "**", "^", "..", "|", "matches", "contains", "let", "=",
    ";", "if", "else", "all", "map", "len", "isNaN", "default", "asInt", "x", "$env", "//", "/*", "\\",
]  # fmt: skip


def _survives(text: str) -> None:
    start = time.perf_counter()
    for result in (None, 1.5, [1.0, 2.0], JSONValue({"a": [1, "x"]})):
        try:
            evaluate_condition(text, result)
        except ConditionError:
            pass
    assert time.perf_counter() - start < SECONDS


# No Hypothesis deadline: a 2 s deadline is a timing assertion a loaded CI box can fail;
# _survives has the (generous) hang guard.
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_random_text_only_raises_condition_errors(text: str) -> None:
    _survives(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=40))
def test_random_token_soup_only_raises_condition_errors(tokens: list[str]) -> None:
    _survives(" ".join(tokens))
