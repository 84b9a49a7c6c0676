"""successCondition / failureCondition: expr v1.17.8 as Argo Rollouts configures it.

Public API:

* `compile_condition(text) -> Condition` parses the text and checks everything that does not
  depend on the measurement (syntax, unknown names, type errors among literals, literal
  regexes). Raises `ConditionError`.
* `Condition.evaluate(env)` type-checks against the concrete type of `env["result"]` (expr
  compiles per measurement, so `result > 1` is a compile error for a vector even in a dead
  branch) and evaluates. Raises `ConditionError` with `kind` "compile" or
  "runtime". `Condition.evaluate_bool` adds Argo's "expected bool, but got T" check.
* `evaluate_condition(text, result)` is the one-call form Argo's EvalCondition is.
* `compile_range_expression` / `evaluate_time` evaluate `rangeQuery.start/end` (builtins
  plus isNaN/isInf, no `result`) and insist on a time value.

The environment: `result`, Argo's `isNaN isInf isNil default asInt asFloat` (isNil and
default look at the whole result, ignoring their argument), every expr builtin, and `$env`.

How `result` is typed: a float is float64, an int int, a str string, a bool bool, None nil, a
dict map[string]interface{}; a list of floats (or an empty list) is []float64, the shape of a
Prometheus vector. Wrap decoded JSON from other providers in `JSONValue`: its lists become
[]interface{} whatever they hold, and its integers become float64, as Go's encoding/json
decodes them.

Limits (`expr.base.Limits`; expr has none, real conditions stay far below them):

* expression text at most 8192 characters; nesting (parser recursion and tree depth) at most
  100 levels, so deep input gives a clean error instead of Python's RecursionError;
* evaluation work at most 500 000 steps (nodes visited plus elements built or scanned,
  including regex NFA steps), so closures over big ranges end with an error;
* any list the expression builds at most 100 000 elements (so `1..1000000000` is refused
  before allocating), any string it builds at most 1 000 000 characters (`repeat`, `+`,
  `replace`, `join`, `string()`, `toJSON`);
* input values nested at most 64 levels;
* `matches` patterns at most 2000 characters and 5000 NFA instructions after expanding
  counted repetitions. Patterns use RE2 syntax and are matched by our own linear-time NFA
  (`expr.regex`), never by Python's backtracking `re`: look-arounds and backreferences are
  rejected with RE2's messages, and `(a+)+$` cannot blow up.

No Python `eval`/`exec`/`compile()` or `ast.literal_eval` ever sees expression text.
Calling `now()` inside a condition reads the clock only if no `now` was passed in.

Known gaps against expr: slicing a string cuts code points (Go cuts bytes; indexing does
use bytes, as Go does); `date()` understands a subset of Go layouts; `\\p{Script}` classes
are refused in regexes; Go methods exist only on time.Time and time.Duration values, and
Month()/Weekday() return plain ints (Go's time.Month compares unequal to an int literal);
time values carry microseconds, not nanoseconds.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kubectl_rollouts_py.analysis.expr import types as expr_types
from kubectl_rollouts_py.analysis.expr.base import DEFAULT_LIMITS, Budget, ConditionError, Limits
from kubectl_rollouts_py.analysis.expr.evaluator import Evaluator
from kubectl_rollouts_py.analysis.expr.parser import Node, parse
from kubectl_rollouts_py.analysis.expr.values import (
    FloatList,
    Int64,
    check_depth,
    float_to_int,
    format_v,
    go_parse_float,
    go_parse_int,
    go_type,
    is_int,
    is_number,
    runtime_error,
)

__all__ = [
    "Condition",
    "ConditionError",
    "JSONValue",
    "Limits",
    "DEFAULT_LIMITS",
    "compile_condition",
    "compile_range_expression",
    "evaluate_condition",
    "evaluate_time",
    "go_type_name",
    "is_nil_or_empty",
]


@dataclass(frozen=True)
class JSONValue:
    """Marks a decoded JSON document (web, Datadog, … providers) as Go's interface{} tree."""

    value: Any


def go_type_name(value: Any) -> str:
    """Go's %T of a value as the engine represents it (`float64`, `[]float64`, `<nil>`)."""
    return go_type(value)


def is_nil_or_empty(result: Any) -> bool:
    """Argo's "no data" test: nil, or an empty list."""
    if isinstance(result, JSONValue):
        result = result.value
    return result is None or (isinstance(result, (list, tuple)) and len(result) == 0)


# ------------------------------------------------------------------ Argo's functions


def _as_int(value: Any) -> Any:
    if isinstance(value, float):
        return Int64(float_to_int(value))
    if is_int(value):
        return Int64(int(value))
    if isinstance(value, str):
        return Int64(go_parse_int(value))
    shown = "<nil>" if value is None else go_type(value)
    raise runtime_error(f"asInt() not supported on {shown} {format_v(value)}")


def _as_float(value: Any) -> Any:
    if is_number(value):
        return float(value)
    if isinstance(value, str):
        return go_parse_float(value)
    shown = "<nil>" if value is None else go_type(value)
    raise runtime_error(f"asFloat() not supported on {shown} {format_v(value)}")


def _condition_functions(result: Any) -> dict[str, Callable[..., Any]]:
    return {
        "isNaN": math.isnan,
        "isInf": math.isinf,
        "isNil": lambda _ignored: result is None,
        "default": lambda _ignored, fallback: fallback if result is None else result,
        "asInt": _as_int,
        "asFloat": _as_float,
    }


def _range_functions(_result: Any) -> dict[str, Callable[..., Any]]:
    return {"isNaN": math.isnan, "isInf": math.isinf}


# ------------------------------------------------------------------ values in


def _json_to_go(value: Any) -> Any:
    """Decoded JSON as Go's encoding/json would hold it: numbers float64, arrays []interface{}."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, float)):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_json_to_go(x) for x in value]
    if isinstance(value, dict):
        return {str(k): _json_to_go(v) for k, v in value.items()}
    return value


def _prepare(value: Any, limits: Limits) -> tuple[Any, expr_types.T]:
    """An environment value and its static type."""
    if isinstance(value, JSONValue):
        check_depth(value.value, limits.max_value_depth)
        converted = _json_to_go(value.value)
        return converted, expr_types.type_of_value(converted, generic=True)
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, (list, dict)):
        check_depth(value, limits.max_value_depth)
    t = expr_types.type_of_value(value)
    if t == expr_types.ARRAY_FLOAT and not isinstance(value, FloatList):
        value = FloatList(value)
    return value, t


# ------------------------------------------------------------------ compiled conditions


def _clock(now: dt.datetime | None) -> Callable[[], dt.datetime]:
    """What `now()` returns: the given instant, else the wall clock (read only if called)."""
    if now is not None:
        fixed = now
        return lambda: fixed
    return lambda: dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class Condition:
    """A parsed condition; evaluate it once per measurement.

    Type checking depends on the concrete type of the environment, so its outcome is cached
    per environment type (a handful of shapes per condition in practice).
    """

    text: str
    tree: Node = field(repr=False)
    variables: tuple[str, ...]
    range_query: bool
    limits: Limits = field(repr=False)
    _checked: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False, compare=False)

    def _environment(self, types: Mapping[str, expr_types.T]) -> expr_types.Environment:
        functions = expr_types.RANGE_QUERY_FUNCTIONS if self.range_query else expr_types.ARGO_FUNCTIONS
        return expr_types.Environment(dict(types), functions)

    def _types_for(self, types: Mapping[str, expr_types.T]) -> Mapping[Node, expr_types.T]:
        key = tuple(sorted(types.items(), key=lambda item: item[0]))
        cached = self._checked.get(key)
        if cached is None:
            try:
                cached = expr_types.check(self.tree, self._environment(types), self.limits)
            except ConditionError as exc:
                cached = exc
            except RecursionError:
                cached = ConditionError("expression is nested too deeply", kind="compile", limit=True)
            if len(self._checked) < 64:
                self._checked[key] = cached
        if isinstance(cached, ConditionError):
            raise ConditionError(cached.message, kind=cached.kind, limit=cached.limit)
        return cached

    def evaluate(self, env: Mapping[str, Any], *, now: dt.datetime | None = None) -> Any:
        """Type-check against `env` and evaluate.

        Args:
            env: `{"result": value}` for conditions (a missing result is nil); nothing for
                range-query expressions. Wrap generic JSON in `JSONValue`.
            now: what `now()` returns; the wall clock (UTC) if None.

        Raises:
            ConditionError: kind "compile" (static error for this result type) or "runtime".
        """
        values: dict[str, Any] = {}
        types: dict[str, expr_types.T] = {}
        for name in self.variables:
            values[name], types[name] = _prepare(env.get(name), self.limits)
        checked = self._types_for(types)
        result = values.get("result")
        factory = _range_functions if self.range_query else _condition_functions
        signatures = expr_types.RANGE_QUERY_FUNCTIONS if self.range_query else expr_types.ARGO_FUNCTIONS
        evaluator = Evaluator(
            types=checked,
            variables=values,
            functions=factory(result),
            signatures=signatures,
            budget=Budget(self.limits),
            now=_clock(now),
        )
        try:
            return evaluator.visit(self.tree)
        except ConditionError:
            raise
        except RecursionError:
            raise ConditionError("evaluation nested too deeply", kind="runtime", limit=True) from None
        except (ArithmeticError, ValueError, TypeError, KeyError, IndexError, AttributeError, MemoryError) as exc:
            # A Go panic inside expr becomes an error too; never let one escape as a crash.
            raise ConditionError(f"evaluation failed: {exc}", kind="runtime") from exc

    def evaluate_bool(self, env: Mapping[str, Any], *, now: dt.datetime | None = None) -> bool:
        """evaluate(), then Argo's check that the output is a bool."""
        output = self.evaluate(env, now=now)
        if not isinstance(output, bool):
            raise ConditionError(f"expected bool, but got {go_type(output)}", kind="not_bool")
        return output


@functools.lru_cache(maxsize=512)
def _parse(text: str, variables: tuple[str, ...], range_query: bool, limits: Limits) -> Condition:
    try:
        tree = parse(text, limits)
    except RecursionError:
        raise ConditionError("expression is nested too deeply", kind="compile", limit=True) from None
    return Condition(text, tree, variables, range_query, limits)


def _compile(text: str, variables: tuple[str, ...], range_query: bool, limits: Limits) -> Condition:
    condition = _parse(text, variables, range_query, limits)
    # Names and literal-only type errors are found now: with every variable typed
    # interface{}, nothing that depends on the measurement can fail here. (The message may
    # differ from the one expr gives for a concrete result, which evaluate() reports.)
    condition._types_for({name: expr_types.UNKNOWN for name in variables})
    return condition


def compile_condition(text: str, *, limits: Limits = DEFAULT_LIMITS) -> Condition:
    """Compile a successCondition/failureCondition (cached).

    Raises:
        ConditionError: syntax errors, unknown names, type errors that do not depend on
            `result`, invalid literal regexes, and limit violations.
    """
    return _compile(text, ("result",), False, limits)


def compile_range_expression(text: str, *, limits: Limits = DEFAULT_LIMITS) -> Condition:
    """Compile a rangeQuery.start/end expression: builtins plus isNaN/isInf, no `result`."""
    return _compile(text, (), True, limits)


def evaluate_condition(
    text: str, result: Any, *, now: dt.datetime | None = None, limits: Limits = DEFAULT_LIMITS
) -> bool:
    """Argo's EvalCondition: compile against this result, run, and insist on a bool.

    Raises:
        ConditionError: any compile, run-time or non-bool failure.
    """
    # Skip compile_condition's result-independent check: expr reports the first error it
    # meets for the concrete result type, and evaluate() checks exactly that.
    return _parse(text, ("result",), False, limits).evaluate_bool({"result": result}, now=now)


def evaluate_time(text: str, *, now: dt.datetime, limits: Limits = DEFAULT_LIMITS) -> dt.datetime:
    """Evaluate a rangeQuery.start/end expression to a time.

    Raises:
        ConditionError: the expression fails, or yields no time ("expected time.Time, but
            got string").
    """
    value = compile_range_expression(text, limits=limits).evaluate({}, now=now)
    if not isinstance(value, dt.datetime):
        raise ConditionError(f"expected time.Time, but got {go_type(value)}", kind="not_bool")
    return value
