"""Translate what the API server and the network say into the project's errors.

Every function returns (does not raise) a `kubectl_rollouts_py.errors` exception, so the
caller can `raise ... from` the original. Messages are one line and never contain request
headers, so no credential can leak into them.
"""

from __future__ import annotations

import json
import socket
from typing import Any

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import resources
from kubectl_rollouts_py.kube import transport as kube_transport

_BY_STATUS: dict[int, type[errors.ApiError]] = {
    401: errors.Unauthorized,
    403: errors.Forbidden,
    404: errors.NotFound,
    409: errors.Conflict,
    410: errors.Expired,
}


# The longest server-written message an error repeats: an admission webhook's denial fits,
# a server that puts a whole document (or a request it echoes) into a Status does not.
MAX_MESSAGE = 500


def status_message(body: bytes) -> tuple[str, str]:
    """(message, reason) from a Kubernetes Status body; ("", "") if the body is not one."""
    try:
        status = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deeply
        return "", ""
    if not isinstance(status, dict) or status.get("kind") != "Status":
        return "", ""
    return _bounded(str(status.get("message") or "")), str(status.get("reason") or "")


def _bounded(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"


def from_response(status: int, body: bytes, *, resource: resources.Resource | None = None) -> errors.ApiError:
    """The error for an HTTP error answer, with the Status message when there is one."""
    message, reason = status_message(body)
    return _error(status, message, reason, body=body, resource=resource)


def from_status_object(status: dict[str, Any]) -> errors.ApiError:
    """The error for a watch ERROR event, whose object is a Status."""
    code = status.get("code")
    return _error(
        code if isinstance(code, int) else 500,
        _bounded(str(status.get("message") or "")),
        str(status.get("reason") or ""),
        body=b"",
        resource=None,
    )


def _error(status: int, message: str, reason: str, *, body: bytes, resource: resources.Resource | None) -> errors.ApiError:
    cls = _BY_STATUS.get(status, errors.ApiError)
    if status == 401:
        # kubectl's wording; the server's message (if any) says why.
        detail = message if message and message != "Unauthorized" else "Unauthorized"
        text = f"You must be logged in to the server ({detail})"
    elif message:
        text = message
    elif status == 404 and resource is not None and _is_plain_text(body):
        # The API answers an unknown path (an API group that is not installed) with a
        # plain-text "404 page not found", not a Status.
        text = f"the server does not serve {resource.qualified}; is its CustomResourceDefinition installed?"
    else:
        text = f"the server returned HTTP {status}"
        snippet = _short_text(body)
        if snippet:
            text += f": {snippet}"
    return cls(text, status=status, reason=reason or _default_reason(status))


def from_transport(
    exc: kube_transport.TransportError, *, server: str, connect_timeout: float, read_timeout: float | None
) -> errors.ConnectionFailed:
    """The error for a failure below HTTP: refused, DNS, TLS, timeout, dropped connection.

    Both transports raise the same TransportError classes, with the library's or the
    socket's exception as the cause, so a failure reads the same whichever met it.
    """
    cause = exc.__cause__ or exc
    prefix = f"cannot reach the Kubernetes API at {server}"
    if isinstance(exc, kube_transport.CannotResolve):
        return errors.ConnectionFailed(f"{prefix}: cannot resolve host {_host(server)}")
    if isinstance(exc, kube_transport.CannotConnect):
        return errors.ConnectionFailed(f"{prefix}: {_socket_reason(cause)}")
    if isinstance(exc, kube_transport.ConnectTimeout):
        return errors.ConnectionFailed(f"{prefix}: no connection within {connect_timeout:g}s")
    if isinstance(exc, kube_transport.ReadTimeout):
        waited = f" within {read_timeout:g}s" if read_timeout else ""
        return errors.ConnectionFailed(f"the Kubernetes API at {server} did not answer{waited}")
    if isinstance(exc, kube_transport.TLSFailure):
        return errors.ConnectionFailed(f"{prefix}: TLS handshake failed: {_ssl_reason(cause)}")
    if isinstance(exc, kube_transport.ProxyFailure):
        return errors.ConnectionFailed(f"{prefix}: proxy error: {_socket_reason(cause)}")
    if isinstance(exc, kube_transport.ConnectionBroken):
        return errors.ConnectionFailed(f"the connection to the Kubernetes API at {server} broke: {_socket_reason(cause)}")
    return errors.ConnectionFailed(f"{prefix}: {_one_line(cause)}")


def _socket_reason(exc: BaseException) -> str:
    """`connection refused` rather than urllib3's wrapper text with object reprs."""
    import http.client

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        if isinstance(current, ConnectionResetError):
            return "connection reset by peer"
        if isinstance(current, socket.gaierror):
            return f"cannot resolve host ({current.strerror})"
        if isinstance(current, OSError) and current.strerror:
            return current.strerror[0].lower() + current.strerror[1:]
        if isinstance(current, http.client.IncompleteRead):
            # http.client keeps the bytes read, urllib3's subclass their count.
            got = current.partial if isinstance(current.partial, int) else len(current.partial)
            more = f", {current.expected} more expected" if current.expected is not None else ""
            return f"the answer was cut short ({got} bytes read{more})"
        if isinstance(current, http.client.BadStatusLine) and not isinstance(current, ConnectionError):
            return "the answer is not HTTP"
        nested = current.args[1] if len(current.args) > 1 and isinstance(current.args[1], BaseException) else None
        current = nested or current.__cause__ or current.__context__
    text = _one_line(exc)
    # "<urllib3.connection.HTTPConnection object at 0x..>: Failed to establish a new connection: ..."
    return text.split(": ", 1)[1] if text.startswith("<") and ": " in text else text


def _ssl_reason(exc: BaseException) -> str:
    import ssl

    current: BaseException | None = exc
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            detail = current.verify_message
            return f"certificate verify failed: {detail}" if detail else "certificate verify failed"
        if isinstance(current, ssl.SSLError) and current.reason:
            return current.reason.lower().replace("_", " ")  # WRONG_VERSION_NUMBER → words
        nested = current.args[0] if current.args and isinstance(current.args[0], BaseException) else None
        current = nested or current.__cause__ or current.__context__
    return _one_line(exc)


def _default_reason(status: int) -> str:
    return {
        400: "BadRequest",
        401: "Unauthorized",
        403: "Forbidden",
        404: "NotFound",
        405: "MethodNotAllowed",
        409: "Conflict",
        410: "Expired",
        415: "UnsupportedMediaType",
        422: "Invalid",
        429: "TooManyRequests",
        500: "InternalError",
        503: "ServiceUnavailable",
        504: "Timeout",
    }.get(status, "")


def _is_plain_text(body: bytes) -> bool:
    return not body.lstrip().startswith((b"{", b"<"))


def _short_text(body: bytes) -> str:
    """A short, single-line, printable body (e.g. "404 page not found"); else ""."""
    try:
        text = body.decode("utf-8").strip()
    except UnicodeDecodeError:
        return ""
    if not text or len(text) > 200 or "\n" in text or text.startswith(("<", "{")) or not text.isprintable():
        return ""
    return text


def _host(server: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(server).hostname or server


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
