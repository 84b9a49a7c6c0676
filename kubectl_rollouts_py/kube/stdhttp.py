"""The stdlib transport: a socket, ssl for https, and a small HTTP/1.1 client (kube/http1.py,
cheaper to import than http.client), for kubeconfigs with static credentials.

`needs_library` says which kubeconfigs this transport cannot serve (see transport.py);
for the others the credentials are loaded here with the kubernetes library's rules, so
both transports accept and reject the same kubeconfigs with the same messages:

* token: `token` wins over `tokenFile` (an empty `token` means none); a token file is
  re-read at most once a minute, as client-go does, so a rotated token is picked up. Unlike
  the library we strip whitespace around a file's token (client-go does too): a trailing
  newline would otherwise make the header invalid.
* TLS material only matters for https servers: `*-data` wins over the file; a named file
  must exist (`File does not exist: PATH`); data must be valid base64.
* in-cluster: the service account's token (re-read like a token file) and ca.crt, with
  the library's messages for missing or empty files; --token, --certificate-authority,
  --insecure-skip-tls-verify, --tls-server-name and --client-certificate/--client-key
  apply on top. The header says `Bearer` where the library writes `bearer` (the API
  server does not care).

The SSL context is built on the first connection, as urllib3 does, so a CA or client
certificate that OpenSSL rejects is reported as a TLS failure of that request, in the
same words as the library path. Certificate and key *data* are written to a private
(0600) temporary file for `load_cert_chain` and removed right after; CA data goes to
`load_verify_locations(cadata=...)` directly.

Connections: a small pool of keep-alive connections shared by all threads. A request
takes an idle one (checked for a server-side close first) or opens a new one, and gives it
back once its answer is read in full; so the CLI's five concurrent fetches use five, and
threads that come and go (a thread pool per fetch) leave no connections behind, which a
connection per thread (threading.local) would. A streamed request (a watch) is never given
back: its connection closes with it. No retries, no redirects, no proxies.

Deadlines: `read_timeout` bounds the whole exchange (connecting, the headers and the body
together), as kubectl's --request-timeout does, not each wait for data: a socket timeout
restarts with every byte, so a server sending one byte a second would never meet it. An
alarm (_threads.alarms) shuts the socket down when the time is up, and the read that it
ends is reported as a ReadTimeout. For a stream (a watch) the deadline covers the response
headers only.
"""

from __future__ import annotations

import base64
import contextlib
import os
import select
import socket
import sys
import threading
import time
import zlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from kubectl_rollouts_py._threads import Alarm, alarms
from kubectl_rollouts_py.kube import config as kube_config
from kubectl_rollouts_py.kube import http1
from kubectl_rollouts_py.kube import transport as kube_transport

if TYPE_CHECKING:  # ssl is imported by the first https connection
    import ssl

# How often a token file is re-read (client-go's cachingTokenSource and the library's
# in-cluster loader both use one minute).
TOKEN_REFRESH_SECONDS = 60.0

_READ_SIZE = 65536

# What stays as it is in a request path: RFC 3986 pchar and "/", plus "%" (escapes).
_PATH_SAFE = "/%:@!$&'()*+,;=~"

# Idle connections kept for reuse (the library's pool keeps 8 too).
MAX_IDLE_CONNECTIONS = 8


def needs_library(cluster_config: kube_config.ClusterConfig, environ: Mapping[str, str]) -> str | None:
    """Why these settings need the kubernetes library's transport; None when this one serves them."""
    parts = urlsplit(cluster_config.server)
    if parts.scheme not in ("http", "https"):
        return f"a {parts.scheme or 'scheme-less'} server URL"
    if "@" in parts.netloc:
        return "user:password in the server URL"
    if not cluster_config.in_cluster:
        user = cluster_config.user
        # Key presence, not value, decides, as in the library's loader.
        for key in ("exec", "auth-provider"):
            if key in user:
                return f"an {key} credential"
        if "username" in user and "password" in user:
            return "basic auth"
        if "proxy-url" in cluster_config.cluster:
            return "a proxy-url"
    if _environment_proxy(cluster_config.server, environ):
        return "a proxy from the environment"
    return None


class StdlibTransport:
    """Requests to one API server over kube/http1.py, with static credentials."""

    name = "http.client"

    def __init__(self, cluster_config: kube_config.ClusterConfig) -> None:
        """Load the credentials. Raises ConfigError with the library path's wording."""
        parts = urlsplit(cluster_config.server)
        self._tls = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port or (443 if self._tls else 80)
        shown = f"[{self._host}]" if ":" in self._host else self._host
        self._host_header = shown if parts.port in (None, 443 if self._tls else 80) else f"{shown}:{parts.port}"
        try:
            if cluster_config.in_cluster:
                self._token, self._tls_settings = _in_cluster_credentials(cluster_config, tls=self._tls)
            else:
                self._token, self._tls_settings = _kubeconfig_credentials(cluster_config, tls=self._tls)
        except _Invalid as exc:
            raise kube_config.invalid_entry(cluster_config, str(exc)) from exc
        except (OSError, ValueError, TypeError) as exc:
            raise kube_config.unloadable_credentials(cluster_config, exc) from exc
        self.redactor = kube_transport.Redactor([self._token.value() if self._token is not None else None])
        self._server_hostname = self._tls_settings.server_name or self._host
        self._context: ssl.SSLContext | None = None
        self._context_lock = threading.Lock()
        self._idle: list[http1.Connection] = []  # most recently used last
        self._idle_lock = threading.Lock()
        self._closed = False

    # -- Transport interface

    def auth_headers(self) -> kube_transport.Headers:
        token = self._token.value() if self._token is not None else None
        return [("Authorization", f"Bearer {token}")] if token else []

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
        parts = urlsplit(url)
        # Percent-encode what may not stand in a path (a space in a name the user typed),
        # as urllib3 does; escapes already there are kept.
        target = quote(parts.path or "/", safe=_PATH_SAFE) + (f"?{parts.query}" if parts.query else "")
        deadline = None if read_timeout is None else time.monotonic() + read_timeout
        conn = None if stream else self._idle_connection()
        if conn is None:
            conn = self._connect(connect_timeout if read_timeout is None else min(connect_timeout, read_timeout))
        sock = conn.sock
        assert sock is not None
        alarm = None if deadline is None else alarms().arm(deadline, lambda: _shut(sock))
        try:
            sock.settimeout(read_timeout)
            sent = [("Host", self._host_header), *headers]
            if body is not None or method in ("POST", "PUT", "PATCH"):
                sent.append(("Content-Length", str(len(body or b""))))
            try:
                raw = conn.request(method, target, sent, body)
            except http1.InvalidHeader:
                # A header value with a newline in it (say) may be the token: neither the
                # text nor the cause is kept.
                raise kube_transport.TransportError(
                    "a request header is not valid HTTP; check the credentials in the kubeconfig"
                ) from None
        except kube_transport.TransportError:
            _cancel(alarm)
            conn.close()
            raise
        except Exception as exc:
            _cancel(alarm)
            conn.close()
            raise _read_failure(exc, alarm) from exc
        if stream and alarm is not None:
            # A watch's events may be minutes apart: the deadline was for its headers.
            alarm.cancel()
            if alarm.fired:
                conn.close()
                raise kube_transport.ReadTimeout()
            alarm = None
        return _Response(self, conn, sock, raw, reusable=not stream, alarm=alarm)

    def close(self) -> None:
        with self._idle_lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    # -- connections

    def _idle_connection(self) -> http1.Connection | None:
        """An idle keep-alive connection the server has not closed, if there is one."""
        while True:
            with self._idle_lock:
                if not self._idle:
                    return None
                conn = self._idle.pop()
            if conn.sock is not None and not _dropped(conn.sock):
                return conn
            conn.close()  # the server closed it while it was idle

    def _give_back(self, conn: http1.Connection) -> None:
        with self._idle_lock:
            if not self._closed and len(self._idle) < MAX_IDLE_CONNECTIONS:
                self._idle.append(conn)
                return
        conn.close()

    def _connect(self, connect_timeout: float) -> http1.Connection:
        """A new connection, TLS handshake done. Failures are classified as urllib3 does."""
        try:
            address = (_resolvable(self._host), self._port)
            sock = socket.create_connection(address, timeout=connect_timeout)  # type: ignore[arg-type]  # bytes resolve too
        except socket.gaierror as exc:
            raise kube_transport.CannotResolve() from exc
        except TimeoutError as exc:
            raise kube_transport.ConnectTimeout() from exc
        except OSError as exc:
            raise kube_transport.CannotConnect() from exc
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._tls:
                sock = self._handshake(sock)
        except BaseException:
            sock.close()
            raise
        return http1.Connection(sock)

    def _handshake(self, sock: socket.socket) -> ssl.SSLSocket:
        import ssl

        try:
            context = self._ssl_context()
            # The handshake runs under the connect timeout, like urllib3's.
            return context.wrap_socket(sock, server_hostname=self._server_hostname)
        except TimeoutError as exc:
            # urllib3 reports a stalled handshake as a read timeout; so do we.
            raise kube_transport.ReadTimeout() from exc
        except (ssl.SSLError, ValueError) as exc:  # ValueError: CA data that is not PEM text
            raise kube_transport.TLSFailure() from exc
        except OSError as exc:
            raise kube_transport.ConnectionBroken() from exc

    def _ssl_context(self) -> ssl.SSLContext:
        with self._context_lock:
            if self._context is None:
                self._context = self._tls_settings.context()
            return self._context


class _Response:
    """A kube/http1.py answer behind the Response interface."""

    def __init__(
        self,
        transport: StdlibTransport,
        conn: http1.Connection,
        sock: socket.socket,
        raw: http1.Response,
        *,
        reusable: bool,
        alarm: Alarm | None = None,
    ) -> None:
        self.status = raw.status
        self._transport = transport
        self._conn = conn
        self._sock = sock  # kept: the connection forgets it once closed
        self._raw = raw
        self._reusable = reusable
        self._alarm = alarm  # the exchange's deadline, until the body is read
        self._settled = False
        self._gzip = (raw.getheader("Content-Encoding") or "").strip().lower() == "gzip"

    def read(self) -> bytes:
        try:
            data = self._raw.read()
        except Exception as exc:
            _cancel(self._alarm)
            self._settle(reuse=False)
            raise _read_failure(exc, self._alarm) from exc
        _cancel(self._alarm)
        if self._alarm is not None and self._alarm.fired:
            # Shut down at the deadline: what was read may be cut short.
            self._settle(reuse=False)
            raise kube_transport.ReadTimeout()
        self._settle(reuse=self._reusable and not self._raw.will_close)
        if self._gzip:
            try:
                data = zlib.decompress(data, 16 + zlib.MAX_WBITS)
            except zlib.error as exc:
                raise kube_transport.TransportError("the server sent a gzip body that does not decode") from exc
        return self._transport.redactor.body(data, self.status)

    def stream(self) -> Iterator[bytes]:
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS) if self._gzip else None
        while True:
            try:
                data = self._raw.read1(_READ_SIZE)
            except Exception as exc:
                raise _read_failure(exc) from exc
            if not data:
                break
            if decoder is not None:
                data = decoder.decompress(data)
                if not data:
                    continue
            yield data

    def header(self, name: str) -> str | None:
        value = self._raw.getheader(name)
        return None if value is None else str(value)

    def headers(self) -> kube_transport.Headers:
        return [(str(name), str(value)) for name, value in self._raw.getheaders()]

    def set_timeout(self, seconds: float | None) -> None:
        try:
            self._sock.settimeout(seconds)
        except OSError:
            pass

    def abort(self) -> None:
        try:
            # The plain socket's shutdown, not SSLSocket's (which also drops its SSL
            # object under the reading thread): the blocked read just sees the end.
            socket.socket.shutdown(self._sock, socket.SHUT_RDWR)
        except OSError:
            pass

    def close(self) -> None:
        _cancel(self._alarm)
        if not self._settled:
            self._raw.close()
            self._settle(reuse=False)

    def _settle(self, *, reuse: bool) -> None:
        """Give the connection back for reuse, or close it; once."""
        if self._settled:
            return
        self._settled = True
        if reuse:
            self._transport._give_back(self._conn)
        else:
            self._conn.close()


def _read_failure(exc: BaseException, alarm: Alarm | None = None) -> kube_transport.TransportError:
    """The TransportError for a failure while sending or reading, as urllib3 classifies it;
    a read that the exchange's deadline ended (`alarm` fired) is a ReadTimeout."""
    if isinstance(exc, TimeoutError) or (alarm is not None and alarm.fired):
        return kube_transport.ReadTimeout()
    ssl_module = sys.modules.get("ssl")  # no SSLError without it
    if ssl_module is not None and isinstance(exc, ssl_module.SSLError):
        return kube_transport.TLSFailure()
    http_client = sys.modules.get("http.client")  # kube/http1.py's failures are its exceptions
    if isinstance(exc, (OSError, ValueError)) or (http_client is not None and isinstance(exc, http_client.HTTPException)):
        return kube_transport.ConnectionBroken()
    return kube_transport.TransportError()


def _resolvable(host: str) -> str | bytes:
    """`host` as getaddrinfo gets it: an ASCII name as the bytes the idna codec would make of
    it (its fast path), so that the codec is not imported; any other name as it is."""
    labels = host.split(".")
    if host.isascii() and all(0 < len(label) < 64 for label in labels[:-1]) and len(labels[-1]) < 64:
        return host.encode("ascii")
    return host


def _shut(sock: socket.socket) -> None:
    """End the reads on `sock` from another thread (the alarm at an exchange's deadline).

    The plain socket's shutdown, not SSLSocket's (which also drops its SSL object under
    the reading thread): the blocked read just sees the end."""
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


def _cancel(alarm: Alarm | None) -> None:
    if alarm is not None:
        alarm.cancel()


def _dropped(sock: socket.socket) -> bool:
    """True when an idle keep-alive socket has something to read: the server closed it."""
    # poll(), not select(): select() refuses descriptors numbered 1024 and up (ValueError),
    # which a busy process (the dashboard, a test run) reaches; every idle connection then
    # looked closed and none was ever reused.
    try:
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


# ---------------------------------------------------------------------------------------
# credentials


class _Invalid(Exception):
    """A kubeconfig entry the library's loader would reject with this text."""


class _Token:
    """A bearer token: given, or read from a file and re-read now and then."""

    def __init__(self, *, value: str | None = None, path: str | None = None, empty_message: str | None = None) -> None:
        self._value = value
        self._path = path
        self._next_read = 0.0
        self._lock = threading.Lock()
        if path is not None:
            self._value = self._read()
            if not self._value and empty_message:
                raise _Invalid(empty_message)
            self._next_read = time.monotonic() + TOKEN_REFRESH_SECONDS

    def value(self) -> str | None:
        if self._path is not None and time.monotonic() >= self._next_read:
            with self._lock:
                if time.monotonic() >= self._next_read:
                    try:
                        # Keep the old token if the file is mid-rotation (gone or empty).
                        self._value = self._read() or self._value
                    except OSError:
                        pass
                    self._next_read = time.monotonic() + TOKEN_REFRESH_SECONDS
        return self._value

    def _read(self) -> str:
        assert self._path is not None
        with open(self._path, encoding="utf-8") as handle:
            return handle.read().strip()


class _TLSSettings:
    """What the SSL context is built from; `context()` builds it (raises ssl.SSLError, OSError)."""

    def __init__(
        self,
        *,
        verify: bool = True,
        ca_file: str | None = None,
        ca_data: bytes | None = None,
        cert: tuple[str | None, bytes | None] = (None, None),
        key: tuple[str | None, bytes | None] = (None, None),
        server_name: str | None = None,
    ) -> None:
        self.verify = verify
        self.ca_file = ca_file
        self.ca_data = ca_data
        self.cert = cert
        self.key = key
        self.server_name = server_name

    def context(self) -> ssl.SSLContext:
        import ssl

        # The settings of urllib3's create_urllib3_context, so that a server one path
        # accepts the other accepts too.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_TICKET
        if sys.version_info >= (3, 13):
            context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN | ssl.VERIFY_X509_STRICT
        if getattr(context, "post_handshake_auth", None) is not None:
            context.post_handshake_auth = True
        context.hostname_checks_common_name = False
        if self.verify:
            if self.ca_data is not None:
                pem = b"-----BEGIN" in self.ca_data
                context.load_verify_locations(cadata=self.ca_data.decode("ascii") if pem else self.ca_data)
            elif self.ca_file is not None:
                context.load_verify_locations(cafile=self.ca_file)
            else:
                context.load_default_certs()
        else:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        cert_file, cert_data = self.cert
        if cert_file or cert_data:
            key_file, key_data = self.key
            with _private_file(cert_data) as cert_tmp, _private_file(key_data) as key_tmp:
                context.load_cert_chain(cert_tmp or cert_file or "", key_tmp or key_file)
        return context


@contextlib.contextmanager
def _private_file(data: bytes | None) -> Iterator[str | None]:
    """`with _private_file(data) as path`: data in a 0600 temporary file, removed on exit.

    With no data, the path is None and nothing is written.
    """
    if data is None:
        yield None
        return
    import tempfile

    fd, path = tempfile.mkstemp(prefix="kubectl-rollouts-py-", suffix=".pem")  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        yield path
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass


def _kubeconfig_credentials(cluster_config: kube_config.ClusterConfig, *, tls: bool) -> tuple[_Token | None, _TLSSettings]:
    """Token and TLS material from the selected kubeconfig entries, in the library's order."""
    user, cluster = cluster_config.user, cluster_config.cluster
    token = None
    if "token" in user:
        if user["token"]:
            token = _Token(value=str(user["token"]))
    elif "tokenFile" in user:
        token = _Token(path=os.path.normpath(user["tokenFile"]))
        if not token.value():
            token = None
    settings = _TLSSettings(
        verify=not cluster_config.insecure_skip_tls_verify,
        server_name=str(cluster["tls-server-name"]) if cluster.get("tls-server-name") else None,
    )
    if tls:
        settings.ca_file, settings.ca_data = _file_or_data(cluster, "certificate-authority")
        settings.cert = _file_or_data(user, "client-certificate")
        settings.key = _file_or_data(user, "client-key")
    return token, settings


def _in_cluster_credentials(cluster_config: kube_config.ClusterConfig, *, tls: bool) -> tuple[_Token | None, _TLSSettings]:
    """The service account's token and CA, as the library's InClusterConfigLoader reads them."""
    directory = cluster_config.service_account_dir
    ca_path = os.path.join(directory, "ca.crt")
    if cluster_config.token:
        # --token replaces the service account token; the CA file is still the pod's.
        token = _Token(value=cluster_config.token)
        ca_file = ca_path if os.path.isfile(ca_path) else None
    else:
        token_path = os.path.join(directory, "token")
        if not os.path.isfile(token_path):
            raise _Invalid("Service token file does not exist.")
        token = _Token(path=token_path, empty_message="Token file exists but empty.")
        if not os.path.isfile(ca_path):
            raise _Invalid("Service certification file does not exist.")
        with open(ca_path, encoding="utf-8") as handle:
            if not handle.read():
                raise _Invalid("Cert file exists but empty.")
        ca_file = ca_path
    settings = _TLSSettings(
        verify=not cluster_config.insecure_skip_tls_verify,
        server_name=str(cluster_config.cluster["tls-server-name"]) if cluster_config.cluster.get("tls-server-name") else None,
    )
    if tls:
        if settings.verify:
            settings.ca_file = cluster_config.certificate_authority or ca_file
        # --client-certificate and --client-key (kube/config.py put them in the user entry).
        settings.cert = _file_or_data(cluster_config.user, "client-certificate")
        settings.key = _file_or_data(cluster_config.user, "client-key")
    return token, settings


def _file_or_data(entry: Mapping[str, Any], key: str) -> tuple[str | None, bytes | None]:
    """(file, None) or (None, decoded data) for `key`/`key-data`, as the library's FileOrData."""
    data_key = f"{key}-data"
    if data_key in entry:
        # Present but empty counts as neither (and the file is then not looked at).
        data = entry[data_key]
        return (None, base64.standard_b64decode(data.encode() if isinstance(data, str) else data)) if data else (None, None)
    if key in entry:
        path = os.path.normpath(entry[key])
        if not os.path.isfile(path):
            raise _Invalid(f"File does not exist: {path}")
        return path, None
    return None, None


# ---------------------------------------------------------------------------------------
# proxies from the environment, as the kubernetes library's Configuration reads them


def _environment_proxy(server: str, environ: Mapping[str, str]) -> bool:
    """True when requests to `server` would go through a proxy named in the environment."""
    return environment_proxy(server, environ) is not None


def environment_proxy(server: str, environ: Mapping[str, str]) -> str | None:
    """The proxy the environment names for requests to `server`, or None.

    As the kubernetes library's Configuration (37) reads it: `urllib.request.getproxies()`
    for the server's scheme (else `all_proxy`), unless `no_proxy` covers the server. Older
    releases of the library ignore the environment, so the library transport applies this
    rule itself when the kubeconfig names no proxy (libhttp.py): the same proxy is used
    whichever release is installed.
    """
    if not any(name[-6:].lower() == "_proxy" for name in environ):
        return None
    proxies = _proxies(environ)
    proxy = proxies.get(urlsplit(server).scheme) or proxies.get("all")
    if not proxy or bypasses_proxy(server, proxies.get("no") or ""):
        return None
    return proxy


def _proxies(environ: Mapping[str, str]) -> dict[str, str]:
    """urllib.request.getproxies_environment() over `environ` (lowercase names win)."""
    proxies: dict[str, str] = {}
    for name, value in environ.items():
        name = name.lower()
        if value and name[-6:] == "_proxy":
            proxies[name[:-6]] = value
    if "REQUEST_METHOD" in environ:  # CGI: HTTP_PROXY may come from a request header
        proxies.pop("http", None)
    for name, value in environ.items():
        if name[-6:] == "_proxy":
            name = name.lower()
            if value:
                proxies[name[:-6]] = value
            else:
                proxies.pop(name[:-6], None)
    return proxies


def bypasses_proxy(url: str, no_proxy: str) -> bool:
    """kubernetes.client.rest.should_bypass_proxies: does `no_proxy` cover `url`?"""
    import ipaddress

    parts = urlsplit(url)
    if not parts.hostname:
        return True
    host = parts.hostname.lower()
    host_and_port = parts.netloc.lower()
    try:
        host_ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        host_ip = None
    for entry in (entry.strip().lower() for entry in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        if host_ip is not None:
            try:
                if host_ip in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
        entry = entry.lstrip(".")
        if host == entry or host.endswith("." + entry) or host_and_port == entry or host_and_port.endswith("." + entry):
            return True
    return False
