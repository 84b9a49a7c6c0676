"""Go's JSON syntax errors (encoding/json's scanner), for the Prometheus adapter.

Argo's controller records the error of Go's `json.Unmarshal` in an Error measurement when
Prometheus (or a proxy in front of it) answers with something that is not JSON:
`bad_response: invalid character '<' looking for beginning of value` for an HTML sign-in page,
`... in literal null (expecting 'u')` for `not json`. The shared Prometheus vectors expect
that wording, so this port of the scanner's states words the error of a body that Python's
JSON parser rejected. It is only run on such bodies: a pure-Python byte loop takes about 2 s
per 8 MiB, too slow to run on every answer.

Pure: the standard library only.
"""

from __future__ import annotations

from collections.abc import Callable

_SPACE = b" \t\r\n"
_MAX_DEPTH = 10000


def _quote_char(byte: int) -> str:
    """encoding/json's quoteChar: the offending byte as Go prints it."""
    if byte == 0x27:
        return "'\\''"
    if byte == 0x22:
        return "'\"'"
    char = chr(byte)
    if char == "\\":
        return "'\\\\'"
    if char.isprintable():
        return f"'{char}'"
    named = {0x07: "\\a", 0x08: "\\b", 0x0C: "\\f", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x0B: "\\v"}
    if byte in named:
        return f"'{named[byte]}'"
    return f"'\\x{byte:02x}'" if byte < 0x80 else f"'\\u{byte:04x}'"


def syntax_error(body: bytes) -> str:
    """The message of Go's `json.Unmarshal` syntax check for `body`, or "" when it is valid."""
    return _scan(body).eof()


def prefix_error(head: bytes) -> str:
    """The syntax error within the first bytes of a longer body, or "" when none is there yet
    (used on the first chunk of an answer too large to read whole)."""
    return _scan(head).error


def _scan(data: bytes) -> _Scanner:
    """The scanner after `data`, stopped at its first syntax error (in `.error`)."""
    scanner = _Scanner()
    for byte in data:
        scanner.step(byte)
        if scanner.error:
            break
    return scanner


class _Scanner:
    # parse-state stack values
    OBJECT_KEY, OBJECT_VALUE, ARRAY_VALUE = 0, 1, 2

    def __init__(self) -> None:
        self.stack: list[int] = []
        self.error = ""
        self.end_top = False
        self.state: Callable[[int], None] = self.begin_value
        self.literal = b""  # remaining bytes of true/false/null
        self.literal_name = ""
        self.hex_left = 0

    def step(self, c: int) -> None:
        self.state(c)

    def eof(self) -> str:
        if self.error:
            return self.error
        if self.end_top:
            return ""
        self.step(0x20)
        if self.end_top:
            return ""
        return self.error or "unexpected end of JSON input"

    def fail(self, c: int, context: str) -> None:
        self.error = f"invalid character {_quote_char(c)} {context}"
        self.state = lambda c: None  # noqa: ARG005 - a dead state

    def push(self, kind: int) -> bool:
        self.stack.append(kind)
        if len(self.stack) > _MAX_DEPTH:
            self.error = "exceeded max depth"
            self.state = lambda c: None  # noqa: ARG005 - a dead state
            return False
        return True

    def pop(self) -> None:
        self.stack.pop()
        if not self.stack:
            self.state = self.end_top_state
            self.end_top = True
        else:
            self.state = self.end_value

    # -- values
    def begin_value_or_empty(self, c: int) -> None:
        if c in _SPACE:
            return
        if c == 0x5D:  # ]
            self.end_value(c)
            return
        self.begin_value(c)

    def begin_value(self, c: int) -> None:
        if c in _SPACE:
            return
        if c == 0x7B:  # {
            if self.push(self.OBJECT_KEY):
                self.state = self.begin_string_or_empty
        elif c == 0x5B:  # [
            if self.push(self.ARRAY_VALUE):
                self.state = self.begin_value_or_empty
        elif c == 0x22:
            self.state = self.in_string
        elif c == 0x2D:  # -
            self.state = self.neg
        elif c == 0x30:
            self.state = self.zero
        elif 0x31 <= c <= 0x39:
            self.state = self.one
        elif c in (0x74, 0x66, 0x6E):  # t f n
            self.literal_name = {0x74: "true", 0x66: "false", 0x6E: "null"}[c]
            self.literal = self.literal_name[1:].encode()
            self.state = self.in_literal
        else:
            self.fail(c, "looking for beginning of value")

    def begin_string_or_empty(self, c: int) -> None:
        if c in _SPACE:
            return
        if c == 0x7D:  # }
            self.stack[-1] = self.OBJECT_VALUE
            self.end_value(c)
            return
        self.begin_string(c)

    def begin_string(self, c: int) -> None:
        if c in _SPACE:
            return
        if c == 0x22:
            self.state = self.in_string
            return
        self.fail(c, "looking for beginning of object key string")

    def end_value(self, c: int) -> None:
        if not self.stack:
            self.state = self.end_top_state
            self.end_top = True
            self.end_top_state(c)
            return
        if c in _SPACE:
            self.state = self.end_value
            return
        top = self.stack[-1]
        if top == self.OBJECT_KEY:
            if c == 0x3A:  # :
                self.stack[-1] = self.OBJECT_VALUE
                self.state = self.begin_value
                return
            self.fail(c, "after object key")
        elif top == self.OBJECT_VALUE:
            if c == 0x2C:
                self.stack[-1] = self.OBJECT_KEY
                self.state = self.begin_string
                return
            if c == 0x7D:
                self.pop()
                return
            self.fail(c, "after object key:value pair")
        else:
            if c == 0x2C:
                self.state = self.begin_value
                return
            if c == 0x5D:
                self.pop()
                return
            self.fail(c, "after array element")

    def end_top_state(self, c: int) -> None:
        if c not in _SPACE:
            self.fail(c, "after top-level value")

    # -- strings
    def in_string(self, c: int) -> None:
        if c == 0x22:
            self.state = self.end_value
        elif c == 0x5C:
            self.state = self.in_string_escape
        elif c < 0x20:
            self.fail(c, "in string literal")

    def in_string_escape(self, c: int) -> None:
        if c in b'bfnrt\\/"':
            self.state = self.in_string
        elif c == 0x75:  # u
            self.hex_left = 4
            self.state = self.in_string_hex
        else:
            self.fail(c, "in string escape code")

    def in_string_hex(self, c: int) -> None:
        if c in b"0123456789abcdefABCDEF":
            self.hex_left -= 1
            if not self.hex_left:
                self.state = self.in_string
            return
        self.fail(c, "in \\u hexadecimal character escape")

    # -- numbers
    def neg(self, c: int) -> None:
        if c == 0x30:
            self.state = self.zero
        elif 0x31 <= c <= 0x39:
            self.state = self.one
        else:
            self.fail(c, "in numeric literal")

    def one(self, c: int) -> None:
        if 0x30 <= c <= 0x39:
            return
        self.zero(c)

    def zero(self, c: int) -> None:
        if c == 0x2E:
            self.state = self.dot
        elif c in (0x65, 0x45):
            self.state = self.exp
        else:
            self.end_value(c)

    def dot(self, c: int) -> None:
        if 0x30 <= c <= 0x39:
            self.state = self.dot_digits
            return
        self.fail(c, "after decimal point in numeric literal")

    def dot_digits(self, c: int) -> None:
        if 0x30 <= c <= 0x39:
            return
        if c in (0x65, 0x45):
            self.state = self.exp
            return
        self.end_value(c)

    def exp(self, c: int) -> None:
        if c in (0x2B, 0x2D):
            self.state = self.exp_sign
            return
        self.exp_sign(c)

    def exp_sign(self, c: int) -> None:
        if 0x30 <= c <= 0x39:
            self.state = self.exp_digits
            return
        self.fail(c, "in exponent of numeric literal")

    def exp_digits(self, c: int) -> None:
        if 0x30 <= c <= 0x39:
            return
        self.end_value(c)

    # -- true / false / null
    def in_literal(self, c: int) -> None:
        expected = self.literal[0]
        if c != expected:
            self.fail(c, f"in literal {self.literal_name} (expecting {_quote_char(expected)})")
            return
        self.literal = self.literal[1:]
        if not self.literal:
            self.state = self.end_value
