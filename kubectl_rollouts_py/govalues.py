"""Go's value rules, for every layer: durations, strconv.Atoi, Kubernetes IntOrString, how
Go quotes a string (strconv.Quote) and how its JSON errors name a value's type.

Argo Rollouts and Kubernetes are written in Go, and the fields this plugin reads follow Go's
parsing: a pause of `1h30m` is a `time.Duration`, a `failureLimit` of `"3"` is an
IntOrString read with `strconv.Atoi`. One implementation of each lives here, so the views,
the commands and the analysis engine agree on what a value means.

Durations are int nanoseconds, like Go's int64 `time.Duration`. Error messages are Go's
(`time: invalid duration "1d"`-style), because Argo shows them to users verbatim.

A leaf module: it imports only the standard library.
"""

from __future__ import annotations

from typing import Any

NANOSECOND = 1
MICROSECOND = 1000
MILLISECOND = 1000 * MICROSECOND
SECOND = 1000 * MILLISECOND
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

_UNITS = {
    "ns": NANOSECOND,
    "us": MICROSECOND,
    "\u00b5s": MICROSECOND,  # micro sign
    "\u03bcs": MICROSECOND,  # Greek small letter mu
    "ms": MILLISECOND,
    "s": SECOND,
    "m": MINUTE,
    "h": HOUR,
}
_MAX_INT64 = 2**63 - 1
_LIMIT = 1 << 63


_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v",
            '"': '\\"', "\\": "\\\\"}


def go_quote(text: str) -> str:
    """Go's strconv.Quote (fmt's %q of a string): double quotes; backslash escapes for
    quotes, backslashes and \\a \\b \\f \\n \\r \\t \\v; other control characters as \\xNN;
    other unprintable characters as \\uNNNN or \\UNNNNNNNN; printable ones kept."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif ch != " " and not ch.isprintable():
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def go_json_kind(value: Any) -> str:
    """How Go's JSON errors name a value's type: string, number, bool, array or object."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _quote(text: str) -> str:
    """Go's time.quote, which durations' errors use (not strconv.Quote): double quotes;
    non-ASCII and control characters as \\x bytes."""
    out = ['"']
    for ch in text:
        if ord(ch) >= 0x80 or ch < " ":
            out.extend(f"\\x{b:02x}" for b in ch.encode("utf-8", "surrogatepass"))
        else:
            if ch in '"\\':
                out.append("\\")
            out.append(ch)
    out.append('"')
    return "".join(out)


def parse_go_duration(text: str) -> int:
    """Parse a Go duration (`1h30m`, `1.5s`, `-300ms`, `0`) into nanoseconds.

    Raises:
        ValueError: with Go's message, e.g. `time: unknown unit "d" in duration "1d"`.
    """
    orig = text
    s = text
    neg = False
    if s and s[0] in "+-":
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise ValueError("time: invalid duration " + _quote(orig))
    total = 0
    # An index into `s`, never `s = s[i:]`: slicing off each part copied the rest of the
    # string, so `duration(repeat('1s', 400000))` took 51 s in a condition.
    p, n = 0, len(s)
    while p < n:
        if not (s[p] == "." or "0" <= s[p] <= "9"):
            raise ValueError("time: invalid duration " + _quote(orig))
        # leading integer part, with Go's overflow rule
        start = p
        whole = 0
        while p < n and "0" <= s[p] <= "9":
            if whole > _LIMIT // 10:
                raise ValueError("time: invalid duration " + _quote(orig))
            whole = whole * 10 + ord(s[p]) - 48
            if whole > _LIMIT:
                raise ValueError("time: invalid duration " + _quote(orig))
            p += 1
        pre = p > start
        frac, scale, post = 0, 1.0, False
        if p < n and s[p] == ".":
            p += 1
            start = p
            overflow = False
            while p < n and "0" <= s[p] <= "9":
                if not overflow:
                    if frac > _MAX_INT64 // 10:
                        overflow = True
                    else:
                        nxt = frac * 10 + ord(s[p]) - 48
                        if nxt > _LIMIT:
                            overflow = True
                        else:
                            frac = nxt
                            scale *= 10
                p += 1
            post = p > start
        if not pre and not post:
            raise ValueError("time: invalid duration " + _quote(orig))
        start = p
        while p < n and not (s[p] == "." or "0" <= s[p] <= "9"):
            p += 1
        if p == start:
            raise ValueError("time: missing unit in duration " + _quote(orig))
        unit_name = s[start:p]
        unit = _UNITS.get(unit_name)
        if unit is None:
            raise ValueError("time: unknown unit " + _quote(unit_name) + " in duration " + _quote(orig))
        if whole > _LIMIT // unit:
            raise ValueError("time: invalid duration " + _quote(orig))
        value = whole * unit
        if frac > 0:
            # Go converts through float64 here, so keep that rounding.
            value += int(float(frac) * (float(unit) / scale))
            if value > _LIMIT:
                raise ValueError("time: invalid duration " + _quote(orig))
        total += value
        if total > _LIMIT:
            raise ValueError("time: invalid duration " + _quote(orig))
    if neg:
        return -total
    if total > _MAX_INT64:
        raise ValueError("time: invalid duration " + _quote(orig))
    return total


def duration_seconds(text: str) -> float | None:
    """A Go duration in seconds (`1h30m` -> 5400.0, `-1.5s` -> -1.5); None when Go would refuse it.

    The same parser as `parse_go_duration`, for callers that only need seconds (pause
    steps, experiment durations, `--timeout`); days (`1d`) are not a Go unit.
    """
    try:
        return parse_go_duration(text) / 1e9
    except ValueError:
        return None


def _frac(value: int, prec: int) -> tuple[str, int]:
    digits = []
    printed = False
    for _ in range(prec):
        digit = value % 10
        printed = printed or digit != 0
        if printed:
            digits.append(str(digit))
        value //= 10
    text = "." + "".join(reversed(digits)) if printed else ""
    return text, value


def format_go_duration(nanos: int) -> str:
    """Go's Duration.String(): `1h0m0s`, `1.5s`, `300ms`, `0s`, `-2m3s`."""
    neg = nanos < 0
    u = -nanos if neg else nanos
    if u < SECOND:
        if u == 0:
            return "0s"
        if u < MICROSECOND:
            frac, u, unit = "", u, "ns"
        elif u < MILLISECOND:
            frac, u = _frac(u, 3)
            unit = "\u00b5s"
        else:
            frac, u = _frac(u, 6)
            unit = "ms"
        text = f"{u}{frac}{unit}"
    else:
        frac, u = _frac(u, 9)
        text = f"{u % 60}{frac}s"
        u //= 60
        if u > 0:
            text = f"{u % 60}m" + text
            u //= 60
            if u > 0:
                text = f"{u}h" + text
    return "-" + text if neg else text


def go_atoi(text: str) -> int | None:
    """strconv.Atoi: optional sign then ASCII digits, within int64; None otherwise."""
    s = text[1:] if text[:1] in ("+", "-") else text
    if not s or not all("0" <= c <= "9" for c in s):
        return None
    digits = s.lstrip("0") or "0"  # int() refuses 4300+ digits, even leading zeros
    if len(digits) > 19:  # past int64 either way
        return None
    value = -int(digits) if text[0] == "-" else int(digits)
    if not -(2**63) <= value <= _MAX_INT64:
        return None
    return value


def int_or_string(value: Any, default: int) -> int:
    """Kubernetes IntOrString.IntValue(): ints as-is, strings via Atoi, anything unparsable is 0.

    `default` is used only when the field is absent (None); Argo never applies it to "junk".
    """
    if value is None:
        return default
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        parsed = go_atoi(value)
        return 0 if parsed is None else parsed
    return 0
