"""The library transport: the kubernetes client's Configuration, and a urllib3 pool built from it.

Used for what only the library does (see transport.py): exec credential plugins, auth
providers, basic auth and proxies. We take the library's credentials, TLS and proxy
set-up (the public attributes of its `Configuration`: ssl_ca_cert, cert_file, key_file,
verify_ssl, tls_server_name, proxy, no_proxy, ...) and build our own urllib3 pool from
them, as the library's REST client does; requests go straight to that pool with
`preload_content=False`.

- typed API classes (CoreV1Api, ...) would import hundreds of model modules (about a
  second) and hand back model objects instead of dicts;
- `ApiClient.call_api` changed signature and error behaviour between client releases
  and cannot turn retries off per request; its REST layer also rewrites a json-patch
  whose body is not a list into a strategic-merge patch.

urllib3's PoolManager is thread-safe, so one transport serves several threads at once.

Deadlines: `read_timeout` bounds the exchange, not each wait for data (see stdhttp.py):
urllib3 waits at most that long for connecting and for each part of the headers, and once
they are in, an alarm (_threads.alarms) shuts the connection down at the deadline, so a
body sent one byte a second ends as a ReadTimeout. For a stream (a watch) the deadline
covers the response headers only.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

import urllib3
from urllib3 import HTTPHeaderDict

from kubectl_rollouts_py._threads import Alarm, alarms, signals_for_children
from kubectl_rollouts_py.kube import config as kube_config
from kubectl_rollouts_py.kube import transport as kube_transport


class LibraryTransport:
    """Requests through a urllib3 pool built from the library's Configuration, with its credentials."""

    name = "kubernetes"

    def __init__(self, cluster_config: kube_config.ClusterConfig, *, environ: Mapping[str, str] | None = None) -> None:
        """Load the credentials. Raises ConfigError if they cannot be loaded.

        `environ` (default: the process environment) is read for proxy variables only."""
        self._configuration = kube_config.new_configuration(cluster_config)
        proxy = proxy_for(self._configuration, os.environ if environ is None else environ)
        self._pool = pool_from_configuration(self._configuration, proxy)
        self.redactor = kube_transport.Redactor(_configured_credentials(self._configuration, proxy))
        # Credential refresh hooks (exec plugins, in-cluster token rotation) are not
        # written for concurrent callers; one refresh at a time.
        self._auth_lock = threading.Lock()
        self._cluster_config = cluster_config
        self._closed = False
        if cluster_config.insecure_skip_tls_verify:
            _silence_insecure_warning()

    def auth_headers(self) -> kube_transport.Headers:
        with self._auth_lock, kube_config.captured_library_errors() as failures, signals_for_children():
            # auth_settings() runs the refresh hook (exec plugin expiry, token file re-read),
            # maybe from a watch thread whose blocked signals the plugin would inherit.
            settings = self._configuration.auth_settings()
        if failures:
            # A refresh that failed leaves the expired token in place; kubectl stops with
            # the plugin's error rather than send it, and so do we.
            raise kube_config.credentials_failed(self._cluster_config, failures[-1])
        return [
            (setting["key"], setting["value"])
            for setting in settings.values()
            if setting.get("in") == "header" and setting.get("value")
        ]

    def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None,
        headers: kube_transport.Headers,
        connect_timeout: float,
        read_timeout: float | None,
        stream: bool = False,
    ) -> _Response:
        self.redactor.note_headers(headers)
        header_dict = HTTPHeaderDict()
        for name, value in headers:
            header_dict.add(name, value)  # repeated, not comma-joined: group names may hold commas
        deadline = None if read_timeout is None else time.monotonic() + read_timeout
        if read_timeout is not None:
            connect_timeout = min(connect_timeout, read_timeout)
        try:
            response = self._pool.request(
                method,
                url,
                body=body,
                headers=header_dict,
                timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout, total=read_timeout),
                retries=False,
                redirect=False,
                preload_content=False,
            )
        except urllib3.exceptions.HTTPError as exc:
            raise _transport_error(exc) from exc
        except ValueError:
            # http.client rejects a header value with a newline in it, and its message
            # quotes the value: that may be the token, so neither text nor cause is kept.
            raise kube_transport.TransportError(
                "a request header is not valid HTTP; check the credentials in the kubeconfig"
            ) from None
        answer = _Response(response, self.redactor)
        if deadline is not None and not stream:
            if time.monotonic() >= deadline:
                answer.close()
                raise kube_transport.ReadTimeout()
            answer.alarm = alarms().arm(deadline, answer.abort)
        return answer

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._pool.clear()


def proxy_for(configuration: Any, environ: Mapping[str, str]) -> str | None:
    """The proxy for the Configuration's server: the kubeconfig's proxy-url (or the one the
    library took from the environment), else the environment's, unless no_proxy covers it."""
    from kubectl_rollouts_py.kube import stdhttp

    server = configuration.host
    proxy = configuration.proxy
    if not proxy:
        return stdhttp.environment_proxy(server, environ)
    if stdhttp.bypasses_proxy(server, getattr(configuration, "no_proxy", None) or ""):
        return None
    return str(proxy)


def pool_from_configuration(configuration: Any, proxy: str | None) -> urllib3.PoolManager:
    """The urllib3 pool a `kubernetes.client.Configuration` describes, as the library's REST
    client builds it: TLS roots, client certificate, server name, pool size, retries, and
    `proxy` (see proxy_for). Only public Configuration attributes are read; those that older
    releases lack are taken as unset."""
    pool_args: dict[str, Any] = {
        "cert_reqs": ssl.CERT_REQUIRED if configuration.verify_ssl else ssl.CERT_NONE,
        "ca_certs": configuration.ssl_ca_cert,
        "cert_file": configuration.cert_file,
        "key_file": configuration.key_file,
    }
    ca_cert_data = getattr(configuration, "ca_cert_data", None)
    if ca_cert_data:
        pool_args["ca_cert_data"] = ca_cert_data
    assert_hostname = getattr(configuration, "assert_hostname", None)
    if assert_hostname is not None:
        pool_args["assert_hostname"] = assert_hostname
    if configuration.retries is not None:
        pool_args["retries"] = configuration.retries
    server_name = getattr(configuration, "tls_server_name", None)
    if server_name:
        pool_args["server_hostname"] = server_name
    socket_options = getattr(configuration, "socket_options", None)
    if socket_options is not None:
        pool_args["socket_options"] = socket_options
    if configuration.connection_pool_maxsize is not None:
        pool_args["maxsize"] = configuration.connection_pool_maxsize

    if not proxy:
        return urllib3.PoolManager(**pool_args)
    headers = getattr(configuration, "proxy_headers", None)
    if proxy.partition("://")[0].lower() in _SOCKS_SCHEMES:
        from urllib3.contrib.socks import SOCKSProxyManager  # needs PySocks, as the library's does

        return SOCKSProxyManager(proxy, headers=headers, **pool_args)
    return urllib3.ProxyManager(proxy, proxy_headers=headers, **pool_args)


_SOCKS_SCHEMES = frozenset({"socks5", "socks5h", "socks4", "socks4a"})


class _Response:
    """A urllib3 answer behind the Response interface."""

    def __init__(self, response: Any, redactor: kube_transport.Redactor) -> None:
        self.status = response.status
        self._response = response
        self._redactor = redactor
        self.alarm: Alarm | None = None  # the exchange's deadline, until the body is read

    def read(self) -> bytes:
        try:
            data: bytes = self._response.read()
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            self._settle()
            if self.alarm is not None and self.alarm.fired:
                raise kube_transport.ReadTimeout() from exc
            raise _transport_error(exc) from exc
        self._settle()
        if self.alarm is not None and self.alarm.fired:
            raise kube_transport.ReadTimeout()  # shut down at the deadline: the body may be cut short
        return self._redactor.body(data, self.status)

    def _settle(self) -> None:
        """Done with the body: cancel the deadline and give the connection back. If the alarm
        fired, it has shut (or is about to shut) this connection's socket, so the connection
        is closed first: handed back as it was, another thread's request would be cut off."""
        self._disarm()
        if self.alarm is not None and self.alarm.fired:
            self._response.close()
        self._response.release_conn()

    def _disarm(self) -> None:
        if self.alarm is not None:
            self.alarm.cancel()

    def stream(self) -> Iterator[bytes]:
        response = self._response
        try:
            if response.chunked and response.supports_chunked_reads():
                # urllib3 decodes gzip as it reads.
                yield from response.read_chunked(decode_content=True)
                return
            read1 = getattr(response, "read1", None)
            while True:
                data = read1(65536) if read1 is not None else response.read(1)
                if not data:
                    return
                yield data
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            raise _transport_error(exc) from exc

    def header(self, name: str) -> str | None:
        value = self._response.headers.get(name)
        return None if value is None else str(value)

    def headers(self) -> kube_transport.Headers:
        return [(str(name), str(value)) for name, value in self._response.headers.iteritems()]

    def set_timeout(self, seconds: float | None) -> None:
        sock = getattr(getattr(self._response, "connection", None), "sock", None)
        if sock is not None:
            try:
                sock.settimeout(seconds)
            except OSError:
                pass

    def abort(self) -> None:
        try:
            self._response.shutdown()  # urllib3 >= 2.3
            return
        except (AttributeError, ValueError, RuntimeError, OSError):
            pass
        sock = getattr(getattr(self._response, "connection", None), "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        self._disarm()
        self._response.close()


def _configured_credentials(configuration: Any, proxy: str | None) -> list[str | None]:
    """The secrets known before the first request: the basic-auth password the loaders put
    in the Configuration and the proxy URL's password (sent to the proxy, not the server)."""
    from urllib.parse import urlsplit

    values: list[str | None] = [getattr(configuration, "password", None)]
    if proxy:
        try:
            values.append(urlsplit(proxy).password)
        except ValueError:
            pass
    return values


def _transport_error(exc: BaseException) -> kube_transport.TransportError:
    """Classify a urllib3 failure (the caller chains `exc` as the cause)."""
    u3 = urllib3.exceptions
    if isinstance(exc, u3.NameResolutionError):
        return kube_transport.CannotResolve()
    if isinstance(exc, u3.NewConnectionError):
        # NewConnectionError subclasses ConnectTimeoutError, so it is tested first.
        return kube_transport.CannotConnect()
    if isinstance(exc, u3.ConnectTimeoutError):
        return kube_transport.ConnectTimeout()
    if isinstance(exc, u3.ReadTimeoutError):
        return kube_transport.ReadTimeout()
    if isinstance(exc, u3.SSLError):
        return kube_transport.TLSFailure()
    if isinstance(exc, u3.ProxyError):
        return kube_transport.ProxyFailure()
    if isinstance(exc, u3.ProtocolError):
        return kube_transport.ConnectionBroken()
    return kube_transport.TransportError()


def _silence_insecure_warning() -> None:
    """--insecure-skip-tls-verify was asked for; urllib3 would warn on every request."""
    import warnings

    warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)
