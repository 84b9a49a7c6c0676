"""Fault injection for reliability tests: what the server does instead of (or to) an answer."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from .errors import StatusError

# The reason an injected error Status gives for its code.
_REASONS = {400: "BadRequest", 404: "NotFound", 409: "Conflict", 410: "Expired", 422: "Invalid",
            429: "TooManyRequests", 500: "InternalError", 502: "BadGateway",
            503: "ServiceUnavailable", 504: "Timeout"}


@dataclass(frozen=True)
class Fault:
    """What the server does instead of (or to) its normal answer; see APIServer.inject.

    Build one with the class methods rather than the constructor.
    """

    kind: str  # status | delay | drip | drop | malformed | watch_close | watch_drop | watch_expired
    status: int = 0
    retry_after: str | None = None
    seconds: float = 0.0
    after_processing: bool = True
    events: int = 0
    message: str | None = None

    @classmethod
    def error(cls, status: int, *, retry_after: float | str | None = None, message: str | None = None) -> Fault:
        """Answer with an error Status of this code (429, 500, 503, ...), before the request
        is processed; `retry_after` adds a Retry-After header (seconds; fractions allowed
        here so tests stay fast, though real servers send whole seconds)."""
        return cls("status", status=status, retry_after=None if retry_after is None else f"{retry_after:g}"
                   if isinstance(retry_after, (int, float)) else str(retry_after), message=message)

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Process the request, then hold the answer back this long (a write is applied)."""
        return cls("delay", seconds=seconds)

    @classmethod
    def drip(cls, interval: float = 1.0) -> Fault:
        """Process the request, send the headers at once, then the body one byte every
        `interval` seconds (a write is applied): a slow sender that a per-read timeout,
        restarted by every byte, never catches."""
        return cls("drip", seconds=interval)

    @classmethod
    def drop(cls, *, after_processing: bool = True) -> Fault:
        """Cut the connection: after processing, mid-body (headers and half the body sent;
        a write is applied), or before processing (nothing answered, nothing applied)."""
        return cls("drop", after_processing=after_processing)

    @classmethod
    def malformed(cls) -> Fault:
        """Process the request, then answer 200 with a body that is not JSON."""
        return cls("malformed")

    @classmethod
    def watch_close(cls, events: int = 0) -> Fault:
        """A watch: end the stream (cleanly, as a server-side timeout does) after N events."""
        return cls("watch_close", events=events)

    @classmethod
    def watch_drop(cls, events: int = 0) -> Fault:
        """A watch: after N events, cut the connection mid-event (half an event line sent,
        the chunked body never ended), as a broken network or a crashed server does."""
        return cls("watch_drop", events=events)

    @classmethod
    def watch_expired(cls) -> Fault:
        """A watch: answer with a 410 Expired ERROR event at once, as for a too-old version."""
        return cls("watch_expired")

    @property
    def for_watch(self) -> bool:
        return self.kind.startswith("watch_")

    def status_error(self, method: str, path: str) -> StatusError:
        """The error a Fault.error answers `method path` with."""
        code = self.status
        err = StatusError(code, _REASONS.get(code, "Unknown"), self.message or f"injected {code} for {method} {path}")
        err.retry_after = self.retry_after
        return err


class _InjectedFault:
    """One rule of APIServer.inject: which requests, what to do, how many more times."""

    def __init__(self, method: str, path: str | re.Pattern[str], prefix: bool, fault: Fault, times: int | None,
                 watch: bool | None = None, skip: int = 0) -> None:
        self.method = method.upper()
        self.path = path
        self.prefix = prefix
        self.fault = fault
        self.remaining = times  # None: every matching request
        self.watch = watch  # None: what the fault's kind allows; True/False: only (non-)watch requests
        self.skip = skip  # matching requests still to let through untouched
        self.hits = 0

    def matches(self, method: str, path: str, watch: bool) -> bool:
        if self.method not in ("*", method):
            return False
        if self.fault.kind != "status" and self.fault.for_watch != watch:
            return False
        if self.watch is not None and self.watch != watch:
            return False
        if isinstance(self.path, re.Pattern):
            return self.path.fullmatch(path) is not None
        return path.startswith(self.path) if self.prefix else path == self.path


class FaultRules:
    """The rules of APIServer.inject, in the order they were added. Thread-safe."""

    def __init__(self) -> None:
        self._rules: list[_InjectedFault] = []
        self._lock = threading.Lock()

    def add(
        self,
        method: str,
        path: str | re.Pattern[str],
        fault: Fault,
        *,
        times: int | None,
        prefix: bool,
        watch: bool | None,
        skip: int,
    ) -> None:
        """Add one rule (APIServer.inject documents the arguments).

        Raises:
            ValueError: `times` below 1, a negative `skip`, or `watch` set against the fault's kind.
        """
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for every request)")
        if skip < 0:
            raise ValueError("skip must not be negative")
        if watch is not None and fault.kind != "status" and watch != fault.for_watch:
            raise ValueError(f"a {fault.kind} fault never meets {'watch' if watch else 'non-watch'} requests")
        with self._lock:
            self._rules.append(_InjectedFault(method, path, prefix, fault, times, watch, skip))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def hits(self) -> int:
        with self._lock:
            return sum(f.hits for f in self._rules)

    def take(self, method: str, path: str, watch: bool) -> Fault | None:
        """The fault for this request, using up one of its rule's `times`; None for no fault."""
        with self._lock:
            for rule in self._rules:
                if (rule.remaining is None or rule.remaining > 0) and rule.matches(method, path, watch):
                    if rule.skip > 0:
                        rule.skip -= 1  # let this one through; a later rule may still take it
                        continue
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    rule.hits += 1
                    return rule.fault
        return None


class DropConnection(Exception):
    """Raised inside a handler to close the connection without an answer."""


class CutStream(Exception):
    """Raised inside a watch to end the stream early (a Fault.watch_close)."""
