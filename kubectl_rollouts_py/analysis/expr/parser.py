"""Syntax tree and recursive-descent parser for the expr language (v1.17.8).

The parser mirrors expr's precedence climbing (operator table below), including its quirks:
chained `< > <= >=` become `&&` chains, `not` binds tighter than comparisons, `??` may not be
mixed with another operator at the same level, the ternary only appears at precedence 0,
and `x | f(y)` is `f(x, y)`.

Recursion is bounded twice: `parse_expression` counts its own nesting, and the finished
tree's depth is measured iteratively, because long left-associative chains (`1+1+1+…`)
make deep trees without deep parser recursion and the checker/evaluator do recurse.
"""

from __future__ import annotations

from typing import Union

from kubectl_rollouts_py._frozen import frozen
from kubectl_rollouts_py.analysis.expr.base import ConditionError, Limits
from kubectl_rollouts_py.analysis.expr.lexer import Token, tokenize

# ------------------------------------------------------------------ operators

# name -> (precedence, right-associative)
BINARY: dict[str, tuple[int, bool]] = {
    "|": (0, False),
    "or": (10, False),
    "||": (10, False),
    "and": (15, False),
    "&&": (15, False),
    "==": (20, False),
    "!=": (20, False),
    "<": (20, False),
    ">": (20, False),
    ">=": (20, False),
    "<=": (20, False),
    "in": (20, False),
    "matches": (20, False),
    "contains": (20, False),
    "startsWith": (20, False),
    "endsWith": (20, False),
    "..": (25, False),
    "+": (30, False),
    "-": (30, False),
    "*": (60, False),
    "/": (60, False),
    "%": (60, False),
    "**": (100, True),
    "^": (100, True),
    "??": (500, False),
}
UNARY: dict[str, int] = {"not": 50, "!": 50, "-": 90, "+": 90}
COMPARISONS = frozenset({"<", ">", ">=", "<="})
NEGATABLE = frozenset({"in", "matches", "contains", "startsWith", "endsWith"})

# Builtins whose later arguments are closures: name -> argument kinds
# ("expr", "closure", with "?" marking an optional trailing argument).
PREDICATES: dict[str, tuple[str, ...]] = {
    "all": ("expr", "closure"),
    "none": ("expr", "closure"),
    "any": ("expr", "closure"),
    "one": ("expr", "closure"),
    "filter": ("expr", "closure"),
    "map": ("expr", "closure"),
    "count": ("expr", "closure?"),
    "sum": ("expr", "closure?"),
    "find": ("expr", "closure"),
    "findIndex": ("expr", "closure"),
    "findLast": ("expr", "closure"),
    "findLastIndex": ("expr", "closure"),
    "groupBy": ("expr", "closure"),
    "sortBy": ("expr", "closure", "expr?"),
    "reduce": ("expr", "closure", "expr?"),
}
BUILTINS = frozenset(
    {
        "len", "type", "abs", "ceil", "floor", "round", "int", "float", "string",
        "trim", "trimPrefix", "trimSuffix", "upper", "lower", "split", "splitAfter", "replace",
        "repeat", "join", "indexOf", "lastIndexOf", "hasPrefix", "hasSuffix",
        "max", "min", "mean", "median", "toJSON", "fromJSON", "toBase64", "fromBase64",
        "now", "duration", "date", "timezone", "first", "last", "get", "take",
        "keys", "values", "toPairs", "fromPairs", "sort", "concat", "flatten", "uniq", "reverse",
        "bitand", "bitor", "bitxor", "bitnand", "bitnot", "bitshl", "bitshr", "bitushr",
    }
) | frozenset(PREDICATES)  # fmt: skip


# ------------------------------------------------------------------ nodes
# Identity-hashed (eq=False) so the checker can key its type table by node.


@frozen(eq=False)
class Nil:
    pass


@frozen(eq=False)
class Bool:
    value: bool


@frozen(eq=False)
class Int:
    value: int


@frozen(eq=False)
class Float:
    value: float


@frozen(eq=False)
class Str:
    value: str


@frozen(eq=False)
class Ident:
    name: str


@frozen(eq=False)
class Pointer:
    name: str  # "" for `#`, else "index" / "acc"


@frozen(eq=False)
class Unary:
    op: str
    node: Node


@frozen(eq=False)
class Binary:
    op: str
    left: Node
    right: Node


@frozen(eq=False)
class Chain:
    """Delimits an optional chain: a `?.` that meets nil makes the whole chain nil."""

    node: Node


@frozen(eq=False)
class Member:
    node: Node
    prop: Node
    optional: bool


@frozen(eq=False)
class SliceNode:
    node: Node
    start: Node | None
    stop: Node | None


@frozen(eq=False)
class Call:
    callee: Node  # Ident (function) or Member (method)
    args: tuple[Node, ...]


@frozen(eq=False)
class Builtin:
    name: str
    args: tuple[Node, ...]


@frozen(eq=False)
class Closure:
    node: Node


@frozen(eq=False)
class Conditional:
    cond: Node
    yes: Node
    no: Node


@frozen(eq=False)
class Array:
    items: tuple[Node, ...]


@frozen(eq=False)
class MapNode:
    pairs: tuple[tuple[Node, Node], ...]


@frozen(eq=False)
class Let:
    name: str
    value: Node
    body: Node


Node = Union[
    Nil, Bool, Int, Float, Str, Ident, Pointer, Unary, Binary, Chain, Member, SliceNode, Call,
    Builtin, Closure, Conditional, Array, MapNode, Let,
]  # fmt: skip


def children(node: Node) -> tuple[Node, ...]:
    """Direct sub-nodes, for iterative walks."""
    if isinstance(node, (Unary, Chain, Closure)):
        return (node.node,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Member):
        return (node.node, node.prop)
    if isinstance(node, SliceNode):
        return tuple(n for n in (node.node, node.start, node.stop) if n is not None)
    if isinstance(node, Call):
        return (node.callee, *node.args)
    if isinstance(node, Builtin):
        return node.args
    if isinstance(node, Conditional):
        return (node.cond, node.yes, node.no)
    if isinstance(node, Array):
        return node.items
    if isinstance(node, MapNode):
        return tuple(n for pair in node.pairs for n in pair)
    if isinstance(node, Let):
        return (node.value, node.body)
    return ()


def tree_depth(root: Node) -> int:
    """Depth of the tree, computed without recursion."""
    deepest = 0
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children(node))
    return deepest


# ------------------------------------------------------------------ parser

_MAX_INT = 2**63 - 1


def _compile_error(message: str) -> ConditionError:
    return ConditionError(message, kind="compile")


class _Parser:
    def __init__(self, tokens: list[Token], limits: Limits) -> None:
        self.tokens = tokens
        self.pos = 0
        self.current = tokens[0]
        self.closure_depth = 0  # > 0 inside a predicate, where `#` and `.x` are allowed
        self.nesting = 0
        self.limits = limits

    def next(self) -> None:
        self.pos += 1
        self.current = self.tokens[min(self.pos, len(self.tokens) - 1)]

    def unexpected(self) -> ConditionError:
        return _compile_error(f"unexpected token {self.current}")

    def expect(self, kind: str, *values: str) -> None:
        if self.current.is_(kind, *values):  # type: ignore[arg-type]
            self.next()
            return
        raise self.unexpected()

    def parse(self) -> Node:
        node = self.parse_expression(0)
        if self.current.kind != "EOF":
            raise self.unexpected()
        return node

    def parse_expression(self, precedence: int) -> Node:
        self.nesting += 1
        if self.nesting > self.limits.max_depth:
            raise ConditionError(
                f"expression is nested too deeply (limit {self.limits.max_depth})", kind="compile", limit=True
            )
        try:
            return self._parse_expression(precedence)
        finally:
            self.nesting -= 1

    def _parse_expression(self, precedence: int) -> Node:
        if precedence == 0 and self.current.is_("Operator", "let"):
            return self.parse_let()
        if precedence == 0 and self.current.is_("Operator", "if"):
            return self.parse_if()
        left = self.parse_primary()
        prev_operator = ""
        op_token = self.current
        while op_token.kind == "Operator":
            negate = op_token.value == "not"
            if negate:
                saved = self.pos
                self.next()
                if self.current.value in NEGATABLE and self.current.kind == "Operator":
                    if BINARY[self.current.value][0] >= precedence:
                        op_token = self.current
                    else:
                        self.pos = saved
                        self.current = self.tokens[saved]
                        break
                else:
                    raise self.unexpected()
            spec = BINARY.get(op_token.value)
            if spec is None or spec[0] < precedence:
                break
            op_precedence, right_assoc = spec
            self.next()
            if op_token.value == "|":
                ident = self.current
                self.expect("Identifier")
                left = self.parse_call(ident, [left])
            else:
                if prev_operator == "??" and op_token.value != "??":
                    raise _compile_error(
                        f"Operator ({op_token.value}) and coalesce expressions (??) cannot be mixed. "
                        "Wrap either by parentheses."
                    )
                if op_token.value in COMPARISONS:
                    left = self.parse_comparison(left, op_token, op_precedence)
                else:
                    right = self.parse_expression(op_precedence if right_assoc else op_precedence + 1)
                    left = Binary(op_token.value, left, right)
                    if negate:
                        left = Unary("not", left)
            prev_operator = op_token.value
            op_token = self.current
        if precedence == 0:
            left = self.parse_conditional(left)
        return left

    def parse_comparison(self, left: Node, token: Token, precedence: int) -> Node:
        root: Node | None = None
        while True:
            comparator = self.parse_expression(precedence + 1)
            node = Binary(token.value, left, comparator)
            root = node if root is None else Binary("&&", root, node)
            left = comparator
            token = self.current
            if not (token.kind == "Operator" and token.value in COMPARISONS):
                break
            self.next()
        return root

    def parse_conditional(self, node: Node) -> Node:
        while self.current.is_("Operator", "?"):
            self.next()
            if not self.current.is_("Operator", ":"):
                yes = self.parse_expression(0)
                self.expect("Operator", ":")
                no = self.parse_expression(0)
            else:
                self.next()
                yes = node
                no = self.parse_expression(0)
            node = Conditional(node, yes, no)
        return node

    def parse_let(self) -> Node:
        self.expect("Operator", "let")
        name = self.current
        self.expect("Identifier")
        self.expect("Operator", "=")
        value = self.parse_expression(0)
        self.expect("Operator", ";")
        body = self.parse_expression(0)
        return Let(name.value, value, body)

    def parse_if(self) -> Node:
        self.next()
        cond = self.parse_expression(0)
        self.expect("Bracket", "{")
        yes = self.parse_expression(0)
        self.expect("Bracket", "}")
        self.expect("Operator", "else")
        self.expect("Bracket", "{")
        no = self.parse_expression(0)
        self.expect("Bracket", "}")
        return Conditional(cond, yes, no)

    def parse_primary(self) -> Node:
        token = self.current
        if token.kind == "Operator" and token.value in UNARY:
            self.next()
            operand = self.parse_expression(UNARY[token.value])
            return self.parse_postfix(Unary(token.value, operand))
        if token.is_("Bracket", "("):
            self.next()
            inner = self.parse_expression(0)
            self.expect("Bracket", ")")
            return self.parse_postfix(inner)
        if token.is_("Operator", "#", "."):
            if self.closure_depth == 0:
                raise _compile_error("cannot use pointer accessor outside predicate")
            name = ""
            if token.value == "#":
                self.next()
                if self.current.kind == "Identifier":
                    name = self.current.value
                    self.next()
            # for `.field` the dot stays current, so the postfix parser reads `#.field`
            return self.parse_postfix(Pointer(name))
        return self.parse_secondary()

    def parse_secondary(self) -> Node:
        token = self.current
        node: Node
        if token.kind == "Identifier":
            self.next()
            if token.value == "true":
                node = Bool(True)
            elif token.value == "false":
                node = Bool(False)
            elif token.value == "nil":
                node = Nil()
            elif self.current.is_("Bracket", "("):
                node = self.parse_call(token, [])
            else:
                node = Ident(token.value)
        elif token.kind == "Number":
            self.next()
            node = self.parse_number(token.value)
        elif token.kind == "String":
            self.next()
            node = Str(token.value)
        elif token.is_("Bracket", "["):
            node = self.parse_array()
        elif token.is_("Bracket", "{"):
            node = self.parse_map()
        else:
            raise self.unexpected()
        return self.parse_postfix(node)

    @staticmethod
    def parse_number(text: str) -> Node:
        value = text.replace("_", "")
        lower = value.lower()
        try:
            if lower.startswith("0x"):
                number = int(value[2:], 16)
            elif "." in lower or "e" in lower:
                return Float(_parse_float_literal(value))
            elif lower.startswith("0b"):
                number = int(value[2:], 2)
            elif lower.startswith("0o"):
                number = int(value[2:], 8)
            else:
                number = int(value, 10)
        except ValueError:
            raise _compile_error(f"invalid integer literal: {text}") from None
        if number > _MAX_INT:
            raise _compile_error(f"invalid integer literal: value out of range: {text}")
        return Int(number)

    def parse_call(self, token: Token, args: list[Node]) -> Node:
        name = token.value
        if name in PREDICATES:
            kinds = PREDICATES[name][len(args) :]
            self.expect("Bracket", "(")
            for i, kind in enumerate(kinds):
                optional = kind.endswith("?")
                if self.current.is_("Bracket", ")"):
                    if optional:
                        break
                    raise _compile_error(f"expected at least {len(kinds)} arguments")
                if i > 0:
                    self.expect("Operator", ",")
                    if optional and self.current.is_("Bracket", ")"):
                        break
                args.append(self.parse_closure() if kind.startswith("closure") else self.parse_expression(0))
            if self.current.is_("Operator", ","):
                self.next()
            self.expect("Bracket", ")")
            return Builtin(name, tuple(args))
        if name in BUILTINS:
            return Builtin(name, tuple(self.parse_arguments(args)))
        return Call(Ident(name), tuple(self.parse_arguments(args)))

    def parse_arguments(self, args: list[Node]) -> list[Node]:
        offset = len(args)
        self.expect("Bracket", "(")
        while not self.current.is_("Bracket", ")"):
            if len(args) > offset:
                self.expect("Operator", ",")
            if self.current.is_("Bracket", ")"):
                break
            args.append(self.parse_expression(0))
        self.expect("Bracket", ")")
        return args

    def parse_closure(self) -> Node:
        braces = self.current.is_("Bracket", "{")
        if braces:
            self.next()
        self.closure_depth += 1
        body = self.parse_expression(0)
        self.closure_depth -= 1
        if braces:
            self.expect("Bracket", "}")
        return Closure(body)

    def parse_array(self) -> Node:
        items: list[Node] = []
        self.expect("Bracket", "[")
        while not self.current.is_("Bracket", "]"):
            if items:
                self.expect("Operator", ",")
                if self.current.is_("Bracket", "]"):
                    break
            items.append(self.parse_expression(0))
        self.expect("Bracket", "]")
        return Array(tuple(items))

    def parse_map(self) -> Node:
        pairs: list[tuple[Node, Node]] = []
        self.expect("Bracket", "{")
        while not self.current.is_("Bracket", "}"):
            if pairs:
                self.expect("Operator", ",")
                if self.current.is_("Bracket", "}"):
                    break
            key: Node
            if self.current.kind in ("Number", "String", "Identifier"):
                key = Str(self.current.value)
                self.next()
            elif self.current.is_("Bracket", "("):
                key = self.parse_expression(0)
            else:
                raise _compile_error(
                    "a map key must be a quoted string, a number, a identifier, or an expression enclosed "
                    f"in parentheses (unexpected token {self.current})"
                )
            self.expect("Operator", ":")
            pairs.append((key, self.parse_expression(0)))
        self.expect("Bracket", "}")
        return MapNode(tuple(pairs))

    def parse_postfix(self, node: Node) -> Node:
        in_chain = False
        while self.current.kind in ("Operator", "Bracket"):
            token = self.current
            optional = token.value == "?."
            if token.value in (".", "?."):
                self.next()
                if optional and self.current.is_("Bracket", "["):
                    node = self.parse_index(node, optional=True)
                    in_chain = True
                    continue
                prop = self.current
                self.next()
                if prop.kind != "Identifier" and not (prop.kind == "Operator" and prop.value.isidentifier()):
                    raise _compile_error("expected name")
                member = Member(node, Str(prop.value), optional)
                if self.current.is_("Bracket", "("):
                    node = Call(member, tuple(self.parse_arguments([])))
                else:
                    node = member
                in_chain = in_chain or optional
            elif token.value == "[":
                node = self.parse_index(node, optional=False)
            else:
                break
        return Chain(node) if in_chain else node

    def parse_index(self, node: Node, *, optional: bool) -> Node:
        self.next()  # past "["
        if self.current.is_("Operator", ":"):
            self.next()
            stop = None if self.current.is_("Bracket", "]") else self.parse_expression(0)
            self.expect("Bracket", "]")
            return SliceNode(node, None, stop)
        start = self.parse_expression(0)
        if self.current.is_("Operator", ":"):
            self.next()
            stop = None if self.current.is_("Bracket", "]") else self.parse_expression(0)
            self.expect("Bracket", "]")
            return SliceNode(node, start, stop)
        self.expect("Bracket", "]")
        return Member(node, start, optional)


def _parse_float_literal(text: str) -> float:
    """strconv.ParseFloat for a literal already shaped by the lexer; out of range is an error."""
    try:
        value = float(text)
    except ValueError:
        raise _compile_error(f"invalid float literal: {text}") from None
    if value in (float("inf"), float("-inf")):
        raise _compile_error(f'invalid float literal: strconv.ParseFloat: parsing "{text}": value out of range')
    return value


def parse(source: str, limits: Limits) -> Node:
    """Parse expression text into a syntax tree.

    Raises:
        ConditionError: (kind "compile") syntax errors, with expr's wording where known, and
            the length/depth limits.
    """
    if len(source) > limits.max_length:
        raise ConditionError(
            f"expression is too long ({len(source)} characters, limit {limits.max_length})", kind="compile", limit=True
        )
    tree = _Parser(tokenize(source), limits).parse()
    if tree_depth(tree) > limits.max_depth:
        raise ConditionError(
            f"expression is nested too deeply (limit {limits.max_depth})", kind="compile", limit=True
        )
    return tree
