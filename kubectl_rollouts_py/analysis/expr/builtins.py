"""expr's plain builtins (`len`, `trim`, `date`, `sort`, `bitand`, ...) and the methods on time
and duration values, with expr v1.17.8's run-time rules.

Each builtin takes the evaluator (for its budget and clock) and the already evaluated
arguments. The predicate builtins, which take closures, live with the evaluator.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kubectl_rollouts_py import govalues
from kubectl_rollouts_py.analysis.expr import layouts
from kubectl_rollouts_py.analysis.expr.base import Budget, ConditionError
from kubectl_rollouts_py.analysis.expr.values import (
    GoDuration,
    Int64,
    StringList,
    float_to_int,
    format_v,
    from_json,
    go_equal,
    go_parse_float,
    go_type,
    is_int,
    is_number,
    less,
    runtime_error,
    sub_times,
    to_json,
    wrap,
)

if TYPE_CHECKING:
    from kubectl_rollouts_py.analysis.expr.evaluator import Evaluator


class NilChain(Exception):
    """Raised by a `?.` that meets nil; caught by the enclosing Chain node."""


def conversion_error(value: Any, want: str) -> ConditionError:
    got = "nil" if value is None else go_type(value)
    return runtime_error(f"interface conversion: interface {{}} is {got}, not {want}")


# ------------------------------------------------------------------ plain builtins


def _want(name: str, value: Any, test: Callable[[Any], bool]) -> Any:
    if not test(value):
        raise runtime_error(f"invalid argument for {name} (type {go_type(value)})")
    return value


def _is_str(v: Any) -> bool:
    return isinstance(v, str)


def _is_list(v: Any) -> bool:
    return isinstance(v, list)


def _len(ev: Evaluator, a: list[Any]) -> Any:
    v = a[0]
    if isinstance(v, (list, dict, str)):
        return len(v)  # strings count code points, as expr does
    raise runtime_error(f"invalid argument for len (type {go_type(v)})")


def _type(ev: Evaluator, a: list[Any]) -> Any:
    v = a[0]
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "map"
    if isinstance(v, dt.datetime):
        return "time.Time"
    if isinstance(v, GoDuration):
        return "time.Duration"
    if callable(v):
        return "func"
    return "unknown"


def _abs(ev: Evaluator, a: list[Any]) -> Any:
    v = _want("abs", a[0], is_number)
    return wrap(abs(v)) if isinstance(v, int) else math.fabs(v)


def _go_round(x: float) -> float:
    """math.Round: half away from zero (Python's round() is half to even)."""
    if not math.isfinite(x):
        return x
    t = float(math.trunc(x))
    if abs(x - t) >= 0.5:
        t += math.copysign(1.0, x)
    return math.copysign(float(t), x) if t == 0 else float(t)


def _rounding(name: str, fn: Callable[[float], float]) -> Callable[[Evaluator, list[Any]], Any]:
    def run(ev: Evaluator, a: list[Any]) -> Any:
        v = _want(name, a[0], is_number)
        if isinstance(v, int):
            return float(v)
        return fn(v) if math.isfinite(v) else v

    return run


def _int(ev: Evaluator, a: list[Any]) -> Any:
    v = a[0]
    if is_int(v):
        return int(v)
    if isinstance(v, float):
        return float_to_int(v)
    if isinstance(v, str):
        parsed = govalues.go_atoi(v)
        if parsed is None:
            raise runtime_error(f"invalid operation: int({v})")
        return parsed
    raise runtime_error(f"invalid operation: int({go_type(v)})")


def _float(ev: Evaluator, a: list[Any]) -> Any:
    v = a[0]
    if is_number(v):
        return float(v)
    if isinstance(v, str):
        try:
            return go_parse_float(v)
        except ConditionError:
            raise runtime_error(f"invalid operation: float({v})") from None
    raise runtime_error(f"invalid operation: float({go_type(v)})")


def _string(ev: Evaluator, a: list[Any]) -> Any:
    text = format_v(a[0], ev.budget)
    ev.budget.check_string(len(text))
    return text


def _trim(kind: str) -> Callable[[Evaluator, list[Any]], Any]:
    def run(ev: Evaluator, a: list[Any]) -> Any:
        s = _want(kind, a[0], _is_str)
        if kind == "trim":
            return s.strip() if len(a) == 1 else s.strip(_want(kind, a[1], _is_str))
        affix = " " if len(a) == 1 else _want(kind, a[1], _is_str)
        return s.removeprefix(affix) if kind == "trimPrefix" else s.removesuffix(affix)

    return run


def _split(after: bool) -> Callable[[Evaluator, list[Any]], Any]:
    name = "splitAfter" if after else "split"

    def run(ev: Evaluator, a: list[Any]) -> Any:
        s = _want(name, a[0], _is_str)
        sep = _want(name, a[1], _is_str)
        n = a[2] if len(a) > 2 else -1
        if not is_int(n):
            raise runtime_error(f"invalid argument for {name} (type {go_type(n)})")
        if n == 0:
            return StringList()
        if sep == "":
            parts = list(s)
            if n > 0 and len(parts) > n:
                parts = parts[: n - 1] + ["".join(parts[n - 1 :])]
        else:
            parts = s.split(sep, n - 1) if n > 0 else s.split(sep)
            if after:
                parts = [p + sep for p in parts[:-1]] + parts[-1:]
        ev.budget.check_collection(len(parts))
        return StringList(parts)

    return run


def _replace(ev: Evaluator, a: list[Any]) -> Any:
    s, old, new = (_want("replace", x, _is_str) for x in a)
    occurrences = (len(s) + 1) if old == "" else s.count(old)
    ev.budget.check_string(len(s) + occurrences * max(0, len(new) - len(old)))
    return s.replace(old, new)


def _repeat(ev: Evaluator, a: list[Any]) -> Any:
    s = _want("repeat", a[0], _is_str)
    n = a[1]
    if not is_int(n):
        raise runtime_error(f"invalid argument for repeat (type {go_type(n)})")
    if n < 0:
        raise runtime_error("strings: negative Repeat count")
    ev.budget.check_string(len(s) * n)
    return s * n


def _join(ev: Evaluator, a: list[Any]) -> Any:
    items = _want("join", a[0], _is_list)
    sep = _want("join", a[1], _is_str) if len(a) > 1 else ""
    for item in items:
        if not isinstance(item, str):
            raise conversion_error(item, "string")
    ev.budget.check_string(sum(len(x) for x in items) + len(sep) * max(0, len(items) - 1))
    return sep.join(items)


def _index_of(last: bool) -> Callable[[Evaluator, list[Any]], Any]:
    name = "lastIndexOf" if last else "indexOf"

    def run(ev: Evaluator, a: list[Any]) -> Any:
        s, sub = _want(name, a[0], _is_str), _want(name, a[1], _is_str)
        return s.rfind(sub) if last else s.find(sub)

    return run


def _affix(suffix: bool) -> Callable[[Evaluator, list[Any]], Any]:
    name = "hasSuffix" if suffix else "hasPrefix"

    def run(ev: Evaluator, a: list[Any]) -> Any:
        s, affix = _want(name, a[0], _is_str), _want(name, a[1], _is_str)
        return s.endswith(affix) if suffix else s.startswith(affix)

    return run


def _numbers(name: str, values: list[Any], ev: Evaluator, depth: int = 0) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if isinstance(v, list):
            if depth > 32:
                raise runtime_error(f"invalid argument for {name}: nested too deeply")
            out.extend(_numbers(name, v, ev, depth + 1))
        elif is_number(v):
            out.append(v)
        else:
            raise runtime_error(f"invalid argument for {name} (type {go_type(v)})")
    ev.budget.charge(len(out))
    return out


def _min_max(name: str) -> Callable[[Evaluator, list[Any]], Any]:
    def run(ev: Evaluator, a: list[Any]) -> Any:
        if len(a) == 1 and not isinstance(a[0], list) and not is_number(a[0]):
            return a[0]
        best: Any = None
        for v in _numbers(name, a, ev):
            if best is None or (less(best, v) if name == "max" else less(v, best)):
                best = v
        return best

    return run


def _mean(ev: Evaluator, a: list[Any]) -> Any:
    values = _numbers("mean", a, ev)
    if not values:
        return 0.0
    return sum(float(v) for v in values) / len(values)


def _median(ev: Evaluator, a: list[Any]) -> Any:
    values = sorted(float(v) for v in _numbers("median", a, ev))
    if not values:
        return 0.0
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def _to_json(ev: Evaluator, a: list[Any]) -> Any:
    text = to_json(a[0], ev.budget)
    ev.budget.check_string(len(text))
    return text


def _from_json(ev: Evaluator, a: list[Any]) -> Any:
    text = _want("fromJSON", a[0], _is_str)
    # Parsing is work per character, like scanning a list: a 1 MB document built a
    # 500,000-element list in 2 s, past the collection limit, for one step.
    ev.budget.charge(len(text))
    return from_json(text, ev.budget)


def _to_base64(ev: Evaluator, a: list[Any]) -> Any:
    s = _want("toBase64", a[0], _is_str)
    ev.budget.check_string(len(s) * 4 // 3 + 4)
    return base64.b64encode(s.encode("utf-8")).decode("ascii")


def _from_base64(ev: Evaluator, a: list[Any]) -> Any:
    s = _want("fromBase64", a[0], _is_str)
    try:
        return base64.b64decode(s.encode("ascii"), validate=True).decode("utf-8", "replace")
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise runtime_error(f"illegal base64 data: {exc}") from None


def _now(ev: Evaluator, a: list[Any]) -> Any:
    return ev.now()


def _duration(ev: Evaluator, a: list[Any]) -> Any:
    text = _want("duration", a[0], _is_str)
    ev.budget.charge(len(text))  # parsing is work per character (see _from_json)
    try:
        return GoDuration(govalues.parse_go_duration(text))
    except ValueError as exc:
        raise runtime_error(str(exc)) from None


def _zone(name: str) -> dt.tzinfo:
    if name in ("UTC", ""):
        return dt.timezone.utc
    try:
        import zoneinfo

        return zoneinfo.ZoneInfo(name)
    except Exception:  # noqa: BLE001 - any lookup failure is "unknown time zone"
        raise runtime_error(f"unknown time zone {name}") from None


def _date(ev: Evaluator, a: list[Any]) -> Any:
    value = a[0]
    if isinstance(value, dt.datetime):
        return value
    value = _want("date", value, _is_str)
    tz = _zone(_want("date", a[2], _is_str)) if len(a) > 2 else None
    if len(a) > 1:
        layout = _want("date", a[1], _is_str)
        # Parsing is work per character (see _from_json): 1 MB of layout took 5 s.
        ev.budget.charge(len(value) + len(layout))
        try:
            return layouts.parse_layout(value, layout, tz)
        except ValueError as exc:
            raise runtime_error(str(exc)) from None
    ev.budget.charge(len(value))
    for layout in layouts.DEFAULT_LAYOUTS:
        try:
            return layouts.parse_layout(value, layout, tz)
        except ValueError:
            continue
    raise runtime_error(f"invalid date {value}")


def _timezone(ev: Evaluator, a: list[Any]) -> Any:
    return _zone(_want("timezone", a[0], _is_str))


def _first(ev: Evaluator, a: list[Any]) -> Any:
    v = a[0]
    return v[0] if isinstance(v, list) and v else None


def _last(ev: Evaluator, a: list[Any]) -> Any:
    v = a[0]
    return v[-1] if isinstance(v, list) and v else None


def _get(ev: Evaluator, a: list[Any]) -> Any:
    try:
        return ev.fetch(a[0], a[1])
    except (ConditionError, NilChain):
        return None


def _take(ev: Evaluator, a: list[Any]) -> Any:
    items = _want("take", a[0], _is_list)
    n = a[1]
    if not is_int(n):
        raise runtime_error(f"invalid argument for take (type {go_type(n)})")
    return items[: max(0, n)]


def _keys(ev: Evaluator, a: list[Any]) -> Any:
    m = _want("keys", a[0], lambda v: isinstance(v, dict))
    return list(m.keys())


def _values(ev: Evaluator, a: list[Any]) -> Any:
    m = _want("values", a[0], lambda v: isinstance(v, dict))
    return list(m.values())


def _to_pairs(ev: Evaluator, a: list[Any]) -> Any:
    m = _want("toPairs", a[0], lambda v: isinstance(v, dict))
    return [[k, v] for k, v in m.items()]


def _from_pairs(ev: Evaluator, a: list[Any]) -> Any:
    items = _want("fromPairs", a[0], _is_list)
    out: dict[Any, Any] = {}
    for pair in items:
        if not isinstance(pair, list) or len(pair) != 2:
            raise runtime_error(f"invalid pair {format_v(pair)}")
        try:
            out[pair[0]] = pair[1]
        except TypeError:
            raise runtime_error(f"invalid map key type {go_type(pair[0])}") from None
    return out


def go_sort(items: list[Any], order: Any, *, key: Callable[[Any], Any], budget: Budget) -> list[Any]:
    if order not in ("asc", "desc"):
        raise runtime_error(f"unknown order, use asc or desc, got {format_v(order)}")
    keys = [key(item) for item in items]
    if all(is_number(k) for k in keys):
        sort_key: Callable[[Any], Any] = lambda item: float(key(item))  # noqa: E731
    elif all(isinstance(k, str) for k in keys):
        sort_key = key
    else:
        raise runtime_error("invalid argument for sort (mixed or unsortable types)")
    budget.charge(len(items) * max(1, len(items).bit_length()))
    return sorted(items, key=sort_key, reverse=order == "desc")


def _sort(ev: Evaluator, a: list[Any]) -> Any:
    items = _want("sort", a[0], _is_list)
    order = a[1] if len(a) > 1 else "asc"
    return go_sort(list(items), order, key=lambda x: x, budget=ev.budget)


def _concat(ev: Evaluator, a: list[Any]) -> Any:
    out: list[Any] = []
    for items in a:
        out.extend(_want("concat", items, _is_list))
        ev.budget.check_collection(len(out))
    return out


def _flatten(ev: Evaluator, a: list[Any]) -> Any:
    out: list[Any] = []
    stack = [(iter(_want("flatten", a[0], _is_list)), 0)]
    while stack:
        iterator, depth = stack[-1]
        for item in iterator:
            if isinstance(item, list):
                if depth > 64:
                    raise runtime_error("flatten: nested too deeply")
                stack.append((iter(item), depth + 1))
                break
            out.append(item)
            ev.budget.charge()
        else:
            stack.pop()
    ev.budget.check_collection(len(out))
    return out


def _uniq_key(item: Any) -> Any:
    """A hashable key with runtime.Equal's notion of sameness (1 == 1.0), or None."""
    if isinstance(item, bool):
        return ("bool", item)
    if is_number(item):
        value = float(item)
        return None if math.isnan(value) else ("number", value)
    if isinstance(item, str):
        return ("string", item)
    if item is None:
        return ("nil",)
    return None


def _uniq(ev: Evaluator, a: list[Any]) -> Any:
    out: list[Any] = []
    seen: set[Any] = set()
    others: list[Any] = []  # NaNs, lists, maps, times: compared one by one
    for item in _want("uniq", a[0], _is_list):
        key = _uniq_key(item)
        if key is not None:
            ev.budget.charge()
            if key in seen:
                continue
            seen.add(key)
        else:
            ev.budget.charge(len(others) + 1)
            if any(go_equal(x, item) for x in others):
                continue
            others.append(item)
        out.append(item)
    return out


def _reverse(ev: Evaluator, a: list[Any]) -> Any:
    items = _want("reverse", a[0], _is_list)
    return items[::-1]


def _bits(name: str) -> Callable[[Evaluator, list[Any]], Any]:
    def run(ev: Evaluator, a: list[Any]) -> Any:
        for v in a:
            if not is_int(v):
                raise runtime_error(f"invalid argument for {name} (type {go_type(v)})")
        x = int(a[0])
        if name == "bitnot":
            return wrap(~x)
        y = int(a[1])
        if name == "bitand":
            return wrap(x & y)
        if name == "bitor":
            return wrap(x | y)
        if name == "bitxor":
            return wrap(x ^ y)
        if name == "bitnand":
            return wrap(x & ~y)
        if y < 0:
            raise runtime_error("invalid operation: negative shift count")
        if name == "bitshl":
            return 0 if y >= 64 else wrap(x << y)
        if name == "bitshr":
            return (-1 if x < 0 else 0) if y >= 64 else x >> y
        unsigned = x & ((1 << 64) - 1)  # bitushr: logical shift of the uint64 pattern
        return 0 if y >= 64 else wrap(unsigned >> y)

    return run


PLAIN_BUILTINS: dict[str, Callable[[Evaluator, list[Any]], Any]] = {
    "len": _len,
    "type": _type,
    "abs": _abs,
    "ceil": _rounding("ceil", lambda x: float(math.ceil(x))),
    "floor": _rounding("floor", lambda x: float(math.floor(x))),
    "round": _rounding("round", _go_round),
    "int": _int,
    "float": _float,
    "string": _string,
    "trim": _trim("trim"),
    "trimPrefix": _trim("trimPrefix"),
    "trimSuffix": _trim("trimSuffix"),
    "upper": lambda ev, a: _want("upper", a[0], _is_str).upper(),
    "lower": lambda ev, a: _want("lower", a[0], _is_str).lower(),
    "split": _split(False),
    "splitAfter": _split(True),
    "replace": _replace,
    "repeat": _repeat,
    "join": _join,
    "indexOf": _index_of(False),
    "lastIndexOf": _index_of(True),
    "hasPrefix": _affix(False),
    "hasSuffix": _affix(True),
    "max": _min_max("max"),
    "min": _min_max("min"),
    "mean": _mean,
    "median": _median,
    "toJSON": _to_json,
    "fromJSON": _from_json,
    "toBase64": _to_base64,
    "fromBase64": _from_base64,
    "now": _now,
    "duration": _duration,
    "date": _date,
    "timezone": _timezone,
    "first": _first,
    "last": _last,
    "get": _get,
    "take": _take,
    "keys": _keys,
    "values": _values,
    "toPairs": _to_pairs,
    "fromPairs": _from_pairs,
    "sort": _sort,
    "concat": _concat,
    "flatten": _flatten,
    "uniq": _uniq,
    "reverse": _reverse,
    **{name: _bits(name) for name in ("bitand", "bitor", "bitxor", "bitnand", "bitnot", "bitshl", "bitshr", "bitushr")},
}


# ------------------------------------------------------------------ methods on time values


def time_method(t: dt.datetime, name: str, args: list[Any]) -> Any:
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    if name in ("Year", "Month", "Day", "Hour", "Minute", "Second"):
        return getattr(t, name.lower())
    if name == "Nanosecond":
        return t.microsecond * 1000
    if name == "Weekday":
        return (t.weekday() + 1) % 7  # Go: Sunday = 0
    if name == "YearDay":
        return t.timetuple().tm_yday
    if name in ("Unix", "UnixMilli", "UnixMicro", "UnixNano"):
        delta = t - epoch
        micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
        if name == "Unix":
            return Int64(micros // 1_000_000)
        if name == "UnixMilli":
            return Int64(micros // 1000)
        if name == "UnixMicro":
            return Int64(micros)
        return Int64(wrap(micros * 1000))
    if name == "IsZero":
        return t.replace(tzinfo=None) == dt.datetime(1, 1, 1)
    if name == "UTC":
        return t.astimezone(dt.timezone.utc)
    if name == "String":
        return format_v(t)
    if name == "Format":
        return layouts.format_layout(t, args[0])
    other = args[0] if args else None
    if name in ("Before", "After", "Equal", "Sub"):
        if not isinstance(other, dt.datetime):
            raise conversion_error(other, "time.Time")
        if name == "Before":
            return t < other
        if name == "After":
            return t > other
        if name == "Equal":
            return t == other
        return sub_times(t, other)
    if not isinstance(other, GoDuration):
        raise conversion_error(other, "time.Duration")
    if name == "Add":
        return t + dt.timedelta(microseconds=other.ns // 1000)
    if name == "Truncate":
        if other.ns <= 0:
            return t
        micros = other.ns // 1000 or 1
        delta = t - epoch
        total = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
        return epoch + dt.timedelta(microseconds=total - total % micros)
    raise runtime_error(f"type time.Time has no method {name}")


def duration_method(d: GoDuration, name: str, args: list[Any]) -> Any:
    ns = d.ns
    if name == "Hours":
        return ns / 3.6e12
    if name == "Minutes":
        return ns / 6e10
    if name == "Seconds":
        return ns / 1e9
    if name == "Milliseconds":
        return Int64(int(ns / 1e6) if ns < 0 else ns // 1_000_000)
    if name == "Microseconds":
        return Int64(int(ns / 1e3) if ns < 0 else ns // 1000)
    if name == "Nanoseconds":
        return Int64(ns)
    if name == "String":
        return str(d)
    if name == "Abs":
        return GoDuration(abs(ns))
    if name in ("Round", "Truncate"):
        other = args[0] if args else None
        if not isinstance(other, GoDuration):
            raise conversion_error(other, "time.Duration")
        m = other.ns
        if m <= 0:
            return d
        r = abs(ns) % m
        base = abs(ns) - r
        if name == "Round" and r + r >= m:
            base += m
        return GoDuration(-base if ns < 0 else base)
    raise runtime_error(f"type time.Duration has no method {name}")
