"""Static types and the type checker that expr runs before evaluating.

expr compiles a condition against the concrete Go type of every environment value, so a
type error anywhere in the expression, even in a branch that would never run, fails the
whole condition at compile time. The checker here follows expr's rules:

* `unknown` (interface{}) is permissive: operations on it are checked at run time.
* `nil` is strict: only `==`/`!=`, `??`, `in [nil]`-style comparisons and the
  any-typed Argo functions accept it (a nil `result` is printed as "unknown" in messages,
  as expr does).
* numbers are int (Go int/int64) or float (float64); `==` needs comparable types, `<`
  numbers/strings/times/durations, `&&` bools, `%` ints, `..` ints, `in` an array of
  comparable elements or a map with assignable keys.

`check(tree, env)` returns the type of every node; the evaluator uses them where expr's
compiler emits type-specialised opcodes (int `==`, float parameters).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from kubectl_rollouts_py.analysis.expr import regex
from kubectl_rollouts_py.analysis.expr.base import ConditionError, Limits
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
from kubectl_rollouts_py.analysis.expr.values import FloatList, GoDuration, Int64, IntList, StringList


@dataclass(frozen=True)
class T:
    """A static type: `kind` drives the rules, `name` is Go's spelling for messages."""

    kind: str  # unknown nil int float bool string array map time duration func
    name: str
    elem: T | None = None

    def __str__(self) -> str:
        return self.name


UNKNOWN = T("unknown", "interface {}")
NIL = T("nil", "unknown")  # expr prints a nil type as "unknown"
INT = T("int", "int")
INT64 = T("int", "int64")
FLOAT = T("float", "float64")
BOOL = T("bool", "bool")
STRING = T("string", "string")
TIME = T("time", "time.Time")
DURATION = T("duration", "time.Duration")
FUNC = T("func", "func")


def array_of(elem: T) -> T:
    return T("array", "[]" + elem.name, elem)


def map_of(elem: T) -> T:
    return T("map", "map[string]" + elem.name, elem)


ARRAY_ANY = array_of(UNKNOWN)
ARRAY_FLOAT = array_of(FLOAT)
ARRAY_INT = array_of(INT)
ARRAY_STRING = array_of(STRING)
MAP_ANY = map_of(UNKNOWN)


def type_of_value(value: Any, *, generic: bool = False) -> T:
    """The static type expr infers from an environment value.

    A plain Python list of floats (or an empty list) is a Go []float64, the shape the
    Prometheus provider returns; `generic=True` marks decoded JSON, whose lists are
    []interface{} whatever they contain.
    """
    if value is None:
        return NIL
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, Int64):
        return INT64
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return FLOAT
    if isinstance(value, str):
        return STRING
    if isinstance(value, list):
        if isinstance(value, FloatList):
            return ARRAY_FLOAT
        if isinstance(value, IntList):
            return ARRAY_INT
        if isinstance(value, StringList):
            return ARRAY_STRING
        if generic:
            return ARRAY_ANY
        if all(isinstance(x, float) for x in value):
            return ARRAY_FLOAT
        return ARRAY_ANY
    if isinstance(value, dict):
        return MAP_ANY
    if isinstance(value, dt.datetime):
        return TIME
    if isinstance(value, GoDuration):
        return DURATION
    return UNKNOWN


# ------------------------------------------------------------------ predicates


def is_unknown(t: T) -> bool:
    return t.kind == "unknown"


def is_nil(t: T) -> bool:
    return t.kind == "nil"


def is_number(t: T) -> bool:
    return t.kind in ("int", "float")


def is_integer(t: T) -> bool:
    return t.kind == "int"


def is_float(t: T) -> bool:
    return t.kind == "float"


def is_bool(t: T) -> bool:
    return t.kind == "bool"


def is_string(t: T) -> bool:
    return t.kind == "string"


def is_array(t: T) -> bool:
    return t.kind == "array"


def is_map(t: T) -> bool:
    return t.kind == "map"


def is_time(t: T) -> bool:
    return t.kind == "time"


def is_duration(t: T) -> bool:
    return t.kind == "duration"


def assignable(src: T, dst: T) -> bool:
    """Go's AssignableTo, for the types we model."""
    if is_unknown(dst):
        return True
    if is_nil(src):
        return dst.kind in ("array", "map", "func", "unknown")
    return src == dst


def comparable(left: T, right: T) -> bool:
    """May `==` compare these static types?"""
    if is_unknown(left) or is_unknown(right) or is_nil(left) or is_nil(right):
        return True
    if is_number(left) and is_number(right):
        return True
    if (is_duration(left) and is_duration(right)) or (is_time(left) and is_time(right)):
        return True
    if is_array(left) and is_array(right):
        return True
    return assignable(left, right)


def _either_unknown_and(left: T, right: T, *tests: Any) -> bool:
    """expr's `or(l, r, fns...)`: one side unknown and the other unknown or passing a test."""
    if is_unknown(left) and is_unknown(right):
        return True
    if is_unknown(left) and any(test(right) for test in tests):
        return True
    if is_unknown(right) and any(test(left) for test in tests):
        return True
    return False


def combined(left: T, right: T) -> T:
    if is_unknown(left) or is_unknown(right):
        return UNKNOWN
    if is_float(left) or is_float(right):
        return FLOAT
    return INT


# ------------------------------------------------------------------ environment


@dataclass(frozen=True)
class Signature:
    """A Go function in the environment: parameter types and result type."""

    params: tuple[T, ...]
    result: T


# Argo's condition functions (utils/evaluate): isNaN/isInf are math functions on float64,
# the others accept anything.
ARGO_FUNCTIONS: dict[str, Signature] = {
    "isNaN": Signature((FLOAT,), BOOL),
    "isInf": Signature((FLOAT,), BOOL),
    "isNil": Signature((UNKNOWN,), BOOL),
    "default": Signature((UNKNOWN, UNKNOWN), UNKNOWN),
    "asInt": Signature((UNKNOWN,), INT64),
    "asFloat": Signature((UNKNOWN,), FLOAT),
}
RANGE_QUERY_FUNCTIONS = {name: ARGO_FUNCTIONS[name] for name in ("isNaN", "isInf")}

TIME_METHODS: dict[str, Signature] = {
    "Year": Signature((), INT), "Month": Signature((), INT), "Day": Signature((), INT),
    "Hour": Signature((), INT), "Minute": Signature((), INT), "Second": Signature((), INT),
    "Nanosecond": Signature((), INT), "Weekday": Signature((), INT), "YearDay": Signature((), INT),
    "Unix": Signature((), INT64), "UnixMilli": Signature((), INT64), "UnixMicro": Signature((), INT64),
    "UnixNano": Signature((), INT64), "IsZero": Signature((), BOOL), "UTC": Signature((), TIME),
    "Before": Signature((TIME,), BOOL), "After": Signature((TIME,), BOOL), "Equal": Signature((TIME,), BOOL),
    "Sub": Signature((TIME,), DURATION), "Add": Signature((DURATION,), TIME),
    "Truncate": Signature((DURATION,), TIME), "Format": Signature((STRING,), STRING),
    "String": Signature((), STRING),
}  # fmt: skip
DURATION_METHODS: dict[str, Signature] = {
    "Hours": Signature((), FLOAT), "Minutes": Signature((), FLOAT), "Seconds": Signature((), FLOAT),
    "Milliseconds": Signature((), INT64), "Microseconds": Signature((), INT64),
    "Nanoseconds": Signature((), INT64), "String": Signature((), STRING), "Abs": Signature((), DURATION),
    "Round": Signature((DURATION,), DURATION), "Truncate": Signature((DURATION,), DURATION),
}  # fmt: skip


@dataclass(frozen=True)
class Environment:
    """What names a compiled expression may use: variables (with types) and functions."""

    variables: dict[str, T]
    functions: dict[str, Signature]


# ------------------------------------------------------------------ the checker


def _error(message: str) -> ConditionError:
    return ConditionError(message, kind="compile")


class Checker:
    """Computes the type of every node; raises ConditionError at the first type error."""

    def __init__(self, env: Environment, limits: Limits) -> None:
        self.env = env
        self.limits = limits
        self.types: dict[Node, T] = {}
        self.lets: list[tuple[str, T]] = []
        self.scopes: list[tuple[T, bool]] = []  # (element type, has #acc)

    def check(self, node: Node) -> T:
        t = self._visit(node)
        self.types[node] = t
        return t

    def _visit(self, node: Node) -> T:
        if isinstance(node, Nil):
            return NIL
        if isinstance(node, Bool):
            return BOOL
        if isinstance(node, Int):
            return INT
        if isinstance(node, Float):
            return FLOAT
        if isinstance(node, Str):
            return STRING
        if isinstance(node, Ident):
            return self.ident(node)
        if isinstance(node, Pointer):
            return self.pointer(node)
        if isinstance(node, Unary):
            return self.unary(node)
        if isinstance(node, Binary):
            return self.binary(node)
        if isinstance(node, Chain):
            return self.check(node.node)
        if isinstance(node, Member):
            return self.member(node)
        if isinstance(node, SliceNode):
            return self.slice(node)
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, Builtin):
            return self.builtin(node)
        if isinstance(node, Closure):
            return self.check(node.node)
        if isinstance(node, Conditional):
            return self.conditional(node)
        if isinstance(node, Array):
            for item in node.items:
                self.check(item)
            return ARRAY_ANY
        if isinstance(node, MapNode):
            for key, value in node.pairs:
                self.check(key)
                self.check(value)
            return MAP_ANY
        if isinstance(node, Let):
            return self.let(node)
        raise AssertionError(type(node))

    # -- names
    def ident(self, node: Ident) -> T:
        for name, t in reversed(self.lets):
            if name == node.name:
                return t
        if node.name == "$env":
            return MAP_ANY
        if node.name in self.env.variables:
            return self.env.variables[node.name]
        if node.name in self.env.functions:
            return FUNC
        raise _error(f"unknown name {node.name}")

    def pointer(self, node: Pointer) -> T:
        elem, has_acc = self.scopes[-1]
        if node.name == "":
            return elem
        if node.name == "index":
            return INT
        if node.name == "acc" and has_acc:
            return UNKNOWN
        raise _error(f"unknown pointer #{node.name}")

    def let(self, node: Let) -> T:
        if node.name in self.env.variables or node.name in self.env.functions or node.name == "$env":
            raise _error(f"cannot redeclare {node.name}")
        if any(name == node.name for name, _ in self.lets):
            raise _error(f"cannot redeclare variable {node.name}")
        value = self.check(node.value)
        self.lets.append((node.name, value))
        try:
            return self.check(node.body)
        finally:
            self.lets.pop()

    # -- operators
    def unary(self, node: Unary) -> T:
        t = self.check(node.node)
        if node.op in ("!", "not"):
            if is_bool(t) or is_unknown(t):
                return BOOL
        elif is_number(t):
            return t
        elif is_unknown(t):
            return UNKNOWN
        raise _error(f"invalid operation: {node.op} (mismatched type {t})")

    def binary(self, node: Binary) -> T:
        op = node.op
        left = self.check(node.left)
        right = self.check(node.right)
        if op in ("==", "!="):
            if comparable(left, right):
                return BOOL
        elif op in ("or", "||", "and", "&&"):
            if (is_bool(left) and is_bool(right)) or _either_unknown_and(left, right, is_bool):
                return BOOL
        elif op in ("<", ">", "<=", ">="):
            if (
                (is_number(left) and is_number(right))
                or (is_string(left) and is_string(right))
                or (is_time(left) and is_time(right))
                or (is_duration(left) and is_duration(right))
                or _either_unknown_and(left, right, is_number, is_string, is_time, is_duration)
            ):
                return BOOL
        elif op == "+":
            if is_number(left) and is_number(right):
                return combined(left, right)
            if is_string(left) and is_string(right):
                return STRING
            if (is_time(left) and is_duration(right)) or (is_duration(left) and is_time(right)):
                return TIME
            if is_duration(left) and is_duration(right):
                return DURATION
            if _either_unknown_and(left, right, is_number, is_string, is_time, is_duration):
                return UNKNOWN
        elif op == "-":
            if is_number(left) and is_number(right):
                return combined(left, right)
            if is_time(left) and is_time(right):
                return DURATION
            if is_time(left) and is_duration(right):
                return TIME
            if is_duration(left) and is_duration(right):
                return DURATION
            if _either_unknown_and(left, right, is_number, is_time, is_duration):
                return UNKNOWN
        elif op == "*":
            if is_number(left) and is_number(right):
                return combined(left, right)
            if (is_duration(left) and is_integer(right)) or (is_integer(left) and is_duration(right)):
                return DURATION
            if _either_unknown_and(left, right, is_number, is_duration):
                return UNKNOWN
        elif op in ("/", "**", "^"):
            if (is_number(left) and is_number(right)) or _either_unknown_and(left, right, is_number):
                return FLOAT
        elif op == "%":
            if is_integer(left) and is_integer(right):
                # expr folds constant expressions at compile time; x % 0 fails there
                if isinstance(node.right, Int) and node.right.value == 0 and isinstance(node.left, Int):
                    raise _error("integer divide by zero")
                return INT
            if _either_unknown_and(left, right, is_integer):
                return UNKNOWN
        elif op == "in":
            if is_map(right):
                if not is_unknown(left) and not is_nil(left) and not assignable(left, STRING):
                    raise _error(f"cannot use {left} as type string in map key")
                return BOOL
            if is_array(right):
                assert right.elem is not None
                if not comparable(left, right.elem):
                    raise _error(f"cannot use {left} as type {right.elem} in array")
                return BOOL
            if is_unknown(left) and (is_string(right) or is_array(right) or is_map(right)):
                return BOOL
            if is_unknown(right):
                return BOOL
        elif op == "matches":
            if isinstance(node.right, Str):
                try:
                    regex.compile_re2(
                        node.right.value,
                        max_length=self.limits.max_regex_length,
                        max_program=self.limits.max_regex_program,
                    )
                except regex.RegexError as exc:
                    raise _error(str(exc)) from None
            if (is_string(left) and is_string(right)) or _either_unknown_and(left, right, is_string):
                return BOOL
        elif op in ("contains", "startsWith", "endsWith"):
            if (is_string(left) and is_string(right)) or _either_unknown_and(left, right, is_string):
                return BOOL
        elif op == "..":
            if (is_integer(left) and is_integer(right)) or _either_unknown_and(left, right, is_integer):
                return ARRAY_INT
        elif op == "??":
            if is_nil(left) and not is_nil(right):
                return right
            if not is_nil(left) and is_nil(right):
                return left
            if is_nil(left) and is_nil(right):
                return NIL
            return left if assignable(right, left) else UNKNOWN
        else:
            raise _error(f"unknown operator ({op})")
        raise _error(f"invalid operation: {op} (mismatched types {left} and {right})")

    def conditional(self, node: Conditional) -> T:
        cond = self.check(node.cond)
        if not is_bool(cond) and not is_unknown(cond):
            raise _error(f"non-bool expression (type {cond}) used as condition")
        yes = self.check(node.yes)
        no = self.check(node.no)
        if is_nil(yes) and not is_nil(no):
            return no
        if not is_nil(yes) and is_nil(no):
            return yes
        if is_nil(yes) and is_nil(no):
            return NIL
        return yes if assignable(yes, no) else UNKNOWN

    # -- access
    def member(self, node: Member) -> T:
        base = self.check(node.node)
        prop = self.check(node.prop)
        if isinstance(node.node, Ident) and node.node.name == "$env":
            if isinstance(node.prop, Str) and node.prop.value in self.env.variables:
                return self.env.variables[node.prop.value]
            return UNKNOWN
        if is_nil(base) and isinstance(node.prop, Str):
            raise _error(f"type nil has no field {node.prop.value}")
        if is_unknown(base):
            return UNKNOWN
        if is_map(base):
            if not assignable(prop, STRING) and not is_unknown(prop):
                raise _error(f"cannot use {prop} to get an element from {base}")
            assert base.elem is not None
            return base.elem
        if is_array(base):
            if not is_integer(prop) and not is_unknown(prop):
                raise _error(f"array elements can only be selected using an integer (got {prop})")
            assert base.elem is not None
            return base.elem
        if (is_time(base) or is_duration(base)) and isinstance(node.prop, Str):
            raise _error(f"type {base} has no field {node.prop.value}")
        raise _error(f"type {base}[{prop}] is undefined")

    def slice(self, node: SliceNode) -> T:
        base = self.check(node.node)
        if not (is_unknown(base) or is_string(base) or is_array(base)):
            raise _error(f"cannot slice {base}")
        for bound in (node.start, node.stop):
            if bound is not None:
                t = self.check(bound)
                if not is_integer(t) and not is_unknown(t):
                    raise _error(f"non-integer slice index {t}")
        return base

    def call(self, node: Call) -> T:
        callee = node.callee
        if isinstance(callee, Member):
            return self.method_call(node, callee)
        assert isinstance(callee, Ident)
        for name, t in reversed(self.lets):
            if name == callee.name:
                for arg in node.args:
                    self.check(arg)
                if is_unknown(t):
                    return UNKNOWN
                raise _error(f"{t} is not callable")
        signature = self.env.functions.get(callee.name)
        if signature is None:
            if callee.name in self.env.variables or callee.name == "$env":
                t = self.check(callee)
                for arg in node.args:
                    self.check(arg)
                if is_unknown(t):
                    return UNKNOWN
                raise _error(f"{t} is not callable")
            raise _error(f"unknown name {callee.name}")
        self.check_arguments(callee.name, signature, node.args)
        return signature.result

    def check_arguments(self, name: str, signature: Signature, args: tuple[Node, ...]) -> None:
        if len(args) < len(signature.params):
            raise _error(f"not enough arguments to call {name}")
        if len(args) > len(signature.params):
            raise _error(f"too many arguments to call {name}")
        for arg, param in zip(args, signature.params):
            t = self.check(arg)
            if is_unknown(param) or is_unknown(t):
                continue
            if is_nil(t):
                if param.kind in ("array", "map", "func"):
                    continue
                raise _error(f"cannot use nil as argument (type {param}) to call {name}")
            if is_float(param) and is_integer(t):
                continue  # expr converts integer literals for float parameters
            if t != param:
                raise _error(f"cannot use {t} as argument (type {param}) to call {name} ")

    def method_call(self, node: Call, callee: Member) -> T:
        base = self.check(callee.node)
        self.types[callee] = UNKNOWN
        assert isinstance(callee.prop, Str)
        name = callee.prop.value
        if is_unknown(base):
            for arg in node.args:
                self.check(arg)
            return UNKNOWN
        table = TIME_METHODS if is_time(base) else DURATION_METHODS if is_duration(base) else {}
        signature = table.get(name)
        if signature is None:
            raise _error(f"type {base} has no method {name}")
        self.check_arguments(name, signature, node.args)
        return signature.result

    # -- builtins
    def closure(self, node: Node, elem: T, *, acc: bool = False) -> T:
        self.scopes.append((elem, acc))
        try:
            return self.check(node)
        finally:
            self.scopes.pop()

    def collection(self, name: str, node: Node) -> T:
        t = self.check(node)
        if not is_array(t) and not is_unknown(t):
            raise _error(f"builtin {name} takes only array (got {t})")
        return t.elem if t.elem is not None else UNKNOWN

    def builtin(self, node: Builtin) -> T:
        name, args = node.name, node.args
        if name in ("all", "none", "any", "one", "filter", "count", "find", "findIndex", "findLast", "findLastIndex"):
            elem = self.collection(name, args[0])
            if len(args) > 1:
                out = self.closure(args[1], elem)
                if not is_bool(out) and not is_unknown(out):
                    raise _error(f"predicate should return boolean (got {out})")
            if name in ("all", "none", "any", "one"):
                return BOOL
            if name == "filter":
                return array_of(elem)
            if name in ("count", "findIndex", "findLastIndex"):
                return INT
            return elem
        if name == "map":
            elem = self.collection(name, args[0])
            return array_of(self.closure(args[1], elem))
        if name == "sum":
            elem = self.collection(name, args[0])
            if len(args) > 1:
                elem = self.closure(args[1], elem)
            if not is_number(elem) and not is_unknown(elem):
                raise _error(f"invalid argument for sum (type {elem})")
            return elem if is_number(elem) else UNKNOWN
        if name in ("groupBy", "sortBy"):
            elem = self.collection(name, args[0])
            self.closure(args[1], elem)
            for extra in args[2:]:
                self.check(extra)
            return map_of(array_of(elem)) if name == "groupBy" else array_of(elem)
        if name == "reduce":
            elem = self.collection(name, args[0])
            self.closure(args[1], elem, acc=True)
            for extra in args[2:]:
                self.check(extra)
            return UNKNOWN
        types = [self.check(arg) for arg in args]
        return self.plain_builtin(name, types)

    def plain_builtin(self, name: str, types: list[T]) -> T:
        def arity(low: int, high: int) -> None:
            if len(types) < low:
                raise _error(f"not enough arguments to call {name}")
            if len(types) > high:
                raise _error(f"too many arguments to call {name}")

        def want(index: int, *tests: Any) -> None:
            t = types[index]
            if not is_unknown(t) and not any(test(t) for test in tests):
                raise _error(f"invalid argument for {name} (type {t})")

        if name == "len":
            arity(1, 1)
            if not (is_array(types[0]) or is_map(types[0]) or is_string(types[0]) or is_unknown(types[0])):
                shown = "%!s(<nil>)" if is_nil(types[0]) else str(types[0])
                raise _error(f"invalid argument for len (type {shown})")
            return INT
        if name == "type":
            arity(1, 1)
            return STRING
        if name == "abs":
            arity(1, 1)
            want(0, is_number)
            return types[0]
        if name in ("ceil", "floor", "round"):
            arity(1, 1)
            want(0, is_number)
            return FLOAT
        if name in ("int", "float"):
            arity(1, 1)
            want(0, is_number, is_string)
            return INT if name == "int" else FLOAT
        if name == "string":
            arity(1, 1)
            return STRING
        if name in ("upper", "lower", "toBase64", "fromBase64"):
            arity(1, 1)
            want(0, is_string)
            return STRING
        if name in ("trim", "trimPrefix", "trimSuffix"):
            arity(1, 2)
            for i in range(len(types)):
                want(i, is_string)
            return STRING
        if name in ("split", "splitAfter"):
            arity(2, 3)
            want(0, is_string)
            want(1, is_string)
            if len(types) == 3:
                want(2, is_integer)
            return ARRAY_STRING
        if name == "replace":
            arity(3, 3)
            for i in range(3):
                want(i, is_string)
            return STRING
        if name == "repeat":
            arity(2, 2)
            want(0, is_string)
            want(1, is_integer)
            return STRING
        if name == "join":
            arity(1, 2)
            want(0, is_array)
            if len(types) == 2:
                want(1, is_string)
            return STRING
        if name in ("indexOf", "lastIndexOf"):
            arity(2, 2)
            want(0, is_string)
            want(1, is_string)
            return INT
        if name in ("hasPrefix", "hasSuffix"):
            arity(2, 2)
            want(0, is_string)
            want(1, is_string)
            return BOOL
        if name in ("max", "min"):
            arity(1, 1 << 16)
            for i in range(len(types)):
                want(i, is_number, is_array)
            return UNKNOWN
        if name in ("mean", "median"):
            arity(1, 1 << 16)
            for i in range(len(types)):
                want(i, is_number, is_array)
            return FLOAT
        if name == "toJSON":
            arity(1, 1)
            return STRING
        if name == "fromJSON":
            arity(1, 1)
            want(0, is_string)
            return UNKNOWN
        if name == "now":
            arity(0, 0)
            return TIME
        if name == "duration":
            arity(1, 1)
            want(0, is_string)
            return DURATION
        if name == "date":
            arity(1, 3)
            want(0, is_string, is_time)
            for i in range(1, len(types)):
                want(i, is_string)
            return TIME
        if name == "timezone":
            arity(1, 1)
            want(0, is_string)
            return UNKNOWN
        if name in ("first", "last"):
            arity(1, 1)
            return UNKNOWN
        if name == "get":
            arity(2, 2)
            return UNKNOWN
        if name == "take":
            arity(2, 2)
            want(0, is_array)
            want(1, is_integer)
            return types[0]
        if name in ("keys", "values", "toPairs"):
            arity(1, 1)
            want(0, is_map)
            return ARRAY_STRING if name == "keys" and not is_unknown(types[0]) else ARRAY_ANY
        if name == "fromPairs":
            arity(1, 1)
            want(0, is_array)
            return MAP_ANY
        if name in ("sort", "reverse", "uniq"):
            arity(1, 2 if name == "sort" else 1)
            want(0, is_array)
            if len(types) == 2:
                want(1, is_string)
            return types[0] if name != "uniq" else ARRAY_ANY
        if name in ("concat", "flatten"):
            arity(1, 1 << 16 if name == "concat" else 1)
            for i in range(len(types)):
                want(i, is_array)
            return ARRAY_ANY
        if name in ("bitand", "bitor", "bitxor", "bitnand", "bitshl", "bitshr", "bitushr"):
            arity(2, 2)
            want(0, is_integer)
            want(1, is_integer)
            return INT
        if name == "bitnot":
            arity(1, 1)
            want(0, is_integer)
            return INT
        raise _error(f"unknown name {name}")


def check(tree: Node, env: Environment, limits: Limits) -> dict[Node, T]:
    """Type-check a tree; returns the type of every node (raises ConditionError)."""
    checker = Checker(env, limits)
    checker.check(tree)
    return checker.types
