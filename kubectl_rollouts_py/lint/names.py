"""Kubernetes' value rules: names, labels, ports, quantities and label selectors.

The messages are the API server's (k8s.io/apimachinery/pkg/util/validation and
pkg/api/resource), so an error here reads like the one `kubectl apply` would get.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from kubectl_rollouts_py.govalues import go_quote
from kubectl_rollouts_py.lint import fields as f
from kubectl_rollouts_py.lint.fields import FieldError

_QNAME_CHAR = "[A-Za-z0-9]"
_QNAME_EXT = "[-A-Za-z0-9_.]"
QUALIFIED_NAME_FMT = f"({_QNAME_CHAR}{_QNAME_EXT}*)?{_QNAME_CHAR}"
_QUALIFIED_NAME = re.compile(f"^{QUALIFIED_NAME_FMT}$")
LABEL_VALUE_FMT = f"({QUALIFIED_NAME_FMT})?"
_LABEL_VALUE = re.compile(f"^{LABEL_VALUE_FMT}$")
DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL = re.compile(f"^{DNS1123_LABEL_FMT}$")
DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL_FMT + r"(\." + DNS1123_LABEL_FMT + ")*"
_DNS1123_SUBDOMAIN = re.compile(f"^{DNS1123_SUBDOMAIN_FMT}$")
_PORT_NAME_CHARS = re.compile("^[-a-z0-9]+$")
_PORT_NAME_LETTER = re.compile("[a-z]")


def _regex_error(message: str, fmt: str, *examples: str) -> str:
    shown = ",  or ".join(f"'{e}'" for e in examples)
    return f"{message} (e.g. {shown}, regex used for validation is '{fmt}')"


def max_len(n: int) -> str:
    return f"must be no more than {n} characters"


def qualified_name(value: str) -> list[str]:
    """IsQualifiedName: `[prefix/]name`, prefix a DNS subdomain, name up to 63 characters."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + msg for msg in dns1123_subdomain(prefix))
    else:
        return [
            _regex_error(
                "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start "
                "and end with an alphanumeric character", QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc",
            )
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part " + max_len(63))
    if name and not _QUALIFIED_NAME.match(name):
        errs.append(
            "name part "
            + _regex_error(
                "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
                "alphanumeric character", QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc",
            )
        )
    return errs


def label_value(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(max_len(63))
    if not _LABEL_VALUE.match(value):
        errs.append(
            _regex_error(
                "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                "and must start and end with an alphanumeric character", LABEL_VALUE_FMT, "MyValue", "my_value", "12345",
            )
        )
    return errs


def dns1123_label(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(max_len(63))
    if not _DNS1123_LABEL.match(value):
        errs.append(
            _regex_error(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
                "start and end with an alphanumeric character", DNS1123_LABEL_FMT, "my-name", "123-abc",
            )
        )
    return errs


def dns1123_subdomain(value: str) -> list[str]:
    errs = []
    if len(value) > 253:
        errs.append(max_len(253))
    if not _DNS1123_SUBDOMAIN.match(value):
        errs.append(
            _regex_error(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                "and must start and end with an alphanumeric character", DNS1123_SUBDOMAIN_FMT, "example.com",
            )
        )
    return errs


def port_number(port: int) -> list[str]:
    return [] if 1 <= port <= 65535 else ["must be between 1 and 65535, inclusive"]


def port_name(port: str) -> list[str]:
    """IsValidPortName: an IANA service name."""
    errs = []
    if len(port) > 15:
        errs.append(max_len(15))
    if not _PORT_NAME_CHARS.match(port):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _PORT_NAME_LETTER.search(port):
        errs.append("must contain at least one letter (a-z)")
    if "--" in port:
        errs.append("must not contain consecutive hyphens")
    if port and (port[0] == "-" or port[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def port_num_or_name(value: Any, path: str) -> list[FieldError]:
    """ValidatePortNumOrName: an IntOrString port (a probe's or a Service's targetPort)."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int):
        return [f.invalid(path, value, msg) for msg in port_number(value)]
    if isinstance(value, str):
        if not value:
            return [f.required(path)]
        return [f.invalid(path, value, msg) for msg in port_name(value)]
    return []


def labels(values: Any, path: str) -> list[FieldError]:
    """ValidateLabels: every key a qualified name, every value a label value."""
    errs: list[FieldError] = []
    if not isinstance(values, Mapping):
        return errs
    for name, value in values.items():
        errs.extend(f.invalid(path, name, msg) for msg in qualified_name(str(name)))
        if isinstance(value, str):
            errs.extend(f.invalid(path, value, msg) for msg in label_value(value))
    return errs


# ------------------------------------------------------------------------- quantities

QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
QUANTITY_NUMERIC_ERROR = "unable to parse numeric part of quantity"
QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix"
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000), "": Fraction(1),
            "k": Fraction(10**3), "M": Fraction(10**6), "G": Fraction(10**9), "T": Fraction(10**12),
            "P": Fraction(10**15), "E": Fraction(10**18)}
_SUFFIX_CHARS = set("eEinumkKMGTP")
_MAX_EXPONENT = 1000  # Kubernetes caps scales far lower; this only keeps Fraction small


def parse_quantity(text: str) -> Fraction:
    """resource.ParseQuantity: `128Mi`, `0.5`, `500m`, `1e3` -> the exact value.

    Raises:
        ValueError: with the API's message (for `12x`, the regular expression one).
    """
    if not text:
        raise ValueError(QUANTITY_FORMAT_ERROR)
    pos, end = 0, len(text)
    if text[0] in "+-":
        pos = 1
    start = pos
    while pos < end and text[pos].isdigit() and text[pos].isascii():
        pos += 1
    whole = text[start:pos]
    frac = ""
    if pos < end and text[pos] == ".":
        pos += 1
        fstart = pos
        while pos < end and text[pos].isdigit() and text[pos].isascii():
            pos += 1
        frac = text[fstart:pos]
    if not whole and not frac:
        raise ValueError(QUANTITY_FORMAT_ERROR)
    suffix_start = pos
    while pos < end and text[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos].isdigit() and text[pos].isascii():
        pos += 1
    if pos != end:
        raise ValueError(QUANTITY_FORMAT_ERROR)
    suffix = text[suffix_start:]
    number = Fraction(int(whole or "0")) + (Fraction(int(frac), 10 ** len(frac)) if frac else 0)
    if text[0] == "-":
        number = -number
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    if len(suffix) > 1 and suffix[0] in "eE":
        digits = suffix[1:]
        sign = 1
        if digits[:1] in ("+", "-"):
            sign = -1 if digits[0] == "-" else 1
            digits = digits[1:]
        if digits.isdigit() and digits.isascii() and int(digits) <= _MAX_EXPONENT:
            exponent = sign * int(digits)
            return number * (Fraction(10) ** exponent)
    raise ValueError(QUANTITY_SUFFIX_ERROR)


def quantity_of(value: Any) -> Fraction | None:
    """A decoded quantity (string or number), or None if it does not parse."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        if isinstance(value, (int, float)):
            return Fraction(value)
        if isinstance(value, str):
            return parse_quantity(value.strip())
    except (ValueError, OverflowError):
        return None
    return None


# ------------------------------------------------------------------------- label selectors

_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def validate_label_selector(selector: Any, path: str) -> list[FieldError]:
    """ValidateLabelSelector: match labels valid, expressions with a valid operator and values."""
    errs: list[FieldError] = []
    if not isinstance(selector, Mapping):
        return errs
    for i, req in enumerate(selector.get("matchExpressions") or []):
        if not isinstance(req, Mapping):
            continue
        rpath = f.index(f.child(path, "matchExpressions"), i)
        op = req.get("operator")
        values = req.get("values") or []
        if op in ("In", "NotIn"):
            if not values:
                errs.append(f.required(f.child(rpath, "values"), "must be specified when `operator` is 'In' or 'NotIn'"))
        elif op in ("Exists", "DoesNotExist"):
            if values:
                errs.append(f.forbidden(f.child(rpath, "values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
        else:
            errs.append(f.invalid(f.child(rpath, "operator"), op or "", "not a valid selector operator"))
        errs.extend(f.invalid(f.child(rpath, "key"), req.get("key") or "", msg) for msg in qualified_name(str(req.get("key") or "")))
    errs.extend(labels(selector.get("matchLabels"), f.child(path, "matchLabels")))
    return errs


def selector_error(selector: Any) -> str | None:
    """Why LabelSelectorAsSelector would refuse this selector, or None."""
    if not isinstance(selector, Mapping):
        return None
    for req in selector.get("matchExpressions") or []:
        if not isinstance(req, Mapping):
            continue
        op = req.get("operator")
        if op not in _OPERATORS:
            return f'"{op}" is not a valid label selector operator'
        if op in ("In", "NotIn") and not req.get("values"):
            return "for 'in', 'notin' operators, values set can't be empty"
    return None


def selector_is_empty(selector: Any) -> bool:
    return not isinstance(selector, Mapping) or not (selector.get("matchLabels") or selector.get("matchExpressions"))


def selector_matches(selector: Any, label_set: Mapping[str, Any] | None) -> bool:
    """Whether a (valid) LabelSelector selects these labels."""
    found = {str(k): str(v) for k, v in (label_set or {}).items()}
    if not isinstance(selector, Mapping):
        return False
    for name, value in (selector.get("matchLabels") or {}).items():
        if found.get(str(name)) != str(value):
            return False
    for req in selector.get("matchExpressions") or []:
        if not isinstance(req, Mapping):
            return False
        name, op, values = str(req.get("key")), req.get("operator"), [str(v) for v in req.get("values") or []]
        if op == "In" and found.get(name) not in values:
            return False
        if op == "NotIn" and name in found and found[name] in values:
            return False
        if op == "Exists" and name not in found:
            return False
        if op == "DoesNotExist" and name in found:
            return False
    return True


def go_label_selector(selector: Any) -> f.GoText:
    """Go's %#v of a v1.LabelSelector, as field errors print a selector."""
    if not isinstance(selector, Mapping):
        return f.GoText("null")
    match = selector.get("matchLabels")
    shown_labels = f.go_string_map(match) if isinstance(match, Mapping) else f.GoText("map[string]string(nil)")
    reqs = selector.get("matchExpressions")
    if reqs:
        parts = []
        for req in reqs:
            req = req if isinstance(req, Mapping) else {}
            values = req.get("values")
            shown_values = ("[]string{" + ", ".join(go_quote(str(v)) for v in values) + "}") if values else "[]string(nil)"
            parts.append(
                f'v1.LabelSelectorRequirement{{Key:{go_quote(str(req.get("key") or ""))}, '
                f'Operator:{go_quote(str(req.get("operator") or ""))}, Values:{shown_values}}}'
            )
        shown_reqs = "[]v1.LabelSelectorRequirement{" + ", ".join(parts) + "}"
    else:
        shown_reqs = "[]v1.LabelSelectorRequirement(nil)"
    return f.GoText(f"v1.LabelSelector{{MatchLabels:{shown_labels}, MatchExpressions:{shown_reqs}}}")
