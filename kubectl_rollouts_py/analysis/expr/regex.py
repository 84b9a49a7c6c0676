"""RE2-syntax regular expressions with linear-time matching (for `matches` and dryRun rules).

Go's `regexp` package (RE2 semantics) is what Argo and expr use. Python's `re` differs in
syntax (look-around, backreferences, `$` before a final newline, `\\Z`) and, worse, it
backtracks: `(a+)+$` against a long string of `a`s never finishes. So we parse the RE2
syntax ourselves and run a Thompson NFA simulation, whose cost is at most
len(text) × len(program) steps, charged to the caller's budget.

Only a boolean unanchored search is offered (`MatchString`); no captures are needed.

Supported: literals, `.`, classes `[...]` with ranges, negation, `[:alpha:]`-style names,
Perl classes `\\d \\s \\w` (and negations), Unicode general categories `\\pL \\p{Lu}`
(scripts such as `\\p{Greek}` are refused: Python has no script tables), anchors
`^ $ \\A \\z \\b \\B`, groups `(...)`, `(?:...)`, `(?P<n>...)`, `(?<n>...)`, flags `(?imsU)` and
`(?flags:...)`, alternation, `* + ? {n} {n,} {n,m}` (lazy forms accepted), escapes
`\\a \\f \\t \\n \\r \\v \\x41 \\x{263a} \\123 \\Q...\\E`. Errors use Go's wording:
`error parsing regexp: <reason>: `<fragment>``; look-arounds and backreferences are
rejected the way RE2 rejects them.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubectl_rollouts_py.analysis.expr.base import Budget

_MAX_REPEAT = 1000  # RE2's limit on {n,m}
_MAX_NEST = 100  # RE2 allows 1000; we recurse in Python, so stay well below the stack limit


class RegexError(ValueError):
    """An invalid (or unsupported) pattern; the message is Go's `error parsing regexp: ...`."""


def _err(code: str, fragment: str) -> RegexError:
    return RegexError(f"error parsing regexp: {code}: `{fragment}`")


# ------------------------------------------------------------------ character predicates

Matcher = Callable[[str], bool]


def _is_word(ch: str) -> bool:
    return ch == "_" or ("0" <= ch <= "9") or ("a" <= ch <= "z") or ("A" <= ch <= "Z")


_PERL = {
    "d": [(0x30, 0x39)],
    "s": [(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)],
    "w": [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)],
}
_POSIX = {
    "alnum": [(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)],
    "alpha": [(0x41, 0x5A), (0x61, 0x7A)],
    "ascii": [(0x00, 0x7F)],
    "blank": [(0x09, 0x09), (0x20, 0x20)],
    "cntrl": [(0x00, 0x1F), (0x7F, 0x7F)],
    "digit": [(0x30, 0x39)],
    "graph": [(0x21, 0x7E)],
    "lower": [(0x61, 0x7A)],
    "print": [(0x20, 0x7E)],
    "punct": [(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)],
    "space": [(0x09, 0x0D), (0x20, 0x20)],
    "upper": [(0x41, 0x5A)],
    "word": [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)],
    "xdigit": [(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
}
_CATEGORIES = {
    "C", "Cc", "Cf", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn",
    "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk",
    "Sm", "So", "Z", "Zl", "Zp", "Zs",
}  # fmt: skip


@functools.lru_cache(maxsize=4096)
def _fold(ch: str) -> frozenset[str]:
    """The simple case-fold orbit of one character (close to Go's unicode.SimpleFold)."""
    out = {ch}
    for variant in (ch.lower(), ch.upper(), ch.casefold()):
        if len(variant) == 1:
            out.add(variant)
    for variant in list(out):
        for again in (variant.lower(), variant.upper()):
            if len(again) == 1:
                out.add(again)
    return frozenset(out)


@dataclass
class _Class:
    ranges: list[tuple[int, int]]
    categories: list[str]  # Unicode general categories ("L", "Lu", "Any")
    negated: bool = False

    def contains(self, ch: str) -> bool:
        code = ord(ch)
        for lo, hi in self.ranges:
            if lo <= code <= hi:
                return True
        if self.categories:
            cat = unicodedata.category(ch)
            for want in self.categories:
                negated = want.startswith("!")
                name = want[1:] if negated else want
                hit = name == "Any" or cat == name or (len(name) == 1 and cat[0] == name)
                if hit != negated:
                    return True
        return False


def _class_matcher(cls: _Class, fold: bool) -> Matcher:
    if fold:

        def positive(ch: str) -> bool:
            return any(cls.contains(v) for v in _fold(ch))

    else:
        positive = cls.contains
    if cls.negated:
        return lambda ch: not positive(ch)
    return positive


# ------------------------------------------------------------------ syntax tree

# Nodes are tuples: ("lit", ch, fold) ("class", matcher) ("any", dotall) ("assert", kind)
# ("cat", [nodes]) ("alt", [nodes]) ("rep", node, min, max|-1) ("empty",)
Node = tuple[Any, ...]


@dataclass
class _Flags:
    fold: bool = False
    multiline: bool = False
    dotall: bool = False


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.src = pattern
        self.pos = 0
        self.depth = 0

    # -- helpers
    def peek(self, offset: int = 0) -> str:
        i = self.pos + offset
        return self.src[i] if i < len(self.src) else ""

    def at_end(self) -> bool:
        return self.pos >= len(self.src)

    def parse(self) -> Node:
        node = self.parse_alt(_Flags(), top=True)
        if not self.at_end():  # a stray ")"
            raise _err("unexpected )", self.src)
        return node

    def parse_alt(self, flags: _Flags, *, top: bool) -> Node:
        self.depth += 1
        if self.depth > _MAX_NEST:
            raise _err("expression nests too deeply", self.src)
        branches = [self.parse_concat(flags)]
        while self.peek() == "|":
            self.pos += 1
            branches.append(self.parse_concat(flags))
        self.depth -= 1
        return branches[0] if len(branches) == 1 else ("alt", branches)

    def parse_concat(self, flags: _Flags) -> Node:
        items: list[Node] = []
        last_repeat = ""  # the repetition operator text just applied (to catch "a**")
        while not self.at_end():
            ch = self.peek()
            if ch in "|)":
                break
            if ch in "*+?" or (ch == "{" and self._repeat_ahead() is not None):
                start = self.pos
                if ch == "{":
                    lo, hi, end = self._repeat_ahead()  # type: ignore[misc]
                    self.pos = end
                else:
                    lo, hi = {"*": (0, -1), "+": (1, -1), "?": (0, 1)}[ch]
                    self.pos += 1
                if self.peek() == "?":  # lazy: irrelevant for a yes/no search
                    self.pos += 1
                op_text = self.src[start : self.pos]
                if last_repeat:
                    raise _err("invalid nested repetition operator", last_repeat + op_text)
                if not items:
                    raise _err("missing argument to repetition operator", op_text)
                if hi != -1 and (hi > _MAX_REPEAT or lo > hi) or lo > _MAX_REPEAT:
                    raise _err("invalid repeat count", op_text)
                items[-1] = ("rep", items[-1], lo, hi)
                last_repeat = op_text
                continue
            last_repeat = ""
            atom = self.parse_atom(flags)
            if atom is not None:
                items.append(atom)
        if not items:
            return ("empty",)
        return items[0] if len(items) == 1 else ("cat", items)

    def _repeat_ahead(self) -> tuple[int, int, int] | None:
        """Parse `{n}`, `{n,}`, `{n,m}` at pos; None when it is a literal brace (as in Go)."""
        s, i = self.src, self.pos + 1
        j = i
        while j < len(s) and s[j].isdigit() and s[j].isascii():
            j += 1
        if j == i:
            return None
        lo = int(s[i:j])
        if j < len(s) and s[j] == "}":
            return lo, lo, j + 1
        if j >= len(s) or s[j] != ",":
            return None
        k = j + 1
        m = k
        while m < len(s) and s[m].isdigit() and s[m].isascii():
            m += 1
        if m >= len(s) or s[m] != "}":
            return None
        hi = -1 if m == k else int(s[k:m])
        return lo, hi, m + 1

    def parse_atom(self, flags: _Flags) -> Node | None:
        ch = self.peek()
        if ch == "(":
            return self.parse_group(flags)
        if ch == "[":
            return self.parse_class(flags)
        if ch == ".":
            self.pos += 1
            return ("any", flags.dotall)
        if ch == "^":
            self.pos += 1
            return ("assert", "bol" if flags.multiline else "bot")
        if ch == "$":
            self.pos += 1
            return ("assert", "eol" if flags.multiline else "eot")
        if ch == "\\":
            return self.parse_escape_atom(flags)
        self.pos += 1
        return ("lit", ch, flags.fold)

    def parse_group(self, flags: _Flags) -> Node | None:
        start = self.pos
        self.pos += 1
        inner = _Flags(flags.fold, flags.multiline, flags.dotall)
        if self.peek() == "?":
            rest = self.src[self.pos :]
            name_end = -1
            if rest.startswith("?P<") or rest.startswith("?<"):
                open_len = 3 if rest.startswith("?P<") else 2
                name_end = rest.find(">")
                if name_end < 0:
                    raise _err("invalid named capture", self.src[start:])
                name = rest[open_len:name_end]
                if not name or not all(_is_word(c) for c in name):
                    raise _err("invalid named capture", self.src[start : self.pos + name_end + 1])
                self.pos += name_end + 1
            else:
                # flags: (?i) (?i-s) (?i:...); Go accepts an empty set, "(?)" and "(?:"
                i = self.pos + 1
                negate = False
                saw_flag = False
                new = _Flags(flags.fold, flags.multiline, flags.dotall)
                while True:
                    c = self.src[i] if i < len(self.src) else ""
                    if c and c in "imsU":
                        saw_flag = True
                        if c == "i":
                            new.fold = not negate
                        elif c == "m":
                            new.multiline = not negate
                        elif c == "s":
                            new.dotall = not negate
                        i += 1
                        continue
                    if c == "-" and not negate:
                        negate, saw_flag = True, False
                        i += 1
                        continue
                    if c in (":", ")") and c and not (negate and not saw_flag):
                        break
                    raise _err("invalid or unsupported Perl syntax", self.src[start : min(i + 1, len(self.src))])
                if c == ")":
                    # (?flags) changes the flags of the enclosing group from here on
                    flags.fold, flags.multiline, flags.dotall = new.fold, new.multiline, new.dotall
                    self.pos = i + 1
                    return None
                inner = new
                self.pos = i + 1
        node = self.parse_alt(inner, top=False)
        if self.peek() != ")":
            raise _err("missing closing )", self.src[start:])
        self.pos += 1
        return node

    def parse_escape_atom(self, flags: _Flags) -> Node:
        start = self.pos
        nxt = self.peek(1)
        if nxt == "":
            raise _err("trailing backslash at end of expression", "")
        if nxt in "AzbB":
            self.pos += 2
            return ("assert", {"A": "bot", "z": "eot", "b": "word", "B": "nonword"}[nxt])
        if nxt == "Q":
            end = self.src.find("\\E", self.pos + 2)
            text = self.src[self.pos + 2 :] if end < 0 else self.src[self.pos + 2 : end]
            self.pos = len(self.src) if end < 0 else end + 2
            lits: list[Node] = [("lit", c, flags.fold) for c in text]
            return ("cat", lits) if lits else ("empty",)
        if nxt in "dDsSwW":
            self.pos += 2
            cls = _Class(list(_PERL[nxt.lower()]), [], negated=nxt.isupper())
            return ("class", _class_matcher(cls, flags.fold))
        if nxt in "pP":
            cls = self.parse_unicode_class(start)
            return ("class", _class_matcher(cls, flags.fold))
        code = self.parse_escape(start)
        return ("lit", chr(code), flags.fold)

    def parse_unicode_class(self, start: int) -> _Class:
        negated = self.peek(1) == "P"
        self.pos += 2
        if self.peek() == "{":
            end = self.src.find("}", self.pos)
            if end < 0:
                raise _err("invalid character class range", self.src[start:])
            name = self.src[self.pos + 1 : end]
            self.pos = end + 1
        else:
            name = self.peek()
            if not name:
                raise _err("invalid character class range", self.src[start:])
            self.pos += 1
        if name.startswith("^"):
            negated = not negated
            name = name[1:]
        if name != "Any" and name not in _CATEGORIES:
            raise _err("invalid character class range", self.src[start : self.pos])
        return _Class([], [name], negated=negated)

    def parse_escape(self, start: int) -> int:
        """A single-character escape at pos (which points at the backslash); returns the code point."""
        c = self.peek(1)
        self.pos += 2
        if "1" <= c <= "7":
            # a lone \1..\7 is a backreference, which RE2 does not support
            if not ("0" <= self.peek() <= "7"):
                raise _err("invalid escape sequence", self.src[start : self.pos])
        if "0" <= c <= "7":
            value = ord(c) - 48
            for _ in range(2):
                if "0" <= self.peek() <= "7":
                    value = value * 8 + ord(self.peek()) - 48
                    self.pos += 1
            return value
        if c == "x":
            if self.peek() == "{":
                end = self.src.find("}", self.pos)
                digits = self.src[self.pos + 1 : end] if end > 0 else ""
                if end < 0 or not digits or not all(d in "0123456789abcdefABCDEF" for d in digits):
                    raise _err("invalid escape sequence", self.src[start : (end + 1 if end > 0 else len(self.src))])
                value = int(digits, 16)
                self.pos = end + 1
                if value > 0x10FFFF:
                    raise _err("invalid escape sequence", self.src[start : self.pos])
                return value
            digits = self.src[self.pos : self.pos + 2]
            if len(digits) < 2 or not all(d in "0123456789abcdefABCDEF" for d in digits):
                raise _err("invalid escape sequence", self.src[start : self.pos + len(digits)])
            self.pos += 2
            return int(digits, 16)
        simple = {"a": 7, "f": 12, "t": 9, "n": 10, "r": 13, "v": 11}
        if c in simple:
            return simple[c]
        if ord(c) < 0x80 and not c.isalnum():
            return ord(c)  # escaped punctuation is itself
        raise _err("invalid escape sequence", self.src[start : self.pos])

    def parse_class(self, flags: _Flags) -> Node:
        start = self.pos
        self.pos += 1
        cls = _Class([], [])
        if self.peek() == "^":
            cls.negated = True
            self.pos += 1
        first = True
        while True:
            if self.at_end():
                raise _err("missing closing ]", self.src[start:])
            ch = self.peek()
            if ch == "]" and not first:
                self.pos += 1
                break
            first = False
            item_start = self.pos
            if ch == "[" and self.peek(1) == ":":
                end = self.src.find(":]", self.pos + 2)
                if end >= 0:
                    name = self.src[self.pos + 2 : end]
                    neg = name.startswith("^")
                    name = name[1:] if neg else name
                    if name not in _POSIX:
                        raise _err("invalid character class range", self.src[self.pos : end + 2])
                    self.pos = end + 2
                    self._add_ranges(cls, _POSIX[name], neg)
                    continue
            if ch == "\\" and self.peek(1) in "dDsSwW" and self.peek(1) != "":
                kind = self.peek(1)
                self.pos += 2
                self._add_ranges(cls, _PERL[kind.lower()], kind.isupper())
                continue
            if ch == "\\" and self.peek(1) in "pP" and self.peek(1) != "":
                sub = self.parse_unicode_class(self.pos)
                cls.categories.extend(("!" + c) if sub.negated else c for c in sub.categories)
                continue
            lo = self._class_char()
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.pos += 1
                if self.peek() == "\\" and self.peek(1) in "dDsSwWpP":
                    raise _err("invalid character class range", self.src[item_start : self.pos + 2])
                hi = self._class_char()
                if hi < lo:
                    raise _err("invalid character class range", self.src[item_start : self.pos])
                cls.ranges.append((lo, hi))
            else:
                cls.ranges.append((lo, lo))
        return ("class", _class_matcher(cls, flags.fold))

    def _class_char(self) -> int:
        if self.peek() == "\\":
            if self.peek(1) == "":
                raise _err("trailing backslash at end of expression", "")
            return self.parse_escape(self.pos)
        ch = self.peek()
        self.pos += 1
        return ord(ch)

    @staticmethod
    def _add_ranges(cls: _Class, ranges: list[tuple[int, int]], negated: bool) -> None:
        if not negated:
            cls.ranges.extend(ranges)
            return
        prev = 0
        for lo, hi in sorted(ranges):
            if lo > prev:
                cls.ranges.append((prev, lo - 1))
            prev = hi + 1
        cls.ranges.append((prev, 0x10FFFF))


# ------------------------------------------------------------------ program

_CHAR, _SPLIT, _JMP, _ASSERT, _MATCH = range(5)


@dataclass(frozen=True)
class Program:
    """A compiled pattern: parallel arrays of opcodes, arguments and character matchers."""

    ops: tuple[int, ...]
    a1: tuple[int, ...]
    a2: tuple[int, ...]
    matchers: tuple[Matcher | None, ...]
    kinds: tuple[str, ...]
    start: int
    anchored: bool  # begins with \A or ^ (without m): only position 0 can start a match


class _Compiler:
    def __init__(self, max_size: int, pattern: str) -> None:
        self.ops: list[int] = []
        self.a1: list[int] = []
        self.a2: list[int] = []
        self.m: list[Matcher | None] = []
        self.k: list[str] = []
        self.max_size = max_size
        self.pattern = pattern

    def emit(self, op: int, a1: int = -1, a2: int = -1, matcher: Matcher | None = None, kind: str = "") -> int:
        if len(self.ops) >= self.max_size:
            raise _err("expression too large", self.pattern)
        self.ops.append(op)
        self.a1.append(a1)
        self.a2.append(a2)
        self.m.append(matcher)
        self.k.append(kind)
        return len(self.ops) - 1

    # Each compile method returns (entry, list of holes), a hole being (pc, slot) to patch.
    def compile(self, node: Node) -> tuple[int, list[tuple[int, int]]]:
        tag = node[0]
        if tag == "lit":
            ch, fold = node[1], node[2]
            pc = self.emit(_CHAR, matcher=_literal_matcher(ch, fold))
            return pc, [(pc, 1)]
        if tag == "class":
            pc = self.emit(_CHAR, matcher=node[1])
            return pc, [(pc, 1)]
        if tag == "any":
            dotall = node[1]
            pc = self.emit(_CHAR, matcher=_any_char if dotall else _not_newline)
            return pc, [(pc, 1)]
        if tag == "assert":
            pc = self.emit(_ASSERT, kind=node[1])
            return pc, [(pc, 1)]
        if tag == "empty":
            pc = self.emit(_JMP)
            return pc, [(pc, 1)]
        if tag == "cat":
            entry, holes = self.compile(node[1][0])
            for part in node[1][1:]:
                nxt, nholes = self.compile(part)
                self.patch(holes, nxt)
                holes = nholes
            return entry, holes
        if tag == "alt":
            entry, holes = self.compile(node[1][-1])
            for part in reversed(node[1][:-1]):
                first, fholes = self.compile(part)
                pc = self.emit(_SPLIT, first, entry)
                entry, holes = pc, fholes + holes
            return entry, holes
        if tag == "rep":
            return self.compile_rep(node[1], node[2], node[3])
        raise AssertionError(tag)

    def compile_rep(self, sub: Node, lo: int, hi: int) -> tuple[int, list[tuple[int, int]]]:
        if lo == 0 and hi == -1:  # x*
            pc = self.emit(_SPLIT)
            body, holes = self.compile(sub)
            self.a1[pc] = body
            self.patch(holes, pc)
            return pc, [(pc, 2)]
        if lo == 0 and hi == 0:
            pc = self.emit(_JMP)
            return pc, [(pc, 1)]
        parts: list[tuple[int, list[tuple[int, int]]]] = []
        for _ in range(lo):
            parts.append(self.compile(sub))
        if hi == -1:
            # x{n,} = x{n-1} x+
            body, holes = parts[-1]
            pc = self.emit(_SPLIT, body)
            self.patch(holes, pc)
            parts[-1] = (parts[-1][0], [(pc, 2)])
        else:
            for _ in range(hi - lo):
                pc = self.emit(_SPLIT)
                body, holes = self.compile(sub)
                self.a1[pc] = body
                parts.append((pc, holes + [(pc, 2)]))
        entry, holes = parts[0]
        for nxt, nholes in parts[1:]:
            self.patch(holes, nxt)
            holes = nholes
        return entry, holes

    def patch(self, holes: list[tuple[int, int]], target: int) -> None:
        for pc, slot in holes:
            if slot == 1:
                self.a1[pc] = target
            else:
                self.a2[pc] = target


def _literal_matcher(literal: str, fold: bool) -> Matcher:
    orbit = _fold(literal) if fold else frozenset((literal,))
    if len(orbit) == 1:
        return lambda ch: ch == literal
    return lambda ch: ch in orbit


def _any_char(ch: str) -> bool:
    return True


def _not_newline(ch: str) -> bool:
    return ch != "\n"


def _starts_anchored(node: Node) -> bool:
    if node[0] == "assert":
        return bool(node[1] == "bot")
    if node[0] == "cat":
        return _starts_anchored(node[1][0])
    return False


@functools.lru_cache(maxsize=256)
def compile_re2(pattern: str, *, max_length: int = 2000, max_program: int = 5000) -> Program:
    """Parse and compile an RE2 pattern.

    Raises:
        RegexError: invalid or unsupported syntax, or a pattern beyond the size limits.
    """
    if len(pattern) > max_length:
        raise _err("expression too large", pattern[:40] + "...")
    tree = _Parser(pattern).parse()
    comp = _Compiler(max_program, pattern)
    entry, holes = comp.compile(tree)
    match_pc = comp.emit(_MATCH)
    comp.patch(holes, match_pc)
    return Program(
        tuple(comp.ops), tuple(comp.a1), tuple(comp.a2), tuple(comp.m), tuple(comp.k), entry, _starts_anchored(tree)
    )


def _assert_ok(kind: str, text: str, pos: int) -> bool:
    n = len(text)
    if kind == "bot":
        return pos == 0
    if kind == "eot":
        return pos == n
    if kind == "bol":
        return pos == 0 or text[pos - 1] == "\n"
    if kind == "eol":
        return pos == n or text[pos] == "\n"
    before = pos > 0 and _is_word(text[pos - 1])
    after = pos < n and _is_word(text[pos])
    return (before != after) if kind == "word" else (before == after)


def search(program: Program, text: str, budget: Budget | None = None) -> bool:
    """True if the pattern matches anywhere in `text` (Go's regexp.MatchString).

    Work is charged to `budget` (one unit per live NFA thread per character), so a
    pathological pattern/text pair ends with the budget's error instead of running long.
    """
    ops, a1, a2, matchers, kinds = program.ops, program.a1, program.a2, program.matchers, program.kinds
    mark = [-1] * len(ops)
    n = len(text)
    current: list[int] = []
    for pos in range(n + 1):
        seeds = current if (program.anchored and pos > 0) else current + [program.start]
        if not seeds:
            return False
        # epsilon closure at this position (iterative, so no recursion on long programs)
        stack = list(reversed(seeds))
        live: list[int] = []
        while stack:
            pc = stack.pop()
            if mark[pc] == pos:
                continue
            mark[pc] = pos
            op = ops[pc]
            if op == _CHAR:
                live.append(pc)
            elif op == _MATCH:
                return True
            elif op == _JMP:
                stack.append(a1[pc])
            elif op == _SPLIT:
                stack.append(a2[pc])
                stack.append(a1[pc])
            elif _assert_ok(kinds[pc], text, pos):
                stack.append(a1[pc])
        if budget is not None:
            budget.charge(len(live) + 1)
        if pos == n:
            break
        ch = text[pos]
        current = [a1[pc] for pc in live if matchers[pc](ch)]  # type: ignore[misc]
    return False


def match_string(pattern: str, text: str, budget: Budget | None = None) -> bool:
    """Compile (cached) and search; raises RegexError for a bad pattern."""
    return search(compile_re2(pattern), text, budget)
