"""Watches: chunked event streams with resourceVersion replay, 410 Expired and bookmarks."""

from __future__ import annotations

import contextlib
import re
import select
import socket
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING

from .errors import StatusError, bad_request
from .faults import CutStream, Fault
from .jsondata import JSON, encode, parse_bool
from .resources import ResourceType, Target
from .selectors import Selector
from .store import Event

if TYPE_CHECKING:
    from .handler import StandInHTTPServer

DEFAULT_BOOKMARK_INTERVAL = 5.0
# How often an idle watch checks whether its client hung up. Events and bookmarks never
# wait for this; it only bounds how long a dead watch keeps its thread.
_LIVENESS_INTERVAL = 1.0


class WatchStreams(BaseHTTPRequestHandler):
    """The streaming half of the request handler: a watch's chunked body, its faults and
    the checks for a client that hung up. The handler in handler.py derives from it."""

    server: StandInHTTPServer
    _fault: Fault | None  # the injected fault for the request being served
    _streaming: bool  # a chunked body has begun: too late for an error status line
    _events_left: int | None  # Fault.watch_close/watch_drop: events to send before the cut

    def _hang_up(self) -> None:
        """Close the connection at once, whatever was (not) sent."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _stream_watch(self, target: Target, query: dict[str, str], selector: Selector) -> None:
        """Stream watch events as chunked JSON lines until timeoutSeconds, stop() or hang-up."""
        store = self.server.api.store
        fault, self._fault = getattr(self, "_fault", None), None
        with store.cond:
            store.watchers += 1
        try:
            if fault is not None and fault.kind == "watch_expired":
                self._begin_stream()
                with store.cond:
                    rv = store.rv
                return self._end_stream(_expired_line(_parse_rv(query.get("resourceVersion") or "0") or rv, rv + 1))
            cutting = fault is not None and fault.kind in ("watch_close", "watch_drop")
            self._events_left = fault.events if fault is not None and cutting else None
            try:
                self._watch_loop(target, query, selector)
            except CutStream:
                if fault is not None and fault.kind == "watch_drop":
                    self._drop_mid_event()
                else:
                    self._end_stream()
        finally:
            with store.cond:
                store.watchers -= 1
                store.cond.notify_all()

    def _watch_loop(self, target: Target, query: dict[str, str], selector: Selector) -> None:
        store = self.server.api.store
        rtype = target.rtype
        requested = query.get("resourceVersion", "")
        timeout = _parse_timeout(query.get("timeoutSeconds"))
        bookmarks = parse_bool(query.get("allowWatchBookmarks"))
        initial_events = parse_bool(query.get("sendInitialEvents"))
        with store.cond:
            if requested in ("", "0") or initial_events:
                cursor = store.rv
                initial = [e for e in store.items(rtype, target.namespace) if selector.matches(e.obj)]
            else:
                cursor = _parse_rv(requested)
                initial = []
            expired_at_start = cursor < store.oldest_resumable
            oldest = store.oldest_resumable
        self._begin_stream()
        if expired_at_start:
            return self._end_stream(_expired_line(cursor, oldest))
        lines = [b'{"type":"ADDED","object":' + e.raw + b"}\n" for e in initial]
        if initial_events and bookmarks:
            lines.append(_bookmark_line(rtype, cursor, initial_events_end=True))
        self._write_chunks(lines)

        started = time.monotonic()
        deadline = started + timeout if timeout is not None else None
        next_bookmark = started + self.server.api.bookmark_interval
        while True:
            now = time.monotonic()
            wake = now + _LIVENESS_INTERVAL
            if deadline is not None:
                wake = min(wake, deadline)
            if bookmarks:
                wake = min(wake, next_bookmark)
            with store.cond:
                # A condition variable, not polling: a write wakes every watcher at once.
                store.waiting += 1
                try:
                    while store.rv <= cursor and not store.stopping and time.monotonic() < wake:
                        store.cond.wait(max(0.0, wake - time.monotonic()))
                finally:
                    store.waiting -= 1
                stopping = store.stopping
                oldest = store.oldest_resumable
                fell_behind = cursor < oldest  # more writes went by than the log keeps
                events = [] if fell_behind else store.events_after(cursor)
                previous, cursor = cursor, max(cursor, store.rv)
            # Socket writes happen outside the lock: a slow client must not stall writers.
            if fell_behind:
                return self._end_stream(_expired_line(previous, oldest))
            self._write_chunks([line for ev in events if (line := _event_line(ev, target, selector))])
            now = time.monotonic()
            if stopping:
                return self._end_stream()
            if deadline is not None and now >= deadline:
                return self._end_stream(_bookmark_line(rtype, cursor) if bookmarks else None)
            if bookmarks and now >= next_bookmark:
                self._write_chunks([_bookmark_line(rtype, cursor)])
                next_bookmark = now + self.server.api.bookmark_interval
            if not events and self._client_gone():
                self.close_connection = True
                return

    def _begin_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._streaming = True

    def _write_chunks(self, lines: Sequence[bytes]) -> None:
        left = getattr(self, "_events_left", None)
        cut = False
        if left is not None and self._streaming:
            cut = len(lines) >= left
            lines = lines[:left]
            self._events_left = left - len(lines)
        if lines:
            self.wfile.write(b"".join(b"%x\r\n%s\r\n" % (len(line), line) for line in lines))
        if cut:
            self._events_left = None
            raise CutStream()

    def _end_stream(self, last_line: bytes | None = None) -> None:
        self._write_chunks([last_line] if last_line else [])
        self.wfile.write(b"0\r\n\r\n")
        self._streaming = False

    def _drop_mid_event(self) -> None:
        """Fault.watch_drop: a chunk announced twice as long as what is sent, then hang up."""
        half = b'{"type":"MODIFIED","object":{"kind":"'
        with contextlib.suppress(OSError):
            self.wfile.write(b"%x\r\n%s" % (len(half) * 2, half))
        self._hang_up()

    def _client_gone(self) -> bool:
        try:  # poll(), not select(), which refuses descriptors numbered 1024 and up
            poller = select.poll()
            poller.register(self.connection, select.POLLIN)
            return bool(poller.poll(0)) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True


def _parse_timeout(value: str | None) -> float | None:
    if value in (None, ""):
        return None
    try:
        seconds = float(str(value))
    except ValueError:
        raise bad_request(f"invalid timeoutSeconds {value!r}") from None
    return max(0.0, seconds)


def _parse_rv(value: str) -> int:
    if not re.fullmatch(r"\d+", value):
        raise bad_request(f'invalid resource version "{value}": must be an integer')
    return int(value)


def _event_line(event: Event, target: Target, selector: Selector) -> bytes | None:
    """The line one watcher gets for one logged event, or None.

    With a selector, a MODIFIED that leaves it becomes DELETED (with the previous content at
    the new resourceVersion, as the real watch cache sends) and one that enters becomes ADDED.
    """
    if event.rtype is not target.rtype or (target.namespace is not None and event.namespace != target.namespace):
        return None
    kind, raw = event.type, event.raw
    if selector:
        now = selector.matches(event.obj)
        before = event.prev is not None and selector.matches(event.prev)
        if kind == "MODIFIED" and before and not now:
            assert event.prev is not None
            kind = "DELETED"
            raw = encode(dict(event.prev, metadata=dict(event.prev["metadata"], resourceVersion=str(event.rv))))
        elif kind == "MODIFIED" and now and not before:
            kind = "ADDED"
        elif not now:
            return None
    return b'{"type":"' + kind.encode() + b'","object":' + raw + b"}\n"


def _bookmark_line(rtype: ResourceType, rv: int, *, initial_events_end: bool = False) -> bytes:
    meta: JSON = {"resourceVersion": str(rv)}
    if initial_events_end:
        meta["annotations"] = {"k8s.io/initial-events-end": "true"}
    bookmark = {"kind": rtype.kind, "apiVersion": rtype.api_version, "metadata": meta}
    return encode({"type": "BOOKMARK", "object": bookmark}) + b"\n"


def _expired_line(requested: int, oldest: int) -> bytes:
    status = StatusError(410, "Expired", f"too old resource version: {requested} ({oldest})").to_status()
    return encode({"type": "ERROR", "object": status}) + b"\n"
