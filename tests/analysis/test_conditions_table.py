"""Condition language, table-driven: values, precedence, access, closures, Argo's functions.

Rows are (expression, result, expected) where expected is True/False, or an error kind:
"compile", "runtime" or "not_bool". `result` uses the engine's conventions: float →
float64, list of floats → []float64 (a Prometheus vector), None → nil, `J(...)` → decoded
JSON (interface{} values). Many rows are transcribed from the shared vectors
(shared/analysis-vectors/conditions.json), which these tests never read.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest

from kubectl_rollouts_py.analysis.conditions import (
    ConditionError,
    JSONValue as J,
    compile_condition,
    evaluate_condition,
    evaluate_time,
)

NAN = math.nan
INF = math.inf
C, R, NB = "compile", "runtime", "not_bool"

ROWS: list[tuple[str, object, object]] = [
    # --- literals
    ("0x2A == 42", None, True),
    ("0o52 == 42 && 0b101010 == 42", None, True),
    ("1_000 == 1000", None, True),
    (".5 == 0.5 && 1e3 == 1000 && 1.5e-3 < 0.002", None, True),
    ("'bar' == \"bar\"", None, True),
    ('"a\\tb" == \'a\tb\'', None, True),
    ("`a\\tb` == 'a\\\\tb'", None, True),
    ("'\\u00e9' == 'é'", None, True),
    ("nil == nil", None, True),
    ("[1, 2, 3] == [1, 2, 3,]", None, True),
    ("{a: 1, 'b': 2, 3: 4}.b == 2", None, True),
    ("result == 5 // trailing comment", 5.0, True),
    ("result /* inline */ == 5", 5.0, True),
    ("9223372036854775807 + 1 < 0", None, True),
    ("9223372036854775808 > 0", None, C),
    ("1e999 > 0", None, C),
    ("'unterminated", None, C),
    ("1 & 2", None, C),
    ("", 1.0, C),
    # --- arithmetic (Go semantics)
    ("2 + 3 * 4 == 14 && (2 + 3) * 4 == 20", None, True),
    ("7 / 2 == 3.5 && 6 / 3 == 2", None, True),
    ("10 / 4 * 2 == 5", None, True),
    ("-7 % 3 == -1 && 7 % -3 == 1", None, True),
    ("7.5 % 2 == 1.5", None, C),
    ("1 % 0 == 0", None, C),
    ("int(result[0]) % 0 == 0", [3.0], R),
    ("result % 2 == 1", 5.0, C),
    ("2 ** 3 ** 2 == 512 && 2 ^ 10 == 1024", None, True),
    ("-2 ** 2 == -4", None, True),
    ("2 ** -1 == 0.5 && type(2 ** 2) == 'float'", None, True),
    ("10 - 2 - 3 == 5", None, True),
    ("result / 0 > 1 && isInf(result / 0)", 5.0, True),
    ("isNaN(result[0] / result[1])", [0.0, 0.0], True),
    ("0.1 + 0.2 == 0.3", None, False),
    ("'a' + 'b' == 'ab'", None, True),
    ("'a' + 1 == 'a1'", None, C),
    ("type(2 * 3) == 'int' && type(7 / 7) == 'float'", None, True),
    ("5 % 3 * 2 == 4 && 2 * 3 % 4 == 2", None, True),
    ("3 - -2 == 5 && 2 * -1 == -2 && +2 == 2", None, True),
    ("result[0]-1 == 0 && result[0] -1 == 0 && result[0] - -1 == 2", [1.0], True),
    # --- comparison and equality
    ("1 == 1.0 && result == 1", 1.0, True),
    ("1 < 2 < 3 && 3 > 2 > 1", None, True),
    ("1 < 3 < 2", None, False),
    ("result < 1 > 0", 0.5, True),
    ("1 < result <= 2", 2.0, True),
    ("1 == 1 == true", None, True),
    ("1 < 2 == true", None, True),
    ("true == result > 1", 2.0, C),
    ("'B' < 'a' && 'a' < 'b'", None, True),
    ("result == result", NAN, False),
    ("result != result", NAN, True),
    ("result > 0 || result <= 0", NAN, False),
    ("result > 1e308", INF, True),
    ("result == '10'", 10.0, C),
    ("result > 'a'", 10.0, C),
    ("result == true", 1.0, C),
    ("'1' == 1", None, C),
    ("nil > 1", None, C),
    ("result == nil", None, True),
    ("result == 'abc'", None, False),
    ("nil == false", None, False),
    ("[1, [2]] == [1, [2]]", None, True),
    ("{a: 1} == {a: 1}", None, True),
    ("{a: 1.0} == {a: 1}", None, False),
    ("result == {'a': 1}", J({"a": 1}), False),
    ("result == [10, 11] && result == [10.0, 11.0]", [10.0, 11.0], True),
    ("result == []", [], True),
    ("result[0] == 1", J(["x"]), False),
    ("result.x == '1'", J({"x": 1}), False),
    ("result.x > 'a'", J({"x": 1}), R),
    ("result.x > 1", J({"x": None}), R),
    ("findIndex(result, # > 5) == -1", [1.0, 2.0], R),
    ("findIndex(result, # > 5) == nil", [1.0, 2.0], True),
    # --- logic and precedence
    ("true || false && false", None, True),
    ("(true || false) && false", None, False),
    ("not true == false && !true == false", None, True),
    ("not 1 in [2]", None, C),
    ("not (1 in [2])", None, True),
    ("not result[0] > 1", [2.0], C),
    ("!result[0] * 2", J([True]), R),
    ("1 && true", None, C),
    ("result && true", 1.0, C),
    ("result || false", True, True),
    ("false && result[5] > 0", [1.0], False),
    ("true || result[5] > 0", [1.0], True),
    ("result[0] >= 0.95 or len(result) == 0", [], R),
    ("!!true && not not true", None, True),
    ("false ? 1 : 2 == 2", None, True),
    ("1 == 1 ? true : false ? false : false", None, True),
    ("result < 0 ? false : result > 10 ? false : true", 5.0, True),
    ("(result > 1 ? 'hi' : 'lo') == 'lo'", 0.0, True),
    ("result ? true : false", 1.0, C),
    ("result > 0.9 ? 1 : 0", 0.95, NB),
    ("(false ?: true) && (true ?: false)", None, True),
    ("(result ?: 7) == 3", J(3), C),
    ("if result > 1 { true } else { false }", 2.0, True),
    ("let x = result * 2; x == 10", 5.0, True),
    ("1 + 2 .. 4", None, NB),
    ("len(1 + 1 .. 2 + 2) == 3", None, True),
    # --- nil coalescing
    ("(nil ?? 5) == 5 && (result ?? 0) == 0", None, True),
    ("(result ?? 0) == 3", 3.0, True),
    ("result ?? 0 == 0", None, C),
    ("result.a ?? 0 > 1", J({"a": 2}), C),
    ("1 + result ?? 2 == 3", None, True),
    ("(result ?? 0) > 1", [2.0], R),
    ("(result ?? 0 ?? 1) == 0", None, True),
    # --- in, ranges, strings, matches
    ("2 in result && 10 in result", [2.0, 10.0], True),
    ("12 not in result && not (12 in result)", [10.0, 11.0], True),
    ("'10' in result", [10.0, 11.0], C),
    ("result in result", [1.0], C),
    ("2 in result", 2.0, C),
    ("1 in result", None, C),
    ("1 in nil", None, C),
    ("result in [nil]", None, True),
    ("1 in result.missing", J({"a": 1}), False),
    ("'x' in result && !('y' in result)", J({"x": 1}), True),
    ("'name' in {'name': 'John'} && 'John' in ['John', 'Jane']", None, True),
    ("'a' in 'abc'", None, C),
    ("result in 1..3 && 2 in 1..3", 2.0, True),
    ("result[0] in 1..3", [2.5], False),
    ("1..3 == [1, 2, 3] && len(3..1) == 0 && !(1 in 1..0)", None, True),
    ("'hello world' contains 'lo w' && 'hello' startsWith 'he' && 'hello' endsWith 'lo'", None, True),
    ("'hello' not contains 'x' && 'hello' not startsWith 'x'", None, True),
    ("result contains 'ok'", 5.0, C),
    ("[1, 2] contains 1", None, C),
    ("'abc123' matches '^[a-z]+[0-9]+$' && 'abc' matches 'b'", None, True),
    ("'ABC' matches '(?i)abc' && 'abc' not matches 'x'", None, True),
    ("'abc' matches '['", None, C),
    ("'x' matches result", "x", True),
    ("'x' matches result", "(", R),
    ("result matches 'a'", None, C),
    ("'a\\nb' matches 'a$'", None, False),
    ("'a\\nb' matches '(?m)a$'", None, True),
    ("'ab' matches '(?=a)'", None, C),
    ("len('héllo') == 5 && len('hello') == 5", None, True),
    # --- member, index, slice
    ("result[0] == 1 && result[-1] == 5", [1.0, 2.0, 3.0, 4.0, 5.0], True),
    ("result[1:4] == [2, 3, 4] && result[1:-1] == [2, 3, 4]", [1.0, 2.0, 3.0, 4.0, 5.0], True),
    ("result[:3] == [1, 2, 3] && result[3:] == [4, 5] && result[:] == result", [1.0, 2.0, 3.0, 4.0, 5.0], True),
    ("len(result[-10:]) == 3 && len(result[1:100]) == 2 && len(result[2:1]) == 0", [1.0, 2.0, 3.0], True),
    ("result[-3] == 10", [10.0, 11.0], R),
    ("result[2] > 0", [10.0, 11.0], R),
    ("result[1.0] == 11", [10.0, 11.0], C),
    ("result[0] >= 0.95", [], R),
    ("result[0] >= 0.95", None, C),
    ("result[0] > 1", 5.0, C),
    ("result[0] == 'a'", "abc", C),
    ("result.a.b == 1 && result['a']['b'] == 1", J({"a": {"b": 1}}), True),
    ("result.missing == nil", J({"a": 1}), True),
    ("result.missing.deeper == nil", J({"a": 1}), R),
    ("result?.missing?.deeper == nil", J({"a": 1}), True),
    ("result?.a > 1", None, C),
    ("(result?.a ?? 0) > 1", None, C),
    ("result?.[0] == 1", [1.0], True),
    ("result.x > 1", J([1]), C),
    ("result[0][0] > 1", J([[2]]), True),
    ("result[0] > 1", J([[2]]), R),
    ("result.data[0].value > 0.5", J({"data": [{"value": 0.9}]}), True),
    ("(result.requests_made * result.requests_succeeded / 100) >= 90", J({"requests_made": 100, "requests_succeeded": 95}), True),
    ("result.ok", J({"ok": True}), True),
    ("result.Name() == 'hi'", True, C),
    ("$env.result == 5 && 'result' in $env", 5.0, True),
    # --- closures
    ("all(result, {# > 0.9})", [0.95, 0.99], True),
    ("all(result, # > 0.9)", [], True),
    ("any(result, # > 0.9)", [], False),
    ("none(result, # > 0.9) && one([2, 1], # > 1)", [0.1, 0.2], True),
    ("len(filter(result, # > 0.5)) == 2", [0.1, 0.6, 0.7], True),
    ("map(result, # * 100)[0] == 50", [0.5], True),
    ("filter(0..9, {# % 2 == 0}) == [0, 2, 4, 6, 8]", None, True),
    ("all(result, .value > 1)", J([{"value": 2}, {"value": 3}]), True),
    ("all(result.service_apdex.values.values, {# > 1})", J({"service_apdex": {"label": None, "values": {"values": [2, 2]}}}), True),
    ("all(result, # > 0.9)", None, C),
    ("count(result, # > 0.5) == 2 && count([true, false, true]) == 2", [0.1, 0.6, 0.7], True),
    ("count(result)", [1.0], R),
    ("sum(result) == 6 && sum(result, # * 2) == 12 && mean(result) == 2 && median([1, 3, 2]) == 2", [1.0, 2.0, 3.0], True),
    ("find(result, # > 1) == 2 && findIndex(result, # > 1) == 1 && findLast(result, # > 1) == 3", [1.0, 2.0, 3.0], True),
    ("reduce(1..9, #acc + #) == 45 && reduce(result, #acc + #, 0) == 3", [1.0, 2.0], True),
    ("map(result, # > 1)[1]", [1.0, 2.0], True),
    ("filter(result, # > 1)", [1.0, 2.0], NB),
    ("filter(result, # > 0) | len() == 2", [1.0, 2.0, -1.0], True),
    ("all(result, !isNaN(#))", [1.0, NAN], False),
    ("any(result, {isNaN(#)})", [1.0, NAN], True),
    ("#", None, C),
    # --- Argo's functions
    ("isNaN(result) || result >= 0.95", NAN, True),
    ("isNaN(result)", [NAN], C),
    ("isNaN(result)", "x", C),
    ("isNaN(result)", None, C),
    ("isNaN(1)", None, False),
    ("isNaN(result.x)", J({"x": "a"}), R),
    ("isInf(result) && result > 0", INF, True),
    ("isNil(result)", None, True),
    ("isNil(result)", [], False),
    ("isNil(5)", None, True),
    ("isNil(nil)", 3.0, False),
    ("isNil(result) || result < 0.05", None, C),
    ("isNil(result) ? true : result < 0.05", None, C),
    ("default(result, 0) < 0.05", None, True),
    ("default(result, 0) < 0.05", 0.5, False),
    ("default(nil, 5) == 3", 3.0, True),
    ("default(result[0], 0) > 0.5", [0.9], R),
    ("default(result[0], 0) > 0.5", [], R),
    ("default(result.missing, 0) == 0", J({"a": 1}), False),
    ("asInt(result) == 1", "1", True),
    ("asInt(result) == 1", 1.123, True),
    ("asInt(result) == -3", -3.9, True),
    ("asInt(result) == 1.1", "1.1", R),
    ("asInt('+3') == 3", None, True),
    ("asInt(' 3') == 3", None, R),
    ("asInt(result) == 1", True, R),
    ("asInt(result)", 1.0, NB),
    ("asFloat(result) == 1.1 && asFloat(result) >= 1.1", "1.1", True),
    ("asFloat(result) == \"1.1\"", "1.1", C),
    ("asFloat(result) == 1.1", "NotANum", R),
    ("asFloat('1e3') == 1000 && isNaN(asFloat('nan')) && isInf(asFloat('Inf'))", None, True),
    ("asFloat(result) > 0", [1.0], R),
    ("asFloat(result.v) > 0.5", J({"v": "0.9"}), True),
    # --- builtins
    ("len(result) == 2 && len({a: 1, b: 2}) == 2 && len('abc') == 3", [1.0, 2.0], True),
    ("len(result) == 1", 5.0, C),
    ("len(result) == 0", None, C),
    ("max(result) == 3 && min(result) == 1 && max(1, 2.5) == 2.5", [1.0, 3.0, 2.0], True),
    ("max(result) > 0.9", [], R),
    ("max(result) == nil && first(result) == nil && (last(result) ?? 0) < 5", [], True),
    ("abs(-1) == 1 && abs(-1.5) == 1.5 && ceil(1.2) == 2 && floor(1.8) == 1", None, True),
    ("round(2.5) == 3 && round(-2.5) == -3 && round(0.49999999999999994) == 0", None, True),
    ("int(-1.9) == -1 && int('12') == 12 && float('1.5') == 1.5", None, True),
    ("int('1.5') == 1", None, R),
    ("string(0.1) == '0.1' && string(123) == '123'", None, True),
    ("string(result) == '1e+21'", 1e21, True),
    ("string(result) == '1.234567e+06'", 1234567.0, True),
    ("string(result) == '[1 2]'", [1.0, 2.0], True),
    ("toJSON(result) == '[1,2]'", [1.0, 2.0], False),
    ("toJSON({b: 1, a: [true]}) == '{\\n  \"a\": [\\n    true\\n  ],\\n  \"b\": 1\\n}'", None, True),
    ("fromJSON('{\"a\": [1]}').a[0] == 1", None, True),
    ("upper('ab') == 'AB' && lower('AB') == 'ab' && trim('  x ') == 'x' && trim('__Hello__', '_') == 'Hello'", None, True),
    ("split('a,b', ',')[1] == 'b' && split('apple,orange,grape', ',', 2) == ['apple', 'orange,grape']", None, True),
    ("indexOf('apple pie', 'pie') == 6 && replace('Hello World', 'World', 'Universe') == 'Hello Universe'", None, True),
    ("join(['a', 'b'], ',') == 'a,b' && hasPrefix('HelloWorld', 'Hello') && repeat('ab', 2) == 'abab'", None, True),
    ("concat([1, 2], [3]) == [1, 2, 3] && flatten([1, [2, [3]]]) == [1, 2, 3] && uniq([1, 1.0, 2]) == [1, 2]", None, True),
    ("take([1, 2, 3], 2) == [1, 2] && reverse([3, 1, 4]) == [4, 1, 3] && sort([3, 1, 4], 'desc') == [4, 3, 1]", None, True),
    ("keys(result)[0] == 'a' && values(result)[0] == 1", J({"a": 1}), True),
    ("get([1, 2, 3], 1) == 2 && get({'name': 'John'}, 'age') == nil && get(result, 5) == nil", [1.0], True),
    ("(get(result, 0) ?? 1) >= 0.95", [], True),
    ("type(42) == 'int' && type('x') == 'string' && type(result) == 'array' && type(nil) == 'nil'", [1.0], True),
    ("type(result) == 'float'", 5.0, True),
    ("bitand(0b1010, 0b1100) == 0b1000 && bitshl(1, 70) == 0 && bitnot(0) == -1", None, True),
    ("sum(result) / len(result) > 0.5", [], False),
    ("mean(result) > 0.9 || median(result) > 0.9", [], False),
    ("unknownFn(1)", None, C),
    ("a == true", True, C),
    ("invalidVariable", True, C),
    # --- time
    ("duration('1h') > duration('30m') && duration('1h').Seconds() == 3600", None, True),
    ("duration('1d') > duration('1h')", None, R),
    ("date('2023-08-14').Year() == 2023 && date('2023-08-14') < date('2023-08-15T00:00:00Z')", None, True),
    ("date('2023-08-14') + duration('24h') == date('2023-08-15')", None, True),
    ("date('14/08/2023', '02/01/2006').Day() == 14", None, True),
    ("now() > date('2020-01-01') && now() - duration('1h') < now()", None, True),
    # --- outputs that are not bool
    ("1", True, NB),
    ("result", 5.0, NB),
    ("result", None, NB),
    ("result", True, True),
    ("true ? 1 : 'a'", None, NB),
    ("result ?? 0 ?? 1", None, NB),
]


def _run(expr: str, result: object) -> object:
    try:
        return evaluate_condition(expr, result, now=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    except ConditionError as exc:
        return exc.kind


@pytest.mark.parametrize(("expr", "result", "expected"), ROWS, ids=[f"{i}:{r[0][:40]}" for i, r in enumerate(ROWS)])
def test_condition(expr: str, result: object, expected: object) -> None:
    assert _run(expr, result) == expected


@pytest.mark.parametrize(
    ("expr", "result", "message"),
    [
        ("a == true", True, "unknown name a"),
        ("result >", 1.0, "unexpected token EOF"),
        ("result > 1 )", 1.0, 'unexpected token Bracket(")")'),
        ("result", 5.0, "expected bool, but got float64"),
        ("result", None, "expected bool, but got <nil>"),
        ("asInt(result)", 1.0, "expected bool, but got int64"),
        ("1 + 2 .. 4", None, "expected bool, but got []int"),
        ("filter(result, # > 1)", [1.0, 2.0], "expected bool, but got []interface {}"),
        ("result > 1", [5.0], "invalid operation: > (mismatched types []float64 and int)"),
        ("result > 1", None, "invalid operation: > (mismatched types unknown and int)"),
        ("result[0] > 1", 5.0, "type float64[int] is undefined"),
        ("result[0] >= 0.95", None, "type unknown[int] is undefined"),
        ("result[2] > 0", [10.0, 11.0], "index out of range: 2 (array length is 2)"),
        ("result[-3] == 10", [10.0, 11.0], "index out of range: -1 (array length is 2)"),
        ("result.missing.deeper == nil", J({"a": 1}), "cannot fetch deeper from <nil>"),
        ("result?.a > 1", None, "type nil has no field a"),
        ("isNaN(result)", [NAN], "cannot use []float64 as argument (type float64) to call isNaN "),
        ("isNaN(result)", None, "cannot use nil as argument (type float64) to call isNaN"),
        ("len(result) == 0", None, "invalid argument for len (type %!s(<nil>))"),
        ("all(result, # > 0.9)", None, "builtin all takes only array (got unknown)"),
        ("asInt(result) == 1.1", "1.1", 'strconv.ParseInt: parsing "1.1": invalid syntax'),
        ("asInt(result) == 1", True, "asInt() not supported on bool true"),
        ("asFloat(result) > 0", [1.0], "asFloat() not supported on []float64 [1]"),
        ("'abc' matches '['", None, "error parsing regexp: missing closing ]: `[`"),
        ("result ?? 0 == 0", None, "Operator (==) and coalesce expressions (??) cannot be mixed. Wrap either by parentheses."),
        ("result ? true : false", 1.0, "non-bool expression (type float64) used as condition"),
        ("not result[0] > 1", [2.0], "invalid operation: not (mismatched type float64)"),
        ("true == result > 1", 2.0, "invalid operation: == (mismatched types bool and float64)"),
        ("findIndex(result, # > 5) == -1", [1.0, 2.0], "interface conversion: interface {} is nil, not int"),
        ("max(result) > 0.9", [], "invalid operation: <nil> > float64"),
        ("duration('1d') > duration('1h')", None, 'time: unknown unit "d" in duration "1d"'),
        ("int(result[0]) % 0 == 0", [3.0], "runtime error: integer divide by zero"),
        ("1 % 0 == 0", None, "integer divide by zero"),
    ],
)
def test_error_messages_are_exprs(expr: str, result: object, message: str) -> None:
    with pytest.raises(ConditionError) as info:
        evaluate_condition(expr, result)
    assert info.value.message == message


def test_dead_branches_are_still_type_checked() -> None:
    # expr type-checks every branch: guards and ternaries do not save an ill-typed branch
    for expr in ("len(result) == 0 || result > 1", "true ? result[0] > 1 : result > 1", "result != nil && result > 1"):
        with pytest.raises(ConditionError) as info:
            evaluate_condition(expr, [] if "len" in expr or "true ?" in expr else None)
        assert info.value.kind == "compile"


def test_compile_condition_reports_result_independent_errors_early() -> None:
    for text in ("a == true", "'1' == 1", "1 && true", "result >", "'x' matches '['"):
        with pytest.raises(ConditionError):
            compile_condition(text)
    # errors that depend on the measurement's type wait for evaluate()
    condition = compile_condition("result > 1")
    assert condition.evaluate_bool({"result": 2.0}) is True
    with pytest.raises(ConditionError) as info:
        condition.evaluate_bool({"result": [2.0]})
    assert info.value.kind == "compile"


def test_json_values_decode_numbers_as_float64() -> None:
    assert evaluate_condition("type(result.n) == 'float' && result == {'n': 1.0}", J({"n": 1})) is True
    assert evaluate_condition("type(result) == 'int'", 1) is True  # a plain int stays int


def test_now_is_passed_in() -> None:
    now = dt.datetime(2030, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)
    assert evaluate_condition("now().Year() == 2030 && now().Hour() == 7", None, now=now) is True


def test_range_query_times() -> None:
    now = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.timezone.utc)
    assert evaluate_time("now() - duration('5m')", now=now) == now - dt.timedelta(minutes=5)
    with pytest.raises(ConditionError, match="expected time.Time, but got string"):
        evaluate_time("'yesterday'", now=now)
    with pytest.raises(ConditionError, match="unknown name result"):
        evaluate_time("result", now=now)
    with pytest.raises(ConditionError, match='time: invalid duration "\\?\\?"'):
        evaluate_time("now() - duration('??')", now=now)
