"""The Prometheus provider: one instant (or range) query, shaped the way Argo Rollouts shapes it.

This is the project's only importer of `prometheus_api_client` (and, through it, `requests`);
both are imported inside the functions that send a request, so importing this module costs
nothing beyond the standard library.

What a caller gets:

* `query(provider, at=...)` -> `Sample(value, result, result_type, warnings)`, where `result`
  is what `successCondition`/`failureCondition` see (a float for a scalar, a list of floats for
  a vector or a flattened matrix) and `value` is the measurement's `value` string, formatted
  like Go's `strconv.FormatFloat(f, 'f', -1, 64)` (`10`, `0.95`, `-0`, `NaN`, `+Inf`,
  `1000000000000000000000`), vectors as `[a,b]` with no spaces.
* Any failure -> `ProviderError`, whose one-line message is the text Argo's controller would
  put into the Error measurement (`client_error: client error: 401`,
  `bad_data: invalid parameter "query": ...`, `Post "<url>": context deadline exceeded`, ...).
  Where Argo has no bound we add one: an answer over `MAX_RESPONSE_BYTES` (8 MiB) is an
  error, and a message is one line of at most `MAX_MESSAGE_CHARS`, control characters escaped.

Why the request does not go through `PrometheusConnect.custom_query()`: it returns only
`data.result` (so `resultType` and `warnings` are lost, and a scalar looks like a string
result), raises its own message for every non-200, and retries 408/429/5xx three times by
default. We still build a `PrometheusConnect` (URL, headers, TLS, auth, timeout, retries off)
and send the request through its `requests` session, then read the envelope ourselves with
the same rules as Prometheus's Go client (client_golang v1.24), which Argo uses.

`shape()` and `parse_response()` are pure and are what the table tests call. Bodies are
decoded by Python's C JSON parser; `gojson` (a port of Go's scanner) only words the error of
a body that parser rejected, because Argo shows Go's text and the shared vectors expect it.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from kubectl_rollouts_py.analysis import gojson
from kubectl_rollouts_py.govalues import go_json_kind
from kubectl_rollouts_py.errors import RolloutsError

if TYPE_CHECKING:  # pragma: no cover
    import requests

DEFAULT_TIMEOUT = 30.0
"""Seconds; Argo's default when `provider.prometheus.timeout` is unset."""

MAX_RESPONSE_BYTES = 8 * 1024 * 1024
"""The most of one answer we read (after gzip decoding): beyond it the measurement is Error.

Argo reads any size, but a measurement's value is stored in the AnalysisRun, which etcd
caps at 1.5 MiB, so an answer this large cannot make a usable measurement there either.
Measured (see tests/analysis/test_prometheus_faults.py): an answer just under the cap takes
a few seconds and about 300 MiB to decode and shape; reading stops at the cap, so a 45 MB
matrix is refused in about a second instead of 35 s and 1.1 GiB.
"""

MAX_MESSAGE_CHARS = 1000
"""An error message is cut to this many characters: the server's text is echoed in it."""

_DEADLINE = "context deadline exceeded"
_READ_SIZE = 65536  # at most this much per read; a read returns what has come
_MAX_REDIRECTS = 10  # Go's http.Client default CheckRedirect
_TOO_LARGE = (
    f"bad_response: the answer is larger than {MAX_RESPONSE_BYTES // (1024 * 1024)} MiB, the most rollouts-py reads "
    "from Prometheus: narrow the query (aggregate it, e.g. with sum())"
)
_GET_FALLBACK_CODES = (403, 405, 501)  # client_golang retries a POST once as GET on these


class ProviderError(RolloutsError):
    """The query could not produce a value: bad provider config, transport, HTTP or API error.

    The message is the measurement's error message; it never contains a password or token.
    Text from the server (an `error` field, a result type) can be anything, so the message is
    made one line, with control characters as visible escapes, and at most
    `MAX_MESSAGE_CHARS` long (Argo keeps it raw; it would reach a terminal or etcd).
    """

    def __init__(self, message: str) -> None:
        super().__init__(bounded_text(message))


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def bounded_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """`text` on one line, control characters escaped (`\\x1b`, `\\u2028`), cut to `limit` characters."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)
    if len(text) > limit:
        text = f"{text[:limit]}... ({len(text) - limit} more characters)"
    return text


@dataclass(frozen=True)
class Sample:
    """One successful query, shaped the way Argo shapes it."""

    value: str
    """The measurement `value` string (`10`, `[0.99]`, `[]`, `NaN`)."""
    result: Any
    """What conditions see as `result`: float (scalar) or list[float] (vector, matrix)."""
    result_type: str = ""
    """Prometheus's `resultType`: "scalar", "vector" or "matrix"."""
    warnings: tuple[str, ...] = ()
    """The response's `warnings`, in order."""
    series: tuple[tuple[tuple[int, float], ...], ...] = ()
    """A matrix's float points per series, as (Unix milliseconds, value), in response order
    (`result` flattens them, as Argo does; a backtest reads a range query's steps from here)."""

    @property
    def metadata(self) -> dict[str, str]:
        """The measurement's `metadata`: `{"warnings": '"w1", "w2"'}` when there are warnings.

        Bounded like an error message (one line, at most `MAX_MESSAGE_CHARS`): it is server text.
        """
        if not self.warnings:
            return {}
        return {"warnings": bounded_text(", ".join(f'"{w}"' for w in self.warnings))}


# --------------------------------------------------------------------------- float text


def format_float(number: float) -> str:
    """Go's `strconv.FormatFloat(number, 'f', -1, 64)`: shortest round-trip digits, no exponent."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "+Inf" if number > 0 else "-Inf"
    text = repr(float(number))  # Python's repr is the shortest round-trip form too
    if "e" not in text:
        return text[:-2] if text.endswith(".0") else text
    mantissa, exponent = text.split("e")
    sign = "-" if mantissa.startswith("-") else ""
    mantissa = mantissa.lstrip("-")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + int(exponent)
    if point <= 0:
        body = "0." + "0" * -point + digits
    elif point >= len(digits):
        body = digits + "0" * (point - len(digits))
    else:
        body = digits[:point] + "." + digits[point:]
    return sign + body


_GO_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")
_GO_HEX = re.compile(r"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+\Z")
_GO_SPECIAL = re.compile(r"(?i)(?:[+-]?inf(?:inity)?|nan)\Z")


def parse_go_float(text: str) -> float:
    """Go's `strconv.ParseFloat(text, 64)`; ValueError carries Go's message."""
    if _GO_SPECIAL.match(text):
        return float(text)
    if _GO_DECIMAL.match(text):
        number = float(text)
    elif _GO_HEX.match(text):
        number = float.fromhex(text)
    else:
        raise ValueError(f"strconv.ParseFloat: parsing {_go_quote(text)}: invalid syntax")
    if math.isinf(number):
        raise ValueError(f"strconv.ParseFloat: parsing {_go_quote(text)}: value out of range")
    return number


def _go_quote(text: str) -> str:
    """Close enough to Go's `%q` for error messages: JSON string syntax, non-ASCII kept."""
    return json.dumps(text, ensure_ascii=False)


def _go_time(moment: datetime) -> str:
    """Go's `formatTime`: Unix seconds with the shortest fractional part. Naive means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    delta = moment - datetime(1970, 1, 1, tzinfo=timezone.utc)
    seconds = delta.days * 86400 + delta.seconds
    return format_float(float(seconds) + delta.microseconds * 1000 / 1e9)


# --------------------------------------------------------------------------- shaping


def shape(result_type: str, data: Any, *, warnings: Sequence[str] = ()) -> Sample:
    """`data.result` of a successful response -> Sample.

    `data` is the decoded JSON. Raises ProviderError for a result type Argo rejects
    (`unexpected value type "string"`) or a sample Go's decoder would not accept.
    """
    warnings = tuple(warnings)
    if result_type == "scalar":
        number = _scalar(data)
        return Sample(format_float(number), number, "scalar", warnings)
    if result_type == "vector":
        numbers = [_vector_sample(s) for s in _json_list(data, "model.Vector") if s is not None]
    elif result_type == "matrix":
        series = tuple(_matrix_series(s) for s in _json_list(data, "model.Matrix") if s is not None)
        numbers = [value for points in series for _, value in points]
        return Sample("[" + ",".join(format_float(n) for n in numbers) + "]", numbers, result_type, warnings, series)
    elif result_type in ("string", "<ValNone>"):
        raise ProviderError(f'unexpected value type "{result_type}"')
    else:  # model.ValueType does not know the name
        raise ProviderError(f"unknown value type {_go_quote(result_type)}")
    return Sample("[" + ",".join(format_float(n) for n in numbers) + "]", numbers, result_type, warnings)


def _json_list(data: Any, go_type: str) -> list[Any]:
    if data is None:
        return []
    if not isinstance(data, list):
        raise ProviderError(f"json: cannot unmarshal {go_json_kind(data)} into Go value of type {go_type}")
    return data


def _pair(raw: Any) -> tuple[Any, Any]:
    """A `[timestamp, "value"]` pair; Go decodes it into a two-element array."""
    if raw is None:
        return None, None
    if not isinstance(raw, list):
        raise ProviderError(f"json: cannot unmarshal {go_json_kind(raw)} into Go value of type [2]interface {{}}")
    items = list(raw[:2]) + [None] * (2 - len(raw[:2]))
    return items[0], items[1]


def _scalar(data: Any) -> float:
    _, text = _pair(data)
    if text is not None and not isinstance(text, str):
        raise ProviderError(f"json: cannot unmarshal {go_json_kind(text)} into Go value of type string")
    try:
        return parse_go_float(text or "")
    except ValueError as exc:
        raise ProviderError(f"error parsing sample value: {exc}") from None


def _sample_value(raw: Any) -> float:
    """SamplePair's value: must be a quoted string (prometheus/common SampleValue)."""
    _, text = _pair(raw)
    if text is None:
        return 0.0
    if not isinstance(text, str):
        raise ProviderError("sample value must be a quoted string")
    try:
        return parse_go_float(text)
    except ValueError as exc:
        raise ProviderError(str(exc)) from None


def _vector_sample(raw: Any) -> float:
    if not isinstance(raw, dict):
        raise ProviderError(f"json: cannot unmarshal {go_json_kind(raw)} into Go value of type model.Sample")
    # A native-histogram sample has no float value: it contributes 0 (the zero SampleValue).
    if raw.get("histogram") is not None:
        return 0.0
    return _sample_value(raw.get("value"))


def _matrix_series(raw: Any) -> tuple[tuple[int, float], ...]:
    if not isinstance(raw, dict):
        raise ProviderError(f"json: cannot unmarshal {go_json_kind(raw)} into Go value of type model.SampleStream")
    # Histogram points ("histograms") are ignored; float points keep the response's order.
    return tuple((_millis(point), _sample_value(point)) for point in _json_list(raw.get("values"), "[]model.SamplePair"))


def _millis(raw: Any) -> int:
    """A point's timestamp (JSON seconds) in milliseconds; 0 where it is no number."""
    stamp, _ = _pair(raw)
    if not isinstance(stamp, (int, float)) or isinstance(stamp, bool):
        return 0
    try:
        return round(float(stamp) * 1000)
    except (OverflowError, ValueError):  # beyond a float, or infinite
        return 0


# --------------------------------------------------------------------------- the envelope


def _body_is_read(status: int) -> bool:
    """client_golang decodes the body of a 2xx, 400 or 422 answer only."""
    return status // 100 == 2 or status in (400, 422)


def parse_response(status: int, body: bytes) -> Sample:
    """An HTTP answer of `/api/v1/query[_range]` -> Sample, or ProviderError.

    Follows client_golang's `apiClientImpl.Do` then `QueryAPI.Query`, including Go's JSON
    error texts, so the messages match the controller's Error measurements.
    """
    if not _body_is_read(status):
        if status // 100 == 4:
            raise ProviderError(f"client_error: client error: {status}")
        if status // 100 == 5:
            raise ProviderError(f"server_error: server error: {status}")
        raise ProviderError(f"bad_response: bad response code {status}")

    envelope: dict[str, Any] = {}
    if status != 204:
        envelope, type_error = _decode_envelope(_load_json(body))
        if type_error:
            raise ProviderError(f"bad_response: {type_error}")

    state = envelope.get("status") or ""
    if state == "error":
        raise ProviderError(f"{envelope.get('errorType') or ''}: {envelope.get('error') or ''}")
    if status in (400, 422) and state == "success":
        raise ProviderError("bad_response: inconsistent body for response code")

    if "data" not in envelope:
        # client_golang decodes the (empty) data bytes: Go's json says so.
        raise ProviderError("unexpected end of JSON input")
    data = envelope["data"]
    if data is None:
        raise ProviderError('unexpected value type "<ValNone>"')
    if not isinstance(data, dict):
        raise ProviderError(f"json: cannot unmarshal {go_json_kind(data)} into Go value of type struct {{ Type model.ValueType \"json:\\\"resultType\\\"\"; Result json.RawMessage \"json:\\\"result\\\"\" }}")
    present, result_type = _field(data, "resultType")
    if not present:
        result_type = "<ValNone>"  # the zero model.ValueType
    elif result_type is None:
        result_type = ""  # ValueType.UnmarshalJSON(null) reads an empty name
    elif not isinstance(result_type, str):
        raise ProviderError(f"json: cannot unmarshal {go_json_kind(result_type)} into Go value of type string")
    elif result_type not in ("<ValNone>", "scalar", "vector", "matrix", "string"):
        raise ProviderError(f"unknown value type {_go_quote(result_type)}")
    has_result, result = _field(data, "result")
    if result_type in ("scalar", "vector", "matrix") and not has_result:
        raise ProviderError("unexpected end of JSON input")
    return shape(result_type, result, warnings=envelope.get("warnings") or ())


def _field(obj: dict[str, Any], name: str) -> tuple[bool, Any]:
    """(present, value) with Go's struct decoding: keys match case-insensitively, last wins."""
    present, found = False, None
    for key, value in obj.items():
        if key.lower() == name.lower():
            present, found = True, value
    return present, found


_ENVELOPE_FIELDS = {"status": "string", "data": None, "errortype": "v1.ErrorType", "error": "string", "warnings": "[]string"}


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON object hook: last duplicate wins, and each key sits where it last occurred, so
    `_field`'s case-insensitive last-wins reading matches Go's in-order struct decoding."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        obj = {}
        for key, value in pairs:
            obj.pop(key, None)
            obj[key] = value
    return obj


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python accepts NaN and Infinity; Go does not


def _load_json(body: bytes) -> Any:
    """Decode `body` with Python's C parser; when that fails, Go's scanner (slow, pure Python)
    words the syntax error. The C parser decides validity: it accepts exactly Go's syntax
    once NaN/Infinity are refused (a byte-order mark, control characters in strings and
    bare invalid bytes fail both)."""
    try:
        return json.loads(body.decode("utf-8", errors="replace"), object_pairs_hook=_object, parse_constant=_reject_constant)
    except RecursionError:
        problem = "exceeded max depth"  # Python's limit (about 1000 levels) is below Go's 10000
    except ValueError:
        problem = gojson.syntax_error(body) or "invalid JSON"
    raise ProviderError(f"bad_response: {problem}")


def _decode_envelope(document: Any) -> tuple[dict[str, Any], str]:
    """Decode client_golang's `apiResponse` from the parsed body; (fields, first type error or "")."""
    if document is None:
        return {}, ""  # null: Go leaves the struct as it was
    if not isinstance(document, dict):
        return {}, f"json: cannot unmarshal {go_json_kind(document)} into Go value of type v1.apiResponse"
    fields: dict[str, Any] = {}
    first_error = ""
    for key, value in document.items():
        name = key.lower()
        if name not in _ENVELOPE_FIELDS:
            continue
        canonical = "errorType" if name == "errortype" else name
        go_type = _ENVELOPE_FIELDS[name]
        problem = ""
        if go_type is None:  # json.RawMessage: anything, null included
            fields[canonical] = value
        elif value is None:
            continue  # null leaves a Go field as it was
        elif go_type == "[]string":
            if not isinstance(value, list):
                problem = f"{go_json_kind(value)} into Go struct field apiResponse.warnings of type []string"
            else:
                bad = [v for v in value if v is not None and not isinstance(v, str)]
                if bad:
                    problem = f"{go_json_kind(bad[0])} into Go struct field apiResponse.warnings of type string"
                else:
                    fields[canonical] = [v or "" for v in value]
        elif isinstance(value, str):
            fields[canonical] = value
        else:
            problem = f"{go_json_kind(value)} into Go struct field apiResponse.{canonical} of type {go_type}"
        if problem and not first_error:
            first_error = "json: cannot unmarshal " + problem
    return fields, first_error


# --------------------------------------------------------------------------- the request


def query(
    provider: Mapping[str, Any],
    *,
    at: datetime | None = None,
    address_override: str | None = None,
    timeout: float | None = None,
    default_address: str | None = None,
    deadline: float | None = None,
) -> Sample:
    """Run the provider's query as an instant query and shape the answer.

    Args:
        provider: the metric's `provider.prometheus` mapping, arguments already substituted.
        at: evaluation time sent as `time` (Argo sends the controller's clock). None sends no
            `time`, so Prometheus evaluates at its own "now".
        address_override: use this address instead of `provider["address"]` (e.g. a
            port-forward to the in-cluster Prometheus).
        timeout: seconds; overrides `provider["timeout"]` (default 30 s). 0 times out at once.
        default_address: used when the provider has no address, the way Argo falls back to
            `ARGO_ROLLOUTS_PROMETHEUS_ADDRESS` (the caller reads the environment).
        deadline: a `time.monotonic()` instant by which the call ends even if the timeout is
            later (e.g. the end of `analyze --timeout`); the OAuth2 token fetch is not bounded.

    `provider["rangeQuery"]` is not looked at: its start/end are expressions the engine must
    evaluate first; then call `query_range()`.

    Raises:
        ProviderError: with the message Argo would record in the Error measurement.
    """
    params = {"query": str(provider.get("query") or "")}
    if at is not None:
        params["time"] = _go_time(at)
    return _run(provider, "/api/v1/query", params, address_override, timeout, default_address, deadline)


def query_range(
    provider: Mapping[str, Any],
    *,
    start: datetime,
    end: datetime,
    step: timedelta | float,
    address_override: str | None = None,
    timeout: float | None = None,
    default_address: str | None = None,
    deadline: float | None = None,
) -> Sample:
    """Like `query()`, as a range query (`provider.rangeQuery`, already evaluated by the caller).

    The answer is a matrix; `result` is every series' points flattened in response order.
    """
    seconds = step.total_seconds() if isinstance(step, timedelta) else float(step)
    params = {"query": str(provider.get("query") or ""), "start": _go_time(start), "end": _go_time(end), "step": format_float(seconds)}
    return _run(provider, "/api/v1/query_range", params, address_override, timeout, default_address, deadline)


@dataclass(frozen=True)
class _Config:
    address: str
    timeout: float
    insecure: bool
    headers: dict[str, str]
    basic_auth: tuple[str, str] | None
    oauth2: Mapping[str, Any] | None


def _config(provider: Mapping[str, Any], address_override: str | None, timeout: float | None, default_address: str | None) -> _Config:
    """Validate the provider spec the way Argo builds its client."""
    address = address_override or str(provider.get("address") or "") or (default_address or "")
    if not address:
        raise ProviderError("prometheus address is not configured")
    if not _is_url(address):
        raise ProviderError("prometheus address is not is url format")  # sic: Argo's wording

    if timeout is None:
        raw = provider.get("timeout")
        if raw is None:
            timeout = DEFAULT_TIMEOUT
        elif isinstance(raw, bool) or not isinstance(raw, (int, float)):
            raise ProviderError(f"prometheus timeout must be a whole number of seconds, not {raw!r}")
        else:
            timeout = float(raw)
    if timeout < 0:
        raise ProviderError("prometheus timeout should not be negative")

    headers: dict[str, str] = {}
    entries = provider.get("headers") or ()
    if not isinstance(entries, (list, tuple)):
        raise ProviderError("prometheus headers must be a list of {key, value}")
    for entry in entries:
        if not isinstance(entry, Mapping) or not entry.get("key"):
            raise ProviderError("prometheus headers: every entry needs a key")
        # Header.Set semantics: names are case-insensitive and a later entry replaces.
        key = str(entry["key"])
        for existing in [k for k in headers if k.lower() == key.lower()]:
            del headers[existing]
        headers[key] = str(entry.get("value") or "")

    auth = _mapping(provider, "authentication")
    basic = _mapping(auth, "basicAuth")
    basic_auth = None
    if basic.get("username") or basic.get("password"):
        if not basic.get("username"):
            raise ProviderError("prometheus basicAuth: username is required when a password is set")
        if not basic.get("password"):
            raise ProviderError("prometheus basicAuth: password is required when a username is set")
        basic_auth = (str(basic["username"]), str(basic["password"]))
    oauth2: Mapping[str, Any] | None = _mapping(auth, "oauth2")
    if oauth2 and oauth2.get("tokenUrl"):
        for name in ("clientId", "clientSecret"):
            if not oauth2.get(name):
                raise ProviderError(f"prometheus oauth2: {name} is required with tokenUrl")
    else:
        oauth2 = None
    sigv4 = _mapping(auth, "sigv4")
    if "aps-workspaces" in address and any(sigv4.get(k) for k in ("region", "profile", "roleArn")):
        raise ProviderError("prometheus sigv4 authentication (Amazon Managed Prometheus) is not supported by rollouts-py")

    if any(k.lower() == "authorization" for k in headers):
        basic_auth, oauth2 = None, None  # a custom Authorization header wins (applied innermost)
    return _Config(address.rstrip("/"), timeout, bool(provider.get("insecure")), headers, basic_auth, oauth2)


def _mapping(parent: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = parent.get(name) or {}
    if not isinstance(value, Mapping):
        raise ProviderError(f"prometheus {name} must be a mapping, not {type(value).__name__}")
    return value


def _is_url(address: str) -> bool:
    """Go's `url.Parse` succeeds and the URL has a scheme and a host."""
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in address):
        return False
    try:
        parts = urlsplit(address)
        parts.port  # noqa: B018 - raises on a non-numeric port, as Go's parser does
    except ValueError:
        return False
    return bool(parts.scheme) and bool(parts.hostname or parts.netloc.split("@")[-1])


def _redact(url: str) -> str:
    """Go's `URL.Redacted()`: a password in the userinfo becomes `xxxxx`."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:xxxxx@{parts.netloc.rsplit('@', 1)[1]}"
    return urlunsplit(parts._replace(netloc=netloc))


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _run(
    provider: Mapping[str, Any],
    path: str,
    params: dict[str, str],
    address_override: str | None,
    timeout: float | None,
    default_address: str | None,
    outer_deadline: float | None = None,
) -> Sample:
    config = _config(provider, address_override, timeout, default_address)
    url = config.address + path
    if config.timeout <= 0 or (outer_deadline is not None and outer_deadline <= time.monotonic()):
        raise ProviderError(f'Post "{_redact(url)}": {_DEADLINE}')

    import requests
    from prometheus_api_client import PrometheusConnect
    from urllib3.util.retry import Retry

    headers = dict(config.headers)
    if config.oauth2 is not None:
        # Argo fetches the token outside the query's deadline (background context).
        headers["Authorization"] = "Bearer " + _oauth2_token(config.oauth2, insecure=config.insecure)
    deadline = time.monotonic() + config.timeout
    if outer_deadline is not None:
        deadline = min(deadline, outer_deadline)
    # The session is ours, handed to the client library (which mounts its retry policy on it),
    # so every setting below goes through requests' public attributes.
    session = requests.Session()
    session.verify = not config.insecure
    # requests counts the redirects it follows after the first answer; Go counts requests sent.
    session.max_redirects = _MAX_REDIRECTS - 1
    connect = PrometheusConnect(
        url=config.address,
        headers=headers,
        retry=Retry(0, read=False),  # Argo makes one attempt (plus the GET fallback)
        auth=config.basic_auth,
        session=session,
    )
    # Go's ProxyFromEnvironment never proxies loopback; requests would unless NO_PROXY says so.
    proxies = {"http": None, "https": None, "all": None} if _is_loopback(url) else None
    exchange = _Exchange(session, headers, config.basic_auth, deadline, proxies)
    try:
        status, body = _send(exchange, "POST", url, params)
        if status in _GET_FALLBACK_CODES:
            status, body = _send(exchange, "GET", url + "?" + _encode(params), {})
        return parse_response(status, body)
    except ProviderError as exc:
        password = urlsplit(url).password
        message = exc.message.replace(password, "xxxxx") if password else exc.message  # _redact should have done it
        message = _without_credentials(message, url, headers, config.basic_auth)
        if message != exc.message:
            raise ProviderError(message) from exc.__cause__
        raise
    finally:
        connect.close()


def _without_credentials(text: str, url: str, headers: Mapping[str, str], basic_auth: tuple[str, str] | None) -> str:
    """`text` with every credential this query sent replaced by `*****`: a Prometheus (or a
    proxy) may echo the request's headers into its error, and the oauth2 token we fetched
    or a password written in the template is no argument that `mask_secrets` knows of."""
    import base64
    from urllib.parse import unquote

    values = []
    for name, value in headers.items():
        if name.lower() == "authorization":
            values.append(value.partition(" ")[2].strip() or value)
    parts = urlsplit(url)
    pairs = [basic_auth] if basic_auth else []
    if parts.password is not None:  # requests sends a URL's userinfo as basic auth
        pairs.append((unquote(parts.username or ""), unquote(parts.password)))
    for user, password in pairs:
        values += [password, base64.b64encode(f"{user}:{password}".encode()).decode()]
    for value in sorted((v for v in values if len(v) >= 3), key=len, reverse=True):
        text = text.replace(value, "*****")
    return text


def _encode(params: Mapping[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(sorted(params.items()))  # Go's url.Values.Encode sorts by key


@dataclass(frozen=True)
class _Exchange:
    """What the HTTP exchanges of one query share (the POST and its GET fallback)."""

    session: requests.Session
    headers: Mapping[str, str]
    auth: tuple[str, str] | None
    deadline: float
    """A `time.monotonic()` instant."""
    proxies: dict[str, None] | None


def _send(exchange: _Exchange, method: str, url: str, form: Mapping[str, str]) -> tuple[int, bytes]:
    """One HTTP exchange through the query's session, bounded by its deadline.

    Failures are worded like Go's `*url.Error` (`Post "<url>": <cause>`); a deadline hit
    while reading the body is just `context deadline exceeded`, as client_golang reports it.
    """
    import requests
    import urllib3

    deadline = exchange.deadline
    label = f'{method.title()} "{_redact(url)}"'
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ProviderError(f"{label}: {_DEADLINE}")
    try:
        with warnings.catch_warnings():
            # `insecure: true` is the user's choice; Argo does not warn about it either.
            warnings.filterwarnings("ignore", message="Unverified HTTPS request")
            response = exchange.session.request(
                method=method,
                url=url,
                data=sorted(form.items()) if method == "POST" else None,
                headers=exchange.headers,
                auth=exchange.auth,
                verify=exchange.session.verify,
                timeout=(remaining, remaining),
                stream=True,
                proxies=exchange.proxies,  # type: ignore[arg-type]  # a None value turns a proxy off
            )
    except requests.exceptions.Timeout as exc:
        raise ProviderError(f"{label}: {_DEADLINE}") from exc
    except requests.exceptions.TooManyRedirects as exc:
        # Go's words, with the method of the first request and the URL it was last sent on to.
        last = exc.response
        target = urljoin(last.url, last.headers.get("Location") or "") if last is not None else url
        raise ProviderError(f'{method.title()} "{_redact(target)}": stopped after {_MAX_REDIRECTS} redirects') from exc
    except requests.exceptions.RequestException as exc:
        # After a redirect, Go names the URL the failed request was sent to (not the first).
        failed = str(getattr(exc.request, "url", None) or url)
        raise ProviderError(f'{method.title()} "{_redact(failed)}": {_reason(exc, failed)}') from exc
    with response:
        if not _body_is_read(response.status_code):
            return response.status_code, b""  # never looked at (a proxy's error page can be megabytes)
        declared = response.headers.get("Content-Length") or ""
        too_large = declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES  # refused after one chunk
        chunks = []
        size = 0
        try:
            # requests bounds each read, not the whole body, and a server sending a byte a
            # second restarts that bound with every byte: each read waits only for what is
            # left until the deadline, and returns what has come (not a full block).
            for chunk in _chunks(response, deadline):
                chunks.append(chunk)
                size += len(chunk)
                if too_large or size > MAX_RESPONSE_BYTES:  # (no Content-Length: chunked, or gzip that inflates)
                    # A huge HTML page is not JSON at its first byte: say that, as Go would.
                    syntax = gojson.prefix_error(chunks[0])
                    raise ProviderError(f"bad_response: {syntax}" if syntax else _TOO_LARGE)
                if time.monotonic() > deadline:
                    raise ProviderError(_DEADLINE)
        except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            if time.monotonic() >= deadline - 0.05:
                raise ProviderError(_DEADLINE) from exc
            raise ProviderError(_reason(exc, url)) from exc
        return response.status_code, b"".join(chunks)


def _chunks(response: requests.Response, deadline: float) -> Iterator[bytes]:
    """The body (decoded) as it arrives, each read bounded by what is left until `deadline`.

    Raises ProviderError(context deadline exceeded) when the deadline passes first."""
    import socket

    import urllib3

    raw = response.raw
    connection = getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    # read1 returns what has come (urllib3 2.1+); an older urllib3 reads a byte at a time,
    # slow for big answers but as bounded (its read(n) waits for n bytes).
    read1 = getattr(raw, "read1", None)
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ProviderError(_DEADLINE)
        if sock is not None:
            try:
                sock.settimeout(remaining)
            except OSError:
                pass
        try:
            chunk = read1(_READ_SIZE, decode_content=True) if read1 is not None else raw.read(1, decode_content=True)
        except (socket.timeout, TimeoutError, urllib3.exceptions.ReadTimeoutError) as exc:
            raise ProviderError(_DEADLINE) from exc
        if not chunk:
            return
        yield chunk


def _reason(exc: BaseException, url: str) -> str:
    """The innermost cause of a requests/urllib3 failure, worded like Go's net package."""
    import errno
    import http.client
    import socket
    import ssl

    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in chain:
        chain.append(seen)
        nxt = getattr(seen, "reason", None)
        if not isinstance(nxt, BaseException):
            nxt = seen.__cause__ or seen.__context__
        if nxt is None:  # urllib3's ProtocolError(text, cause) keeps its cause in args
            nxt = next((arg for arg in seen.args if isinstance(arg, BaseException)), None)
        seen = nxt
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    for cause in reversed(chain):
        if isinstance(cause, http.client.RemoteDisconnected):
            return "EOF"  # the server closed the connection without answering
        if isinstance(cause, http.client.IncompleteRead):
            return "unexpected EOF"  # closed before Content-Length bytes came (io.ReadAll's words)
        if isinstance(cause, socket.gaierror):
            return f"dial tcp: lookup {host}: no such host"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"tls: failed to verify certificate: x509: {cause.verify_message or cause.reason}"
        if isinstance(cause, ssl.SSLError):
            return f"tls: {(cause.reason or str(cause)).lower().replace('_', ' ')}"
        if isinstance(cause, OSError) and cause.errno is not None:
            if cause.errno == errno.ECONNREFUSED:
                return f"dial tcp {where}: connect: connection refused"
            if cause.errno in (errno.ECONNRESET, errno.EPIPE):
                return "EOF"
            return f"dial tcp {where}: connect: {(cause.strerror or str(cause)).lower()}"
    text = str(chain[-1]) or type(chain[-1]).__name__
    return text.splitlines()[0] if text else "request failed"


def _oauth2_token(spec: Mapping[str, Any], *, insecure: bool, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Client-credentials grant (golang.org/x/oauth2 clientcredentials, AuthStyleAutoDetect)."""
    import requests

    token_url = str(spec["tokenUrl"])
    form = {"grant_type": "client_credentials"}
    scopes = [str(s) for s in spec.get("scopes") or ()]
    if scopes:
        form["scope"] = " ".join(scopes)
    client_id, secret = str(spec["clientId"]), str(spec["clientSecret"])
    shown = _redact(token_url)
    attempts = (
        {"data": form, "auth": (client_id, secret)},  # credentials in the header first ...
        {"data": {**form, "client_id": client_id, "client_secret": secret}},  # ... then in the body
    )
    failure = ""
    for attempt in attempts:
        try:
            answer = requests.post(token_url, timeout=timeout, verify=not insecure, **attempt)
        except requests.exceptions.RequestException as exc:
            raise ProviderError(f'Post "{shown}": {_reason(exc, token_url)}') from exc
        if answer.ok:
            try:
                token = answer.json().get("access_token")
            except ValueError:
                token = None
            if token:
                return str(token)
            failure = "oauth2: server response missing access_token"
            break
        failure = f"oauth2: cannot fetch token: {answer.status_code} {answer.reason}".rstrip()
    raise ProviderError(failure)
