"""`prometheus.query` on the wire, against a stub server: request shape, auth, fallback, errors.

The stub answers what a real Prometheus will not on demand: slowness, HTML pages, 401/405/5xx.
"""

from __future__ import annotations

import base64
import ssl
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kubectl_rollouts_py.analysis import prometheus as adapter
from kubectl_rollouts_py.errors import RolloutsError

from .promharness import StubServer, free_port

OK = {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, "0.99"]}]}}


def run(stub: StubServer, **provider: object) -> adapter.Sample:
    return adapter.query({"address": stub.url, "query": "up", **provider}, timeout=5)


def error_of(call, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(adapter.ProviderError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


# --------------------------------------------------------------------------- the request


def test_instant_query_is_a_form_post_with_the_evaluation_time(stub: StubServer) -> None:
    stub.reply(200, OK)
    moment = datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=timezone.utc)
    sample = adapter.query({"address": stub.url, "query": 'sum(x{a="b c"})'}, at=moment)
    assert (sample.value, sample.result) == ("[0.99]", [0.99])
    [seen] = stub.seen
    assert (seen.method, seen.path, seen.query) == ("POST", "/api/v1/query", {})
    assert seen.form == {"query": 'sum(x{a="b c"})', "time": "1700000000.123"}
    assert seen.headers["content-type"] == "application/x-www-form-urlencoded"


def test_whole_second_and_naive_times(stub: StubServer) -> None:
    stub.reply(200, OK)
    adapter.query({"address": stub.url, "query": "up"}, at=datetime(2023, 11, 14, 22, 13, 20))  # naive = UTC
    assert stub.seen[-1].form["time"] == "1700000000"


def test_without_a_time_prometheus_uses_its_own_clock(stub: StubServer) -> None:
    stub.reply(200, OK)
    run(stub)
    assert stub.seen[-1].form == {"query": "up"}


def test_range_query_parameters(stub: StubServer) -> None:
    stub.reply(200, {"status": "success", "data": {"resultType": "matrix", "result": []}})
    start = datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)
    adapter.query_range({"address": stub.url, "query": "up"}, start=start, end=start + timedelta(minutes=5), step=timedelta(seconds=30))
    seen = stub.seen[-1]
    assert seen.path == "/api/v1/query_range"
    assert seen.form == {"query": "up", "start": "1700000000", "end": "1700000300", "step": "30"}


def test_address_path_is_kept(stub: StubServer) -> None:
    stub.reply(200, OK)
    adapter.query({"address": stub.url + "/prometheus/", "query": "up"})
    assert stub.seen[-1].path == "/prometheus/api/v1/query"


def test_custom_headers_are_sent_and_a_later_one_replaces(stub: StubServer) -> None:
    stub.reply(200, OK)
    run(stub, headers=[{"key": "X-Scope-OrgID", "value": "team-a"}, {"key": "x-scope-orgid", "value": "team-b"}, {"key": "X-Empty", "value": ""}])
    headers = stub.seen[-1].headers
    assert headers["x-scope-orgid"] == "team-b"
    assert headers["x-empty"] == ""


def test_basic_auth(stub: StubServer) -> None:
    stub.reply(200, OK)
    run(stub, authentication={"basicAuth": {"username": "argo", "password": "s3cret"}})
    assert stub.seen[-1].headers["authorization"] == "Basic " + base64.b64encode(b"argo:s3cret").decode()


def test_a_custom_authorization_header_overrides_basic_auth(stub: StubServer) -> None:
    stub.reply(200, OK)
    run(stub, headers=[{"key": "Authorization", "value": "Bearer abc"}], authentication={"basicAuth": {"username": "u", "password": "p"}})
    assert stub.seen[-1].headers["authorization"] == "Bearer abc"


def test_oauth2_client_credentials_token_is_sent_as_bearer(stub: StubServer) -> None:
    stub.reply(200, {"access_token": "tok-123", "token_type": "bearer", "expires_in": 60}, on="/oauth/token")
    stub.reply(200, OK, on="/api/v1/query")
    oauth2 = {"tokenUrl": stub.url + "/oauth/token", "clientId": "id", "clientSecret": "sec", "scopes": ["read", "metrics"]}
    run(stub, authentication={"oauth2": oauth2})
    token_request, query_request = stub.seen
    assert token_request.form == {"grant_type": "client_credentials", "scope": "read metrics"}
    assert token_request.headers["authorization"] == "Basic " + base64.b64encode(b"id:sec").decode()
    assert query_request.headers["authorization"] == "Bearer tok-123"


def test_oauth2_token_refused_is_an_error_without_the_secret(stub: StubServer) -> None:
    stub.reply(401, "denied", on="/oauth/token", content_type="text/plain")
    oauth2 = {"tokenUrl": stub.url + "/oauth/token", "clientId": "id", "clientSecret": "very-secret"}
    message = error_of(run, stub, authentication={"oauth2": oauth2})
    assert message == "oauth2: cannot fetch token: 401 Unauthorized"
    assert len(stub.seen) == 2  # header style, then credentials in the body (auto-detect)


@pytest.mark.parametrize("status", [403, 405, 501])
def test_post_refused_is_retried_once_as_get(stub: StubServer, status: int) -> None:
    stub.reply(status, "no POST here", on="POST", content_type="text/plain")
    stub.reply(200, OK, on="GET")
    moment = datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)
    assert adapter.query({"address": stub.url, "query": "a b"}, at=moment).value == "[0.99]"
    post, get = stub.seen
    assert (post.method, get.method) == ("POST", "GET")
    assert get.query == {"query": "a b", "time": "1700000000"}


def test_get_fallback_failing_reports_the_get(stub: StubServer) -> None:
    stub.reply(405, "", on="*", content_type="text/plain")
    assert error_of(run, stub) == "client_error: client error: 405"
    assert [s.method for s in stub.seen] == ["POST", "GET"]


def test_server_errors_are_not_retried(stub: StubServer) -> None:
    stub.reply(503, {"status": "error", "errorType": "unavailable", "error": "busy"})
    assert error_of(run, stub) == "server_error: server error: 503"
    assert len(stub.seen) == 1  # prometheus-api-client would have tried 4 times


# --------------------------------------------------------------------------- answers


def test_warnings_become_measurement_metadata(stub: StubServer) -> None:
    stub.reply(200, {**OK, "warnings": ["PromQL info: metric might not be a counter"]})
    sample = run(stub)
    assert sample.warnings == ("PromQL info: metric might not be a counter",)
    assert sample.metadata == {"warnings": '"PromQL info: metric might not be a counter"'}


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (200, "<html><body>Sign in</body></html>", "bad_response: invalid character '<' looking for beginning of value"),
        (200, "", "bad_response: unexpected end of JSON input"),
        (200, '{"status":"success"', "bad_response: unexpected end of JSON input"),
        (200, "[1,2]", "bad_response: json: cannot unmarshal array into Go value of type v1.apiResponse"),
        (200, '{"status":1}', "bad_response: json: cannot unmarshal number into Go struct field apiResponse.status of type string"),
        (200, '{"status":"success","data":{"resultType":"vector","result":[]},"warnings":"w"}',
         "bad_response: json: cannot unmarshal string into Go struct field apiResponse.warnings of type []string"),
        (502, "<html>Bad Gateway</html>", "server_error: server error: 502"),
        (401, "Unauthorized", "client_error: client error: 401"),
        (302, "", "bad_response: bad response code 302"),
        (422, '{"status":"error","errorType":"execution","error":"many-to-many matching not allowed"}', "execution: many-to-many matching not allowed"),
        (400, '{"status":"success","data":{}}', "bad_response: inconsistent body for response code"),
        (200, '{"status":"success"}', "unexpected end of JSON input"),
        (200, '{"status":"success","data":null}', 'unexpected value type "<ValNone>"'),
        (200, '{"status":"success","data":{"resultType":"string","result":[1,"x"]}}', 'unexpected value type "string"'),
        (200, '{"status":"success","data":{"resultType":"streams","result":[]}}', 'unknown value type "streams"'),
        (200, '{"status":"success","data":{"resultType":"scalar","result":[1,"abc"]}}',
         'error parsing sample value: strconv.ParseFloat: parsing "abc": invalid syntax'),
        (200, '{"status":"success","data":{"resultType":"vector","result":[{"value":[1,2]}]}}', "sample value must be a quoted string"),
    ],
)
def test_bad_answers_are_one_line_errors(stub: StubServer, status: int, body: str, message: str) -> None:
    stub.reply(status, body, content_type="text/html" if body.startswith("<") else "application/json")
    assert error_of(run, stub) == message


def test_go_float_syntax_is_accepted() -> None:
    body = '{"status":"success","data":{"resultType":"vector","result":[%s]}}' % ",".join(
        '{"value":[1,"%s"]}' % v for v in ("1e3", "-Inf", "+inf", "nan", "0x1p-2", ".5", "5.")
    )
    assert adapter.parse_response(200, body.encode()).value == "[1000,-Inf,+Inf,NaN,0.25,0.5,5]"


def test_null_samples_are_skipped_and_null_result_is_empty() -> None:
    body = b'{"status":"success","data":{"resultType":"vector","result":[null,{"value":[1,"2"]}]}}'
    assert adapter.parse_response(200, body).value == "[2]"
    body = b'{"status":"success","data":{"resultType":"matrix","result":null}}'
    assert adapter.parse_response(200, body).result == []


# --------------------------------------------------------------------------- time limits


# Each slow reply comes seconds after the timeout: without the timeout the query would
# succeed, so the error itself proves the timeout ended it. The lower bounds say "not before
# the timeout"; nothing bounds the time from above (a busy machine may be slow to notice).


def test_slow_prometheus_times_out(stub: StubServer) -> None:
    stub.reply(200, OK, delay=3)
    began = time.monotonic()
    message = error_of(adapter.query, {"address": stub.url, "query": "up"}, timeout=0.5)
    assert time.monotonic() - began >= 0.5
    assert message == f'Post "{stub.url}/api/v1/query": context deadline exceeded'
    assert len(stub.seen) == 1  # not retried


def test_slow_body_times_out_too(stub: StubServer) -> None:
    stub.reply(200, OK, body_delay=3)
    assert error_of(adapter.query, {"address": stub.url, "query": "up"}, timeout=0.5) == "context deadline exceeded"
    assert len(stub.seen) == 1


def test_provider_timeout_is_used(stub: StubServer) -> None:
    # Argo's default (30 s) would let the answer through after 3 s.
    stub.reply(200, OK, delay=3)
    began = time.monotonic()
    message = error_of(adapter.query, {"address": stub.url, "query": "up", "timeout": 1})
    assert time.monotonic() - began >= 1  # the provider's 1 s, not less
    assert message == f'Post "{stub.url}/api/v1/query": context deadline exceeded'


def test_timeout_zero_times_out_without_a_request(stub: StubServer) -> None:
    assert error_of(adapter.query, {"address": stub.url, "query": "up", "timeout": 0}) == f'Post "{stub.url}/api/v1/query": context deadline exceeded'
    assert stub.seen == []


# --------------------------------------------------------------------------- provider config


@pytest.mark.parametrize(
    ("provider", "message"),
    [
        ({"query": "up"}, "prometheus address is not configured"),
        ({"address": "prometheus:9090", "query": "up"}, "prometheus address is not is url format"),
        ({"address": "http://", "query": "up"}, "prometheus address is not is url format"),
        ({"address": "http://a b:9090", "query": "up"}, "prometheus address is not is url format"),
        ({"address": "http://h:port", "query": "up"}, "prometheus address is not is url format"),
        ({"address": "http://h", "query": "up", "timeout": -1}, "prometheus timeout should not be negative"),
        ({"address": "http://h", "query": "up", "authentication": {"basicAuth": {"username": "u"}}},
         "prometheus basicAuth: password is required when a username is set"),
        ({"address": "http://h", "query": "up", "authentication": {"basicAuth": {"password": "p"}}},
         "prometheus basicAuth: username is required when a password is set"),
        ({"address": "http://h", "query": "up", "authentication": {"oauth2": {"tokenUrl": "http://t", "clientId": "i"}}},
         "prometheus oauth2: clientSecret is required with tokenUrl"),
        ({"address": "http://h", "query": "up", "authentication": "basic"}, "prometheus authentication must be a mapping, not str"),
        ({"address": "http://h", "query": "up", "headers": {"X": "y"}}, "prometheus headers must be a list of {key, value}"),
        ({"address": "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1", "query": "up",
          "authentication": {"sigv4": {"region": "eu-west-1"}}},
         "prometheus sigv4 authentication (Amazon Managed Prometheus) is not supported by rollouts-py"),
    ],
)
def test_invalid_provider_config(provider: dict[str, object], message: str) -> None:
    assert error_of(adapter.query, provider) == message


def test_default_address_and_override(stub: StubServer) -> None:
    stub.reply(200, OK)
    assert adapter.query({"query": "up"}, default_address=stub.url).value == "[0.99]"
    assert adapter.query({"address": "http://in-cluster.example:9090", "query": "up"}, address_override=stub.url).value == "[0.99]"
    assert len(stub.seen) == 2


def test_no_credential_in_any_message() -> None:
    port = free_port()
    message = error_of(
        adapter.query,
        {"address": f"http://argo:pa55word@127.0.0.1:{port}", "query": "up", "headers": [{"key": "Authorization", "value": "Bearer t0ken"}]},
    )
    assert message == f'Post "http://argo:xxxxx@127.0.0.1:{port}/api/v1/query": dial tcp 127.0.0.1:{port}: connect: connection refused'
    assert "pa55word" not in message and "t0ken" not in message


def test_provider_error_is_a_project_error() -> None:
    assert issubclass(adapter.ProviderError, RolloutsError)


# --------------------------------------------------------------------------- TLS


@pytest.fixture
def tls_stub(self_signed: tuple[Path, Path]):  # type: ignore[no-untyped-def]
    cert, key = self_signed
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = StubServer(tls=context)
    server.reply(200, OK)
    yield server
    server.stop()


def test_insecure_skips_certificate_verification(tls_stub: StubServer) -> None:
    assert adapter.query({"address": tls_stub.url, "query": "up", "insecure": True}, timeout=5).value == "[0.99]"


def test_untrusted_certificate_is_an_error(tls_stub: StubServer) -> None:
    message = error_of(adapter.query, {"address": tls_stub.url, "query": "up"}, timeout=5)
    assert message.startswith(f'Post "{tls_stub.url}/api/v1/query": tls: failed to verify certificate: x509: ')
    assert "\n" not in message


# --------------------------------------------------------------------------- import cost


def test_importing_the_adapter_loads_no_http_library() -> None:
    code = (
        "import sys\n"
        "import kubectl_rollouts_py.analysis.prometheus\n"
        "print(sorted(m for m in ('requests', 'urllib3', 'prometheus_api_client') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip() == "[]"


def test_no_other_module_imports_prometheus_api_client() -> None:
    package = Path(adapter.__file__).resolve().parent.parent
    users = sorted(
        str(p.relative_to(package)) for p in package.rglob("*.py") if "prometheus_api_client" in p.read_text(encoding="utf-8")
    )
    assert users == ["analysis/prometheus.py"]
