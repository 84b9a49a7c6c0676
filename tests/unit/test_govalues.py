"""Go's value rules (kubectl_rollouts_py/govalues.py): durations, strconv.Atoi, IntOrString."""

from __future__ import annotations

import pytest

from kubectl_rollouts_py import govalues

DURATIONS = [
    ("0", 0),
    ("1s", 10**9),
    ("1h30m", 5400 * 10**9),
    ("1.5h", 5400 * 10**9),
    ("300ms", 300 * 10**6),
    ("-1.5s", -1500 * 10**6),
    ("+2m", 120 * 10**9),
    ("1µs", 1000),
    ("1μs", 1000),
    ("1us2ns", 1002),
    (".5s", 5 * 10**8),
    ("1.s", 10**9),
]


@pytest.mark.parametrize(("text", "nanos"), DURATIONS)
def test_parse_go_duration(text: str, nanos: int) -> None:
    assert govalues.parse_go_duration(text) == nanos


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", 'time: invalid duration ""'),
        ("1d", 'time: unknown unit "d" in duration "1d"'),
        ("1", 'time: missing unit in duration "1"'),
        ("1 h", 'time: unknown unit " h" in duration "1 h"'),
        ("1H", 'time: unknown unit "H" in duration "1H"'),
        ("??", 'time: invalid duration "??"'),
        (".s", 'time: invalid duration ".s"'),
        ("9999999999999999999h", 'time: invalid duration "9999999999999999999h"'),
        ("3000000h", 'time: invalid duration "3000000h"'),
        ("1é", 'time: unknown unit "\\xc3\\xa9" in duration "1\\xc3\\xa9"'),
    ],
)
def test_parse_go_duration_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        govalues.parse_go_duration(text)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("nanos", "text"),
    [(0, "0s"), (1, "1ns"), (1500, "1.5µs"), (300 * 10**6, "300ms"), (10**9, "1s"), (5400 * 10**9, "1h30m0s"),
     (-(61 * 10**9), "-1m1s"), (1500 * 10**6, "1.5s")],
)  # fmt: skip
def test_format_go_duration(nanos: int, text: str) -> None:
    assert govalues.format_go_duration(nanos) == text


def test_int_or_string() -> None:
    assert govalues.int_or_string(None, 4) == 4
    assert govalues.int_or_string(3, 4) == 3
    assert govalues.int_or_string("+3", 4) == 3
    assert govalues.int_or_string("-1", 4) == -1
    for junk in ("abc", "1.5", " 3", "", "3 ", True):
        assert govalues.int_or_string(junk, 4) == 0


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0", 0.0),
        ("+0", 0.0),
        ("-0", 0.0),
        ("0s", 0.0),
        ("10s", 10.0),
        ("5m", 300.0),
        ("1h30m", 5400.0),
        ("1.5h", 5400.0),
        ("300ms", 0.3),
        ("1ns", 1e-9),
        ("1us", 1e-6),
        ("1\u00b5s", 1e-6),  # micro sign
        ("1\u03bcs", 1e-6),  # Greek small letter mu
        (".5s", 0.5),
        ("5.s", 5.0),
        ("-1.5h", -5400.0),
        ("+2m", 120.0),
        ("2h45m30.5s", 9930.5),
        ("1h1h", 7200.0),  # Go adds repeated units
        ("1m1h", 3660.0),  # in any order
    ],
)
def test_duration_seconds_valid(text: str, seconds: float) -> None:
    assert govalues.duration_seconds(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text",
    [
        "",
        ".",
        "1",  # only "0" may omit the unit
        "1d",  # no days in Go
        "1w",
        "h",
        "+",
        "-",
        ".s",
        "1.5.5h",
        "1h 30m",
        " 1h",
        "1h ",
        "1e3s",
        "1hh",
        "1H",
        "one hour",
        "\u0661s",  # an Arabic-Indic digit is not an ASCII digit
        "2562048h",  # beyond Go's int64 nanoseconds (about 2562047h47m): "invalid duration"
    ],
)
def test_duration_seconds_invalid(text: str) -> None:
    assert govalues.duration_seconds(text) is None


def test_duration_seconds_follows_go_exact_arithmetic() -> None:
    # Go sums integer nanoseconds, so 4.1h is exactly 14760 s (a float sum gave 14759.999...),
    # and 2^63 ns does not fit in a time.Duration.
    assert govalues.duration_seconds("4.1h") == 14760.0
    assert govalues.duration_seconds("9223372036854775807ns") == pytest.approx(9223372036.854775807)
    assert govalues.duration_seconds("9223372036854775808ns") is None


def test_go_atoi() -> None:
    assert govalues.go_atoi("42") == 42
    assert govalues.go_atoi("-9223372036854775808") == -(2**63)
    for junk in ("", "+", "9223372036854775808", "1_000", "\u0661", " 1", "0x10"):
        assert govalues.go_atoi(junk) is None
    assert govalues.go_atoi("0" * 5000 + "7") == 7  # int() refuses 4300+ digits


def test_go_quote_is_strconv_quote() -> None:
    from kubectl_rollouts_py.govalues import go_quote

    assert go_quote('a"b\\c') == '"a\\"b\\\\c"'
    assert go_quote("\a\b\f\n\r\t\v") == '"\\a\\b\\f\\n\\r\\t\\v"'
    assert go_quote("\x01\x7f") == '"\\x01\\x7f"'
    assert go_quote("é 😀") == '"é 😀"'  # printable runes are kept
    assert go_quote("\u2028\u00a0\U000e0001") == '"\\u2028\\u00a0\\U000e0001"'


def test_go_json_kind_names_types_as_go_s_json_errors_do() -> None:
    from kubectl_rollouts_py.govalues import go_json_kind

    assert [go_json_kind(v) for v in (True, 1, 1.5, "x", [], {}, None)] == \
        ["bool", "number", "number", "string", "array", "object", "object"]
