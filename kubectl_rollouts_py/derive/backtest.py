"""Backtests, the pure parts: times, the window schedule, scoring against incidents, and
threshold suggestions.

`analyze --backtest` (ops.backtest) replays an AnalysisTemplate as if its AnalysisRun had
started at each window start; this module decides where the windows are, which of them
lie in a known incident, how the verdicts score, and which constants of a one-comparison
condition would have told the incidents from the rest. Nothing here reads a clock, the
network or the template's rules: the verdicts come from the evaluator (analysis.evaluate),
and `now` is passed in.

Scoring: a window "covers" an incident when the data it looks at (from its start, less the
query's longest range selector, to its last measurement) overlaps the incident. An incident
is caught when a window covering it Failed, missed when none did; a false alarm is a Failed
window that covers no incident. A window that covers an incident and passes is neither:
it may have seen only the incident's edge.

Threshold suggestions model a metric whose condition is one comparison of the measured
number with a constant (optionally OR-ed with an isNaN guard): a measurement fails when the
comparison says so, a window fails when more than failureLimit measurements fail. That is
exactly Argo's rule for such a metric (no inconclusive outcome is possible with one
condition; Error measurements count toward no failure).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from kubectl_rollouts_py import govalues

UTC = dt.timezone.utc

# ------------------------------------------------------------------------------ times

_RELATIVE = re.compile(r"(?:now)?\s*([+-])\s*((?:\d+(?:\.\d*)?[a-zµ]+)+)\Z")
_DAYS = re.compile(r"(\d+(?:\.\d*)?)([dw])")


def parse_duration(text: str) -> dt.timedelta:
    """A Go duration (`1h30m`, `90s`) that may also count days (`d`) and weeks (`w`).

    Raises:
        ValueError: the text says why.
    """
    text = text.strip()
    extra = dt.timedelta()

    def days(match: re.Match[str]) -> str:
        nonlocal extra
        extra += dt.timedelta(days=float(match[1]) * (7 if match[2] == "w" else 1))
        return ""

    rest = _DAYS.sub(days, text)
    if not text:
        raise ValueError("empty duration")
    nanos = govalues.parse_go_duration(rest) if rest else 0
    return extra + dt.timedelta(microseconds=nanos / 1000)


def parse_time(text: str, now: dt.datetime) -> dt.datetime:
    """RFC 3339 (`2026-12-01T10:00:00Z`), `now`, or relative to now (`-14d`, `-2h`, `now-90m`).

    Raises:
        ValueError: the text says what is accepted.
    """
    raw = text.strip()
    if raw == "now":
        return now
    relative = _RELATIVE.match(raw)
    if relative:
        try:
            delta = parse_duration(relative[2])
        except ValueError as exc:
            raise ValueError(f"{text!r}: {exc}") from None
        return now - delta if relative[1] == "-" else now + delta
    try:
        moment = dt.datetime.fromisoformat(raw.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or "T" not in raw.upper() or moment.tzinfo is None:
        raise ValueError(f"{text!r} is not a time: use RFC 3339 (2026-12-01T10:00:00Z), now, or a time before now (-14d, -2h, now-90m)")
    return moment.astimezone(UTC)


def rfc3339(moment: dt.datetime) -> str:
    """UTC, whole seconds unless the time has a fraction (then milliseconds)."""
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def duration_text(delta: dt.timedelta) -> str:
    """`20m`, `1h30m`, `14d`, `1.5s`: the shortest way to say a duration."""
    total = delta.total_seconds()
    if total == 0:
        return "0s"
    sign = "-" if total < 0 else ""
    seconds = abs(total)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            whole = int(seconds // size)
            parts.append(f"{whole}{unit}")
            seconds -= whole * size
    if seconds or not parts:
        parts.append(f"{seconds:g}s")
    return sign + "".join(parts)


@dataclass(frozen=True)
class Incident:
    """A time that windows should fail in: [start, end)."""

    start: dt.datetime
    end: dt.datetime

    @property
    def label(self) -> str:
        return f"{rfc3339(self.start)}/{rfc3339(self.end)}"


def parse_incident(text: str, now: dt.datetime) -> Incident:
    """`FROM/TO`, each a time `parse_time` reads.

    Raises:
        ValueError: the text says why.
    """
    if text.count("/") != 1:
        raise ValueError(f"{text!r}: use FROM/TO, e.g. 2026-12-01T10:00:00Z/2026-12-01T11:00:00Z or -3h/-2h")
    first, second = text.split("/")
    start, end = parse_time(first, now), parse_time(second, now)
    if end <= start:
        raise ValueError(f"{text!r}: it ends ({rfc3339(end)}) before it starts ({rfc3339(start)})")
    return Incident(start, end)


# ------------------------------------------------------------------------------ the schedule


def window_starts(start: dt.datetime, end: dt.datetime, step: dt.timedelta) -> list[dt.datetime]:
    """Every window start from `start` to `end` (both included when on the step)."""
    if step <= dt.timedelta(0):
        raise ValueError("the step must be positive")
    if end < start:
        raise ValueError("the start is after the end")
    count = int((end - start) / step) + 1
    return [start + i * step for i in range(count)]


def count_windows(start: dt.datetime, end: dt.datetime, step: dt.timedelta) -> int:
    """How many windows `window_starts` gives, without building them."""
    return int((end - start) / step) + 1


@dataclass(frozen=True)
class MetricPlan:
    """When a metric measures, counted from a window's start, if nothing errors."""

    name: str
    offsets: tuple[dt.timedelta, ...]
    lookback: dt.timedelta = dt.timedelta(0)
    """The longest range selector of its query (`[5m]`): data that old counts at the first measurement."""


DEFAULT_INTERVAL = dt.timedelta(seconds=10)  # Argo measures again after this without an interval


def measurement_offsets(
    *, initial_delay: dt.timedelta, interval: dt.timedelta | None, count: int | None, window: dt.timedelta | None
) -> tuple[dt.timedelta, ...]:
    """The offsets of a metric's measurements: initialDelay, then every interval, `count`
    times; without a count, every interval until the window ends (a measurement due at
    its end is not taken: the run is terminated then). `count` is Argo's effective count
    (None: indefinite)."""
    every = interval if interval is not None and interval > dt.timedelta(0) else DEFAULT_INTERVAL
    if count is not None:
        offsets = [initial_delay + i * every for i in range(count)]
        return tuple(o for o in offsets if window is None or o < window)
    if window is None:
        raise ValueError("a metric without count needs a window")
    out = []
    at = initial_delay
    while at < window:
        out.append(at)
        at += every
    return tuple(out)


_RANGE_SELECTOR = re.compile(r"\[\s*((?:\d+(?:\.\d+)?(?:ms|[smhdwy]))+)\s*(?::[^\]]*)?\]")


def longest_range_selector(query: str) -> dt.timedelta:
    """The longest `[5m]` / `[1h:1m]` in a PromQL text (0 if none): how far back a measurement looks."""
    longest = dt.timedelta(0)
    for match in _RANGE_SELECTOR.finditer(query):
        text = match[1]
        years = 0.0
        if "y" in text:
            head, _, text = text.partition("y")
            years = float(head)
        try:
            span = parse_duration(text) if text else dt.timedelta(0)
        except ValueError:
            continue
        longest = max(longest, span + dt.timedelta(days=365 * years))
    return longest


def window_span(start: dt.datetime, metrics: Sequence[MetricPlan]) -> tuple[dt.datetime, dt.datetime]:
    """The data a window looks at: from its start (less the longest lookback) to its last measurement."""
    lookback = max((m.lookback for m in metrics), default=dt.timedelta(0))
    last = max((o for m in metrics for o in m.offsets), default=dt.timedelta(0))
    first = min((o for m in metrics for o in m.offsets), default=dt.timedelta(0))
    return start + first - lookback, start + max(last, first)


def covered(span: tuple[dt.datetime, dt.datetime], incidents: Sequence[Incident]) -> tuple[int, ...]:
    """Indexes of the incidents a window's span overlaps (a span ending as one starts does not)."""
    begin, end = span
    return tuple(i for i, inc in enumerate(incidents) if begin < inc.end and end > inc.start)


# ------------------------------------------------------------------------------ scoring


@dataclass(frozen=True)
class Score:
    """How a set of verdicts (one per window: failed or not) meets the incidents."""

    caught: tuple[int, ...]
    missed: tuple[int, ...]
    false_alarms: tuple[int, ...]  # window indexes


def score(failed: Sequence[bool], covers: Sequence[tuple[int, ...]], incident_count: int) -> Score:
    caught = sorted({i for f, cov in zip(failed, covers) if f for i in cov})
    missed = [i for i in range(incident_count) if i not in caught]
    alarms = [w for w, (f, cov) in enumerate(zip(failed, covers)) if f and not cov]
    return Score(tuple(caught), tuple(missed), tuple(alarms))


# ------------------------------------------------------------------------------ thresholds


@dataclass(frozen=True)
class Comparison:
    """A condition that is one comparison of the measured number with a constant.

    `op` is normalised so the number is on the left (`0.95 <= result[0]` is `>=`);
    `on_failure`: it is the failureCondition (a true comparison fails the measurement);
    `nan_guard`: OR-ed with `isNaN(...)`, so NaN makes the condition true.
    """

    op: str
    constant: float
    on_failure: bool = False
    nan_guard: bool = False
    subject: str = "result[0]"

    def text(self, constant: float | None = None) -> str:
        shown = format_number(self.constant if constant is None else constant)
        core = f"{self.subject} {self.op} {shown}"
        return f"isNaN({self.subject}) || {core}" if self.nan_guard else core

    @property
    def rising(self) -> bool:
        """More measurements fail as the constant grows."""
        return (self.op in (">", ">=")) != self.on_failure

    def fails(self, value: float, constant: float) -> bool:
        """Whether one measurement of `value` fails with this constant."""
        if math.isnan(value):
            holds = self.nan_guard
        else:
            holds = {">": value > constant, ">=": value >= constant, "<": value < constant, "<=": value <= constant}[self.op]
        return holds if self.on_failure else not holds


@dataclass(frozen=True)
class Bound:
    value: float
    inclusive: bool


@dataclass(frozen=True)
class Range:
    """The constants (for one failureLimit) that catch every incident with no false alarm.

    `low`/`high` None: unbounded on that side."""

    failure_limit: int
    low: Bound | None
    high: Bound | None

    def contains(self, constant: float) -> bool:
        if self.low is not None and (constant < self.low.value or (constant == self.low.value and not self.low.inclusive)):
            return False
        if self.high is not None and (constant > self.high.value or (constant == self.high.value and not self.high.inclusive)):
            return False
        return True

    def text(self) -> str:
        """`(0.6, 0.99]`; bounds that 6 significant digits would show alike are shown in full."""
        shown: Callable[[float], str] = format_number
        if self.low is not None and self.high is not None and self.low.value != self.high.value:
            if format_number(self.low.value) == format_number(self.high.value):
                shown = repr
        low = "(-inf" if self.low is None else ("[" if self.low.inclusive else "(") + shown(self.low.value)
        high = "+inf)" if self.high is None else shown(self.high.value) + ("]" if self.high.inclusive else ")")
        return f"{low}, {high}"


@dataclass(frozen=True)
class TradeOff:
    failure_limit: int
    constant: float
    caught: int
    missed: int
    false_alarms: int


@dataclass(frozen=True)
class Suggestion:
    """What the backtest says about a metric's constant and failureLimit."""

    metric: str
    comparison: Comparison | None
    failure_limit: int
    reason: str = ""  # why nothing is suggested (too complex, no incidents, no data)
    ranges: tuple[Range, ...] = ()
    tradeoffs: tuple[TradeOff, ...] = ()
    current_ok: bool = False  # the template's own constant and limit are in a range


# A window's failing constants: everything, nothing, or a half-line from a bound.
_ALL, _NONE = "all", "none"


@dataclass(frozen=True)
class _FailSet:
    kind: str  # "all", "none", "half"
    bound: Bound | None = None  # for "half": c above (rising) or below (falling) the bound


def _fail_set(cmp: Comparison, values: Sequence[float | None], limit: int) -> _FailSet:
    """The constants with which more than `limit` of these measurements fail."""
    numbers = [v for v in values if v is not None]
    always = sum(1 for v in numbers if math.isnan(v) and cmp.fails(v, 0.0))
    finite = sorted(v for v in numbers if not math.isnan(v))
    needed = limit + 1 - always
    if needed <= 0:
        return _FailSet(_ALL)
    if needed > len(finite):
        return _FailSet(_NONE)
    if cmp.rising:
        # fails iff c > v (op >= on success / < on failure) or c >= v (op > / <=): the needed-th smallest
        pivot = finite[needed - 1]
        strict_at_value = not cmp.fails(pivot, pivot)
        return _FailSet("half", Bound(pivot, not strict_at_value))
    pivot = finite[-needed]
    strict_at_value = not cmp.fails(pivot, pivot)
    return _FailSet("half", Bound(pivot, not strict_at_value))


def _window_fails(cmp: Comparison, fail: _FailSet, constant: float) -> bool:
    if fail.kind != "half":
        return fail.kind == _ALL
    assert fail.bound is not None
    b = fail.bound
    if cmp.rising:
        return constant > b.value or (b.inclusive and constant == b.value)
    return constant < b.value or (b.inclusive and constant == b.value)


def _range_for(cmp: Comparison, sets: Sequence[_FailSet], covers: Sequence[tuple[int, ...]], incident_count: int, limit: int) -> Range | None:
    """The interval of constants that catches every incident and raises no false alarm, or None."""
    low: Bound | None = None  # for a rising comparison: the lower end (catch), else the upper end
    high: Bound | None = None
    for incident in range(incident_count):
        mine = [s for s, cov in zip(sets, covers) if incident in cov]
        if any(s.kind == _ALL for s in mine):
            continue
        halves = [s.bound for s in mine if s.kind == "half" and s.bound is not None]
        if not halves:
            return None
        # the union of half-lines: the most permissive bound
        loosest = (min if cmp.rising else max)(halves, key=lambda b: (b.value, not b.inclusive) if cmp.rising else (b.value, b.inclusive))
        low = _stricter(low, loosest, rising=cmp.rising)
    for s, cov in zip(sets, covers):
        if cov:
            continue
        if s.kind == _ALL:
            return None
        if s.kind == _NONE or s.bound is None:
            continue
        # not failing: the other side of the bound, with the opposite inclusiveness
        edge = Bound(s.bound.value, not s.bound.inclusive)
        high = _stricter_edge(high, edge, rising=cmp.rising)
    lower, upper = (low, high) if cmp.rising else (high, low)
    if lower is not None and upper is not None:
        if lower.value > upper.value or (lower.value == upper.value and not (lower.inclusive and upper.inclusive)):
            return None
    return Range(limit, lower, upper)


def _stricter(current: Bound | None, new: Bound, *, rising: bool) -> Bound:
    """Intersect catch-side half-lines: rising wants c above both, falling below both."""
    if current is None:
        return new
    if new.value == current.value:
        return Bound(new.value, new.inclusive and current.inclusive)
    if rising:
        return new if new.value > current.value else current
    return new if new.value < current.value else current


def _stricter_edge(current: Bound | None, new: Bound, *, rising: bool) -> Bound:
    """Intersect no-false-alarm half-lines: rising wants c below both, falling above both."""
    if current is None:
        return new
    if new.value == current.value:
        return Bound(new.value, new.inclusive and current.inclusive)
    if rising:
        return new if new.value < current.value else current
    return new if new.value > current.value else current


def suggest(
    metric: str,
    cmp: Comparison | None,
    failure_limit: int,
    values: Sequence[Sequence[float | None]],
    covers: Sequence[tuple[int, ...]],
    incident_count: int,
    *,
    reason: str = "",
    max_tradeoffs: int = 8,
) -> Suggestion:
    """Ranges of constants per failureLimit that separate the incidents from the rest.

    `values[w]` holds the metric's measured numbers in window w at every planned instant
    (None: no number, an Error measurement). With no range for any failureLimit, the
    trade-off table: for each failureLimit, the constants on the best frontier of
    (incidents caught, false alarms)."""
    if cmp is None:
        return Suggestion(metric, None, failure_limit, reason=reason or "the condition is too complex to tune")
    if incident_count == 0:
        return Suggestion(metric, cmp, failure_limit, reason="no --incident given: nothing to tell apart")
    most = max((len(v) for v in values), default=0)
    if most == 0:
        return Suggestion(metric, cmp, failure_limit, reason="no measurements")
    ranges = []
    all_sets = []
    for limit in range(0, most):
        sets = [_fail_set(cmp, v, limit) for v in values]
        all_sets.append(sets)
        found = _range_for(cmp, sets, covers, incident_count, limit)
        if found is not None:
            ranges.append(found)
    current = any(r.failure_limit == failure_limit and r.contains(cmp.constant) for r in ranges)
    tradeoffs: list[TradeOff] = []
    if not ranges:
        tradeoffs = _tradeoffs(cmp, all_sets, covers, incident_count, max_tradeoffs)
    return Suggestion(metric, cmp, failure_limit, ranges=tuple(ranges), tradeoffs=tuple(tradeoffs), current_ok=current)


def _candidates(cmp: Comparison, sets: Sequence[_FailSet]) -> list[float]:
    """Constants at which the verdicts change, and one beyond each (verdicts are constant between)."""
    points = sorted({s.bound.value for s in sets if s.bound is not None and math.isfinite(s.bound.value)})
    out: list[float] = []
    for i, p in enumerate(points):
        out.append(p)
        nxt = points[i + 1] if i + 1 < len(points) else p + max(abs(p) * 0.01, 1e-9)
        out.append((p + nxt) / 2)
    if points:
        out.append(points[0] - max(abs(points[0]) * 0.01, 1e-9))
    return out


def _tradeoffs(
    cmp: Comparison, all_sets: Sequence[Sequence[_FailSet]], covers: Sequence[tuple[int, ...]], incident_count: int, keep: int
) -> list[TradeOff]:
    rows: list[TradeOff] = []
    for limit, sets in enumerate(all_sets):
        for c in _candidates(cmp, sets):
            verdict = score([_window_fails(cmp, s, c) for s in sets], covers, incident_count)
            rows.append(TradeOff(limit, c, len(verdict.caught), len(verdict.missed), len(verdict.false_alarms)))
    # the frontier: for each number of incidents caught, the fewest false alarms (then the
    # template's own limit, then the constant nearest the template's)
    best: dict[int, TradeOff] = {}
    for row in sorted(rows, key=lambda r: (r.false_alarms, abs(r.failure_limit), abs(r.constant - cmp.constant))):
        if row.caught not in best:
            best[row.caught] = row
    frontier = sorted(best.values(), key=lambda r: (-r.caught, r.false_alarms))
    pruned: list[TradeOff] = []
    for row in frontier:
        if pruned and row.false_alarms >= pruned[-1].false_alarms:
            continue  # catches fewer for no fewer false alarms
        pruned.append(row)
    return pruned[:keep]


# ------------------------------------------------------------------------------ numbers and sparklines


def format_number(value: float) -> str:
    """Up to 6 significant digits, no exponent for ordinary ratios and counts."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    text = f"{value:.6g}"
    return text


def numbers_of(value: str) -> list[float]:
    """The numbers of a measurement's value (`0.5`, `[0.5,NaN]`, `[]`)."""
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            out.append(float(part))
        except ValueError:
            continue
    return out


@dataclass(frozen=True)
class Scale:
    """The range a metric's sparklines span, the same for every row (render.backtest draws
    them, with the threshold between the 4th and 5th of eight bar heights)."""

    low: float
    high: float
    threshold: float | None = None


def scale_for(values: Iterable[float], threshold: float | None) -> Scale:
    """The trend scale `get rollout` and `get analysisrun` draw a metric on (derive.trend:
    0..1 for a ratio, else anchored at 0 with a margin, so a steady metric draws flat), over
    the whole backtest's values and the threshold."""
    from kubectl_rollouts_py.derive import trend

    scale = trend.scale_for(values, () if threshold is None else (threshold,))
    return Scale(scale.low, scale.high, threshold)


# ------------------------------------------------------------------------------ the window list


PHASES = ("Successful", "Failed", "Inconclusive", "Error")
_SEVERITY = {"Successful": 0, "Inconclusive": 1, "Error": 2, "Failed": 3}


def overall_phase(phases: Iterable[str]) -> str:
    """The worst window phase in Argo's order (Failed, then Error, then Inconclusive)."""
    worst = "Successful"
    for phase in phases:
        if _SEVERITY.get(phase, 2) > _SEVERITY[worst]:
            worst = phase if phase in _SEVERITY else "Error"
    return worst


@dataclass
class Tally:
    counts: dict[str, int] = field(default_factory=lambda: {p: 0 for p in PHASES})

    def add(self, phase: str) -> None:
        key = phase if phase in self.counts else "Error"
        self.counts[key] += 1
