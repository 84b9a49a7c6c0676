"""A time-boxed fuzzer for the condition language, run in CI.

`FUZZ_SECONDS` (default 60) is the wall-clock budget: Hypothesis has no time budget of its
own, so the properties below run in rounds of a few hundred examples each until the budget
is spent (a round already started finishes). The terminal summary (tests/hostile/conftest.py)
says how long it ran and how many examples it tried.

Inputs come from a grammar of the language (every operator level, literals in every
notation, member/index/slice, calls of every builtin, predicates with `#`, `let`, `if`,
ternaries, pipes, comments, hostile regexes), from random text and from token soup; each is
evaluated against results of every shape. Properties:

Inputs also come from a well-typed corner of the grammar (numbers, lists, strings and bools
built from each other) so that evaluation, not only the type checker, is exercised.

* only ConditionError ever escapes, and every evaluation ends within a hang guard;
* evaluation is deterministic (same text, result and clock: same value or same error);
* parenthesising a whole expression changes nothing (unless a limit is what failed);
* integer arithmetic agrees with Go's int64 (wrapping, truncated division remainder) and
  boolean logic with a model, checked against values computed here independently.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import time
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubectl_rollouts_py.analysis.conditions import ConditionError, JSONValue, evaluate_condition
from kubectl_rollouts_py.analysis.expr.parser import BUILTINS, PREDICATES
from tests.hostile.fuzzstats import STATS

BUDGET = float(os.environ.get("FUZZ_SECONDS", "60"))
ROUND = 200  # examples per property per round
HANG_GUARD = 10.0  # seconds for one evaluation: a hang guard, bounded ones take milliseconds
NOW = dt.datetime(2026, 11, 29, 8, 0, tzinfo=dt.timezone.utc)
ARGO_FUNCTIONS = ("isNaN", "isInf", "isNil", "default", "asInt", "asFloat")

RESULTS: list[Any] = [
    None, 0.5, 0.0, -1.0, math.nan, math.inf, [], [0.97, 0.99], [math.nan, 1.0], 3, "0.95", True,
    JSONValue({"a": [1, "x", None], "b": {"c": 2.5}, "": None}), JSONValue([1, "a", None, [2]]), JSONValue("s"),
    {"k": 1.5}, ["x", "y"],
]  # fmt: skip

# ------------------------------------------------------------------ the grammar

_ints = st.one_of(
    st.integers(-20, 20).map(str),
    st.integers(-(2**64), 2**64).map(str),
    st.sampled_from(["0x1F", "0o17", "0b101", "1_000", "0x_ff", "9223372036854775807", "9223372036854775808", "00", "0_0"]),
)
_floats = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["0.5", ".5", "1e3", "1.5e-3", "1e308", "1e309", "1E-400", "5.", "1_0.5"]),
)
_text = st.text(max_size=12)
_strings = st.one_of(
    _text.map(json.dumps),  # "..." with \uXXXX escapes, lone surrogates included
    _text.map(lambda s: "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"),
    _text.filter(lambda s: "`" not in s).map(lambda s: f"`{s}`"),
    st.sampled_from([r"'\x41'", r"'\101'", r"'\U0001F600'", r"'\u00e9'", r"'\q'", "'unterminated", r"'\'"]),
)
# Patterns that make a backtracking engine take exponential time, and RE2's refusals.
_REGEXES = [
    "(a+)+$", "(a|a)*b", "(a|aa)*c", "(a*)*b", "(.*a){12}", "((a{100}){100}){100}", "(x+x+)+y", "^(\\w+\\s?)*$",
    "(?=a)", "(?!a)", "(?<=a)", "(a)\\1", "[", "(", "a{2,1}", "a{1001}", "\\p{Greek}", "(?i)A", "\\Q.*\\E", "[[:alpha:]]",
    "\\x{10FFFF}", "\\C", "(?P<n>a)", "(?<n>a)", "a**", "a{,3}", "\\8",
]  # fmt: skip
_regex_literal = st.one_of(
    st.sampled_from(_REGEXES),
    st.text(alphabet="a()|*+?[]{}^$.\\1,-:w", max_size=16),
).map(json.dumps)
_haystack = st.sampled_from(["repeat('a', 30)", "repeat('a', 30000) + '!'", "'aaaa!'", "''", "result", "string(result)"])
_NAMES = sorted(BUILTINS | set(ARGO_FUNCTIONS) - {"now"}) + ["x", "unknownFn", "len2"]
_atoms = st.one_of(
    _ints, _floats, _strings,
    st.sampled_from(["nil", "true", "false", "result", "result[0]", "#", "#index", "#acc", ".a", "$env",
                     "$env.result", "x", "1..3", "[]", "{}", "[1, 2.5, 'a', nil]", "{a: 1, 'b': [true]}"]),
)  # fmt: skip
_BINARY = ["+", "-", "*", "/", "%", "**", "^", "==", "!=", "<", ">", "<=", ">=", "&&", "||", "and", "or",
           "in", "not in", "contains", "startsWith", "endsWith", "not contains", "..", "??"]  # fmt: skip


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    two = st.tuples(children, children)
    three = st.tuples(children, children, children)
    args = st.lists(children, max_size=3)
    return st.one_of(
        st.tuples(st.sampled_from(["-", "+", "!", "not ", "- -"]), children).map("".join),
        st.tuples(children, st.sampled_from(_BINARY), children).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        children.map(lambda c: f"({c})"),
        three.map(lambda t: f"{t[0]} ? {t[1]} : {t[2]}"),
        two.map(lambda t: f"{t[0]} ?: {t[1]}"),
        st.tuples(st.sampled_from(_NAMES), args, st.booleans()).map(
            lambda t: f"{t[0]}({', '.join(t[1])}{', ' if t[2] and t[1] else ''})"),
        st.tuples(st.sampled_from(sorted(PREDICATES)), children, children, st.booleans()).map(
            lambda t: f"{t[0]}({t[1]}, {{{t[2]}}})" if t[3] else f"{t[0]}({t[1]}, {t[2]})"),
        st.tuples(children, st.sampled_from([".a", "?.a", ".Hours()", "?.b.c"])).map("".join),
        two.map(lambda t: f"{t[0]}[{t[1]}]"),
        two.map(lambda t: f"{t[0]}?.[{t[1]}]"),
        st.tuples(children, st.sampled_from(["", "0", "-1", "1"]), st.sampled_from(["", "2", "-1"])).map(
            lambda t: f"{t[0]}[{t[1]}:{t[2]}]"),
        st.lists(children, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(st.tuples(st.sampled_from(["a", "'b'", "1", "(x)"]), children), max_size=3).map(
            lambda kvs: "{" + ", ".join(f"{k}: {v}" for k, v in kvs) + "}"),
        st.tuples(children, st.sampled_from(["len()", "upper()", "map(# * 2)", "filter(# > 0)", "sum()"])).map(
            lambda t: f"{t[0]} | {t[1]}"),
        two.map(lambda t: f"let x = {t[0]}; {t[1]}"),
        three.map(lambda t: f"if {t[0]} {{ {t[1]} }} else {{ {t[2]} }}"),
        st.tuples(_haystack, st.sampled_from(["matches", "not matches"]), _regex_literal).map(" ".join),
        children.map(lambda c: f"/* {c[:5]} */ {c}"),
    )


expressions = st.recursive(_atoms, _extend, max_leaves=25)
_TOKENS = ["result", "1", "0.5", "'a'", "nil", "true", "#", ".a", "[", "]", "(", ")", "{", "}", ",", ":", "?", "??",
           "?.", "!", "not", "in", "and", "||", "==", "<", "+", "-", "*", "/", "%", "**", "..", "|", "matches",
           "let", "=", ";", "if", "else", "all", "map", "len", "x", "$env", "//", "/*", "*/", "\\", "`", "'", '"',
           "\x00", "\u202e", "\ud800"]  # fmt: skip
# A well-typed corner of the grammar, so that evaluation (not only the type checker) is
# exercised: numbers, lists of numbers, strings and bools built from each other.
_num: st.SearchStrategy[str] = st.deferred(lambda: st.one_of(
    _ints, _floats, st.sampled_from(["result[0]", "result[-1]", "len(result)", "#", "#index"]),
    st.tuples(_num, st.sampled_from(["+", "-", "*", "/", "%", "**"]), _num).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
    st.tuples(st.sampled_from(["len", "sum", "max", "min", "mean", "median", "count"]), _list).map(lambda t: f"{t[0]}({t[1]})"),
    st.tuples(st.sampled_from(["abs", "ceil", "floor", "round", "int", "float", "-"]), _num).map(lambda t: f"{t[0]}({t[1]})"),
    st.tuples(_list, _num).map(lambda t: f"{t[0]}[{t[1]}]"),
    st.tuples(_list, _num).map(lambda t: f"get({t[0]}, {t[1]}) ?? 0"),
    st.tuples(_list, _num, _num).map(lambda t: f"reduce({t[0]}, #acc + #, {t[1]})"),
    st.tuples(_str).map(lambda t: f"len({t[0]})"),
    st.tuples(_bool, _num, _num).map(lambda t: f"({t[0]} ? {t[1]} : {t[2]})"),
))
_list: st.SearchStrategy[str] = st.deferred(lambda: st.one_of(
    st.sampled_from(["result", "[]", "[1, 2.5, -3]", "1..5", "0..100000", "-5..5", "[nan]"]).map(lambda s: s.replace("nan", "0/0")),
    st.tuples(_num, _num).map(lambda t: f"({t[0]})..({t[1]})"),
    st.tuples(st.sampled_from(["map", "filter", "sortBy"]), _list, st.one_of(_num, _bool)).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
    st.tuples(st.sampled_from(["sort", "reverse", "uniq", "flatten"]), _list).map(lambda t: f"{t[0]}({t[1]})"),
    st.tuples(_list, _list).map(lambda t: f"concat({t[0]}, {t[1]})"),
    st.tuples(_list, st.sampled_from(["", "1", "-2"]), st.sampled_from(["", "3", "-1"])).map(lambda t: f"{t[0]}[{t[1]}:{t[2]}]"),
    st.tuples(_list, _num).map(lambda t: f"take({t[0]}, {t[1]})"),
    st.lists(_num, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
))
# Big inputs for the parsing builtins: work that grows with the input must be bounded too.
_BIG_STRINGS = ["repeat('1s', 400000)", "repeat('a', 999999)", "'[' + repeat('1,', 300000) + '1]'",
                "repeat('2006-01-02', 50000)", "repeat('9', 5000)", "repeat('1.5h', 200000)", "repeat('{\"a\":', 30000)",
                "repeat('QUFB', 200000)", "repeat('a,', 400000)"]  # fmt: skip
_PARSING = ["duration({}) > duration('1s')", "date({}) != nil", "fromJSON({}) != nil", "len(split({}, ',')) > 0",
            "asInt({}) > 0", "asFloat({}) > 0", "len(fromBase64({})) > 0", "int({}) > 0", "len(toJSON({})) > 0",
            "len(upper({})) > 0", "date({0}, {0}) != nil", "{} matches '(a|aa)*c'", "len(trim({}, 'a')) > 0",
            "len(replace({0}, 'a', {0})) > 0", "indexOf({0}, {0}) > 0"]  # fmt: skip
_str: st.SearchStrategy[str] = st.deferred(lambda: st.one_of(
    _strings, st.sampled_from(["string(result)", "toJSON(result)", "type(result)", *_BIG_STRINGS]),
    st.tuples(_str, _str).map(lambda t: f"({t[0]} + {t[1]})"),
    st.tuples(st.sampled_from(["upper", "lower", "trim", "toBase64", "string"]), _str).map(lambda t: f"{t[0]}({t[1]})"),
    st.tuples(_str, _num).map(lambda t: f"repeat({t[0]}, {t[1]})"),
    st.tuples(_list, _str).map(lambda t: f"join(map({t[0]}, string(#)), {t[1]})"),
    st.tuples(_str, _str, _str).map(lambda t: f"replace({t[0]}, {t[1]}, {t[2]})"),
    st.tuples(_str, _num).map(lambda t: f"{t[0]}[{t[1]}]"),
    _num.map(lambda n: f"string({n})"),
))
_bool: st.SearchStrategy[str] = st.deferred(lambda: st.one_of(
    st.sampled_from(["true", "false", "isNil(result)"]),
    st.tuples(_num, st.sampled_from(["==", "!=", "<", ">", "<=", ">="]), _num).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
    st.tuples(_num, _num, _num).map(lambda t: f"{t[0]} < {t[1]} <= {t[2]}"),
    st.tuples(_str, st.sampled_from(["==", "<", "contains", "startsWith", "endsWith", "not contains"]), _str).map(" ".join),
    st.tuples(_str, st.sampled_from(["matches", "not matches"]), st.one_of(_regex_literal, _str)).map(" ".join),
    st.tuples(st.sampled_from(["all", "any", "none", "one"]), _list, _bool).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
    st.tuples(_num, _list).map(lambda t: f"{t[0]} in {t[1]}"),
    st.tuples(_bool, st.sampled_from(["&&", "||", "and", "or"]), _bool).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
    _bool.map(lambda b: f"!({b})"),
    _num.map(lambda n: f"isNaN(float({n}))"),
    st.tuples(st.sampled_from(_PARSING), _str).map(lambda t: t[0].format(t[1])),
    st.tuples(_num, _bool).map(lambda t: f"let x = {t[0]}; {t[1]} || x > 0"),
))
typed_results = st.sampled_from([[], [0.97, 0.99], [math.nan, 1.0, -math.inf], [float(i) for i in range(50)]])

token_soup = st.lists(st.sampled_from(_TOKENS), max_size=40).map(" ".join)
results = st.sampled_from(RESULTS)

# ------------------------------------------------------------------ running one input


def outcome(text: str, result: Any) -> tuple[str, Any]:
    """("ok", value) or (error kind, message); anything but ConditionError propagates."""
    start = time.perf_counter()
    try:
        value: tuple[str, Any] = ("ok", evaluate_condition(text, result, now=NOW))
    except ConditionError as exc:
        value = ("limit" if exc.limit else exc.kind, exc.message)
    elapsed = time.perf_counter() - start
    assert elapsed < HANG_GUARD, f"{text[:80]!r} took {elapsed:.1f}s"
    if elapsed > STATS.slowest:
        STATS.slowest, STATS.slowest_text = elapsed, text
    STATS.outcomes[value[0]] += 1
    if value[0] != "ok":
        STATS.messages.add(" ".join(str(value[1]).split()[:4]))
    return value


def _same(a: tuple[str, Any], b: tuple[str, Any]) -> bool:
    return a == b or (a[0] == b[0] == "ok" and isinstance(a[1], float) and math.isnan(a[1]) and math.isnan(b[1]))


# ------------------------------------------------------------------ properties

_SETTINGS = settings(
    max_examples=ROUND, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


@_SETTINGS
@given(expressions, results)
def grammar_property(text: str, result: Any) -> None:
    STATS.examples["grammar"] += 1
    first = outcome(text, result)
    assert _same(first, outcome(text, result)), text  # deterministic
    wrapped = outcome(f"({text})", result)
    if "limit" not in (first[0], wrapped[0]):
        assert (first[0] == "ok") == (wrapped[0] == "ok"), (text, first, wrapped)
        if first[0] == "ok":
            assert _same(first, wrapped), (text, first, wrapped)


@_SETTINGS
@given(st.one_of(st.text(max_size=200), token_soup), results)
def text_property(text: str, result: Any) -> None:
    STATS.examples["text"] += 1
    assert _same(outcome(text, result), outcome(text, result)), text


@_SETTINGS
@given(_bool, typed_results)
def typed_property(text: str, result: Any) -> None:
    STATS.examples["typed"] += 1
    first = outcome(text, result)
    assert _same(first, outcome(text, result)), text


@_SETTINGS
@given(st.sampled_from(_PARSING), st.one_of(st.sampled_from(_BIG_STRINGS), _str))
def parsing_property(template: str, argument: str) -> None:
    """Builtins that parse or scan a string, fed big strings: their work must be bounded."""
    STATS.examples["parsing"] += 1
    outcome(template.format(argument), None)


# Integer arithmetic against Go int64 semantics, computed here: (text, value or None if it errors).
_I64 = 2**63


def _wrap(n: int) -> int:
    return (n + _I64) % (2 * _I64) - _I64


def _go_mod(a: int, b: int) -> int:
    """Go's %: truncated division, so the remainder takes the dividend's sign."""
    rest = abs(a) % abs(b)
    return rest if a >= 0 else -rest


def _int_extend(children: st.SearchStrategy[tuple[str, int | None]]) -> st.SearchStrategy[tuple[str, int | None]]:
    def combine(t: tuple[tuple[str, int | None], str, tuple[str, int | None]]) -> tuple[str, int | None]:
        (ta, a), op, (tb, b) = t
        text = f"({ta} {op} {tb})"
        if a is None or b is None:
            return text, None
        if op == "%":
            return text, (None if b == 0 else _wrap(_go_mod(a, b)))
        return text, _wrap(a + b if op == "+" else a - b if op == "-" else a * b)

    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*", "%"]), children).map(combine),
        children.map(lambda c: (f"-{c[0]}", None if c[1] is None else _wrap(-c[1]))),
    )


_int_leaves = st.one_of(st.integers(-5, 5), st.integers(-(2**62), 2**62), st.sampled_from([2**63 - 1, 0])).map(
    lambda n: (str(n) if n >= 0 else f"({n})", n)
)
int_expressions = st.recursive(_int_leaves, _int_extend, max_leaves=12)


@_SETTINGS
@given(int_expressions)
def arithmetic_property(case: tuple[str, int | None]) -> None:
    STATS.examples["arithmetic"] += 1
    text, expected = case
    if expected is None:
        kind, message = outcome(f"{text} == 0", None)
        # Constant operands fold at compile time, as expr's optimizer does.
        assert kind in ("compile", "runtime") and "by zero" in message, (text, message)
        return
    literal = str(expected) if expected >= 0 else f"-{-expected}" if expected > -_I64 else None
    if literal is None:
        return  # -2^63 has no literal of its own
    assert outcome(f"{text} == {literal}", None) == ("ok", True), (text, expected)


def _bool_extend(children: st.SearchStrategy[tuple[str, bool]]) -> st.SearchStrategy[tuple[str, bool]]:
    return st.one_of(
        st.tuples(children, st.sampled_from(["&&", "||", "and", "or", "==", "!="]), children).map(
            lambda t: (f"(({t[0][0]}) {t[1]} ({t[2][0]}))",
                       {"&&": t[0][1] and t[2][1], "and": t[0][1] and t[2][1], "||": t[0][1] or t[2][1],
                        "or": t[0][1] or t[2][1], "==": t[0][1] == t[2][1], "!=": t[0][1] != t[2][1]}[t[1]])),
        children.map(lambda c: (f"!({c[0]})", not c[1])),
        children.map(lambda c: (f"not ({c[0]})", not c[1])),
        st.tuples(children, children, children).map(lambda t: (f"({t[0][0]} ? {t[1][0]} : {t[2][0]})", t[1][1] if t[0][1] else t[2][1])),
    )


_bool_leaves = st.one_of(
    st.sampled_from([("true", True), ("false", False), ("isNil(result)", True), ("1 < 2", True), ("'b' < 'a'", False),
                     ("nil == nil", True), ("0.1 + 0.2 == 0.3", False), ("7 / 2 == 3.5", True), ("-7 % 3 == -1", True),
                     ("2 ** 3 ** 2 == 512", True), ("1 in [1.0]", True), ("'aaaa!' matches '(a+)+$'", False),
                     ("len('é') == 1", True), ("round(2.5) == 3", True), ("round(-2.5) == -3", True)]),
)  # fmt: skip
bool_expressions = st.recursive(_bool_leaves, _bool_extend, max_leaves=15)


@_SETTINGS
@given(bool_expressions)
def logic_property(case: tuple[str, bool]) -> None:
    STATS.examples["logic"] += 1
    text, expected = case
    assert outcome(text, None) == ("ok", expected), text


PROPERTIES: list[Callable[[], None]] = [
    grammar_property, typed_property, parsing_property, text_property, arithmetic_property, logic_property,
]


def test_fuzz_the_condition_language_for_the_time_budget() -> None:
    STATS.budget = BUDGET
    start = time.monotonic()
    # At least one round, so a tiny budget still runs every property once.
    while STATS.rounds == 0 or time.monotonic() - start < BUDGET:
        for prop in PROPERTIES:
            prop()
        STATS.rounds += 1
        STATS.seconds = time.monotonic() - start
    assert sum(STATS.examples.values()) >= ROUND * len(PROPERTIES) // 2  # the properties really ran
