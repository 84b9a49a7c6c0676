"""Tokenizer for the expr language (v1.17.8), state by state like expr's own lexer.

Token kinds and their printed form (`Bracket(")")`, `EOF`) follow expr, because syntax
errors quote them: `unexpected token Bracket(")")`.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

from kubectl_rollouts_py._frozen import frozen
from kubectl_rollouts_py.analysis.expr.base import ConditionError
from kubectl_rollouts_py.govalues import go_quote

Kind = Literal["EOF", "Identifier", "Number", "String", "Operator", "Bracket"]

# Words the lexer turns into operators (everything else alphanumeric is an identifier).
_WORD_OPERATORS = frozenset({"in", "or", "and", "matches", "contains", "startsWith", "endsWith", "let", "if", "else"})
_NOT_SUFFIXES = frozenset({"in", "matches", "contains", "startsWith", "endsWith"})


@frozen
class Token:
    kind: Kind
    value: str
    pos: int

    def is_(self, kind: Kind, *values: str) -> bool:
        return self.kind == kind and (not values or self.value in values)

    def __str__(self) -> str:
        if self.kind == "EOF":
            return "EOF"
        return f"{self.kind}({go_quote(self.value)})"


def is_alphanumeric(ch: str) -> bool:
    """expr's utils.IsAlphaNumeric: `_`, `$`, Unicode letters and decimal digits."""
    if not ch:
        return False
    return ch == "_" or ch == "$" or ch.isalpha() or unicodedata.category(ch) == "Nd"


def _is_space(ch: str) -> bool:
    return ch.isspace()


class _Lexer:
    def __init__(self, source: str) -> None:
        self.src = source
        self.start = 0
        self.end = 0
        self.tokens: list[Token] = []

    def error(self, message: str) -> ConditionError:
        return ConditionError(message, kind="compile")

    def next(self) -> str:
        if self.end >= len(self.src):
            self.end += 1  # so that backup() is symmetric at EOF
            return ""
        ch = self.src[self.end]
        self.end += 1
        return ch

    def backup(self) -> None:
        self.end -= 1

    def peek(self) -> str:
        return self.src[self.end] if self.end < len(self.src) else ""

    def accept(self, valid: str) -> bool:
        ch = self.next()
        if ch and ch in valid:
            return True
        self.backup()
        return False

    def accept_run(self, valid: str) -> None:
        while True:
            ch = self.next()
            if not ch or ch not in valid:
                self.backup()
                return

    def word(self) -> str:
        return self.src[self.start : self.end]

    def emit(self, kind: Kind, value: str | None = None) -> None:
        self.tokens.append(Token(kind, self.word() if value is None else value, self.start))
        self.start = self.end

    def skip(self) -> None:
        self.start = self.end

    def run(self) -> list[Token]:
        while True:
            ch = self.next()
            if ch == "":
                self.end = len(self.src)
                self.start = self.end
                self.tokens.append(Token("EOF", "", len(self.src)))
                return self.tokens
            if _is_space(ch):
                self.skip()
            elif ch in "'\"":
                self.scan_string(ch)
            elif ch == "`":
                self.scan_raw_string()
            elif "0" <= ch <= "9":
                self.backup()
                self.number()
            elif ch == "?":
                self.accept(".?")
                self.emit("Operator")
            elif ch == "/":
                self.slash()
            elif ch == "#":
                self.emit("Operator")
                while is_alphanumeric(self.next()):
                    pass
                self.backup()
                if self.word():
                    self.emit("Identifier")
            elif ch == "|":
                self.accept("|")
                self.emit("Operator")
            elif ch == ":":
                self.accept(":")
                self.emit("Operator")
            elif ch in "([{)]}":
                self.emit("Bracket")
            elif ch in ",;%+-^":
                self.emit("Operator")
            elif ch in "&!=*<>":
                self.accept("&=*")
                self.emit("Operator")
            elif ch == ".":
                self.dot()
            elif is_alphanumeric(ch):
                self.backup()
                self.identifier()
            else:
                raise self.error(f"unrecognized character: {_go_rune(ch)}")

    def number(self) -> None:
        digits = "0123456789_"
        if self.accept("0"):
            if self.accept("xX"):
                digits = "0123456789abcdefABCDEF_"
            elif self.accept("oO"):
                digits = "01234567_"
            elif self.accept("bB"):
                digits = "01_"
        self.accept_run(digits)
        end = self.end
        if self.accept("."):
            if self.peek() == ".":  # `1..2` is a range, not the float `1.`
                self.end = end
                self.emit("Number")
                return
            self.accept_run(digits)
        if self.accept("eE"):
            self.accept("+-")
            self.accept_run(digits)
        if is_alphanumeric(self.peek()):
            self.next()
            raise self.error(f"bad number syntax: {go_quote(self.word())}")
        self.emit("Number")

    def dot(self) -> None:
        if self.accept("0123456789"):
            self.backup()
            # the number state starts over from the dot: `.5`
            self.accept_run("0123456789_")
            if self.accept("eE"):
                self.accept("+-")
                self.accept_run("0123456789_")
            if is_alphanumeric(self.peek()):
                self.next()
                raise self.error(f"bad number syntax: {go_quote(self.word())}")
            self.emit("Number")
            return
        self.accept(".")
        self.emit("Operator")

    def identifier(self) -> None:
        while is_alphanumeric(self.next()):
            pass
        self.backup()
        word = self.word()
        if word == "not":
            self.emit("Operator")
            # `not in`, `not matches`… are single operators
            while self.peek() and _is_space(self.peek()):
                self.end += 1
            save = self.end
            self.start = self.end
            while is_alphanumeric(self.next()):
                pass
            self.backup()
            if self.word() in _NOT_SUFFIXES:
                self.emit("Operator")
            else:
                self.end = save
                self.start = save
        elif word in _WORD_OPERATORS:
            self.emit("Operator")
        else:
            self.emit("Identifier")

    def slash(self) -> None:
        if self.accept("/"):
            while True:
                ch = self.next()
                if ch == "" or ch == "\n":
                    break
            if self.end > len(self.src):
                self.end = len(self.src)
            self.skip()
            return
        if self.accept("*"):
            while True:
                ch = self.next()
                if ch == "":
                    raise self.error("unclosed comment")
                if ch == "*" and self.accept("/"):
                    break
            self.skip()
            return
        self.emit("Operator")

    def scan_string(self, quote: str) -> None:
        while True:
            ch = self.next()
            if ch == "\\":
                ch = self.next()
                if ch == "":
                    raise self.error("literal not terminated")
                continue
            if ch == "" or ch == "\n":
                raise self.error("literal not terminated")
            if ch == quote:
                break
        self.emit("String", unescape(self.word()))

    def scan_raw_string(self) -> None:
        while True:
            ch = self.next()
            if ch == "":
                raise self.error("literal not terminated")
            if ch == "`":
                break
        self.emit("String", self.word()[1:-1])


def _go_rune(ch: str) -> str:
    """Go's %#U: U+0026 '&'."""
    return f"U+{ord(ch):04X} '{ch}'" if ch.isprintable() else f"U+{ord(ch):04X}"


_SIMPLE_ESCAPES = {
    "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
    "\\": "\\", "'": "'", '"': '"', "`": "`", "?": "?",
}  # fmt: skip


def unescape(quoted: str) -> str:
    """expr's unescape of a quoted literal (quotes included); Go rules for \\x, \\u, \\U, octal."""
    err = ConditionError("unable to unescape string", kind="compile")
    body = quoted[1:-1]
    out: list[str] = []
    i = 0
    n = len(body)
    while i < n:
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        if i + 1 >= n:
            raise ConditionError("unable to unescape string, found '\\' as last character", kind="compile")
        c = body[i + 1]
        i += 2
        if c in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[c])
        elif c in "xXuU":
            width = {"x": 2, "X": 2, "u": 4, "U": 8}[c]
            digits = body[i : i + width]
            if len(digits) < width or not all(d in "0123456789abcdefABCDEF" for d in digits):
                raise err
            value = int(digits, 16)
            i += width
            if value > 0x10FFFF:
                raise err
            out.append("\ufffd" if 0xD800 <= value <= 0xDFFF else chr(value))
        elif c in "0123":
            digits = body[i : i + 2]
            if len(digits) < 2 or not all(d in "01234567" for d in digits):
                raise err
            out.append(chr((ord(c) - 48) * 64 + int(digits, 8)))
            i += 2
        else:
            raise err
    return "".join(out)


def tokenize(source: str) -> list[Token]:
    """Split expression text into tokens, ending with an EOF token.

    Raises:
        ConditionError: (kind "compile") for unterminated literals, bad numbers, bad escapes
            and characters expr does not know.
    """
    return _Lexer(source).run()
