"""Run-time values of the expr engine and Go's rules for them.

Python stands in for Go values like this: nil → None, bool → bool, int → int (64-bit,
wrapping; `Int64` marks Go int64 results such as asInt's), float64 → float, string → str,
slices → list (`FloatList`, `IntList`, `StringList` remember a Go element type), maps →
dict, time.Time → aware datetime, time.Duration → `GoDuration`.

Beware that Python's bool is an int: every numeric test here excludes bool first.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Any

from kubectl_rollouts_py import govalues
from kubectl_rollouts_py.analysis.expr.base import Budget, ConditionError

_TWO64 = 1 << 64
_MIN_INT = -(1 << 63)
_MAX_INT = (1 << 63) - 1


class Int64(int):
    """A Go int64 (asInt's result); behaves as int, but names itself int64 in messages."""

    go_name = "int64"


class FloatList(list):  # type: ignore[type-arg]
    """A Go []float64 (a Prometheus vector)."""

    go_name = "[]float64"


class IntList(list):  # type: ignore[type-arg]
    """A Go []int (a range)."""

    go_name = "[]int"


class StringList(list):  # type: ignore[type-arg]
    """A Go []string (split())."""

    go_name = "[]string"


@dataclass(frozen=True, order=True)
class GoDuration:
    """A Go time.Duration (int64 nanoseconds)."""

    ns: int

    def __str__(self) -> str:
        return govalues.format_go_duration(self.ns)


def runtime_error(message: str) -> ConditionError:
    return ConditionError(message, kind="runtime")


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def is_number(v: Any) -> bool:
    return (isinstance(v, (int, float))) and not isinstance(v, bool)


def wrap(x: int) -> int:
    """Two's-complement int64 wrap-around, as Go's integer arithmetic does."""
    if _MIN_INT <= x <= _MAX_INT:
        return x
    return ((x - _MIN_INT) % _TWO64) + _MIN_INT


def go_type(v: Any) -> str:
    """Go's %T of a value."""
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return getattr(type(v), "go_name", "int")
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return getattr(type(v), "go_name", "[]interface {}")
    if isinstance(v, dict):
        return "map[string]interface {}"
    if isinstance(v, dt.datetime):
        return "time.Time"
    if isinstance(v, GoDuration):
        return "time.Duration"
    if callable(v):
        return "func"
    return type(v).__name__


def to_float(v: Any) -> float:
    return float(v)


# ------------------------------------------------------------------ equality and order


def go_equal(a: Any, b: Any) -> bool:
    """expr's runtime.Equal: numbers across int/float, arrays element-wise, maps strictly."""
    if is_number(a) and is_number(b):
        if isinstance(a, float) or isinstance(b, float):
            return float(a) == float(b)
        return bool(a == b)
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return False
        return all(go_equal(x, y) for x, y in zip(a, b))
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return a == b
    if isinstance(a, GoDuration) and isinstance(b, GoDuration):
        return a.ns == b.ns
    if isinstance(a, dict) and isinstance(b, dict):
        return _deep_equal(a, b)
    return False


def _deep_equal(a: Any, b: Any) -> bool:
    """reflect.DeepEqual on decoded values: same Go types all the way down (1 ≠ 1.0)."""
    if go_type(a) != go_type(b):
        return False
    if isinstance(a, dict):
        if a.keys() != b.keys():
            return False
        return all(_deep_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_deep_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return bool(a == b)  # NaN != NaN, as in Go
    return bool(a == b)


def compare(op: str, a: Any, b: Any) -> bool:
    """`< > <= >=` on numbers, strings, times or durations; anything else is an error."""
    x: Any
    y: Any
    if is_number(a) and is_number(b):
        if isinstance(a, float) or isinstance(b, float):
            x, y = float(a), float(b)
        else:
            x, y = a, b
    elif (
        (isinstance(a, str) and isinstance(b, str))
        or (isinstance(a, dt.datetime) and isinstance(b, dt.datetime))
        or (isinstance(a, GoDuration) and isinstance(b, GoDuration))
    ):
        x, y = a, b
    else:
        raise runtime_error(f"invalid operation: {go_type(a)} {op} {go_type(b)}")
    if op == "<":
        return bool(x < y)
    if op == ">":
        return bool(x > y)
    if op == "<=":
        return bool(x <= y)
    return bool(x >= y)


def less(a: Any, b: Any) -> bool:
    return compare("<", a, b)


# ------------------------------------------------------------------ arithmetic


def _duration_delta(d: GoDuration) -> dt.timedelta:
    return dt.timedelta(microseconds=d.ns // 1000)


def sub_times(a: dt.datetime, b: dt.datetime) -> GoDuration:
    delta = a - b
    ns = (delta.days * 86400 + delta.seconds) * 10**9 + delta.microseconds * 1000
    return GoDuration(max(_MIN_INT, min(_MAX_INT, ns)))  # Go's Sub saturates


def arithmetic(op: str, a: Any, b: Any, budget: Budget) -> Any:
    """Binary `+ - * / % ** ^` with Go semantics (wrapping ints, float `/`, Go remainder)."""
    if is_number(a) and is_number(b):
        both_int = not isinstance(a, float) and not isinstance(b, float)
        if op == "+":
            return wrap(int(a) + int(b)) if both_int else float(a) + float(b)
        if op == "-":
            return wrap(int(a) - int(b)) if both_int else float(a) - float(b)
        if op == "*":
            return wrap(int(a) * int(b)) if both_int else float(a) * float(b)
        if op == "/":
            return go_divide(float(a), float(b))
        if op == "%":
            if not both_int:
                raise runtime_error(f"invalid operation: {go_type(a)} % {go_type(b)}")
            if b == 0:
                raise runtime_error("runtime error: integer divide by zero")
            rem = abs(int(a)) % abs(int(b))
            return wrap(-rem if a < 0 else rem)
        if op in ("**", "^"):
            return go_pow(float(a), float(b))
    if op == "+":
        if isinstance(a, str) and isinstance(b, str):
            budget.check_string(len(a) + len(b))
            return a + b
        if isinstance(a, dt.datetime) and isinstance(b, GoDuration):
            return _shift(a, b)
        if isinstance(a, GoDuration) and isinstance(b, dt.datetime):
            return _shift(b, a)
        if isinstance(a, GoDuration) and isinstance(b, GoDuration):
            return GoDuration(wrap(a.ns + b.ns))
    if op == "-":
        if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
            return sub_times(a, b)
        if isinstance(a, dt.datetime) and isinstance(b, GoDuration):
            return _shift(a, GoDuration(-b.ns))
        if isinstance(a, GoDuration) and isinstance(b, GoDuration):
            return GoDuration(wrap(a.ns - b.ns))
    if op == "*":
        if isinstance(a, GoDuration) and is_int(b):
            return GoDuration(wrap(a.ns * int(b)))
        if is_int(a) and isinstance(b, GoDuration):
            return GoDuration(wrap(int(a) * b.ns))
    raise runtime_error(f"invalid operation: {go_type(a)} {op} {go_type(b)}")


def _shift(t: dt.datetime, d: GoDuration) -> dt.datetime:
    try:
        return t + _duration_delta(d)
    except OverflowError:
        raise runtime_error("time out of range") from None


def go_divide(x: float, y: float) -> float:
    """IEEE division, as Go does it: x/0 is ±Inf, 0/0 is NaN, never an exception."""
    if y == 0.0:
        if x == 0.0 or math.isnan(x):
            return math.nan
        negative = (x < 0) != (math.copysign(1.0, y) < 0)
        return -math.inf if negative else math.inf
    return x / y


def _odd_integer(y: float) -> bool:
    return math.isfinite(y) and y == math.floor(y) and abs(y) < 2**63 and int(y) % 2 == 1


def go_pow(x: float, y: float) -> float:
    """math.Pow with Go's special cases (Python raises where Go returns Inf or NaN)."""
    try:
        return math.pow(x, y)
    except OverflowError:
        return -math.inf if x < 0 and _odd_integer(y) else math.inf
    except ValueError:
        if x == 0.0:  # 0 to a negative power
            if _odd_integer(y):
                return math.copysign(math.inf, x)
            return math.inf
        return math.nan


def negate(v: Any) -> Any:
    if isinstance(v, bool) or not is_number(v):
        if isinstance(v, GoDuration):
            return GoDuration(wrap(-v.ns))
        raise runtime_error(f"invalid operation: - {go_type(v)}")
    return wrap(-v) if isinstance(v, int) else -v


# ------------------------------------------------------------------ formatting


def _shortest(f: float) -> tuple[str, int]:
    """Shortest round-trip digits of |f| and the decimal exponent: 0.0123 -> ("123", -1)."""
    text = repr(abs(f))
    mantissa, _, exp = text.partition("e")
    exponent = int(exp) if exp else 0
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0")
    point = len(whole) + exponent  # position of the decimal point relative to whole+frac
    leading = len(whole + frac) - len((whole + frac).lstrip("0"))
    point -= leading
    digits = digits.rstrip("0") or "0"
    return digits, point


def format_float_g(f: float) -> str:
    """Go's strconv.FormatFloat(f, 'g', -1, 64), i.e. fmt's %v: `5`, `0.1`, `1e+06`, `1e-05`."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    sign = "-" if math.copysign(1.0, f) < 0 else ""
    if f == 0:
        return sign + "0"
    digits, point = _shortest(f)
    exp = point - 1
    # strconv's 'g' with the shortest precision switches to %e at exponents < -4 or >= 6
    # (a fixed 6, not the digit count); the 1e21 threshold is JSON's, not fmt's.
    eprec = 6
    if exp < -4 or exp >= eprec:
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mant}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return sign + _positional(digits, point)


def _positional(digits: str, point: int) -> str:
    if point <= 0:
        return "0." + "0" * (-point) + digits
    if point >= len(digits):
        return digits + "0" * (point - len(digits))
    return digits[:point] + "." + digits[point:]


def format_float_json(f: float) -> str:
    """encoding/json's float64 text: positional unless |f| < 1e-6 or >= 1e21."""
    if math.isnan(f) or math.isinf(f):
        raise runtime_error(f"json: unsupported value: {format_float_g(f)}")
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    sign = "-" if f < 0 else ""
    digits, point = _shortest(f)
    if abs(f) < 1e-6 or abs(f) >= 1e21:
        exp = point - 1
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mant}e{'-' if exp < 0 else '+'}{abs(exp)}"
    return sign + _positional(digits, point)


def format_time(t: dt.datetime) -> str:
    """Go's Time.String(): `2006-01-02 15:04:05.999999999 -0700 MST`."""
    base = t.strftime("%Y-%m-%d %H:%M:%S")
    if t.microsecond:
        base += ("." + f"{t.microsecond:06d}").rstrip("0")
    offset = t.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    zone = t.tzname() or ""
    if zone in ("UTC", "UTC+00:00") or (not zone and minutes == 0):
        zone = "UTC"
    elif zone.startswith("UTC"):
        zone = f"{sign}{minutes // 60:02d}{minutes % 60:02d}"
    return f"{base} {sign}{minutes // 60:02d}{minutes % 60:02d} {zone}"


def format_v(v: Any, budget: Budget | None = None, depth: int = 0) -> str:
    """Go's fmt %v of a value: `[1 2]`, `map[a:1]`, `<nil>`, floats as %g."""
    if budget is not None:
        budget.charge()
    if depth > 64:
        raise runtime_error("value is nested too deeply to format")
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return format_float_g(v)
    if isinstance(v, str):
        return v
    if isinstance(v, list):
        return "[" + " ".join(format_v(x, budget, depth + 1) for x in v) + "]"
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: (go_type(k), str(k)))
        return "map[" + " ".join(f"{format_v(k, budget, depth + 1)}:{format_v(v[k], budget, depth + 1)}" for k in keys) + "]"
    if isinstance(v, dt.datetime):
        return format_time(v)
    if isinstance(v, GoDuration):
        return str(v)
    return str(v)


def _json_string(s: str) -> str:
    text = json.dumps(s, ensure_ascii=False)
    # encoding/json escapes HTML-sensitive characters and the JS line separators
    return (
        text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    )  # fmt: skip


def to_json(v: Any, budget: Budget, indent: str = "  ", depth: int = 0) -> str:
    """json.MarshalIndent(v, "", "  "): sorted map keys, Go's float text, HTML escaping."""
    budget.charge()
    if depth > 64:
        raise runtime_error("json: value is nested too deeply")
    pad = "\n" + indent * (depth + 1)
    end = "\n" + indent * depth
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return format_float_json(v)
    if isinstance(v, str):
        return _json_string(v)
    if isinstance(v, list):
        if not v:
            return "[]"
        return "[" + ",".join(pad + to_json(x, budget, indent, depth + 1) for x in v) + end + "]"
    if isinstance(v, dict):
        if not v:
            return "{}"
        items = sorted((format_v(k), val) for k, val in v.items())
        return "{" + ",".join(f"{pad}{_json_string(k)}: {to_json(val, budget, indent, depth + 1)}" for k, val in items) + end + "}"
    if isinstance(v, dt.datetime):
        return _json_string(v.isoformat().replace("+00:00", "Z"))
    if isinstance(v, GoDuration):
        return str(v.ns)
    raise runtime_error(f"json: unsupported type: {go_type(v)}")


def from_json(text: str, budget: Budget) -> Any:
    """json.Unmarshal into interface{}: every number becomes float64."""
    budget.check_string(len(text))
    try:
        value = json.loads(text, parse_int=float, parse_constant=_reject_constant)
    except RecursionError:
        raise runtime_error("json: value is nested too deeply") from None
    except ValueError as exc:
        raise runtime_error(str(exc)) from None
    check_depth(value, 64)
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid character '{name[0]}' looking for beginning of value")


def check_depth(value: Any, limit: int) -> None:
    """Refuse values nested deeper than `limit` (checked iteratively)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            raise ConditionError(f"value is nested deeper than {limit} levels", kind="runtime", limit=True)
        if isinstance(item, dict):
            stack.extend((x, depth + 1) for x in item.values())
        elif isinstance(item, list):
            stack.extend((x, depth + 1) for x in item)


# ------------------------------------------------------------------ Go number parsing


def go_parse_int(text: str) -> int:
    """strconv.ParseInt(s, 10, 64); raises with Go's message."""
    body = text[1:] if text[:1] in ("+", "-") else text
    if not body or not all("0" <= c <= "9" for c in body):
        raise runtime_error(f'strconv.ParseInt: parsing "{text}": invalid syntax')
    digits = body.lstrip("0") or "0"  # int() refuses 4300+ digits, even leading zeros
    if len(digits) > 19:  # past int64 either way
        raise runtime_error(f'strconv.ParseInt: parsing "{text}": value out of range')
    value = -int(digits) if text[0] == "-" else int(digits)
    if not _MIN_INT <= value <= _MAX_INT:
        raise runtime_error(f'strconv.ParseInt: parsing "{text}": value out of range')
    return value


_SPECIAL_FLOATS = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "infinity": math.inf,
                   "+infinity": math.inf, "-infinity": -math.inf, "nan": math.nan}  # fmt: skip


def go_parse_float(text: str) -> float:
    """strconv.ParseFloat(s, 64): decimal or hex floats, inf/nan words; no spaces, no `_`."""
    special = _SPECIAL_FLOATS.get(text.lower())
    if special is not None and text.lower() not in ("+nan", "-nan"):
        return special
    body = text[1:] if text[:1] in ("+", "-") else text
    ok = bool(body) and all(c in "0123456789.eE+-" for c in body) and body[0] in "0123456789."
    if body.lower().startswith("0x"):
        try:
            value = float.fromhex(text)
        except ValueError:
            raise runtime_error(f'strconv.ParseFloat: parsing "{text}": invalid syntax') from None
    else:
        if not ok:
            raise runtime_error(f'strconv.ParseFloat: parsing "{text}": invalid syntax')
        try:
            value = float(text)
        except ValueError:
            raise runtime_error(f'strconv.ParseFloat: parsing "{text}": invalid syntax') from None
    if math.isinf(value):
        raise runtime_error(f'strconv.ParseFloat: parsing "{text}": value out of range')
    return value


def float_to_int(f: float) -> int:
    """Go's int64(f): truncation toward zero; NaN/Inf/out-of-range give MinInt64 (amd64)."""
    if math.isnan(f) or math.isinf(f) or not (-(2.0**63) <= f < 2.0**63):
        return _MIN_INT
    return int(f)
