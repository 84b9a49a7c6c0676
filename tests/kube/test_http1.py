"""kube/http1.py: the stdlib transport's HTTP/1.1 client, over a socket pair (no server).

The server's side of each exchange is written in full before the client reads, so nothing
waits on another thread; what the client sent is read back from the other end.
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from kubectl_rollouts_py.kube import http1


@pytest.fixture
def pair() -> Iterator[tuple[http1.Connection, socket.socket]]:
    ours, theirs = socket.socketpair()
    conn = http1.Connection(ours)
    theirs.settimeout(5)
    ours.settimeout(5)
    yield conn, theirs
    conn.close()
    theirs.close()


def exchange(pair: tuple[http1.Connection, socket.socket], answer: bytes, *, method: str = "GET",
             headers: list[tuple[str, str]] | None = None, body: bytes | None = None) -> tuple[http1.Response, bytes]:
    conn, theirs = pair
    theirs.sendall(answer)
    response = conn.request(method, "/api/v1/pods?limit=1", headers or [("Host", "example")], body)
    return response, theirs.recv(65536)


def test_the_request_is_one_http11_message(pair):
    response, sent = exchange(pair, b"HTTP/1.1 204 No Content\r\n\r\n", method="PATCH",
                              headers=[("Host", "h:6443"), ("Authorization", "Bearer t"), ("Content-Length", "2")], body=b"{}")
    assert sent == b"PATCH /api/v1/pods?limit=1 HTTP/1.1\r\nHost: h:6443\r\nAuthorization: Bearer t\r\nContent-Length: 2\r\n\r\n{}"
    assert (response.status, response.reason, response.read(), response.will_close) == (204, "No Content", b"", False)


def test_a_content_length_body_then_the_connection_carries_another_request(pair):
    response, _ = exchange(pair, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: application/json\r\n\r\nhello")
    assert response.getheader("content-type") == "application/json"
    assert (response.read(), response.will_close) == (b"hello", False)
    again, _ = exchange(pair, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
    assert again.read() == b"{}"


def test_a_chunked_body_with_extensions_and_a_trailer(pair):
    answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n"
    response, _ = exchange(pair, answer)
    assert (response.read(), response.will_close) == (b"hello world", False)
    again, _ = exchange(pair, b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx")
    assert again.read() == b"x"


def test_read1_gives_a_chunked_stream_piece_by_piece(pair):
    response, _ = exchange(pair, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
    pieces = []
    while piece := response.read1(2):
        pieces.append(piece)
    assert pieces == [b"ab", b"c", b"de"]


def test_without_a_length_the_body_ends_with_the_connection(pair):
    conn, theirs = pair
    theirs.sendall(b"HTTP/1.0 200 OK\r\n\r\nall of it")
    theirs.shutdown(socket.SHUT_WR)
    response = conn.request("GET", "/", [], None)
    assert (response.read(), response.will_close) == (b"all of it", True)


@pytest.mark.parametrize(("head", "closes"), [
    (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", True),
    (b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", True),
    (b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", False),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", False),
])
def test_which_answers_close_the_connection(pair, head, closes):
    response, _ = exchange(pair, head)
    assert response.will_close is closes


def test_an_interim_100_continue_is_skipped_and_folded_headers_joined(pair):
    answer = (b"HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n"
              b"HTTP/1.1 201 Created\r\nX-Long: a\r\n  b\r\nSet-Thing: 1\r\nset-thing: 2\r\nContent-Length: 0\r\n\r\n")
    response, _ = exchange(pair, answer)
    assert (response.status, response.getheader("X-Long"), response.getheader("Set-Thing")) == (201, "a b", "1, 2")
    assert response.getheader("X-Interim") is None and response.getheader("Missing") is None
    assert [name for name, _ in response.getheaders()] == ["X-Long", "Set-Thing", "set-thing", "Content-Length"]


def test_no_body_after_head_or_304(pair):
    response, _ = exchange(pair, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", method="HEAD")
    assert response.read() == b""
    again, _ = exchange(pair, b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n")
    assert again.read() == b""


@pytest.mark.parametrize(("name", "value"), [
    ("Authorization", "Bearer a\r\nX-Evil: 1"), ("Authorization", "Bearer a\nb"), ("Bad:Name", "v"),
    ("Bad Name", "v"), ("", "v"), ("Authorization", "Bearer \u2603"),
])
def test_a_header_that_is_not_valid_http_is_refused_before_anything_is_sent(pair, name, value):
    conn, theirs = pair
    with pytest.raises(http1.InvalidHeader) as refused:
        conn.request("GET", "/", [(name, value)], None)
    assert "Bearer" not in str(refused.value) and "Evil" not in str(refused.value)
    theirs.setblocking(False)
    with pytest.raises(BlockingIOError):
        theirs.recv(10)


def test_a_control_character_in_the_target_is_refused(pair):
    conn, _ = pair
    with pytest.raises(http.client.InvalidURL):
        conn.request("GET", "/a b", [], None)


# -- failures are http.client's exceptions, so kube/errors.py words them as before


def test_a_server_that_closes_without_answering(pair):
    conn, theirs = pair
    theirs.shutdown(socket.SHUT_WR)
    with pytest.raises(http.client.RemoteDisconnected):
        conn.request("GET", "/", [], None)


@pytest.mark.parametrize("line", [b"SSH-2.0-OpenSSH_9.6\r\n\r\n", b"HTTP/1.1 twohundred OK\r\n\r\n", b"HTTP/1.1 42 Odd\r\n\r\n", b"garbage\r\n"])
def test_an_answer_that_is_not_http(pair, line):
    with pytest.raises(http.client.BadStatusLine):
        exchange(pair, line)


def test_a_body_cut_short_says_how_much_came(pair):
    conn, theirs = pair
    theirs.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcd")
    theirs.shutdown(socket.SHUT_WR)
    response = conn.request("GET", "/", [], None)
    with pytest.raises(http.client.IncompleteRead) as cut:
        response.read()
    assert (cut.value.partial, cut.value.expected) == (b"abcd", 6)


def test_a_chunked_body_cut_short(pair):
    conn, theirs = pair
    theirs.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n5\r\nde")
    theirs.shutdown(socket.SHUT_WR)
    response = conn.request("GET", "/", [], None)
    with pytest.raises(http.client.IncompleteRead) as cut:
        response.read()
    assert cut.value.partial == b"abcde"


def test_too_many_headers(pair):
    with pytest.raises(http.client.HTTPException, match="more than 100 headers"):
        exchange(pair, b"HTTP/1.1 200 OK\r\n" + b"X: 1\r\n" * 101 + b"\r\n")


def test_importing_it_imports_neither_http_client_nor_ssl():
    code = "import sys, kubectl_rollouts_py.kube.stdhttp; print(sorted(m for m in ('http.client', 'ssl', 'email') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_bytes_past_the_end_of_an_answer_are_not_the_next_answer(pair):
    # A server that sends more than its Content-Length: as with http.client, what the reader
    # buffered past the answer goes with it.
    conn, theirs = pair
    theirs.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}junk")
    assert conn.request("GET", "/", [], None).read() == b"{}"
    again, _ = exchange(pair, b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx")
    assert again.read() == b"x"
