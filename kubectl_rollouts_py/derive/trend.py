"""The scale of a metric's trend: the sparkline of `get rollout` and `get analysisrun`, and
the dashboard's chart.

The scale comes from the metric, not from the spread of its latest values, so that a steady
metric draws flat and a failing one sits visibly below its threshold:

* the thresholds are the constants the successCondition and failureCondition compare the
  measured value with (`result[0] >= 0.95`, `isNaN(result[0]) || result[0] >= 0.95` and
  `0.95 <= result[0]` all give 0.95), read from the conditions' syntax tree (the plain
  `result[0] >= 0.95` without it);
* a ratio (every value and every threshold within 0..1, with at least one threshold) is
  drawn on 0..1;
* anything else on a range holding the thresholds and the values, anchored at 0 when they
  all have the same sign (`result < 500` with values near 480 draws near the top, not as
  a jagged line), with a margin of a tenth of the span on each side not anchored at 0.
  Without a threshold that is a range from 0 for non-negative values.

Pure: text and numbers in, a TrendScale out.
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Iterable

from kubectl_rollouts_py._frozen import frozen
from kubectl_rollouts_py.derive.views import TrendScale

MARGIN = 0.1  # of the span, on each side that is not anchored at 0
RATIO = TrendScale(0.0, 1.0)
_COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
_CONVERSIONS = ("asFloat", "asInt", "float", "int", "abs")


def trend_scale(values: Iterable[float], success_condition: str = "", failure_condition: str = "") -> TrendScale:
    """The scale to draw `values` on, from the metric's conditions and the values."""
    thresholds = sorted({*condition_thresholds(success_condition), *condition_thresholds(failure_condition)})
    return scale_for(values, thresholds)


def scale_for(values: Iterable[float], thresholds: Iterable[float] = ()) -> TrendScale:
    """0..1 for a ratio; else the thresholds and values, anchored at 0, with a margin."""
    limits = tuple(t for t in thresholds if math.isfinite(t))
    marks = [v for v in values if math.isfinite(v)] + list(limits)
    if not marks:
        return TrendScale(RATIO.low, RATIO.high, limits)
    if limits and all(0.0 <= m <= 1.0 for m in marks):
        return TrendScale(RATIO.low, RATIO.high, limits)
    low, high = min(marks), max(marks)
    anchored_low, anchored_high = low >= 0.0, high <= 0.0
    if anchored_low:
        low = 0.0
    if anchored_high:
        high = 0.0
    if low == high:  # every mark is 0
        return TrendScale(RATIO.low, RATIO.high, limits)
    # Halved before subtracting: the span of -1e308 and 1e308 overflows to inf.
    margin = (high / 2 - low / 2) * 2 * MARGIN
    if not anchored_low:
        low = max(low - margin, -sys.float_info.max)
    if not anchored_high:
        high = min(high + margin, sys.float_info.max)
    return TrendScale(low, high, limits)


@frozen
class Threshold:
    """One comparison of the measured value with a number, the value on the left:
    `0.95 <= result[0]` is Threshold(">=", 0.95, "result[0]").

    subject: the value as written, canonically (`result`, `result[0]`, `result.p99`, `#`,
    `asFloat(result[0])`): callers that accept only some forms check it.
    """

    op: str
    value: float
    subject: str


_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def threshold_of(node: object) -> Threshold | None:
    """A condition's syntax-tree node (analysis.expr.parser) as a Threshold: a comparison
    (<, <=, >, >=, ==, !=) with the measured value on one side and a finite number (signs
    allowed) on the other; None for anything else."""
    from kubectl_rollouts_py.analysis.expr import parser

    if not isinstance(node, parser.Binary) or node.op not in _COMPARISONS:
        return None
    subject, constant = subject_of(node.left), _constant(node.right)
    if subject is not None and constant is not None:
        return Threshold(node.op, constant, subject)
    subject, constant = subject_of(node.right), _constant(node.left)
    if subject is not None and constant is not None:
        return Threshold(_FLIPPED[node.op], constant, subject)
    return None


def condition_thresholds(condition: str) -> tuple[float, ...]:
    """The constants a condition compares the measured value with, smallest first.

    A comparison counts when one side is the value (`result`, `result[0]`, `result.p99`,
    `#` inside a closure, or any of these through asFloat/asInt/float/int/abs) and the other
    a number (threshold_of). A condition that does not parse has none.
    """
    return tuple(sorted({t.value for t in condition_comparisons(condition)}))


def condition_comparisons(condition: str) -> tuple[Threshold, ...]:
    """Every comparison of the measured value with a number in a condition (threshold_of),
    each once, in the order written; () for a condition that does not parse."""
    return _comparisons(condition.strip()) if condition.strip() else ()


@functools.lru_cache(maxsize=256)
def _comparisons(condition: str) -> tuple[Threshold, ...]:
    simple = _simple_comparison(condition)
    return simple if simple is not None else _parsed_comparisons(condition)


def _simple_comparison(condition: str) -> tuple[Threshold, ...] | None:
    """The commonest condition, `result[0] >= 0.95` (`result` or `result[N]`, a comparison, an
    unsigned decimal number, single spaces between), read without the expression parser
    (which costs a few milliseconds to import); None for anything else. Its Threshold is the
    one the syntax tree gives (tests/unit/test_trend_fast_path.py checks that)."""
    words = condition.split(" ")
    if len(words) != 3 or words[1] not in _COMPARISONS:
        return None
    subject, op, number = words
    if subject != "result":
        index = subject[7:-1] if subject.startswith("result[") and subject.endswith("]") else ""
        if not _canonical_digits(index, 9):
            return None
    whole, dot, fraction = number.partition(".")
    if not _canonical_digits(whole, 15) or (dot and not (fraction.isdigit() and fraction.isascii() and len(fraction) <= 15)):
        return None
    return (Threshold(op, float(number), subject),)


def _canonical_digits(text: str, most: int) -> bool:
    """ASCII decimal digits without a leading zero (but "0"), at most `most` of them."""
    return text.isascii() and text.isdigit() and len(text) <= most and (text == "0" or text[0] != "0")


def _parsed_comparisons(condition: str) -> tuple[Threshold, ...]:
    # Imported here: the parser is needed only for a condition _simple_comparison does not
    # read, not to start `get rollout`.
    from kubectl_rollouts_py.analysis.expr import parser
    from kubectl_rollouts_py.analysis.expr.base import DEFAULT_LIMITS, ConditionError

    try:
        tree = parser.parse(condition, DEFAULT_LIMITS)
    except (ConditionError, RecursionError):
        return ()
    found: list[Threshold] = []
    stack: list[parser.Node] = [tree]
    while stack:
        node = stack.pop()
        stack.extend(reversed(parser.children(node)))
        threshold = threshold_of(node)
        if threshold is not None and threshold not in found:
            found.append(threshold)
    return tuple(found)


def subject_of(node: object) -> str | None:
    """The measured value as written (see Threshold), or None if `node` is not it."""
    from kubectl_rollouts_py.analysis.expr import parser

    if isinstance(node, parser.Ident):
        return "result" if node.name == "result" else None
    if isinstance(node, parser.Pointer):
        return "#" if node.name == "" else None
    if isinstance(node, parser.Member) and isinstance(node.prop, (parser.Int, parser.Str)):
        inner = subject_of(node.node)
        if inner is None:
            return None
        return f"{inner}[{node.prop.value}]" if isinstance(node.prop, parser.Int) else f"{inner}.{node.prop.value}"
    name: str | None = None
    args: tuple[parser.Node, ...] = ()
    if isinstance(node, parser.Call) and isinstance(node.callee, parser.Ident):
        name, args = node.callee.name, node.args
    elif isinstance(node, parser.Builtin):
        name, args = node.name, node.args
    if name in _CONVERSIONS and len(args) == 1:
        inner = subject_of(args[0])
        return f"{name}({inner})" if inner is not None else None
    return None


def _constant(node: object) -> float | None:
    from kubectl_rollouts_py.analysis.expr import parser

    sign = 1.0
    while isinstance(node, parser.Unary) and node.op in ("-", "+"):
        sign = -sign if node.op == "-" else sign
        node = node.node
    if not isinstance(node, (parser.Int, parser.Float)) or isinstance(node.value, bool):
        return None
    try:
        number = sign * float(node.value)
    except OverflowError:  # an integer literal beyond float64
        return None
    return number if math.isfinite(number) else None
