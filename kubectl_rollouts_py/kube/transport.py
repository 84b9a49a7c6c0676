"""How ClusterSource sends HTTP: one small interface, two implementations.

* `stdhttp.StdlibTransport` (http.client + ssl) serves every kubeconfig whose credentials
  are static: a bearer token or token file, a client certificate and key (files or
  base64 data), or nothing; CA file or data, insecure-skip-tls-verify, tls-server-name;
  and the in-cluster service account. Importing it costs 20-30 ms (http.client, ssl).
* `libhttp.LibraryTransport` (the kubernetes client's Configuration and urllib3 pool) serves
  the rest: exec credential plugins, auth providers (oidc, gcp, azure), basic auth, a
  `proxy-url` in the kubeconfig, a proxy from the environment that applies to the server,
  and a server URL with user:password in it. Importing `kubernetes` costs about half a
  second, so it is only imported when one of those asks for it.

`open_transport` chooses. Both raise the `TransportError` subclasses below for anything
below HTTP (the original exception is the `__cause__`), so kube/errors.py words every
failure once, whichever transport met it. HTTP error statuses are returned, not raised.

Both also know every credential they send (`Redactor`), and replace it with `*****` in the
bodies they hand back: a proxy or API server that echoes the request's `Authorization`
header into an error page would otherwise put the token into our `Error:` line.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Protocol

from kubectl_rollouts_py.kube import config as kube_config

Headers = list[tuple[str, str]]  # in order; a name may repeat (Impersonate-Group)


REDACTED = "*****"

# Header values that carry credentials: "<scheme> <credential>".
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization"})

# A credential shorter than this is replaced only in error answers (4xx/5xx): in object
# data a short password could match ordinary text, and replacing it would corrupt objects.
# Real tokens are far longer; the shortest credential replaced at all is MIN_REDACTED.
MIN_REDACTED_EVERYWHERE = 8
MIN_REDACTED = 3


class Redactor:
    """The credentials one transport has sent, and text with them replaced by `*****`.

    Transports note every credential header they send (`note_headers`), so a token an exec
    plugin refreshes, or a token file re-read after rotation, is known from its first use.
    A basic-auth header contributes its base64 form, `user:password` and the password.
    Thread-safe.
    """

    def __init__(self, values: Iterable[str | None] = ()) -> None:
        self._lock = threading.Lock()
        self._values: frozenset[str] = frozenset()
        self.add(*values)

    def add(self, *values: str | None) -> None:
        fresh = {v for v in values if v and len(v) >= MIN_REDACTED and v not in self._values}
        if fresh:
            with self._lock:
                self._values = self._values | fresh

    def note_headers(self, headers: Iterable[tuple[str, str]]) -> None:
        for name, value in headers:
            if name.lower() not in _CREDENTIAL_HEADERS:
                continue
            scheme, _, credential = value.strip().partition(" ")
            credential = credential.strip()
            if not credential:
                self.add(value.strip())
                continue
            self.add(credential)
            if scheme.lower() == "basic":
                try:
                    pair = base64.b64decode(credential, validate=True).decode("utf-8")
                except (binascii.Error, UnicodeDecodeError):
                    continue
                self.add(pair, pair.partition(":")[2])

    def text(self, text: str, *, everywhere: bool = True) -> str:
        """`text` with every credential replaced (only the long ones unless `everywhere`)."""
        for value in sorted(self._values, key=len, reverse=True):
            if (everywhere or len(value) >= MIN_REDACTED_EVERYWHERE) and value in text:
                text = text.replace(value, REDACTED)
        return text

    def body(self, data: bytes, status: int) -> bytes:
        """A response body with the credentials replaced: all of them in an error answer,
        only the long ones in a successful one (see MIN_REDACTED_EVERYWHERE)."""
        error = status >= 300
        for value in sorted(self._values, key=len, reverse=True):
            if error or len(value) >= MIN_REDACTED_EVERYWHERE:
                raw = value.encode("utf-8")
                if raw in data:
                    data = data.replace(raw, REDACTED.encode())
        return data


class TransportError(Exception):
    """A request failed below HTTP. The original exception is `__cause__` (when it is safe
    to keep: never one whose text could hold a request header)."""


class CannotResolve(TransportError):
    """The server's host name does not resolve."""


class CannotConnect(TransportError):
    """The TCP connection failed (refused, unreachable, ...)."""


class ConnectTimeout(TransportError):
    """No TCP connection within the connect timeout."""


class ReadTimeout(TransportError):
    """Connected, but no answer within the read timeout."""


class TLSFailure(TransportError):
    """The TLS handshake failed (unverifiable certificate, wrong protocol, ...)."""


class ProxyFailure(TransportError):
    """The proxy refused or failed the request."""


class ConnectionBroken(TransportError):
    """The connection broke while the request or its answer was under way."""


class Response(Protocol):
    """One HTTP answer. Reading it raises TransportError for failures below HTTP."""

    status: int

    def read(self) -> bytes:
        """The whole body (gzip already decoded, credentials redacted); the connection may
        then be reused."""
        ...

    def stream(self) -> Iterator[bytes]:
        """The body in pieces as they arrive (not fixed-size blocks, which would delay events).

        Not redacted: a credential could straddle two pieces, and streams are the watch
        events of a successful answer (an error answer is read with `read`)."""
        ...

    def header(self, name: str) -> str | None:
        """One response header's value (case-insensitive), or None."""
        ...

    def headers(self) -> Headers:
        """All response headers, in order (for the request log at -v 8)."""
        ...

    def set_timeout(self, seconds: float | None) -> None:
        """Change the read timeout of an open answer (None: wait for ever)."""
        ...

    def abort(self) -> None:
        """Shut the connection down from any thread, so that a blocked read returns."""
        ...

    def close(self) -> None:
        """Done with the answer; safe to call twice."""
        ...


class Transport(Protocol):
    """Sends requests to one API server with one set of credentials; thread-safe."""

    name: str  # "http.client" or "kubernetes", for --debug and tests
    redactor: Redactor  # the credentials sent so far; bodies from `request` are already redacted

    def auth_headers(self) -> Headers:
        """The credential headers for the next request (a token may be refreshed here)."""
        ...

    def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None,
        headers: Headers,
        connect_timeout: float,
        read_timeout: float | None,
        stream: bool = False,
    ) -> Response:
        """Send one request and return the answer with its body unread.

        `read_timeout` (None: none) is one deadline for the whole exchange, counted from
        this call: connecting, the response headers and, once `read` is called, the body;
        a server sending a byte at a time does not stretch it (ReadTimeout when it passes).
        `stream` asks for a connection of its own, closed with the answer (a watch); its
        deadline covers the headers only. Raises TransportError; no retries, no redirects.
        """
        ...

    def close(self) -> None:
        """Close idle connections. Safe to call twice."""
        ...


def open_transport(cluster_config: kube_config.ClusterConfig, *, environ: Mapping[str, str] | None = None) -> Transport:
    """The stdlib transport when it can serve these credentials, else the library's.

    `environ` is only read for proxy variables; it defaults to the process environment.

    Raises:
        ConfigError: the credentials cannot be loaded (missing file, failing exec plugin, ...).
    """
    from kubectl_rollouts_py.kube import stdhttp

    environ = os.environ if environ is None else environ
    if stdhttp.needs_library(cluster_config, environ) is None:
        return stdhttp.StdlibTransport(cluster_config)
    from kubectl_rollouts_py.kube import libhttp

    return libhttp.LibraryTransport(cluster_config, environ=environ)
