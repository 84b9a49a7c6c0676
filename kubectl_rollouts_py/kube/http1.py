"""A small HTTP/1.1 client connection over a connected socket, for the stdlib transport.

What kube/stdhttp.py needs of http.client and no more: send one request (a request line,
headers, an optional body), read the answer's status line and headers, then its body in
full (`read`) or piece by piece as it arrives (`read1`, for watches), by Content-Length,
chunked transfer coding, or up to the end of the connection; and say whether the
connection may carry another request (`will_close`). The rules are http.client's: 1xx
interim answers are skipped; no body after a HEAD, 1xx, 204 or 304; HTTP/1.1 keeps the
connection unless `Connection: close`, HTTP/1.0 closes it unless `keep-alive`; an answer
without a length or chunking ends with the connection; at most 100 header lines of at
most 64 KiB each.

Importing it costs what the socket module costs: http.client brings the email package
(its header parser) and ssl even for a plain http:// server, about a third of the start-up
of a short command on a slow machine. TLS is the caller's: `sock` may be an SSLSocket.

Failures raise http.client's own exceptions, that module imported only then (so that
kube/errors.py and the retry policy tell them apart as before): RemoteDisconnected for a
server that closes without answering, BadStatusLine or UnknownProtocol for an answer that
is not HTTP/1.x, LineTooLong and HTTPException past the limits, IncompleteRead for a body
cut short. A request header that is not valid HTTP raises InvalidHeader (a ValueError
whose message never quotes the value: it may be a credential). Socket errors and timeouts
propagate.
"""

from __future__ import annotations

import socket
from io import BufferedReader
from typing import Any

# http.client's limits: the longest status or header line, and the most header lines.
MAX_LINE = 65536
MAX_HEADERS = 100


class InvalidHeader(ValueError):
    """A request header that cannot be sent as one header line."""


def _failure(kind: str, *args: Any) -> Exception:
    """http.client's exception `kind` (the module is imported on the first failure only)."""
    import http.client

    error: Exception = getattr(http.client, kind)(*args)
    return error


def _check_header(name: str, value: str) -> tuple[bytes, bytes]:
    """The header's bytes; InvalidHeader for a name with a colon, white space or a line
    break, a value with a line break, or characters outside ASCII (name) or Latin-1 (value)."""
    if not name or any(c in name for c in ": \t\r\n"):
        raise InvalidHeader("invalid header name")
    if "\r" in value or "\n" in value:
        raise InvalidHeader("invalid header value")
    try:
        return name.encode("ascii"), value.encode("latin-1")
    except UnicodeEncodeError:
        raise InvalidHeader("invalid header characters") from None


class Connection:
    """One HTTP/1.1 connection; one request at a time, each answer read before the next."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock: socket.socket | None = sock
        self._reader: BufferedReader | None = None

    def request(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes | None) -> Response:
        """Send the request and read the answer's status line and headers."""
        if self.sock is None:
            raise _failure("NotConnected")
        if any(c <= " " or c == "\x7f" for c in method + target):
            raise _failure("InvalidURL", "the request line has a control character or a space")
        lines = [f"{method} {target} HTTP/1.1\r\n".encode("ascii")]
        for name, value in headers:
            raw_name, raw_value = _check_header(name, value)
            lines.append(raw_name + b": " + raw_value + b"\r\n")
        lines.append(b"\r\n")
        if body:
            lines.append(body)
        self.sock.sendall(b"".join(lines))
        # A reader of its own for each answer, as http.client has: whatever a server sends
        # past the end of one answer is not taken for the start of the next.
        if self._reader is not None:
            self._reader.close()
        self._reader = self.sock.makefile("rb")
        return Response(self._reader, method)

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if sock is not None:
            sock.close()


class Response:
    """An answer: `status`, `reason`, the headers, then the body once."""

    def __init__(self, reader: BufferedReader, method: str) -> None:
        self._fp = reader
        while True:
            version, status, reason = self._status_line()
            if status != 100:
                break
            self._skip_headers("header line")  # 100 Continue: its headers, then the real answer
        self.status = status
        self.reason = reason
        self.headers = self._headers()
        connection = (self.getheader("Connection") or "").lower()
        if version == 11:
            self.will_close = "close" in connection
        else:
            self.will_close = not (self.getheader("Keep-Alive") or "keep-alive" in connection
                                   or "keep-alive" in (self.getheader("Proxy-Connection") or "").lower())
        encoding = self.getheader("Transfer-Encoding")
        self.chunked = bool(encoding) and str(encoding).lower() == "chunked"
        self._chunk_left: int | None = None  # bytes left of the current chunk; None before the first
        length: int | None = None
        if not self.chunked:
            try:
                length = int(self.getheader("Content-Length") or "")
            except ValueError:
                length = None
            if length is not None and length < 0:
                length = None
        if status in (204, 304) or 100 <= status < 200 or method == "HEAD":
            length = 0
        if not self.will_close and not self.chunked and length is None:
            self.will_close = True  # the body ends with the connection
        self.length = length  # bytes of the body left to read; None: up to the end
        self._done = length == 0 or method == "HEAD"

    # -- the head

    def _line(self, what: str) -> bytes:
        line = self._fp.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise _failure("LineTooLong", what)
        return line

    def _status_line(self) -> tuple[int, int, str]:
        raw = self._line("status line")
        if not raw:
            raise _failure("RemoteDisconnected", "Remote end closed connection without response")
        line = raw.decode("iso-8859-1")
        words = line.split(None, 2)
        if len(words) < 2:
            raise _failure("BadStatusLine", line)
        version, code = words[0], words[1]
        reason = words[2].strip() if len(words) > 2 else ""
        if not version.startswith("HTTP/"):
            raise _failure("BadStatusLine", line)
        try:
            status = int(code)
        except ValueError:
            raise _failure("BadStatusLine", line) from None
        if not 100 <= status <= 999:
            raise _failure("BadStatusLine", line)
        if version == "HTTP/1.0":
            return 10, status, reason
        if version.startswith("HTTP/1."):
            return 11, status, reason
        raise _failure("UnknownProtocol", version)

    def _headers(self) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = []
        for text in self._header_lines("header line"):
            if text[:1] in (" ", "\t") and headers:  # a folded line continues the last header
                name, value = headers[-1]
                headers[-1] = (name, f"{value} {text.strip()}")
                continue
            name, colon, value = text.partition(":")
            if colon:
                headers.append((name.strip(), value.strip()))
        return headers

    def _header_lines(self, what: str) -> list[str]:
        lines: list[str] = []
        while True:
            line = self._line(what)
            if line in (b"\r\n", b"\n", b""):
                return lines
            lines.append(line.decode("iso-8859-1").rstrip("\r\n"))
            if len(lines) > MAX_HEADERS:
                raise _failure("HTTPException", f"got more than {MAX_HEADERS} headers")

    def _skip_headers(self, what: str) -> None:
        self._header_lines(what)

    def getheader(self, name: str) -> str | None:
        """The header's value (several joined with ", "), or None; the name in any case."""
        wanted = name.lower()
        values = [value for key, value in self.headers if key.lower() == wanted]
        return ", ".join(values) if values else None

    def getheaders(self) -> list[tuple[str, str]]:
        return list(self.headers)

    # -- the body

    def read(self) -> bytes:
        """The rest of the body."""
        if self._done:
            return b""
        if self.chunked:
            parts: list[bytes] = []
            try:
                while data := self._read1_chunked(1 << 20):
                    parts.append(data)
            except Exception as exc:
                import http.client  # imported already: it raised

                if not isinstance(exc, http.client.IncompleteRead):
                    raise
                raise _failure("IncompleteRead", b"".join(parts)) from exc
            return b"".join(parts)
        self._done = True
        if self.length is None:
            return self._fp.read()
        data = self._fp.read(self.length)
        if len(data) < self.length:
            raise _failure("IncompleteRead", data, self.length - len(data))
        self.length = 0
        return data

    def read1(self, size: int) -> bytes:
        """Some of the body, at most `size` bytes, waiting only for the first; b"" at its end."""
        if self._done:
            return b""
        if self.chunked:
            return self._read1_chunked(size)
        if self.length is not None:
            size = min(size, self.length)
        data = self._fp.read1(size)
        if not data:
            self._done = True
        elif self.length is not None:
            self.length -= len(data)
            self._done = self.length == 0
        return data

    def _read1_chunked(self, size: int) -> bytes:
        if not self._chunk_left:
            if self._chunk_left == 0:  # the end of a chunk's data: its CRLF
                crlf = self._fp.read(2)
                if len(crlf) < 2:
                    raise _failure("IncompleteRead", crlf, 2 - len(crlf))
            line = self._line("chunk size").split(b";", 1)[0]
            try:
                self._chunk_left = int(line, 16)
            except ValueError:
                raise _failure("IncompleteRead", b"") from None
            if self._chunk_left < 0:
                raise _failure("IncompleteRead", b"")
            if self._chunk_left == 0:
                self._header_lines("trailer line")
                self._done = True
                return b""
        data = self._fp.read1(min(size, self._chunk_left))
        if not data:
            raise _failure("IncompleteRead", b"")
        self._chunk_left -= len(data)
        return data

    def close(self) -> None:
        """Stop reading (the caller closes the connection unless the body was read in full)."""
        self._done = True
