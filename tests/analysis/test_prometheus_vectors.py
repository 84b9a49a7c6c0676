"""The Prometheus adapter against the project's table of response and shaping cases.

The table is a transcription of the 27 shared Prometheus vectors (HTTP answer -> Argo's
measurement): the adapter owns the answer -> (value, result) or error-message part. The
conditions and the phase they give are kept in each row for the engine's tests; where the
vector's Error comes from evaluating a condition, `value`/`result` here are what the adapter
must hand to the engine (the engine then blanks `value`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pytest

from kubectl_rollouts_py.analysis import prometheus

NAN = float("nan")
INF = float("inf")


@dataclass(frozen=True)
class Case:
    name: str
    http_status: int
    body: str
    success: str
    failure: str
    phase: str
    value: str = ""
    result: Any = None
    error: str = ""  # the adapter's ProviderError message (an Error measurement)
    condition_error: str = ""  # the engine's message; the adapter must still shape the answer
    metadata: dict[str, str] = field(default_factory=dict)


CASES = [
    Case(
        'scalar 10',
        200, '{"status":"success","data":{"resultType":"scalar","result":[1700000000.123,"10"]}}',
        success='result == 10', failure='result != 10', phase='Successful',
        value='10', result=10.0,
    ),
    Case(
        'scalar NaN, both conditions',
        200, '{"status":"success","data":{"resultType":"scalar","result":[0,"NaN"]}}',
        success='result >= 0.9', failure='result < 0.9', phase='Inconclusive',
        value='NaN', result=NAN,
    ),
    Case(
        'scalar NaN, isNaN guard',
        200, '{"status":"success","data":{"resultType":"scalar","result":[0,"NaN"]}}',
        success='result >= 0.9 || isNaN(result)', failure='', phase='Successful',
        value='NaN', result=NAN,
    ),
    Case(
        'scalar NaN, success only',
        200, '{"status":"success","data":{"resultType":"scalar","result":[0,"NaN"]}}',
        success='result >= 0.9', failure='', phase='Failed',
        value='NaN', result=NAN,
    ),
    Case(
        'scalar +Inf',
        200, '{"status":"success","data":{"resultType":"scalar","result":[0,"+Inf"]}}',
        success='result >= 0.9', failure='', phase='Successful',
        value='+Inf', result=INF,
    ),
    Case(
        'scalar +Inf, failure isInf',
        200, '{"status":"success","data":{"resultType":"scalar","result":[0,"+Inf"]}}',
        success='', failure='isInf(result)', phase='Failed',
        value='+Inf', result=INF,
    ),
    Case(
        'scalar -Inf',
        200, '{"status":"success","data":{"resultType":"scalar","result":[0,"-Inf"]}}',
        success='result < 0', failure='', phase='Successful',
        value='-Inf', result=-INF,
    ),
    Case(
        'scalar, result[0] on a scalar',
        200, '{"status":"success","data":{"resultType":"scalar","result":[0,"0.99"]}}',
        success='result[0] >= 0.95', failure='', phase='Error',
        value='0.99', result=0.99,  # shaped fine; the condition is what fails
        condition_error='could not evaluate successCondition "result[0] >= 0.95": type float64[int] is undefined',
    ),
    Case(
        'vector two samples',
        200, '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"m","i":"0"},"value":[1700000000.123,"10"]},{"metric":{"__name__":"m","i":"1"},"value":[1700000000.123,"11"]}]}}',
        success='10 in result', failure='len(result) != 2', phase='Successful',
        value='[10,11]', result=[10.0, 11.0],
    ),
    Case(
        'vector one sample (typical sum())',
        200, '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"m","i":"0"},"value":[1700000000.123,"0.987"]}]}}',
        success='result[0] >= 0.95', failure='', phase='Successful',
        value='[0.987]', result=[0.987],
    ),
    Case(
        'vector empty (no data), index',
        200, '{"status":"success","data":{"resultType":"vector","result":[]}}',
        success='result[0] >= 0.95', failure='', phase='Error',
        value='[]', result=[],
        condition_error='could not evaluate successCondition "result[0] >= 0.95": metric result is nil or empty: no data returned from the metric provider',
    ),
    Case(
        'vector empty (no data), guarded',
        200, '{"status":"success","data":{"resultType":"vector","result":[]}}',
        success='len(result) == 0 || result[0] >= 0.95', failure='', phase='Successful',
        value='[]', result=[],
    ),
    Case(
        'vector empty, all() is vacuously true',
        200, '{"status":"success","data":{"resultType":"vector","result":[]}}',
        success='all(result, # < 1000)', failure='', phase='Successful',
        value='[]', result=[],
    ),
    Case(
        'vector with NaN sample',
        200, '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"m","i":"0"},"value":[1700000000.123,"NaN"]}]}}',
        success='result[0] >= 0.95', failure='result[0] < 0.5', phase='Inconclusive',
        value='[NaN]', result=[NAN],
    ),
    Case(
        'vector used as scalar',
        200, '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"m","i":"0"},"value":[1700000000.123,"0.99"]}]}}',
        success='result >= 0.95', failure='', phase='Error',
        value='[0.99]', result=[0.99],
        condition_error='could not evaluate successCondition "result >= 0.95": invalid operation: >= (mismatched types []float64 and float64)',
    ),
    Case(
        'vector value formatting',
        200, '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"m","i":"0"},"value":[1700000000.123,"0.30000000000000004"]},{"metric":{"__name__":"m","i":"1"},"value":[1700000000.123,"1e21"]},{"metric":{"__name__":"m","i":"2"},"value":[1700000000.123,"1e-7"]},{"metric":{"__name__":"m","i":"3"},"value":[1700000000.123,"-0"]},{"metric":{"__name__":"m","i":"4"},"value":[1700000000.123,"123456789.125"]},{"metric":{"__name__":"m","i":"5"},"value":[1700000000.123,"2.50"]}]}}',
        success='len(result) == 6', failure='', phase='Successful',
        value='[0.30000000000000004,1000000000000000000000,0.0000001,-0,123456789.125,2.5]', result=[0.30000000000000004, 1e+21, 1e-07, 0.0, 123456789.125, 2.5],
    ),
    Case(
        'vector histogram-only sample',
        200, '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"histogram":[0,{"count":"3","sum":"1","buckets":[]}]}]}}',
        success='result[0] == 0', failure='', phase='Successful',
        value='[0]', result=[0.0],
    ),
    Case(
        'matrix two series flattened in order',
        200, '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"1"},"values":[[1,"11"],[2,"12"]]},{"metric":{"a":"2"},"values":[[1,"13"],[2,"14"]]}]}}',
        success='all(result, # > 10)', failure='all(result, # < 10)', phase='Successful',
        value='[11,12,13,14]', result=[11.0, 12.0, 13.0, 14.0],
    ),
    Case(
        'matrix empty',
        200, '{"status":"success","data":{"resultType":"matrix","result":[]}}',
        success='all(result, # < 1000)', failure='', phase='Successful',
        value='[]', result=[],
    ),
    Case(
        'string result type',
        200, '{"status":"success","data":{"resultType":"string","result":[0,"hello"]}}',
        success='true', failure='', phase='Error',
        error='unexpected value type "string"',
    ),
    Case(
        'warnings recorded in measurement metadata',
        200, '{"status":"success","data":{"resultType":"scalar","result":[0,"10"]},"warnings":["warning","warning2"]}',
        success='result == 10', failure='result != 10', phase='Successful',
        value='10', result=10.0,
        metadata={'warnings': '"warning", "warning2"'},
    ),
    Case(
        'no conditions',
        200, '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"m","i":"0"},"value":[1700000000.123,"42"]}]}}',
        success='', failure='', phase='Successful',
        value='[42]', result=[42.0],
    ),
    Case(
        'query error (bad PromQL)',
        400, '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"query\\": 1:5: parse error: unexpected end of input"}',
        success='true', failure='', phase='Error',
        error='bad_data: invalid parameter "query": 1:5: parse error: unexpected end of input',
    ),
    Case(
        'query execution timeout reported by server',
        503, '{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}',
        success='true', failure='', phase='Error',
        error='server_error: server error: 503',
    ),
    Case(
        'server error 500 with HTML body',
        500, '<html>oops</html>',
        success='true', failure='', phase='Error',
        error='server_error: server error: 500',
    ),
    Case(
        'unauthorized',
        401, 'Unauthorized',
        success='true', failure='', phase='Error',
        error='client_error: client error: 401',
    ),
    Case(
        '200 with non-JSON body',
        200, 'not json',
        success='true', failure='', phase='Error',
        error="bad_response: invalid character 'o' in literal null (expecting 'u')",
    ),
]


def same(actual: Any, expected: Any) -> bool:
    """Equal as Go floats: NaN matches NaN, and -0 and 0 are equal (only `value` shows the sign)."""
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) == len(expected) and all(same(a, e) for a, e in zip(actual, expected))
    if isinstance(expected, float) and math.isnan(expected):
        return isinstance(actual, float) and math.isnan(actual)
    return isinstance(actual, float) and actual == expected


def test_the_table_has_every_vector() -> None:
    assert len(CASES) == 27
    assert len({c.name for c in CASES}) == 27


@pytest.mark.parametrize("case", [c for c in CASES if not c.error], ids=lambda c: c.name)
def test_answer_is_shaped_like_argo(case: Case) -> None:
    sample = prometheus.parse_response(case.http_status, case.body.encode())
    assert sample.value == case.value
    assert same(sample.result, case.result), sample.result
    assert sample.metadata == case.metadata


@pytest.mark.parametrize("case", [c for c in CASES if c.error], ids=lambda c: c.name)
def test_answer_is_an_error_measurement(case: Case) -> None:
    with pytest.raises(prometheus.ProviderError) as caught:
        prometheus.parse_response(case.http_status, case.body.encode())
    assert str(caught.value) == case.error
