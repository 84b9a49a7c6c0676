"""derive.trend reads the plainest conditions (`result[0] >= 0.95`) without the expression
parser; what it reads must be exactly what the syntax tree gives."""

from __future__ import annotations

import itertools

import pytest

from kubectl_rollouts_py.derive import trend

SUBJECTS = ["result", "result[0]", "result[1]", "result[12]", "result[999999999]"]
NUMBERS = ["0", "1", "95", "1000", "0.95", "0.5", "10.25", "0.000001", "123456789012345", "0.999999999999999", "7.0"]


@pytest.mark.parametrize(("subject", "op", "number"), list(itertools.product(SUBJECTS, trend._COMPARISONS, NUMBERS)))
def test_the_fast_path_reads_what_the_parser_reads(subject: str, op: str, number: str) -> None:
    condition = f"{subject} {op} {number}"
    fast = trend._simple_comparison(condition)
    assert fast is not None
    assert fast == trend._parsed_comparisons(condition)


@pytest.mark.parametrize("condition", [
    "result[0]>=0.95", "result[0] >= -1", "result[01] >= 1", "result[0] >= 1e3", "result[0] >= 0x10",
    "result[0] >= 1_000", "result[0] >= .5", "result[0] >= 1.", "res[0] >= 1", "result[0]  >= 1", "result.p99 >= 1",
    "1 <= result", "result[0] >= 007", "result[0] >= 1.5.5", "result[0] => 1", "result[-1] >= 1", "result[0]\t>= 1",
    "result[0] >= \u0661", "result[] >= 1", "result[0] >= 1234567890123456", "asFloat(result) >= 1",
])
def test_anything_else_goes_to_the_parser(condition: str) -> None:
    assert trend._simple_comparison(condition) is None
    assert trend.condition_comparisons(condition) == trend._parsed_comparisons(condition.strip())
