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
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Protocol

from kubectl_rollouts_py.kube import config as kube_config

Headers = list[tuple[str, str]]  # in order; a name may repeat (Impersonate-Group)


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
        """The whole body (gzip already decoded); the connection may then be reused."""
        ...

    def stream(self) -> Iterator[bytes]:
        """The body in pieces as they arrive (not fixed-size blocks, which would delay events)."""
        ...

    def header(self, name: str) -> str | None:
        """One response header's value (case-insensitive), or None."""
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

        `stream` asks for a connection of its own, closed with the answer (a watch).
        Raises TransportError; no retries, no redirects.
        """
        ...

    def close(self) -> None:
        """Close idle connections. Safe to call twice."""
        ...


def open_transport(cluster_config: kube_config.ClusterConfig, *, environ: Mapping[str, str] | None = None) -> Transport:
    """The stdlib transport when it can serve these credentials, else the library's.

    `environ` is only read for proxy variables; it defaults to the process environment,
    which is what the kubernetes library reads too.

    Raises:
        ConfigError: the credentials cannot be loaded (missing file, failing exec plugin, ...).
    """
    from kubectl_rollouts_py.kube import stdhttp

    if stdhttp.needs_library(cluster_config, os.environ if environ is None else environ) is None:
        return stdhttp.StdlibTransport(cluster_config)
    from kubectl_rollouts_py.kube import libhttp

    return libhttp.LibraryTransport(cluster_config)
