"""Tree-walking evaluator for checked expr syntax trees, with expr v1.17.8's run-time rules.

The evaluator trusts the checker for what expr decides at compile time and re-checks
everything expr checks at run time (any-typed values). Every node visited and every element
built or scanned is charged to a `Budget`, so no expression runs unbounded: ranges,
`repeat`, string concatenation and list builders are refused before they allocate past the
limits, and closures pay per iteration.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
from collections.abc import Callable, Mapping
from typing import Any

from kubectl_rollouts_py.analysis import durations, expr_regex, expr_time
from kubectl_rollouts_py.analysis.expr_base import Budget, ConditionError
from kubectl_rollouts_py.analysis.expr_parser import (
    Array,
    Binary,
    Bool,
    Builtin,
    Call,
    Chain,
    Closure,
    Conditional,
    Float,
    Ident,
    Int,
    Let,
    MapNode,
    Member,
    Nil,
    Node,
    Pointer,
    SliceNode,
    Str,
    Unary,
)
from kubectl_rollouts_py.analysis.expr_types import FLOAT, Signature, T
from kubectl_rollouts_py.analysis.expr_values import (
    GoDuration,
    Int64,
    IntList,
    StringList,
    arithmetic,
    compare,
    float_to_int,
    format_v,
    from_json,
    go_equal,
    go_parse_float,
    go_type,
    is_int,
    is_number,
    less,
    negate,
    runtime_error,
    sub_times,
    to_json,
    wrap,
)

_ARITHMETIC = frozenset({"+", "-", "*", "/", "%", "**", "^"})
_COMPARISONS = frozenset({"<", ">", "<=", ">="})


class _NilChain(Exception):
    """Raised by a `?.` that meets nil; caught by the enclosing Chain node."""


def _conversion(value: Any, want: str) -> ConditionError:
    got = "nil" if value is None else go_type(value)
    return runtime_error(f"interface conversion: interface {{}} is {got}, not {want}")


def _to_index(value: Any) -> int:
    """expr's runtime.ToInt for indexes: ints, and floats truncated."""
    if is_int(value):
        return int(value)
    if isinstance(value, float):
        return float_to_int(value)
    raise runtime_error(f"invalid operation: int({go_type(value)})")


class Evaluator:
    """Evaluates one checked tree against one environment.

    Args:
        types: the checker's type table (for type-specialised operations).
        variables: values of environment variables (`result`, ...).
        functions: Python implementations of the environment's Go functions.
        signatures: their declared types (float parameters convert ints, as in Go).
        budget: work budget for this evaluation.
        now: what `now()` returns.
    """

    def __init__(
        self,
        *,
        types: Mapping[Node, T],
        variables: Mapping[str, Any],
        functions: Mapping[str, Callable[..., Any]],
        signatures: Mapping[str, Signature],
        budget: Budget,
        now: Callable[[], dt.datetime],
    ) -> None:
        self.types = types
        self.variables = variables
        self.functions = functions
        self.signatures = signatures
        self.budget = budget
        self.now = now
        self.lets: list[tuple[str, Any]] = []
        self.scopes: list[list[Any]] = []  # [element, index, accumulator]
        self.dispatch: dict[type, Callable[[Any], Any]] = {
            Nil: lambda n: None,
            Bool: lambda n: n.value,
            Int: lambda n: n.value,
            Float: lambda n: n.value,
            Str: lambda n: n.value,
            Ident: self.ident,
            Pointer: self.pointer,
            Unary: self.unary,
            Binary: self.binary,
            Chain: self.chain,
            Member: self.member,
            SliceNode: self.slice,
            Call: self.call,
            Builtin: self.builtin,
            Closure: lambda n: self.visit(n.node),
            Conditional: self.conditional,
            Array: self.array,
            MapNode: self.map,
            Let: self.let,
        }

    def visit(self, node: Node) -> Any:
        self.budget.charge()
        return self.dispatch[type(node)](node)

    # -- names
    def ident(self, node: Ident) -> Any:
        for name, value in reversed(self.lets):
            if name == node.name:
                return value
        if node.name == "$env":
            return {**self.functions, **self.variables}
        if node.name in self.variables:
            return self.variables[node.name]
        if node.name in self.functions:
            return self.functions[node.name]
        raise runtime_error(f"unknown name {node.name}")

    def pointer(self, node: Pointer) -> Any:
        scope = self.scopes[-1]
        if node.name == "":
            return scope[0]
        if node.name == "index":
            return scope[1]
        return scope[2]

    def let(self, node: Let) -> Any:
        self.lets.append((node.name, self.visit(node.value)))
        try:
            return self.visit(node.body)
        finally:
            self.lets.pop()

    # -- operators
    def want_bool(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise _conversion(value, "bool")
        return value

    def unary(self, node: Unary) -> Any:
        value = self.visit(node.node)
        if node.op in ("!", "not"):
            return not self.want_bool(value)
        if node.op == "-":
            return negate(value)
        if not is_number(value):
            raise runtime_error(f"invalid operation: + {go_type(value)}")
        return value

    def binary(self, node: Binary) -> Any:
        op = node.op
        if op in ("&&", "and"):
            if not self.want_bool(self.visit(node.left)):
                return False
            return self.want_bool(self.visit(node.right))
        if op in ("||", "or"):
            if self.want_bool(self.visit(node.left)):
                return True
            return self.want_bool(self.visit(node.right))
        if op == "??":
            left = self.visit(node.left)
            return left if left is not None else self.visit(node.right)
        left = self.visit(node.left)
        right = self.visit(node.right)
        if op in ("==", "!="):
            return self.equal(node, left, right) == (op == "==")
        if op in _COMPARISONS:
            return compare(op, left, right)
        if op in _ARITHMETIC:
            return arithmetic(op, left, right, self.budget)
        if op == "in":
            return self.contains(left, right)
        if op == "..":
            if not is_int(left) or not is_int(right):
                raise runtime_error(f"invalid operation: {go_type(left)} .. {go_type(right)}")
            size = max(0, int(right) - int(left) + 1)
            self.budget.check_collection(size)
            return IntList(range(int(left), int(right) + 1))
        # string operators
        if not isinstance(left, str):
            raise _conversion(left, "string")
        if not isinstance(right, str):
            raise _conversion(right, "string")
        if op == "matches":
            return self.regex_search(right, left)
        if op == "contains":
            self.budget.charge(len(left) // 64 + 1)
            return right in left
        if op == "startsWith":
            return left.startswith(right)
        if op == "endsWith":
            return left.endswith(right)
        raise runtime_error(f"unknown operator ({op})")

    def equal(self, node: Binary, left: Any, right: Any) -> bool:
        # expr compiles int == int (both statically int) to an opcode that asserts int
        # operands, so a nil from findIndex() errors instead of comparing unequal.
        lt, rt = self.types.get(node.left), self.types.get(node.right)
        if lt is not None and rt is not None and lt.name == "int" and rt.name == "int":
            for value in (left, right):
                if not is_int(value):
                    raise _conversion(value, "int")
        if isinstance(left, list) and isinstance(right, list):
            self.budget.charge(len(left))
        return go_equal(left, right)

    def contains(self, needle: Any, haystack: Any) -> bool:
        if haystack is None:
            return False
        if isinstance(haystack, list):
            self.budget.charge(len(haystack))
            return any(go_equal(item, needle) for item in haystack)
        if isinstance(haystack, dict):
            if needle is None:
                return "" in haystack
            try:
                return needle in haystack
            except TypeError:
                raise runtime_error(f"cannot use {go_type(needle)} as a map key") from None
        raise runtime_error(f'operator "in" not defined on {go_type(haystack)}')

    def regex_search(self, pattern: str, text: str) -> bool:
        limits = self.budget.limits
        try:
            program = expr_regex.compile_re2(
                pattern, max_length=limits.max_regex_length, max_program=limits.max_regex_program
            )
        except expr_regex.RegexError as exc:
            raise runtime_error(str(exc)) from None
        return expr_regex.search(program, text, self.budget)

    def conditional(self, node: Conditional) -> Any:
        if self.want_bool(self.visit(node.cond)):
            return self.visit(node.yes)
        return self.visit(node.no)

    # -- access
    def chain(self, node: Chain) -> Any:
        try:
            return self.visit(node.node)
        except _NilChain:
            return None

    def member(self, node: Member) -> Any:
        base = self.visit(node.node)
        prop = self.visit(node.prop)
        return self.fetch(base, prop, node.optional)

    def fetch(self, base: Any, prop: Any, optional: bool = False) -> Any:
        if base is None:
            if optional:
                raise _NilChain
            raise runtime_error(f"cannot fetch {format_v(prop)} from <nil>")
        if isinstance(base, (list, str)):
            if isinstance(base, str):
                base_seq: Any = base.encode("utf-8")  # Go indexes strings by byte
            else:
                base_seq = base
            index = _to_index(prop)
            length = len(base_seq)
            if index < 0:
                index += length
            if not 0 <= index < length:
                raise runtime_error(f"index out of range: {index} (array length is {length})")
            return base_seq[index]
        if isinstance(base, dict):
            try:
                return base.get(prop)
            except TypeError:
                raise runtime_error(f"cannot use {go_type(prop)} as a map key") from None
        raise runtime_error(f"cannot fetch {format_v(prop)} from {go_type(base)}")

    def slice(self, node: SliceNode) -> Any:
        base = self.visit(node.node)
        if not isinstance(base, (list, str)):
            raise runtime_error(f"cannot slice {go_type(base)}")
        length = len(base)
        start = 0 if node.start is None else _to_index(self.visit(node.start))
        stop = length if node.stop is None else _to_index(self.visit(node.stop))
        if start < 0:
            start = max(0, length + start)
        if stop < 0:
            stop = max(0, length + stop)
        stop = min(stop, length)
        start = min(start, stop)
        part = base[start:stop]
        if isinstance(base, list):
            self.budget.charge(len(part))
            return type(base)(part) if type(base) is not list else part
        return part

    # -- calls
    def call(self, node: Call) -> Any:
        callee = node.callee
        if isinstance(callee, Member):
            base = self.visit(callee.node)
            if base is None and callee.optional:
                raise _NilChain
            assert isinstance(callee.prop, Str)
            args = [self.visit(arg) for arg in node.args]
            return self.method(base, callee.prop.value, args)
        assert isinstance(callee, Ident)
        fn = self.ident(callee)
        if not callable(fn):
            raise runtime_error(f"{go_type(fn)} is not callable")
        args = [self.visit(arg) for arg in node.args]
        signature = self.signatures.get(callee.name)
        if signature is not None:
            for i, param in enumerate(signature.params):
                if param == FLOAT:
                    if is_number(args[i]):
                        args[i] = float(args[i])
                    else:
                        raise _conversion(args[i], "float64")
        return fn(*args)

    def method(self, base: Any, name: str, args: list[Any]) -> Any:
        if isinstance(base, dt.datetime):
            return _time_method(base, name, args)
        if isinstance(base, GoDuration):
            return _duration_method(base, name, args)
        raise runtime_error(f"cannot fetch {name} from {go_type(base)}")

    # -- literals
    def array(self, node: Array) -> list[Any]:
        self.budget.check_collection(len(node.items))
        return [self.visit(item) for item in node.items]

    def map(self, node: MapNode) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.pairs:
            key = self.visit(key_node)
            try:
                out[key] = self.visit(value_node)
            except TypeError:
                raise runtime_error(f"invalid map key type {go_type(key)}") from None
        return out

    # -- builtins
    def iterate(self, name: str, node: Node) -> list[Any]:
        items = self.visit(node)
        if not isinstance(items, list):
            raise runtime_error(f"builtin {name} takes only array (got {go_type(items)})")
        return items

    def each(self, closure: Node, items: list[Any], visit: Callable[[Any, Any], bool]) -> bool:
        """Run `closure` for each element (with `#`/`#index` bound) until `visit` returns True.

        Returns True when `visit` stopped the loop.
        """
        scope: list[Any] = [None, 0, None]
        self.scopes.append(scope)
        try:
            for index, item in enumerate(items):
                scope[0], scope[1] = item, index
                if visit(item, self.visit(closure)):
                    return True
            return False
        finally:
            self.scopes.pop()

    def values(self, closure: Node, items: list[Any]) -> list[tuple[Any, Any]]:
        """(element, closure value) for every element."""
        out: list[tuple[Any, Any]] = []

        def collect(item: Any, value: Any) -> bool:
            out.append((item, value))
            return False

        self.each(closure, items, collect)
        return out

    def builtin(self, node: Builtin) -> Any:
        name, args = node.name, node.args
        special = _PREDICATE_BUILTINS.get(name)
        if special is not None:
            return special(self, args)
        values = [self.visit(arg) for arg in args]
        fn = _PLAIN_BUILTINS.get(name)
        if fn is None:
            raise runtime_error(f"unknown name {name}")
        return fn(self, values)


# ------------------------------------------------------------------ predicate builtins


def _all(ev: Evaluator, args: tuple[Node, ...]) -> Any:
    return not ev.each(args[1], ev.iterate("all", args[0]), lambda _, ok: not ev.want_bool(ok))


def _any(ev: Evaluator, args: tuple[Node, ...]) -> Any:
    return ev.each(args[1], ev.iterate("any", args[0]), lambda _, ok: ev.want_bool(ok))


def _none(ev: Evaluator, args: tuple[Node, ...]) -> Any:
    return not ev.each(args[1], ev.iterate("none", args[0]), lambda _, ok: ev.want_bool(ok))


def _one(ev: Evaluator, args: tuple[Node, ...]) -> Any:
    hits = [0]

    def visit(_: Any, ok: Any) -> bool:
        if ev.want_bool(ok):
            hits[0] += 1
        return hits[0] > 1

    ev.each(args[1], ev.iterate("one", args[0]), visit)
    return hits[0] == 1


def _filter(ev: Evaluator, args: tuple[Node, ...]) -> Any:
    return [item for item, ok in ev.values(args[1], ev.iterate("filter", args[0])) if ev.want_bool(ok)]


def _map(ev: Evaluator, args: tuple[Node, ...]) -> Any:
    items = ev.iterate("map", args[0])
    ev.budget.check_collection(len(items))
    return [value for _, value in ev.values(args[1], items)]


def _count(ev: Evaluator, args: tuple[Node, ...]) -> Any:
    items = ev.iterate("count", args[0])
    if len(args) == 1:
        ev.budget.charge(len(items))
        return sum(1 for item in items if ev.want_bool(item))
    return sum(1 for _, ok in ev.values(args[1], items) if ev.want_bool(ok))


def _sum(ev: Evaluator, args: tuple[Node, ...]) -> Any:
    items = ev.iterate("sum", args[0])
    values = [value for _, value in ev.values(args[1], items)] if len(args) > 1 else items
    ev.budget.charge(len(values))
    return _sum_numbers(values)


def _sum_numbers(values: list[Any]) -> Any:
    total: Any = 0
    for value in values:
        if not is_number(value):
            raise runtime_error(f"invalid argument for sum (type {go_type(value)})")
        if isinstance(total, float) or isinstance(value, float):
            total = float(total) + float(value)
        else:
            total = wrap(total + value)
    return total


def _find(ev: Evaluator, args: tuple[Node, ...], *, last: bool, index: bool, name: str) -> Any:
    items = ev.iterate(name, args[0])
    order = items[::-1] if last else items
    seen = [0]
    found: list[Any] = []

    def visit(item: Any, ok: Any) -> bool:
        if ev.want_bool(ok):
            found.append(item)
            return True
        seen[0] += 1
        return False

    if not ev.each(args[1], order, visit):
        return None
    if not index:
        return found[0]
    return len(items) - 1 - seen[0] if last else seen[0]


def _group_by(ev: Evaluator, args: tuple[Node, ...]) -> Any:
    groups: dict[Any, list[Any]] = {}
    for item, key in ev.values(args[1], ev.iterate("groupBy", args[0])):
        try:
            groups.setdefault(key, []).append(item)
        except TypeError:
            raise runtime_error(f"invalid map key type {go_type(key)}") from None
    return groups


def _sort_by(ev: Evaluator, args: tuple[Node, ...]) -> Any:
    items = ev.iterate("sortBy", args[0])
    order = ev.visit(args[2]) if len(args) > 2 else "asc"
    keyed = [(key, item) for item, key in ev.values(args[1], items)]
    return [item for _, item in _go_sort(keyed, order, key=lambda pair: pair[0], budget=ev.budget)]


def _reduce(ev: Evaluator, args: tuple[Node, ...]) -> Any:
    items = ev.iterate("reduce", args[0])
    if len(args) > 2:
        acc = ev.visit(args[2])
        rest = items
        offset = 0
    else:
        if not items:
            raise runtime_error("reduce of empty array with no initial value")
        acc, rest, offset = items[0], items[1:], 1
    scope = [None, 0, acc]
    ev.scopes.append(scope)
    try:
        for i, item in enumerate(rest):
            scope[0], scope[1] = item, i + offset
            scope[2] = ev.visit(args[1])
    finally:
        ev.scopes.pop()
    return scope[2]


_PREDICATE_BUILTINS: dict[str, Callable[[Evaluator, tuple[Node, ...]], Any]] = {
    "all": _all,
    "any": _any,
    "none": _none,
    "one": _one,
    "filter": _filter,
    "map": _map,
    "count": _count,
    "sum": _sum,
    "find": lambda ev, a: _find(ev, a, last=False, index=False, name="find"),
    "findLast": lambda ev, a: _find(ev, a, last=True, index=False, name="findLast"),
    "findIndex": lambda ev, a: _find(ev, a, last=False, index=True, name="findIndex"),
    "findLastIndex": lambda ev, a: _find(ev, a, last=True, index=True, name="findLastIndex"),
    "groupBy": _group_by,
    "sortBy": _sort_by,
    "reduce": _reduce,
}


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
        parsed = durations.go_atoi(v)
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
            raise _conversion(item, "string")
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
        return GoDuration(durations.parse_go_duration(text))
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
            return expr_time.parse_layout(value, layout, tz)
        except ValueError as exc:
            raise runtime_error(str(exc)) from None
    ev.budget.charge(len(value))
    for layout in expr_time.DEFAULT_LAYOUTS:
        try:
            return expr_time.parse_layout(value, layout, tz)
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
    except (ConditionError, _NilChain):
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


def _go_sort(items: list[Any], order: Any, *, key: Callable[[Any], Any], budget: Budget) -> list[Any]:
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
    return _go_sort(list(items), order, key=lambda x: x, budget=ev.budget)


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


_PLAIN_BUILTINS: dict[str, Callable[[Evaluator, list[Any]], Any]] = {
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


def _time_method(t: dt.datetime, name: str, args: list[Any]) -> Any:
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
        return expr_time.format_layout(t, args[0])
    other = args[0] if args else None
    if name in ("Before", "After", "Equal", "Sub"):
        if not isinstance(other, dt.datetime):
            raise _conversion(other, "time.Time")
        if name == "Before":
            return t < other
        if name == "After":
            return t > other
        if name == "Equal":
            return t == other
        return sub_times(t, other)
    if not isinstance(other, GoDuration):
        raise _conversion(other, "time.Duration")
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


def _duration_method(d: GoDuration, name: str, args: list[Any]) -> Any:
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
            raise _conversion(other, "time.Duration")
        m = other.ns
        if m <= 0:
            return d
        r = abs(ns) % m
        base = abs(ns) - r
        if name == "Round" and r + r >= m:
            base += m
        return GoDuration(-base if ns < 0 else base)
    raise runtime_error(f"type time.Duration has no method {name}")
