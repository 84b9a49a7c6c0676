"""`prometheus.query` against a real Prometheus 2.42 (see conftest: demo app + backfill)."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import pytest
import urllib3.util.connection

from kubectl_rollouts_py.analysis import prometheus as adapter

from .conftest import BACKFILL_T0
from .promharness import PrometheusServer, free_port

# The documented success-rate query: the non-5xx share of the canary's requests. The window is
# 10 s, not 1 m, because the test Prometheus scrapes every second and starts empty.
SUCCESS_RATE = (
    'sum(rate(http_server_requests_seconds_count{{rollouts_pod_template_hash="{hash}",status!~"5.."}}[10s]))'
    ' / sum(rate(http_server_requests_seconds_count{{rollouts_pod_template_hash="{hash}"}}[10s]))'
)


def ask(server: PrometheusServer, query: str, *, seconds: float | None = None) -> adapter.Sample:
    moment = None if seconds is None else datetime.fromtimestamp(seconds, tz=timezone.utc)
    return adapter.query({"address": server.url, "query": query}, at=moment, timeout=10)


def success_rate(server: PrometheusServer, pod_hash: str) -> adapter.Sample:
    return ask(server, SUCCESS_RATE.format(hash=pod_hash))


# --------------------------------------------------------------------------- live traffic


def test_healthy_canary_success_rate_is_at_least_95_percent(prom_server: PrometheusServer) -> None:
    sample = success_rate(prom_server, "good")
    assert sample.result_type == "vector"
    assert len(sample.result) == 1
    assert 0.95 <= sample.result[0] <= 1.0
    assert sample.value == f"[{adapter.format_float(sample.result[0])}]"


def test_canary_answering_5xx_is_below_95_percent(prom_server: PrometheusServer) -> None:
    sample = success_rate(prom_server, "bad")
    assert len(sample.result) == 1
    assert 0.3 < sample.result[0] < 0.95  # the demo app fails half of its requests


def test_stable_pods_are_summed_into_one_sample(prom_server: PrometheusServer) -> None:
    sample = success_rate(prom_server, "stable")
    assert len(sample.result) == 1 and sample.result[0] >= 0.95


def test_canary_without_traffic_gives_nan_not_an_empty_vector(prom_server: PrometheusServer) -> None:
    # Its counters exist but stay 0, so both rates are 0 and PromQL's 0/0 is NaN.
    sample = success_rate(prom_server, "idle")
    assert sample.value == "[NaN]"
    assert len(sample.result) == 1 and math.isnan(sample.result[0])


def test_canary_without_series_gives_an_empty_vector(prom_server: PrometheusServer) -> None:
    # No series match: sum() of nothing is an empty vector, [] (not nil) for conditions.
    sample = success_rate(prom_server, "gone")
    assert (sample.value, sample.result, sample.result_type) == ("[]", [], "vector")


def test_per_pod_vector_keeps_one_value_per_series(prom_server: PrometheusServer) -> None:
    sample = ask(prom_server, 'sum by (pod) (http_server_requests_seconds_count{rollouts_pod_template_hash="stable"})')
    assert len(sample.result) == 2
    assert all(v > 0 and v == int(v) for v in sample.result)
    assert sample.value == "[" + ",".join(adapter.format_float(v) for v in sample.result) + "]"


def test_scalar_query_gives_a_float(prom_server: PrometheusServer) -> None:
    sample = ask(prom_server, f"scalar({SUCCESS_RATE.format(hash='good')})")
    assert sample.result_type == "scalar"
    assert isinstance(sample.result, float) and 0.95 <= sample.result <= 1.0


# --------------------------------------------------------------------------- backfilled, exact


def test_vector_at_a_fixed_time_is_exact(prom_server: PrometheusServer) -> None:
    sample = ask(prom_server, "demo_ratio", seconds=BACKFILL_T0 + 5)
    assert sample.value == "[0.987,NaN]"
    assert sample.result[0] == 0.987 and math.isnan(sample.result[1])


def test_later_time_sees_later_samples(prom_server: PrometheusServer) -> None:
    assert ask(prom_server, "demo_ratio", seconds=BACKFILL_T0 + 15).value == "[0.5,+Inf]"


def test_fractional_evaluation_time_is_sent(prom_server: PrometheusServer) -> None:
    # 9.999 s after T0 the samples at T0+10 are not visible yet.
    assert ask(prom_server, 'demo_ratio{pod="a"}', seconds=BACKFILL_T0 + 9.999).value == "[0.987]"
    assert ask(prom_server, 'demo_ratio{pod="a"}', seconds=BACKFILL_T0 + 10).value == "[0.5]"


def test_scalar_at_a_fixed_time(prom_server: PrometheusServer) -> None:
    sample = ask(prom_server, 'scalar(demo_ratio{pod="a"})', seconds=BACKFILL_T0 + 5)
    assert (sample.result_type, sample.value, sample.result) == ("scalar", "0.987", 0.987)


def test_matrix_is_flattened_series_by_series(prom_server: PrometheusServer) -> None:
    sample = ask(prom_server, "demo_ratio[30s]", seconds=BACKFILL_T0 + 15)
    assert sample.result_type == "matrix"
    assert sample.value == "[0.987,0.5,NaN,+Inf]"


def test_range_query(prom_server: PrometheusServer) -> None:
    start = datetime.fromtimestamp(BACKFILL_T0, tz=timezone.utc)
    end = datetime.fromtimestamp(BACKFILL_T0 + 20, tz=timezone.utc)
    sample = adapter.query_range({"address": prom_server.url, "query": 'demo_ratio{pod="a"}'}, start=start, end=end, step=10)
    assert sample.result_type == "matrix"
    assert sample.value == "[0.987,0.5,0.5]"


def test_nothing_at_that_time_is_an_empty_vector(prom_server: PrometheusServer) -> None:
    assert ask(prom_server, "demo_ratio", seconds=BACKFILL_T0 - 3600).value == "[]"


# --------------------------------------------------------------------------- errors


def test_bad_query_carries_prometheus_message(prom_server: PrometheusServer) -> None:
    with pytest.raises(adapter.ProviderError) as caught:
        ask(prom_server, "sum(http_server_requests_seconds_count")
    assert str(caught.value) == 'bad_data: invalid parameter "query": 1:39: parse error: unclosed left parenthesis'


def test_prometheus_down_fails_at_once_with_connection_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()  # nobody listens there
    attempts: list[object] = []  # every connection attempt, as urllib3 makes it
    connect = urllib3.util.connection.create_connection

    def counted(address, *args, **kwargs):  # type: ignore[no-untyped-def]
        attempts.append(address)
        return connect(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", counted)
    with pytest.raises(adapter.ProviderError) as caught:
        adapter.query({"address": f"http://127.0.0.1:{port}", "query": "up"})
    assert str(caught.value) == f'Post "http://127.0.0.1:{port}/api/v1/query": dial tcp 127.0.0.1:{port}: connect: connection refused'
    assert attempts == [("127.0.0.1", port)]  # one attempt, as Argo makes: no retries


def test_address_path_is_kept_and_a_trailing_slash_is_harmless(prom_server: PrometheusServer) -> None:
    # Prometheus serves no /prom prefix: a 404 shows the path was kept.
    with pytest.raises(adapter.ProviderError, match="^client_error: client error: 404$"):
        adapter.query({"address": prom_server.url + "/prom/", "query": "up"})
    assert adapter.query({"address": prom_server.url + "/", "query": "vector(1)"}).value == "[1]"
