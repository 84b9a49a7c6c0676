"""Tree-walking evaluator for checked expr syntax trees, with expr v1.17.8's run-time rules.

The evaluator trusts the checker for what expr decides at compile time and re-checks
everything expr checks at run time (any-typed values). Every node visited and every element
built or scanned is charged to a `Budget`, so no expression runs unbounded: ranges,
`repeat`, string concatenation and list builders are refused before they allocate past the
limits, and closures pay per iteration.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from kubectl_rollouts_py.analysis.expr import regex
from kubectl_rollouts_py.analysis.expr.base import Budget
from kubectl_rollouts_py.analysis.expr.builtins import (
    PLAIN_BUILTINS,
    NilChain,
    conversion_error,
    duration_method,
    go_sort,
    time_method,
)
from kubectl_rollouts_py.analysis.expr.parser import (
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
from kubectl_rollouts_py.analysis.expr.types import FLOAT, Signature, T
from kubectl_rollouts_py.analysis.expr.values import (
    GoDuration,
    IntList,
    arithmetic,
    compare,
    float_to_int,
    format_v,
    go_equal,
    go_type,
    is_int,
    is_number,
    negate,
    runtime_error,
    wrap,
)

_ARITHMETIC = frozenset({"+", "-", "*", "/", "%", "**", "^"})
_COMPARISONS = frozenset({"<", ">", "<=", ">="})


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
            raise conversion_error(value, "bool")
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
            raise conversion_error(left, "string")
        if not isinstance(right, str):
            raise conversion_error(right, "string")
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
                    raise conversion_error(value, "int")
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
            program = regex.compile_re2(
                pattern, max_length=limits.max_regex_length, max_program=limits.max_regex_program
            )
        except regex.RegexError as exc:
            raise runtime_error(str(exc)) from None
        return regex.search(program, text, self.budget)

    def conditional(self, node: Conditional) -> Any:
        if self.want_bool(self.visit(node.cond)):
            return self.visit(node.yes)
        return self.visit(node.no)

    # -- access
    def chain(self, node: Chain) -> Any:
        try:
            return self.visit(node.node)
        except NilChain:
            return None

    def member(self, node: Member) -> Any:
        base = self.visit(node.node)
        prop = self.visit(node.prop)
        return self.fetch(base, prop, node.optional)

    def fetch(self, base: Any, prop: Any, optional: bool = False) -> Any:
        if base is None:
            if optional:
                raise NilChain
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
                raise NilChain
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
                        raise conversion_error(args[i], "float64")
        return fn(*args)

    def method(self, base: Any, name: str, args: list[Any]) -> Any:
        if isinstance(base, dt.datetime):
            return time_method(base, name, args)
        if isinstance(base, GoDuration):
            return duration_method(base, name, args)
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
        fn = PLAIN_BUILTINS.get(name)
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
    return [item for _, item in go_sort(keyed, order, key=lambda pair: pair[0], budget=ev.budget)]


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
