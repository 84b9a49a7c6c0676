"""Label and field selectors, parsed as the real server parses them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import bad_request
from .jsondata import JSON
from .resources import ResourceType

# Field values an object without the field still selects on (the real server fills defaults).
_FIELD_DEFAULTS = {"spec.hostNetwork": "false"}


@dataclass(frozen=True)
class LabelRequirement:
    """One comma-separated term of a label selector."""

    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!", ">", "<"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.op == "=":
            return present and value == self.values[0]
        if self.op == "!=":
            return not present or value != self.values[0]
        if self.op == "in":
            return present and value in self.values
        if self.op == "notin":
            return not present or value not in self.values
        if self.op == "exists":
            return present
        if self.op == "!":
            return not present
        try:  # > and < compare integers, and never select a missing or non-numeric label
            number = int(value) if value is not None else None
        except ValueError:
            return False
        if number is None:
            return False
        return number > int(self.values[0]) if self.op == ">" else number < int(self.values[0])


_LABEL_KEY = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?")
_LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?")
_SET_TERM = re.compile(r"(\S+)\s+(in|notin)\s*\((.*)\)", re.DOTALL)
_OP_TERM = re.compile(r"([^\s=!<>]+)\s*(==|=|!=|<|>)\s*(.*)", re.DOTALL)


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside parentheses: `a in (x,y),b` is two terms."""
    parts: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise bad_request(f"unable to parse requirement: unbalanced parenthesis in {text!r}")
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth:
        raise bad_request(f"unable to parse requirement: unbalanced parenthesis in {text!r}")
    parts.append(text[start:])
    return parts


def _check_key(key: str, term: str) -> str:
    if not _LABEL_KEY.fullmatch(key):
        raise bad_request(f"unable to parse requirement: invalid label key {key!r} in {term!r}")
    return key


def _check_value(value: str, term: str) -> str:
    if not _LABEL_VALUE.fullmatch(value):
        raise bad_request(f"unable to parse requirement: invalid label value {value!r} in {term!r}")
    return value


def _parse_label_term(term: str) -> LabelRequirement:
    if match := _SET_TERM.fullmatch(term):
        key, op, inner = match.groups()
        values = tuple(_check_value(v.strip(), term) for v in inner.split(","))
        if values == ("",):
            raise bad_request(
                f"unable to parse requirement: for 'in', 'notin' operators, values set can't be empty: {term!r}"
            )
        return LabelRequirement(_check_key(key, term), op, values)
    if term.startswith("!"):
        return LabelRequirement(_check_key(term[1:].strip(), term), "!")
    if match := _OP_TERM.fullmatch(term):
        key, op, value = match.groups()
        value = _check_value(value.strip(), term)
        if op in (">", "<") and not re.fullmatch(r"-?\d+", value):
            raise bad_request(
                f"unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer: {term!r}"
            )
        return LabelRequirement(_check_key(key, term), "=" if op == "==" else op, (value,))
    return LabelRequirement(_check_key(term, term), "exists")


def parse_label_selector(text: str) -> tuple[LabelRequirement, ...]:
    """Parse a labelSelector query value; an empty string selects everything.

    Raises:
        StatusError: 400 BadRequest, as the real server answers a malformed selector.
    """
    if not text.strip():
        return ()
    return tuple(_parse_label_term(part.strip()) for part in _split_top_level(text))


def _split_escaped(text: str, sep: str) -> list[str]:
    """Split on `sep` unless backslash-escaped (field selector values may escape `,` and `=`)."""
    parts, cur, escaped = [], [], False
    for ch in text:
        if escaped:
            cur.append("\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == sep:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


@dataclass(frozen=True)
class FieldRequirement:
    """One term of a field selector: `path op value` with op one of =, !=."""

    path: str
    op: str
    value: str

    def matches(self, obj: JSON) -> bool:
        return (_field_value(obj, self.path) == self.value) == (self.op == "=")


def _field_value(obj: JSON, path: str) -> str:
    cur: Any = obj
    for part in path.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    if cur is None:
        return _FIELD_DEFAULTS.get(path, "")
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


def parse_field_selector(text: str, rtype: ResourceType) -> tuple[FieldRequirement, ...]:
    """Parse a fieldSelector query value against the fields `rtype` supports.

    Raises:
        StatusError: 400 BadRequest for a malformed term or an unsupported field.
    """
    if not text.strip():
        return ()
    terms = []
    for term in _split_escaped(text, ","):
        match = re.fullmatch(r"\s*([^=!\s]+)\s*(==|=|!=)(.*)", term, re.DOTALL)
        if not match:
            raise bad_request(f"invalid selector: {text!r}; can't understand {term!r}")
        path, op, value = match.groups()
        if path not in rtype.field_selectors:
            if rtype.builtin:
                raise bad_request(f"field label not supported: {path}")
            allowed = ", ".join(f'"{p}"' for p in rtype.field_selectors)
            raise bad_request(f'"{path}" is not a known field selector: only {allowed}')
        terms.append(FieldRequirement(path, "!=" if op == "!=" else "=", _unescape(value)))
    return tuple(terms)


@dataclass(frozen=True)
class Selector:
    """A label and a field selector together; the empty Selector matches everything."""

    labels: tuple[LabelRequirement, ...] = ()
    fields: tuple[FieldRequirement, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.labels or self.fields)

    def matches(self, obj: JSON) -> bool:
        labels = (obj.get("metadata") or {}).get("labels")
        if not isinstance(labels, dict):
            labels = {}
        for requirement in self.labels:  # loops, not all(...): lists filter thousands of objects
            if not requirement.matches(labels):
                return False
        for field_requirement in self.fields:
            if not field_requirement.matches(obj):
                return False
        return True


def selector_from_query(query: Mapping[str, str], rtype: ResourceType) -> Selector:
    return Selector(
        parse_label_selector(query.get("labelSelector", "")),
        parse_field_selector(query.get("fieldSelector", ""), rtype),
    )
